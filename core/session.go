package core

import (
	"github.com/zabplay/zabplay/core/ztree"
)

// Sessions, the ZooKeeper way (ZooKeeperServer.processConnectRequest,
// SessionTrackerImpl, LeaderSessionTracker, LearnerSessionTracker):
//
//   - A client connects to any server: the driver steps MsgConnect with a
//     Connect. A new session (Session 0) gets an id from the server it
//     reached (NewSessionID's layout) and its password (Passwd), and becomes
//     a createSession txn; the ConnectReply (a Reply with Op createSession and
//     Conn set) goes out once the txn is applied at that server. A session
//     that moves to another server (Session and Passwd set) is revalidated at
//     the leader (REVALIDATE from a learner), which touches it.
//   - The timeout the client asks for is clamped to [MinSessionTimeoutMs,
//     MaxSessionTimeoutMs] (2 and 20 ticks by default); the reply carries it.
//   - A server refuses a client that has seen a zxid it has not applied
//     (LastZxidSeen above its last zxid): the reply's Err is ConnectionLoss
//     and the driver closes the connection, as ZooKeeper does.
//   - Every request and every ping (a Request with Op ping) touches the
//     session at its server. A learner sends the sessions touched since its
//     last PING to the leader in its PING reply (Message.Touches); only the
//     leader expires sessions, in buckets of one tick (ZooKeeper's
//     expirationInterval = tickTime; a session touched at t expires at
//     roundToNextInterval(t + timeout)), with a closeSession txn whose apply
//     deletes the session's ephemerals on every server.
//   - A Request with Op closeSession closes the session (its reply comes
//     once the txn is applied); MsgDisconnect says the connection broke
//     without one: the session lives on until it expires or the client
//     reconnects somewhere, but its watches at this server are gone.
//   - When a session this server has a connection for is closed by expiry,
//     the server tells the driver with a notification (Op notification,
//     Watch.State Expired) and forgets the connection: close it.
//
// ACLs are world:anyone only: every znode is open to every session, and
// aversion stays 0.

// Connect is a client's ConnectRequest as the server it reaches takes it
// (MsgConnect), the end of a connection (MsgDisconnect: Conn and Session),
// and a session's revalidation between a learner and its leader
// (REVALIDATE: Session and TimeoutMs from the learner, Valid from the
// leader).
type Connect struct {
	// Conn is the driver's name for the client connection; the ConnectReply
	// carries it back. Any value but 0; unique among the connections open
	// at this server.
	Conn uint64 `json:"conn,omitempty"`
	// Session is 0 for a new session, or the id of the session the client
	// reconnects with.
	Session int64 `json:"session,omitempty"`
	// Passwd is the session's password (16 bytes) when Session is set.
	Passwd []byte `json:"passwd,omitempty"`
	// TimeoutMs is the session timeout the client asks for.
	TimeoutMs int32 `json:"timeoutMs,omitempty"`
	// LastZxidSeen is the last zxid the client has seen.
	LastZxidSeen Zxid `json:"lastZxidSeen,omitempty"`
	// Valid is the leader's answer in REVALIDATE: the session is open and
	// was touched.
	Valid bool `json:"valid,omitempty"`
}

// Touch is one entry of the session touch table a learner sends its leader
// in its PING reply (Learner.ping → LearnerSessionTracker.snapshot): the
// session and its timeout.
type Touch struct {
	Session   int64 `json:"session"`
	TimeoutMs int32 `json:"timeoutMs"`
}

// superSecret is ZooKeeperServer.superSecret, the seed of every session's
// password.
const superSecret int64 = 0xB3415C00

// Passwd is the password of session id, as ZooKeeperServer.generatePasswd
// makes it: 16 bytes of java.util.Random seeded with id ^ superSecret. A
// server checks a reconnecting client's password against it (checkPasswd),
// so no server needs to store it.
func Passwd(id int64) []byte {
	seed := uint64(id^superSecret) ^ 0x5DEECE66D
	const mask = 1<<48 - 1
	seed &= mask
	p := make([]byte, 16)
	for i := 0; i < len(p); {
		seed = (seed*0x5DEECE66D + 0xB) & mask
		rnd := int32(seed >> 16)
		for k := 0; k < 4 && i < len(p); k++ {
			p[i] = byte(rnd)
			rnd >>= 8
			i++
		}
	}
	return p
}

// checkPasswd is ZooKeeperServer.checkPasswd.
func checkPasswd(id int64, passwd []byte) bool {
	if id == 0 || len(passwd) != 16 {
		return false
	}
	want := Passwd(id)
	for i := range want {
		if want[i] != passwd[i] {
			return false
		}
	}
	return true
}

// NewSessionID is the first session id a server hands out, as
// SessionTrackerImpl.initializeNextSessionId lays it out: the server id in
// the top byte, then 40 bits of a start time in milliseconds, then a 16-bit
// counter (ids after it count up). The core takes startMs from its seeded
// Rand, so the same seed gives the same ids and a restarted server does not
// reuse the ids of its previous run.
func NewSessionID(id NodeID, startMs int64) int64 {
	next := int64(uint64(startMs)<<24>>8) | int64(id)<<56
	if next == -0x8000000000000000 { // EphemeralType.CONTAINER_EPHEMERAL_OWNER
		next++
	}
	return next
}

// SessionOwner is the server a session id was made by (its top byte).
func SessionOwner(session int64) NodeID { return NodeID(uint64(session) >> 56) }

// negotiateTimeout clamps a requested session timeout as
// processConnectRequest does.
func (n *Node) negotiateTimeout(ms int32) int32 {
	lo, hi := int32(n.cfg.MinSessionTimeoutMs), int32(n.cfg.MaxSessionTimeoutMs)
	if ms < lo {
		ms = lo
	}
	if ms > hi {
		ms = hi
	}
	return ms
}

// replyConnect answers a Connect.
func (n *Node) replyConnect(c Connect, session int64, timeout int32, err ztree.Err) {
	rep := Reply{Conn: c.Conn, Session: session, Op: ztree.OpCreateSession, Err: err, TimeoutMs: timeout,
		Zxid: n.lastProcessed, Server: n.id}
	if err == ztree.OK && timeout > 0 {
		rep.Passwd = Passwd(session)
	}
	n.rd.Replies = append(n.rd.Replies, rep)
}

// onConnect takes a client's ConnectRequest (processConnectRequest).
func (n *Node) onConnect(c Connect) {
	n.replyConnect(c, c.Session, 0, ztree.Unimplemented) // filled in next
}

// onDisconnect forgets a client connection that broke.
func (n *Node) onDisconnect(c Connect) {}
