package core

import (
	"strconv"

	"github.com/zabplay/zabplay/core/enum"
	"github.com/zabplay/zabplay/core/ztree"
)

// MsgType is the type of a Message. Quorum packets keep ZooKeeper's names
// (Leader.java packet constants); the first few are local inputs from the
// driver.
type MsgType uint8

// Message types.
const (
	MsgNone MsgType = iota
	// MsgPersisted (driver → node): every Write with Seq ≤ m.Seq is durable.
	MsgPersisted
	// MsgConnLost (driver → node): the connection to m.From broke. Whatever was
	// queued on it is lost.
	MsgConnLost
	// MsgClientRequest (client → node): m.Req from a client session.
	MsgClientRequest
	// MsgNotification is a Fast Leader Election notification.
	MsgNotification
	MsgFollowerInfo
	MsgObserverInfo
	MsgLeaderInfo
	MsgAckEpoch
	MsgDiff
	MsgTrunc
	MsgSnap
	MsgNewLeader
	MsgUpToDate
	MsgProposal
	MsgAck
	MsgCommit
	MsgInform
	MsgPing
	// MsgRequest carries a client write (or sync) a learner forwards to the leader.
	MsgRequest
	// MsgSync is the leader's reply to a forwarded sync.
	MsgSync
	// MsgRevalidate (REVALIDATE) asks the leader whether a session a client
	// reconnects with is open (m.Connect: Session, TimeoutMs, Conn), and
	// carries its answer back (m.Connect.Valid).
	MsgRevalidate
	// MsgConnect (client → node): a client's ConnectRequest, m.Connect.
	MsgConnect
	// MsgDisconnect (client → node): the connection m.Connect.Conn of
	// session m.Connect.Session broke or was closed without closeSession.
	MsgDisconnect
	numMsgTypes
)

var msgNames = enum.New[MsgType]("message type",
	"NONE", "PERSISTED", "CONNLOST", "CLIENT", "NOTIFICATION",
	"FOLLOWERINFO", "OBSERVERINFO", "LEADERINFO", "ACKEPOCH", "DIFF", "TRUNC", "SNAP",
	"NEWLEADER", "UPTODATE", "PROPOSAL", "ACK", "COMMIT", "INFORM", "PING", "REQUEST", "SYNC",
	"REVALIDATE", "CONNECT", "DISCONNECT")

// String returns ZooKeeper's packet name, e.g. "PROPOSAL".
func (t MsgType) String() string { return msgNames.Name(t) }

// MarshalText writes the name.
func (t MsgType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads the name.
func (t *MsgType) UnmarshalText(b []byte) error { return msgNames.Unmarshal(b, t) }

// ParseMsgType is the inverse of String.
func ParseMsgType(s string) (MsgType, bool) { return msgNames.Parse(s) }

// Vote is a Fast Leader Election vote (QuorumPeer Vote): the proposed leader,
// its last zxid and its currentEpoch (peerEpoch), in election round
// ElectionEpoch (the sender's logicalclock).
type Vote struct {
	Leader        NodeID `json:"leader"`
	Zxid          Zxid   `json:"zxid"`
	ElectionEpoch uint64 `json:"round"`
	PeerEpoch     Epoch  `json:"peerEpoch"`
}

// Message is every input a node takes and every packet it sends: one flat
// struct, as in etcd raft. Which fields mean something depends on Type:
//
//	NOTIFICATION            Vote, State (the sender's)
//	FOLLOWERINFO/OBSERVERINFO  Zxid = (acceptedEpoch, 0)
//	LEADERINFO              Zxid = (newEpoch, 0)
//	ACKEPOCH                Zxid = last logged zxid; Epoch = currentEpoch or NoEpoch
//	DIFF/TRUNC              Zxid (see ZooKeeper LearnerHandler.syncFollower)
//	SNAP                    Zxid, Snap
//	NEWLEADER               Zxid = (newEpoch, 0)
//	PROPOSAL/INFORM         Zxid, Txn
//	ACK/COMMIT              Zxid
//	PING                    Zxid; a learner's reply also Touches (its session touch table)
//	REQUEST                 Req (forwarded client write or sync)
//	SYNC                    Req (the sync being answered)
//	REVALIDATE              Connect (Session, TimeoutMs, Conn; the leader's answer: Valid)
//	PERSISTED               Seq
//	CLIENT                  Req
//	CONNECT/DISCONNECT      Connect
type Message struct {
	Type  MsgType     `json:"type"`
	From  NodeID      `json:"from"`
	To    NodeID      `json:"to"`
	Zxid  Zxid        `json:"zxid,omitempty"`
	Epoch Epoch       `json:"epoch,omitempty"`
	State ServerState `json:"state,omitempty"`
	Vote  Vote        `json:"vote"`
	Txn   *Txn        `json:"txn,omitempty"`
	Snap  *Snapshot   `json:"-"`
	Req   *Request    `json:"req,omitempty"`
	Seq   uint64      `json:"seq,omitempty"`
	// Touches is a learner's session touch table in its PING reply (nil:
	// no session was touched). A pointer keeps Message comparable.
	Touches *[]Touch `json:"touches,omitempty"`
	// Connect is a client's connection (CONNECT, DISCONNECT) or a session
	// revalidation (REVALIDATE).
	Connect *Connect `json:"connect,omitempty"`
	// WantSnap is a learner's ACKEPOCH asking for a SNAP: its snapshot
	// holds a txn the leader's history lacks (see Node.wantSnap).
	WantSnap bool `json:"wantSnap,omitempty"`
}

// Describe renders a message in the one text form shared by logs, golden
// tests and the UI timeline: "s1->s2 PROPOSAL z=0x100000005 create /a".
func Describe(m Message) string {
	b := make([]byte, 0, 64)
	b = append(b, m.From.String()...)
	b = append(b, "->"...)
	b = append(b, m.To.String()...)
	b = append(b, ' ')
	b = append(b, m.Type.String()...)
	switch m.Type {
	case MsgNotification:
		b = append(b, " vote=("...)
		b = append(b, m.Vote.Leader.String()...)
		b = append(b, ",z="...)
		b = append(b, m.Vote.Zxid.String()...)
		b = append(b, ",e="...)
		b = strconv.AppendUint(b, uint64(m.Vote.PeerEpoch), 10)
		b = append(b, ") round="...)
		b = strconv.AppendUint(b, m.Vote.ElectionEpoch, 10)
		b = append(b, ' ')
		b = append(b, m.State.String()...)
	case MsgAckEpoch:
		b = append(b, " z="...)
		b = append(b, m.Zxid.String()...)
		b = append(b, " currentEpoch="...)
		if m.Epoch == NoEpoch {
			b = append(b, "-1"...)
		} else {
			b = strconv.AppendUint(b, uint64(m.Epoch), 10)
		}
		if m.WantSnap {
			b = append(b, " wants SNAP"...)
		}
	case MsgPersisted:
		b = append(b, " seq="...)
		b = strconv.AppendUint(b, m.Seq, 10)
	case MsgRequest, MsgSync, MsgClientRequest:
		if m.Req != nil {
			b = append(b, ' ')
			b = append(b, m.Req.String()...)
		}
	default:
		if m.Zxid != 0 || m.Type == MsgDiff || m.Type == MsgTrunc {
			b = append(b, " z="...)
			b = append(b, m.Zxid.String()...)
		}
		if m.Txn != nil {
			b = append(b, ' ')
			b = append(b, m.Txn.Txn.String()...)
		}
	}
	return string(b)
}

// Txn is a replicated transaction: a zxid, the znode-tree txn the leader
// prepared, and where it came from (so the server the client talks to can
// answer it).
type Txn struct {
	Zxid   Zxid   `json:"zxid"`
	Origin NodeID `json:"origin,omitempty"`
	Cxid   uint32 `json:"cxid,omitempty"`
	ztree.Txn
}

// Entry is a txn as it sits in a server's log, with the chain digest of the
// log up to and including it: digest(i) = mix(digest(i-1), zxid, txn hash).
// ZooKeeper has the same idea since ZOOKEEPER-3114 (the txn digest).
type Entry struct {
	Txn
	Digest uint64 `json:"digest"`
}

// chain extends a digest by one txn.
func chain(prev uint64, z Zxid, h uint64) uint64 {
	x := prev ^ (uint64(z) * 0x9E3779B97F4A7C15)
	x ^= h + 0x632BE59BD9B4E019 + (x << 6) + (x >> 2)
	x ^= x >> 31
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 29
	return x
}

// Request is a client operation as a server receives it.
type Request struct {
	Session int64  `json:"session"`
	Cxid    uint32 `json:"cxid"`
	// MinZxid is the last zxid the client has seen. A server that is behind it
	// refuses the request, as a ZooKeeper server refuses a session reconnecting
	// with a newer lastZxidSeen.
	MinZxid Zxid   `json:"minZxid,omitempty"`
	Origin  NodeID `json:"origin,omitempty"`
	// Connected is set by the server that takes the request when the
	// session is connected there (MsgConnect): the leader then checks that
	// the session is open, as PrepRequestProcessor's checkSession does, and
	// answers SessionExpired if not. A request without it comes from a
	// client without a session (the admin API's one-shot requests, the
	// simulator's workload): served as before sessions, but it can set no
	// watch and make no ephemeral node.
	Connected bool `json:"connected,omitempty"`
	ztree.Request
}

// String renders the request for Describe: "0x1#3 setData /a".
func (r *Request) String() string {
	s := "c" + strconv.FormatInt(r.Session, 10) + "#" + strconv.FormatUint(uint64(r.Cxid), 10) + " " + r.Op.String()
	if r.Path != "" {
		s += " " + r.Path
	}
	return s
}

// Reply is what a server sends a client: the answer to a request (Cxid is
// the request's), the answer to a Connect (Op createSession, Conn set) or a
// notification (Op notification, Watch set, Cxid 0; xid -1 on the wire).
// Ready.Replies holds them in the order the server sends them, which is
// the order a client must see them in.
//
// By op, on success:
//
//	create           Path (the name created, sequential suffix included); Stat (also for create2)
//	delete           -
//	setData          Stat, Version
//	exists           Stat (Err NoNode when there is no node)
//	getData          Data, Stat, Version
//	getChildren      Children (sorted)
//	getChildren2     Children, Stat
//	sync             Path
//	multi            Results (one per op); Err is the first failing op's code, OK if none failed (on the wire,
//	                 ZooKeeper's ReplyHeader.err of a multi is 0 unless the whole request was refused, e.g.
//	                 SESSIONEXPIRED with no Results: the client finds the failure in the results)
//	ping, closeSession  -
//	createSession    Conn, Session, Passwd, TimeoutMs (the negotiated timeout; 0 with Err SessionExpired:
//	                 the session is gone or the password is wrong; Err ConnectionLoss: refused, close the connection)
//	notification     Watch
type Reply struct {
	Session int64     `json:"session"`
	Cxid    uint32    `json:"cxid"`
	Op      ztree.Op  `json:"op"`
	Err     ztree.Err `json:"err"`
	Path    string    `json:"path,omitempty"`
	Data    string    `json:"data,omitempty"`
	Version int32     `json:"version"`
	// Zxid is the txn's zxid for a write, and for a read or sync the last zxid
	// the server had applied when it answered (ReplyHeader.zxid).
	Zxid Zxid `json:"zxid"`
	// Server is the server that answered.
	Server NodeID `json:"server"`
	// Stat is the node's stat (see the table above), nil otherwise.
	Stat *ztree.Stat `json:"stat,omitempty"`
	// Children are getChildren's and getChildren2's names, sorted.
	Children []string `json:"children,omitempty"`
	// Results are a multi's results, one per op.
	Results []ztree.Result `json:"results,omitempty"`
	// Conn, Passwd and TimeoutMs answer a Connect.
	Conn      uint64 `json:"conn,omitempty"`
	Passwd    []byte `json:"passwd,omitempty"`
	TimeoutMs int32  `json:"timeoutMs,omitempty"`
	// Watch is a notification's event.
	Watch *WatchEvent `json:"watch,omitempty"`
}
