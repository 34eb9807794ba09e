package core

import (
	"sort"

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

// conn is a client connection this server holds for a session.
type conn struct {
	id      uint64 // the driver's Connect.Conn
	timeout int32  // negotiated, ms
	pending bool   // createSession or REVALIDATE not answered yet
}

// newSession hands out the next session id of this server.
func (n *Node) newSession() int64 {
	if n.nextSession == 0 {
		n.nextSession = NewSessionID(n.id, int64(n.cfg.Rand.Uint64()>>24))
	}
	id := n.nextSession
	n.nextSession++
	return id
}

// onConnect takes a client's ConnectRequest (processConnectRequest).
func (n *Node) onConnect(c Connect) {
	switch {
	case c.Conn == 0:
		n.replyConnect(c, c.Session, 0, ztree.BadArguments)
		return
	case !n.serving():
		n.sessionEvent(c.Session, "refused", "this server is not serving")
		n.replyConnect(c, c.Session, 0, ztree.ConnectionLoss)
		return
	case c.LastZxidSeen > n.lastProcessed:
		n.sessionEvent(c.Session, "refused", "client has seen zxid "+c.LastZxidSeen.String()+", our last zxid is "+n.lastProcessed.String())
		n.replyConnect(c, c.Session, 0, ztree.ConnectionLoss)
		return
	}
	timeout := n.negotiateTimeout(c.TimeoutMs)
	if c.Session == 0 {
		id := n.newSession()
		n.conns[id] = &conn{id: c.Conn, timeout: timeout, pending: true}
		r := Request{Session: id, Origin: n.id, Request: ztree.Request{Op: ztree.OpCreateSession, Version: timeout, Session: id}}
		q := n.clients[id]
		if q == nil {
			q = &clientQueue{}
			n.clients[id] = q
		}
		q.reqs = append(q.reqs, r)
		n.forward(r)
		return
	}
	if !checkPasswd(c.Session, c.Passwd) {
		n.sessionEvent(c.Session, "refused", "wrong password")
		n.replyConnect(c, c.Session, 0, ztree.SessionExpired)
		return
	}
	// The session moves here (or reconnects): an older connection of it
	// here is closed with its watches (CLIENT_RECONNECT).
	n.dropConn(c.Session)
	n.conns[c.Session] = &conn{id: c.Conn, timeout: timeout, pending: true}
	if n.lead != nil {
		valid := n.lead.sessions.touch(c.Session, timeout, n.now)
		if valid {
			n.lead.sessions.setOwner(c.Session, n.id)
		}
		n.finishConnect(c.Session, c.Conn, valid)
		return
	}
	n.send(Message{Type: MsgRevalidate, To: n.learn.leader, Connect: &Connect{Conn: c.Conn, Session: c.Session, TimeoutMs: timeout}})
}

// finishConnect is finishSessionInit: the session is open and ready here,
// or it is gone (the reply's timeout is 0).
func (n *Node) finishConnect(session int64, connID uint64, valid bool) {
	c := n.conns[session]
	if c == nil || c.id != connID || !c.pending {
		return
	}
	if !valid {
		delete(n.conns, session)
		n.sessionEvent(session, "refused", "session expired")
		n.replyConnect(Connect{Conn: connID}, session, 0, ztree.SessionExpired)
		return
	}
	c.pending = false
	n.emit(Event{Kind: EvSession, Client: session, Text: "connected", Seq: uint64(c.timeout)})
	n.replyConnect(Connect{Conn: connID}, session, c.timeout, ztree.OK)
}

// sessionCreated answers the Connect whose createSession txn this server
// applied.
func (n *Node) sessionCreated(r Request, err ztree.Err) {
	c := n.conns[r.Session]
	if c == nil || !c.pending {
		return
	}
	n.finishConnect(r.Session, c.id, err == ztree.OK)
}

// onRevalidate: at the leader, a learner asks whether a session is open
// (LearnerHandler REVALIDATE: checkIfValidGlobalSession touches it); at the
// learner, the answer.
func (n *Node) onRevalidate(from NodeID, c *Connect) {
	if c == nil {
		return
	}
	if n.lead != nil {
		valid := n.lead.sessions.touch(c.Session, c.TimeoutMs, n.now)
		if valid {
			n.lead.sessions.setOwner(c.Session, from)
		}
		n.send(Message{Type: MsgRevalidate, To: from, Connect: &Connect{Conn: c.Conn, Session: c.Session, Valid: valid}})
		return
	}
	n.finishConnect(c.Session, c.Conn, c.Valid)
}

// onDisconnect forgets a client connection that broke: its watches go, and
// so do the answers to its requests still in the pipeline (they have no
// connection to go to); the session lives on at the leader until it expires.
func (n *Node) onDisconnect(c Connect) {
	if cn := n.conns[c.Session]; cn != nil && cn.id == c.Conn {
		n.dropConn(c.Session)
		delete(n.clients, c.Session)
	}
}

// dropConn forgets session's connection here and its watches.
func (n *Node) dropConn(session int64) {
	if n.conns[session] == nil {
		return
	}
	delete(n.conns, session)
	delete(n.touched, session)
	n.removeWatches(session)
}

// closeAllConns closes every client connection of this server (it left the
// broadcast phase: ZooKeeper's clients lose their connection and look for
// another server). Each gets a Disconnected notification; an unanswered
// Connect gets ConnectionLoss.
func (n *Node) closeAllConns() {
	if len(n.conns) == 0 {
		return
	}
	ids := make([]int64, 0, len(n.conns))
	for id := range n.conns {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		c := n.conns[id]
		if c.pending {
			n.replyConnect(Connect{Conn: c.id}, id, 0, ztree.ConnectionLoss)
		} else {
			n.notify(id, 0, WatchEvent{Type: EventNone, State: StateDisconnected})
		}
		n.dropConn(id)
	}
	clear(n.touched)
}

// sessionClosed runs when a closeSession txn is applied here: a connection
// this server still holds for the session (it expired, or was closed from
// elsewhere) is told Expired and forgotten; the leader's tracker forgets it.
func (n *Node) sessionClosed(t *Txn) {
	if n.lead != nil {
		n.lead.sessions.remove(t.Session)
	}
	c := n.conns[t.Session]
	if c == nil {
		return
	}
	if t.Origin == n.id && !c.pending {
		if q := n.clients[t.Session]; q != nil && len(q.reqs) > 0 && q.reqs[0].Cxid == t.Cxid && q.reqs[0].Op == ztree.OpCloseSession {
			return // the client's own close: answerCommitted replies and drops it
		}
	}
	if c.pending {
		n.replyConnect(Connect{Conn: c.id}, t.Session, 0, ztree.SessionExpired)
	} else {
		n.notify(t.Session, t.Zxid, WatchEvent{Type: EventNone, State: StateExpired})
	}
	n.dropConn(t.Session)
}

// touch records that a session connected here was heard from: at the leader
// its tracker; at a learner its touch table, sent with the next PING reply.
func (n *Node) touch(session int64, timeout int32) {
	if n.lead != nil {
		n.lead.sessions.touch(session, timeout, n.now)
		return
	}
	if n.touched == nil {
		n.touched = map[int64]int32{}
	}
	n.touched[session] = timeout
}

// touchTable is the learner's PING payload: the sessions touched since the
// last PING, by id; the table empties.
func (n *Node) touchTable() *[]Touch {
	if len(n.touched) == 0 {
		return nil
	}
	out := make([]Touch, 0, len(n.touched))
	for _, id := range sortedSessions(n.touched) {
		out = append(out, Touch{Session: id, TimeoutMs: n.touched[id]})
	}
	clear(n.touched)
	return &out
}

func (n *Node) sessionEvent(session int64, what, why string) {
	n.emit(Event{Kind: EvSession, Client: session, Text: what, Reason: why})
}

// sessionTracker is the leader's SessionTrackerImpl: every open session with
// its expiry, in buckets of one tick (ExpiryQueue with expirationInterval =
// tickTime).
type sessionTracker struct {
	interval int64
	next     int64 // nextExpirationTime
	byID     map[int64]*trackedSession
	buckets  map[int64]map[int64]struct{}
}

type trackedSession struct {
	timeout  int32
	expireAt int64
	closing  bool
	owner    NodeID // the server the client is connected to (0: not known since this leader started)
}

// setOwner records the server a session's client is connected to
// (SessionTrackerImpl.setOwner): a request for the session forwarded by
// another server is refused with SESSIONMOVED.
func (st *sessionTracker) setOwner(id int64, owner NodeID) {
	if s := st.byID[id]; s != nil {
		s.owner = owner
	}
}

// checkOwner is checkSession's owner test: true if the session's owner is
// not known or is from.
func (st *sessionTracker) checkOwner(id int64, from NodeID) bool {
	s := st.byID[id]
	return s == nil || s.owner == 0 || s.owner == from
}

func newSessionTracker(tickMs int, now int64) *sessionTracker {
	st := &sessionTracker{interval: int64(tickMs), byID: map[int64]*trackedSession{}, buckets: map[int64]map[int64]struct{}{}}
	st.next = st.round(now)
	return st
}

// round is ExpiryQueue.roundToNextInterval.
func (st *sessionTracker) round(t int64) int64 { return (t/st.interval + 1) * st.interval }

// add tracks a session (trackSession / addSession) and touches it.
func (st *sessionTracker) add(id int64, timeout int32, now int64) {
	if st.byID[id] == nil {
		st.byID[id] = &trackedSession{timeout: timeout}
	}
	st.touch(id, timeout, now)
}

// touch is touchSession: false for a session unknown or closing.
func (st *sessionTracker) touch(id int64, timeout int32, now int64) bool {
	s := st.byID[id]
	if s == nil || s.closing {
		return false
	}
	at := st.round(now + int64(timeout))
	if at == s.expireAt {
		return true
	}
	st.unbucket(id, s)
	s.expireAt = at
	b := st.buckets[at]
	if b == nil {
		b = map[int64]struct{}{}
		st.buckets[at] = b
	}
	b[id] = struct{}{}
	return true
}

func (st *sessionTracker) unbucket(id int64, s *trackedSession) {
	if b := st.buckets[s.expireAt]; b != nil {
		delete(b, id)
		if len(b) == 0 {
			delete(st.buckets, s.expireAt)
		}
	}
}

// setClosing marks a session closing: touches no longer keep it.
func (st *sessionTracker) setClosing(id int64) {
	if s := st.byID[id]; s != nil {
		s.closing = true
	}
}

// open reports whether the session is tracked and not closing.
func (st *sessionTracker) open(id int64) bool {
	s := st.byID[id]
	return s != nil && !s.closing
}

// remove forgets a session (its closeSession was applied).
func (st *sessionTracker) remove(id int64) {
	if s := st.byID[id]; s != nil {
		st.unbucket(id, s)
		delete(st.byID, id)
	}
}

// expire returns the sessions whose bucket time has come, by id, and marks
// them closing (SessionTrackerImpl.run).
func (st *sessionTracker) expire(now int64) []int64 {
	var out []int64
	for now >= st.next {
		if b := st.buckets[st.next]; b != nil {
			delete(st.buckets, st.next)
			ids := make([]int64, 0, len(b))
			for id := range b {
				ids = append(ids, id)
			}
			sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
			for _, id := range ids {
				if s := st.byID[id]; s != nil && !s.closing {
					s.closing = true
					out = append(out, id)
				}
			}
		}
		st.next += st.interval
	}
	return out
}

// expireSessions runs the leader's session expiry: each session whose time
// came is closed with a closeSession txn (ZooKeeperServer.expire).
func (n *Node) expireSessions() {
	for _, id := range n.lead.sessions.expire(n.now) {
		n.sessionEvent(id, "expired", "")
		n.leaderRequest(Request{Session: id, Request: ztree.Request{Op: ztree.OpCloseSession, Session: id}})
		if n.lead == nil {
			return
		}
	}
}
