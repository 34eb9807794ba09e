package zkwire

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// fourLetterWords are FourLetterCommands' commands (ZooKeeper 3.9).
var fourLetterWords = map[string]bool{
	"conf": true, "cons": true, "crst": true, "dirs": true, "dump": true,
	"envi": true, "gtmk": true, "ruok": true, "stmk": true, "srvr": true,
	"srst": true, "stat": true, "wchc": true, "wchp": true, "wchs": true,
	"mntr": true, "isro": true, "hash": true,
}

// FourLetterWord reports whether the first 4 bytes of a connection spell
// one of ZooKeeper's four-letter words, and which. Read as a length, each is
// over 1.6 GB, so no real frame is mistaken for one.
func FourLetterWord(prefix [4]byte) (string, bool) {
	w := string(prefix[:])
	return w, fourLetterWords[w]
}

// NotServing is what every four-letter word but ruok answers while the
// server is not serving (AbstractFourLetterCommand.ZK_NOT_SERVING), a line.
const NotServing = "This ZooKeeper instance is not currently serving requests\n"

// NotWhitelisted is the answer to a known word the server does not run
// (NopCommand; ZooKeeper runs only srvr unless 4lw.commands.whitelist says
// more), a line.
func NotWhitelisted(word string) string {
	return word + " is not executed because it is not in the whitelist.\n"
}

// Ruok is ruok's answer: "imok", with no line break (RuokCommand). ZooKeeper
// answers it whenever the server runs, serving or not.
const Ruok = "imok"

// FullVersion formats a version as Version.getFullVersion does in ZooKeeper
// 3.8 and 3.9: "3.9.4-<revision>, built on 2026-11-30 08:49 UTC" (the build
// date pattern of its pom, yyyy-MM-dd HH:mm zz). NB: go-zookeeper v1.0.4's
// FLWSrvr parses only the 3.4 date form (MM/dd/yyyy) and so fails on real
// 3.8/3.9 servers as well.
func FullVersion(versionRevision string, built time.Time) string {
	return versionRevision + ", built on " + built.UTC().Format("2006-01-02 15:04 MST")
}

// ConnStats is one client connection as stat and cons print it
// (ServerCnxn.dumpConnectionInfo).
type ConnStats struct {
	Remote       string // "/127.0.0.1:50312", as Java prints an InetSocketAddress
	Interest     int    // NIO interest ops: 1 while reading (printed in hex), 0 when throttled
	Queued       int64  // outstanding requests
	Received     int64
	Sent         int64
	SessionID    int64 // 0 before the handshake: then cons prints no session fields
	LastOp       string
	Established  int64 // ms since the epoch
	Timeout      int32 // the session timeout, ms
	LastCxid     int64 // -1 before the first request: then lcxid is not printed
	LastZxid     int64 // -1 at first, printed as ffffffffffffffff as Java does
	LastResponse int64 // ms since the epoch
	LastLatency  int64
	MinLatency   int64
	AvgLatency   int64
	MaxLatency   int64
}

// LastOpName is the lop that FinalRequestProcessor records for an op ("NA"
// for none it names).
func LastOpName(op OpCode) string {
	switch op {
	case OpPing:
		return "PING"
	case OpCreateSession:
		return "SESS"
	case OpMulti:
		return "MULT"
	case OpMultiRead:
		return "MLTR"
	case OpCreate, OpCreate2, OpCreateTTL, OpCreateContainer:
		return "CREA"
	case OpDelete, OpDeleteContainer:
		return "DELE"
	case OpSetData:
		return "SETD"
	case OpReconfig:
		return "RECO"
	case OpSetACL:
		return "SETA"
	case OpCloseSession:
		return "CLOS"
	case OpSync:
		return "SYNC"
	case OpCheck:
		return "CHEC"
	case OpExists:
		return "EXIS"
	case OpGetData:
		return "GETD"
	case OpSetWatches:
		return "SETW"
	case OpSetWatches2:
		return "STW2"
	case OpAddWatch:
		return "ADDW"
	case OpGetACL:
		return "GETA"
	case OpGetChildren, OpGetChildren2:
		return "GETC"
	case OpGetAllChildrenNumber:
		return "GETACN"
	case OpCheckWatches:
		return "CHKW"
	case OpRemoveWatches:
		return "REMW"
	case OpWhoAmI:
		return "HOMI"
	case OpGetEphemerals:
		return "GETE"
	}
	return "NA"
}

func (c *ConnStats) write(b *strings.Builder, brief bool) {
	fmt.Fprintf(b, " %s[%x](queued=%d,recved=%d,sent=%d", c.Remote, c.Interest, c.Queued, c.Received, c.Sent)
	if !brief && c.SessionID != 0 {
		fmt.Fprintf(b, ",sid=0x%x,lop=%s,est=%d,to=%d", uint64(c.SessionID), c.LastOp, c.Established, c.Timeout)
		if c.LastCxid >= 0 {
			fmt.Fprintf(b, ",lcxid=0x%x", uint64(c.LastCxid))
		}
		fmt.Fprintf(b, ",lzxid=0x%x,lresp=%d,llat=%d,minlat=%d,avglat=%d,maxlat=%d",
			uint64(c.LastZxid), c.LastResponse, c.LastLatency, c.MinLatency, c.AvgLatency, c.MaxLatency)
	}
	b.WriteString(")")
}

// ServerStats is what the four-letter words print, filled by the server.
type ServerStats struct {
	Serving  bool   // false: every word but ruok answers NotServing
	Version  string // FullVersion's form
	ReadOnly bool   // a read-only server says so under the version

	MinLatency  int64   // ms; 0 when there were no requests
	AvgLatency  float64 // ms; printed rounded to 4 decimals as AvgMinMaxCounter does
	MaxLatency  int64
	Received    int64 // packets
	Sent        int64
	Connections int
	Outstanding int64
	Zxid        int64  // the last processed zxid
	Mode        string // "leader", "follower", "observer", "standalone" (QuorumStats.Provider)
	NodeCount   int64

	// ProposalSizes is the leader's last/min/max proposal size (BufferStats,
	// -1 before the first proposal); srvr and stat print it for a leader.
	ProposalSizes [3]int64

	Conns []ConnStats // stat (brief) and cons

	// For mntr.
	PeerState           string // e.g. "leading - broadcast" (QuorumPeer.getDetailedPeerState); empty for standalone
	Uptime              int64  // ms
	WatchCount          int64
	EphemeralsCount     int64
	ApproximateDataSize int64
	OpenFDs, MaxFDs     int64 // -1: not printed
	Learners            int64 // leader only
	SyncedFollowers     int64
	SyncedObservers     int64
	PendingSyncs        int64

	// For wchs: the connections holding data watches, the paths watched,
	// and the watches (DataTree.dumpWatchesSummary counts data watches
	// only).
	WatchConnections int64
	WatchPaths       int64
	Watches          int64
}

// javaDouble formats f as Java's Double.toString does for the values these
// commands print: at least one decimal ("0.0", "1.25"), E notation outside
// [1e-3, 1e7).
func javaDouble(f float64) string {
	if math.IsNaN(f) {
		return "NaN"
	}
	if math.IsInf(f, 0) {
		if f > 0 {
			return "Infinity"
		}
		return "-Infinity"
	}
	a := math.Abs(f)
	if f == 0 || (a >= 1e-3 && a < 1e7) {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64) // 1.5E+07
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// avg rounds as AvgMinMaxCounter.getAvg: 4 decimals, half up.
func avg(f float64) float64 { return math.Floor(f*1e4+0.5) / 1e4 }

func (s *ServerStats) writeHead(b *strings.Builder) {
	b.WriteString("Zookeeper version: " + s.Version + "\n")
	if s.ReadOnly {
		b.WriteString("READ-ONLY mode; serving only read-only clients\n")
	}
}

// writeStats is ServerStats.toString, then the node count and a leader's
// proposal sizes (StatCommand).
func (s *ServerStats) writeStats(b *strings.Builder) {
	fmt.Fprintf(b, "Latency min/avg/max: %d/%s/%d\n", s.MinLatency, javaDouble(avg(s.AvgLatency)), s.MaxLatency)
	fmt.Fprintf(b, "Received: %d\nSent: %d\nConnections: %d\nOutstanding: %d\n", s.Received, s.Sent, s.Connections, s.Outstanding)
	fmt.Fprintf(b, "Zxid: 0x%x\nMode: %s\nNode count: %d\n", uint64(s.Zxid), s.Mode, s.NodeCount)
	if s.Mode == "leader" {
		fmt.Fprintf(b, "Proposal sizes last/min/max: %d/%d/%d\n", s.ProposalSizes[0], s.ProposalSizes[1], s.ProposalSizes[2])
	}
}

// Srvr is srvr's answer (StatCommand without the clients).
func (s *ServerStats) Srvr() string {
	if !s.Serving {
		return NotServing
	}
	var b strings.Builder
	s.writeHead(&b)
	s.writeStats(&b)
	return b.String()
}

// Stat is stat's answer: srvr's with the clients, one brief line each.
func (s *ServerStats) Stat() string {
	if !s.Serving {
		return NotServing
	}
	var b strings.Builder
	s.writeHead(&b)
	b.WriteString("Clients:\n")
	for i := range s.Conns {
		s.Conns[i].write(&b, true)
		b.WriteString("\n")
	}
	b.WriteString("\n")
	s.writeStats(&b)
	return b.String()
}

// Cons is cons's answer: each connection's full line, then an empty line
// (ConsCommand).
func (s *ServerStats) Cons() string {
	if !s.Serving {
		return NotServing
	}
	var b strings.Builder
	for i := range s.Conns {
		s.Conns[i].write(&b, false)
		b.WriteString("\n")
	}
	b.WriteString("\n")
	return b.String()
}

// Wchs is wchs's answer (WatchManager.toString, then a line break).
func (s *ServerStats) Wchs() string {
	if !s.Serving {
		return NotServing
	}
	return fmt.Sprintf("%d connections watching %d paths\nTotal watches:%d\n", s.WatchConnections, s.WatchPaths, s.Watches)
}

// Mntr is mntr's answer: "zk_KEY\tVALUE" lines (MonitorCommand). The first
// two are ZooKeeperServer.dumpMonitorValues' (then zk_peer_state for a
// quorum server); ZooKeeper prints its metrics after them in no fixed order
// (hundreds in 3.9): this prints the classic ones, under 3.9's names, in
// the order older versions printed them. Integers print as integers and
// zk_avg_latency as a Java double.
func (s *ServerStats) Mntr() string {
	if !s.Serving {
		return NotServing
	}
	var b strings.Builder
	kv := func(k string, v any) {
		switch v := v.(type) {
		case float64:
			fmt.Fprintf(&b, "zk_%s\t%s\n", k, javaDouble(v))
		default:
			fmt.Fprintf(&b, "zk_%s\t%v\n", k, v)
		}
	}
	kv("version", s.Version)
	kv("server_state", s.Mode)
	if s.PeerState != "" {
		kv("peer_state", s.PeerState)
	}
	kv("avg_latency", avg(s.AvgLatency))
	kv("max_latency", s.MaxLatency)
	kv("min_latency", s.MinLatency)
	kv("packets_received", s.Received)
	kv("packets_sent", s.Sent)
	kv("num_alive_connections", s.Connections)
	kv("outstanding_requests", s.Outstanding)
	kv("uptime", s.Uptime)
	kv("znode_count", s.NodeCount)
	kv("watch_count", s.WatchCount)
	kv("ephemerals_count", s.EphemeralsCount)
	kv("approximate_data_size", s.ApproximateDataSize)
	if s.OpenFDs >= 0 {
		kv("open_file_descriptor_count", s.OpenFDs)
	}
	if s.MaxFDs >= 0 {
		kv("max_file_descriptor_count", s.MaxFDs)
	}
	if s.Mode == "leader" {
		kv("learners", s.Learners)
		kv("synced_followers", s.SyncedFollowers)
		kv("synced_observers", s.SyncedObservers)
		kv("pending_syncs", s.PendingSyncs)
		kv("last_proposal_size", s.ProposalSizes[0])
		kv("min_proposal_size", s.ProposalSizes[1])
		kv("max_proposal_size", s.ProposalSizes[2])
	}
	return b.String()
}

// ConfInfo is what conf prints (ZooKeeperServer.dumpConf, and
// QuorumZooKeeperServer.dumpConf when Quorum is set).
type ConfInfo struct {
	ClientPort              int
	SecureClientPort        int // -1: none
	DataDir                 string
	DataDirSize             int64
	DataLogDir              string
	DataLogSize             int64
	TickTime                int // ms
	MaxClientCnxns          int
	MinSessionTimeout       int // ms
	MaxSessionTimeout       int // ms
	ClientPortListenBacklog int // -1: the default
	ServerID                int64
	Quorum                  *QuorumConf
}

// QuorumConf is the quorum part of conf.
type QuorumConf struct {
	InitLimit    int
	SyncLimit    int
	ElectionAlg  int // 3: FastLeaderElection
	ElectionPort int
	QuorumPort   int
	PeerType     int // 0 participant, 1 observer (LearnerType's ordinal)
	// Members are the QuorumMaj lines, in order, each "server.1=host:2888:3888:participant;host:2181"
	// (QuorumPeer.QuorumServer.toString).
	Members []string
	Version int64 // the config's version, printed in hex
}

// Conf is conf's answer. The quorum part ends with "version=..." and no
// line break, as QuorumMaj.toString is printed.
func (c *ConfInfo) Conf(serving bool) string {
	if !serving {
		return NotServing
	}
	var b strings.Builder
	fmt.Fprintf(&b, "clientPort=%d\nsecureClientPort=%d\ndataDir=%s\ndataDirSize=%d\ndataLogDir=%s\ndataLogSize=%d\n",
		c.ClientPort, c.SecureClientPort, c.DataDir, c.DataDirSize, c.DataLogDir, c.DataLogSize)
	fmt.Fprintf(&b, "tickTime=%d\nmaxClientCnxns=%d\nminSessionTimeout=%d\nmaxSessionTimeout=%d\nclientPortListenBacklog=%d\nserverId=%d\n",
		c.TickTime, c.MaxClientCnxns, c.MinSessionTimeout, c.MaxSessionTimeout, c.ClientPortListenBacklog, c.ServerID)
	if q := c.Quorum; q != nil {
		fmt.Fprintf(&b, "initLimit=%d\nsyncLimit=%d\nelectionAlg=%d\nelectionPort=%d\nquorumPort=%d\npeerType=%d\nmembership: \n",
			q.InitLimit, q.SyncLimit, q.ElectionAlg, q.ElectionPort, q.QuorumPort, q.PeerType)
		for _, m := range q.Members {
			b.WriteString(m + "\n")
		}
		fmt.Fprintf(&b, "version=%x", uint64(q.Version))
	}
	return b.String()
}
