package zkwire

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

func testServerStats() *ServerStats {
	return &ServerStats{
		Serving:     true,
		Version:     FullVersion("3.9.4-zabplay", time.Date(2026, 11, 30, 8, 49, 0, 0, time.UTC)),
		MinLatency:  0,
		AvgLatency:  0.123456,
		MaxLatency:  12,
		Received:    40,
		Sent:        39,
		Connections: 2,
		Outstanding: 0,
		Zxid:        0x300000007,
		Mode:        "follower",
		NodeCount:   5,
		Conns: []ConnStats{
			{Remote: "/127.0.0.1:50312", Interest: 1, Received: 30, Sent: 29, SessionID: 0x1000abcd12345678,
				LastOp: "GETD", Established: 1764492000123, Timeout: 30000, LastCxid: 0x1c, LastZxid: 0x300000007,
				LastResponse: 1764492100456, LastLatency: 1, MinLatency: 0, AvgLatency: 1, MaxLatency: 12},
			{Remote: "/127.0.0.1:50400", Interest: 1, Received: 1, Sent: 0, LastCxid: -1, LastZxid: -1},
		},
		PeerState:           "following - broadcast",
		Uptime:              123456,
		WatchCount:          3,
		EphemeralsCount:     1,
		ApproximateDataSize: 42,
		OpenFDs:             17,
		MaxFDs:              1048576,
		WatchConnections:    1,
		WatchPaths:          2,
		Watches:             3,
	}
}

func TestFourLetterOutputs(t *testing.T) {
	s := testServerStats()
	check := func(name, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s:\n%s\nwant:\n%s", name, got, want)
		}
	}
	stats := "Latency min/avg/max: 0/0.1235/12\nReceived: 40\nSent: 39\nConnections: 2\nOutstanding: 0\n" +
		"Zxid: 0x300000007\nMode: follower\nNode count: 5\n"
	version := "Zookeeper version: 3.9.4-zabplay, built on 2026-11-30 08:49 UTC\n"
	check("srvr", s.Srvr(), version+stats)
	check("stat", s.Stat(), version+"Clients:\n"+
		" /127.0.0.1:50312[1](queued=0,recved=30,sent=29)\n"+
		" /127.0.0.1:50400[1](queued=0,recved=1,sent=0)\n\n"+stats)
	check("cons", s.Cons(), " /127.0.0.1:50312[1](queued=0,recved=30,sent=29,sid=0x1000abcd12345678,lop=GETD,"+
		"est=1764492000123,to=30000,lcxid=0x1c,lzxid=0x300000007,lresp=1764492100456,llat=1,minlat=0,avglat=1,maxlat=12)\n"+
		" /127.0.0.1:50400[1](queued=0,recved=1,sent=0)\n\n")
	check("wchs", s.Wchs(), "1 connections watching 2 paths\nTotal watches:3\n")
	check("mntr", s.Mntr(), "zk_version\t3.9.4-zabplay, built on 2026-11-30 08:49 UTC\n"+
		"zk_server_state\tfollower\nzk_peer_state\tfollowing - broadcast\n"+
		"zk_avg_latency\t0.1235\nzk_max_latency\t12\nzk_min_latency\t0\nzk_packets_received\t40\nzk_packets_sent\t39\n"+
		"zk_num_alive_connections\t2\nzk_outstanding_requests\t0\nzk_uptime\t123456\nzk_znode_count\t5\n"+
		"zk_watch_count\t3\nzk_ephemerals_count\t1\nzk_approximate_data_size\t42\n"+
		"zk_open_file_descriptor_count\t17\nzk_max_file_descriptor_count\t1048576\n")

	// A leader adds its proposal sizes; an idle server prints 0.0.
	s.Mode, s.ProposalSizes, s.AvgLatency, s.Zxid = "leader", [3]int64{-1, -1, -1}, 0, -1
	check("srvr (leader)", s.Srvr(), version+"Latency min/avg/max: 0/0.0/12\nReceived: 40\nSent: 39\n"+
		"Connections: 2\nOutstanding: 0\nZxid: 0xffffffffffffffff\nMode: leader\nNode count: 5\n"+
		"Proposal sizes last/min/max: -1/-1/-1\n")
	s.ReadOnly = true
	if got := s.Srvr(); got[:len(version)+47] != version+"READ-ONLY mode; serving only read-only clients\n" {
		t.Errorf("read-only srvr: %q", got)
	}
	s.Serving = false
	for name, got := range map[string]string{"srvr": s.Srvr(), "stat": s.Stat(), "cons": s.Cons(), "wchs": s.Wchs(), "mntr": s.Mntr()} {
		check(name+" (not serving)", got, "This ZooKeeper instance is not currently serving requests\n")
	}
}

func TestNotWhitelisted(t *testing.T) {
	if got, want := NotWhitelisted("envi"), "envi is not executed because it is not in the whitelist.\n"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

func TestJavaDouble(t *testing.T) {
	cases := map[float64]string{0: "0.0", 1: "1.0", 0.5: "0.5", 12.25: "12.25", 1e7: "1.0E7", 1.5e-4: "1.5E-4", 123456.7: "123456.7"}
	for f, want := range cases {
		if got := javaDouble(f); got != want {
			t.Errorf("javaDouble(%v) = %q, want %q", f, got, want)
		}
	}
	if got := avg(0.12345); got != 0.1235 {
		t.Errorf("avg(0.12345) = %v, want 0.1235 (half up)", got)
	}
}

// serveFourLetterWords answers each connection's four-letter word as a
// server would: ReadFirst, the answer, close.
func serveFourLetterWords(t *testing.T, stats *atomic.Pointer[ServerStats]) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, word, err := NewFrameReader(c, 0).ReadFirst()
			s := stats.Load()
			if err == nil {
				switch word {
				case "ruok":
					c.Write([]byte(Ruok))
				case "srvr":
					c.Write([]byte(s.Srvr()))
				case "cons":
					c.Write([]byte(s.Cons()))
				}
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// TestGoZookeeperFourLetterWords reads our ruok, srvr and cons with
// go-zookeeper's parsers (FLWRuok, FLWSrvr, FLWCons).
func TestGoZookeeperFourLetterWords(t *testing.T) {
	s := testServerStats()
	// go-zookeeper v1.0.4 parses only ZooKeeper 3.4's build date form.
	s.Version = "3.9.4-zabplay, built on 11/30/2026 08:49 GMT"
	var stats atomic.Pointer[ServerStats]
	stats.Store(s)
	addr := serveFourLetterWords(t, &stats)

	if ok := zk.FLWRuok([]string{addr}, 5*time.Second); len(ok) != 1 || !ok[0] {
		t.Errorf("FLWRuok = %v", ok)
	}
	ss, ok := zk.FLWSrvr([]string{addr}, 5*time.Second)
	if !ok || len(ss) != 1 || ss[0].Error != nil {
		t.Fatalf("FLWSrvr = %+v %v", ss, ok)
	}
	got := ss[0]
	if got.Version != "3.9.4-zabplay" || got.Mode != zk.ModeFollower || got.Epoch != 3 || got.Counter != 7 ||
		got.Received != 40 || got.Sent != 39 || got.Connections != 2 || got.NodeCount != 5 ||
		got.MinLatency != 0 || got.AvgLatency != 0.1235 || got.MaxLatency != 12 {
		t.Errorf("FLWSrvr parsed %+v", got)
	}
	cs, ok := zk.FLWCons([]string{addr}, 5*time.Second)
	// The connection without a session has no sid=... fields, which
	// go-zookeeper's pattern requires: it returns false, as it would for a
	// real ZooKeeper (and keeps the lines that matched, dropping the error).
	if ok || len(cs) != 1 || len(cs[0].Clients) != 1 {
		t.Fatalf("FLWCons with a connection before its handshake = %+v %v", cs, ok)
	}
	one := *s
	one.Conns = s.Conns[:1]
	stats.Store(&one)
	cs, ok = zk.FLWCons([]string{addr}, 5*time.Second)
	if !ok || len(cs) != 1 || cs[0].Error != nil || len(cs[0].Clients) != 1 {
		t.Fatalf("FLWCons = %+v %v", cs, ok)
	}
	if c := cs[0].Clients[0]; c.SessionID != 0x1000abcd12345678 || c.Addr != "127.0.0.1:50312" || c.LastOperation != "GETD" ||
		c.Lzxid != 0x300000007 || c.Timeout != 30000 || c.MaxLatency != 12 {
		t.Errorf("FLWCons parsed %+v", c)
	}

	// With ZooKeeper 3.8/3.9's own date form (FullVersion), go-zookeeper's
	// srvr pattern no longer matches, as against a real 3.8 server.
	newer := *s
	newer.Version = FullVersion("3.9.4-zabplay", time.Date(2026, 11, 30, 8, 49, 0, 0, time.UTC))
	stats.Store(&newer)
	if ss, ok := zk.FLWSrvr([]string{addr}, 5*time.Second); ok || ss[0].Error == nil {
		t.Errorf("FLWSrvr parsed the 3.9 date form: %+v", ss[0])
	}
}

func TestConf(t *testing.T) {
	c := &ConfInfo{
		ClientPort: 2181, SecureClientPort: -1, DataDir: "/var/zab/1/version-2", DataDirSize: 1024,
		DataLogDir: "/var/zab/1/version-2", DataLogSize: 2048, TickTime: 2000, MaxClientCnxns: 60,
		MinSessionTimeout: 4000, MaxSessionTimeout: 40000, ClientPortListenBacklog: -1, ServerID: 1,
	}
	standalone := "clientPort=2181\nsecureClientPort=-1\ndataDir=/var/zab/1/version-2\ndataDirSize=1024\n" +
		"dataLogDir=/var/zab/1/version-2\ndataLogSize=2048\ntickTime=2000\nmaxClientCnxns=60\n" +
		"minSessionTimeout=4000\nmaxSessionTimeout=40000\nclientPortListenBacklog=-1\nserverId=1\n"
	if got := c.Conf(true); got != standalone {
		t.Errorf("standalone conf:\n%s\nwant:\n%s", got, standalone)
	}
	c.Quorum = &QuorumConf{InitLimit: 10, SyncLimit: 5, ElectionAlg: 3, ElectionPort: 3888, QuorumPort: 2888,
		Members: []string{"server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181", "server.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182"},
		Version: 0x100000000}
	want := standalone + "initLimit=10\nsyncLimit=5\nelectionAlg=3\nelectionPort=3888\nquorumPort=2888\npeerType=0\nmembership: \n" +
		"server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\nserver.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182\nversion=100000000"
	if got := c.Conf(true); got != want {
		t.Errorf("quorum conf:\n%s\nwant:\n%s", got, want)
	}
	if got := c.Conf(false); got != NotServing {
		t.Errorf("not serving: %q", got)
	}
}
