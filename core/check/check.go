package check

import (
	"fmt"
	"strings"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// Property names, as violations report them.
const (
	Integrity          = "Integrity"
	Agreement          = "Agreement"
	TotalOrder         = "TotalOrder"
	GlobalPrimaryOrder = "GlobalPrimaryOrder"
	PrimaryIntegrity   = "PrimaryIntegrity"
	OneLeaderPerEpoch  = "OneLeaderPerEpoch"
	CommittedNeverLost = "CommittedNeverLost"
	FIFOClientOrder    = "FIFOClientOrder"
	MonotonicReads     = "MonotonicReads"
	SyncThenRead       = "SyncThenRead"
	LinearizableWrites = "LinearizableWrites"
	// EphemeralsDie: no ephemeral node outlives its session's close: no txn
	// after a closeSession(S) creates one owned by S, and no read of a
	// server that applied the closeSession shows one.
	EphemeralsDie = "EphemeralsDie"
	// WatchOrder: a client sees a watch's notification before it sees the
	// data of the txn that fired it, and its notifications in zxid order
	// (ZooKeeper's Programmer's Guide: "a client will see a watch event for
	// a znode it is watching before seeing the new data"): no notification
	// of zxid Z reaches a session after a reply at Z or later, or after a
	// notification of a later zxid.
	WatchOrder = "WatchOrder"
	// ClientWriteOrder: a client's writes are applied in the order it sent
	// them (ZooKeeper's "sequential consistency"): the txns of a session
	// commit in the order of its requests' xids, wherever the session
	// moved. A write refused as the session's (SESSIONMOVED, SESSIONEXPIRED)
	// is no write of the session and is not held to it, nor is a txn after
	// the session's closeSession (a late second close). Only sessions a
	// server connected are: a client without one (the simulator's workload
	// and scenario client) may send each request through another server,
	// which no ZooKeeper client can.
	ClientWriteOrder = "ClientWriteOrder"
)

// Properties lists every property a violation can name: the trace's above
// and the protocol's (protocol.go). The playground explains each one
// (static/pg-util.js PROPERTY_TEXT, checked by e2e's TestChinesePlayground).
var Properties = []string{
	Integrity, Agreement, TotalOrder, GlobalPrimaryOrder, PrimaryIntegrity, OneLeaderPerEpoch, CommittedNeverLost,
	FIFOClientOrder, MonotonicReads, SyncThenRead, LinearizableWrites, EphemeralsDie, WatchOrder, ClientWriteOrder,
	AckDurable, EpochMonotonic, EpochPromise, LeaderMostRecent, VoterQuorum, DurableLog, NoFatal,
}

// Violation is one broken property with the window of the trace that shows it.
type Violation struct {
	Property string       `json:"property"`
	Text     string       `json:"text"`
	At       int64        `json:"t"`
	From     int64        `json:"from"`
	Window   []core.Event `json:"window,omitempty"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s at %dms: %s", v.Property, v.At, v.Text)
}

type gEntry struct {
	digest uint64
	at     int // index of the event that committed it
	node   core.NodeID
}

type nodeState struct {
	lastZxid core.Zxid
	any      bool
	leader   bool
}

type session struct {
	lastCxid uint32
	// lastCxidAt: a client without a session, the last reply's xid from
	// each server (its requests through different servers are on
	// different connections: FIFO holds on each).
	lastCxidAt map[core.NodeID]uint32
	maxZxid    core.Zxid // the highest zxid a reply to the session carried
	notified   core.Zxid // the highest zxid of a notification it got
	txnZxid    core.Zxid // the session's highest committed txn, and its xid
	txnCxid    uint32
	connected  bool // a server answered its Connect: a session, not a one-off client
	syncFloor  core.Zxid
	syncReq    map[uint32]core.Zxid
	readFloor  map[uint32]core.Zxid
}

// Checker checks a trace event by event.
type Checker struct {
	g        map[core.Zxid]gEntry
	gMax     core.Zxid
	gSnapMax core.Zxid // the highest G entry that came from a snapshot
	proposed map[proposalKey]int
	writes   map[core.Zxid]sessionWrite // proposals of a session's requests, until committed
	leaders  map[core.Epoch]core.NodeID
	nodes    [core.MaxNodes + 1]nodeState
	sessions map[int64]*session
	maxWrite core.Zxid
	closed   map[int64]core.Zxid    // session -> zxid of its closeSession (the lowest delivered)
	syncAt   [core.MaxNodes + 1]int // trace index of each learner's last sync decision
	p        proto                  // the properties over messages and disks (Ensemble)

	trace      []core.Event // checker-relevant events, for windows
	violations []Violation
	// Limit stops recording after this many violations (default 20).
	Limit int
}

type sessionWrite struct {
	session int64
	cxid    uint32
}

type proposalKey struct {
	zxid core.Zxid
	hash uint64
}

// New returns an empty checker.
func New() *Checker {
	return &Checker{
		g: map[core.Zxid]gEntry{}, proposed: map[proposalKey]int{}, writes: map[core.Zxid]sessionWrite{},
		leaders: map[core.Epoch]core.NodeID{}, sessions: map[int64]*session{}, closed: map[int64]core.Zxid{}, Limit: 20,
	}
}

// Violations returns what was found so far.
func (c *Checker) Violations() []Violation { return c.violations }

// OK reports whether nothing was found.
func (c *Checker) OK() bool { return len(c.violations) == 0 }

func (c *Checker) flag(prop string, fromIdx int, format string, a ...any) {
	if len(c.violations) >= c.Limit {
		return
	}
	cur := len(c.trace) - 1
	if fromIdx < 0 || fromIdx > cur {
		fromIdx = cur
	}
	w := c.trace[fromIdx : cur+1]
	if len(w) > 40 {
		w = append(append([]core.Event{}, w[:20]...), w[len(w)-20:]...)
	} else {
		w = append([]core.Event(nil), w...)
	}
	c.violations = append(c.violations, Violation{
		Property: prop, Text: fmt.Sprintf(format, a...),
		At: c.trace[cur].At, From: c.trace[fromIdx].At, Window: w,
	})
}

// Observe takes the next trace event.
func (c *Checker) Observe(e core.Event) {
	switch e.Kind {
	case core.EvPropose, core.EvDeliver, core.EvEstablished, core.EvTruncate, core.EvSyncMode,
		core.EvCrash, core.EvRestart, core.EvFatal, core.EvRequest, core.EvReply, core.EvRole:
	case core.EvSession:
		if e.Text == "connected" {
			c.sess(e.Client).connected = true
		}
		return
	case core.EvPersist, core.EvFsync, core.EvAcceptedEpoch, core.EvCurrentEpoch, core.EvSend, core.EvDeliverMsg:
		if !c.p.on {
			return
		}
	default:
		return
	}
	c.trace = append(c.trace, e)
	idx := len(c.trace) - 1
	c.protoEvent(e, idx)
	switch e.Kind {
	case core.EvPropose:
		k := proposalKey{e.Zxid, e.Hash}
		if _, ok := c.proposed[k]; !ok {
			c.proposed[k] = idx
		}
		if _, ok := c.writes[e.Zxid]; !ok && e.Client != 0 && e.Seq != 0 && e.Reason == "" {
			c.writes[e.Zxid] = sessionWrite{e.Client, uint32(e.Seq)}
		}
	case core.EvCrash, core.EvRestart, core.EvFatal:
		c.nodes[e.Node] = nodeState{}
	case core.EvRole:
		c.nodes[e.Node].leader = false
	case core.EvEstablished:
		c.nodes[e.Node].leader = true
		c.established(e, idx)
	case core.EvDeliver:
		c.delivered(e, idx)
		c.ephemerals(e, idx)
		c.writeOrder(e, idx)
	case core.EvSyncMode:
		c.syncAt[e.Peer] = idx
	case core.EvTruncate:
		// committedLogDurability: the leader must not tell a learner to drop
		// a txn that was committed when it decided. (A proposal still
		// outstanding then may commit a moment later; startForwarding sends it
		// again right after the TRUNC.)
		for _, r := range e.Removed {
			if g, ok := c.g[r.Zxid]; ok && g.digest == r.Digest && g.at < c.syncAt[e.Node] {
				c.flag(CommittedNeverLost, g.at, "%v truncated to %v and removed committed txn %v", e.Node, e.Zxid, r.Zxid)
			}
		}
		if c.nodes[e.Node].lastZxid > e.Zxid {
			c.nodes[e.Node].lastZxid = e.Zxid
		}
	case core.EvRequest:
		c.request(e)
	case core.EvReply:
		c.reply(e)
	}
}

// writeOrder checks ClientWriteOrder at a txn's first delivery (its
// commit: the servers agree on the order after it, Agreement checks that).
func (c *Checker) writeOrder(e core.Event, idx int) {
	w, ok := c.writes[e.Zxid]
	if !ok || e.Snapshot {
		return
	}
	delete(c.writes, e.Zxid)
	s := c.sess(w.session)
	if !s.connected || e.Zxid < s.txnZxid {
		return
	}
	if z, ok := c.closed[w.session]; ok && e.Zxid > z {
		// After the session's close: a close its old server forwards late
		// is proposed again (PrepRequestProcessor does not check a
		// closeSession's owner) and changes nothing; a write is refused.
		return
	}
	if s.txnZxid != 0 && w.cxid <= s.txnCxid {
		c.flag(ClientWriteOrder, idx, "client %d's request %d committed at %v, after its request %d at %v", w.session, w.cxid, e.Zxid, s.txnCxid, s.txnZxid)
	}
	s.txnZxid, s.txnCxid = e.Zxid, w.cxid
}

// ephemerals checks EphemeralsDie over a delivery.
func (c *Checker) ephemerals(e core.Event, idx int) {
	if e.Closes != 0 {
		if z, ok := c.closed[e.Closes]; !ok || e.Zxid < z {
			c.closed[e.Closes] = e.Zxid
		}
	}
	if e.Owner != 0 {
		if z, ok := c.closed[e.Owner]; ok && e.Zxid > z {
			c.flag(EphemeralsDie, idx, "%v applied %v, an ephemeral node of session %#x, after the session's closeSession %v", e.Node, e.Zxid, e.Owner, z)
		}
	}
}

func (c *Checker) established(e core.Event, idx int) {
	if prev, ok := c.leaders[e.Epoch]; ok && prev != e.Node {
		c.flag(OneLeaderPerEpoch, idx, "%v and %v both established epoch %d", prev, e.Node, e.Epoch)
	}
	c.leaders[e.Epoch] = e.Node
	// A leader of epoch e must hold every txn committed before e. A txn a
	// later epoch committed is not its business: a leader whose own
	// currentEpoch write was slow (a paused server) can count NEWLEADER acks
	// that came long before and establish an older epoch after the ensemble
	// moved on; it then has no followers left (campaign seed 18138).
	need, limit := c.gMax, core.MakeZxid(e.Epoch, 0)
	if need >= limit {
		need = 0
		for z := range c.g {
			if z < limit && z > need {
				need = z
			}
		}
	}
	if e.Zxid < need {
		c.flag(CommittedNeverLost, c.g[need].at, "%v established epoch %d with history up to %v, but %v was committed", e.Node, e.Epoch, e.Zxid, need)
	} else if g, ok := c.g[e.Zxid]; ok && g.digest != e.Digest {
		c.flag(Agreement, g.at, "%v established epoch %d with a history that differs at %v from the committed one", e.Node, e.Epoch, e.Zxid)
	}
}

func (c *Checker) delivered(e core.Event, idx int) {
	ns := &c.nodes[e.Node]
	if ns.any {
		switch {
		case e.Zxid.Epoch() < ns.lastZxid.Epoch():
			c.flag(GlobalPrimaryOrder, idx, "%v delivered %v after %v (epoch went back)", e.Node, e.Zxid, ns.lastZxid)
		case e.Zxid < ns.lastZxid || (e.Zxid == ns.lastZxid && !e.Snapshot):
			c.flag(TotalOrder, idx, "%v delivered %v after %v", e.Node, e.Zxid, ns.lastZxid)
		}
	}
	ns.any, ns.lastZxid = true, e.Zxid
	if !e.Snapshot {
		if _, ok := c.proposed[proposalKey{e.Zxid, e.Hash}]; !ok {
			c.flag(Integrity, idx, "%v delivered %v (%s), which no leader proposed", e.Node, e.Zxid, e.Text)
		}
	}
	if g, ok := c.g[e.Zxid]; ok {
		if g.digest != e.Digest {
			c.flag(Agreement, g.at, "%v delivered %v with a history that differs from the one %v committed (prefix consistency broken)", e.Node, e.Zxid, g.node)
		}
		return
	}
	if e.Zxid < c.gSnapMax {
		// G learned the history below a snapshot only as one digest; a txn in
		// that gap cannot be checked on its own.
		return
	}
	// A txn not yet committed: only a leader commits (tryToCommit, or its
	// initial history when it is established).
	if !c.isLeaderNow(e.Node) {
		c.flag(Integrity, idx, "%v delivered %v, which no leader has committed", e.Node, e.Zxid)
		return
	}
	if e.Zxid < c.gMax {
		c.flag(TotalOrder, c.g[c.gMax].at, "%v committed %v after %v was already committed", e.Node, e.Zxid, c.gMax)
		return
	}
	if c.gMax != 0 && !e.Snapshot && (e.PrevZxid != c.gMax || e.PrevDigest != c.g[c.gMax].digest) {
		c.flag(PrimaryIntegrity, c.g[c.gMax].at, "%v committed %v on top of %v, but the last committed txn is %v (a committed txn is missing from its history)", e.Node, e.Zxid, e.PrevZxid, c.gMax)
	}
	c.g[e.Zxid] = gEntry{digest: e.Digest, at: idx, node: e.Node}
	c.gMax = e.Zxid
	if e.Snapshot {
		c.gSnapMax = e.Zxid
	}
}

// isLeaderNow reports whether node is an established leader (as far as the
// trace has said).
func (c *Checker) isLeaderNow(n core.NodeID) bool { return c.nodes[n].leader }

func (c *Checker) sess(id int64) *session {
	s := c.sessions[id]
	if s == nil {
		s = &session{syncReq: map[uint32]core.Zxid{}, readFloor: map[uint32]core.Zxid{}}
		c.sessions[id] = s
	}
	return s
}

func (c *Checker) request(e core.Event) {
	if e.Req == nil {
		return
	}
	s := c.sess(e.Client)
	switch e.Req.Op {
	case ztree.OpSync:
		s.syncReq[e.Req.Cxid] = c.maxWrite
	case ztree.OpGetData, ztree.OpExists, ztree.OpGetChildren, ztree.OpGetChildren2:
		floor := s.maxZxid
		if s.syncFloor > floor {
			floor = s.syncFloor
		}
		s.readFloor[e.Req.Cxid] = floor
	}
}

func (c *Checker) reply(e core.Event) {
	r := e.Reply
	if r != nil && r.Op == ztree.OpNotification {
		c.notification(e)
		return
	}
	if r == nil || r.Op == ztree.OpPing || r.Conn != 0 {
		// A ping or a Connect's answer answers no request of the session's
		// sequence.
		return
	}
	idx := len(c.trace) - 1
	s := c.sess(e.Client)
	prev := s.lastCxid
	if !s.connected {
		prev = s.lastCxidAt[r.Server]
	}
	if r.Cxid < prev {
		c.flag(FIFOClientOrder, idx, "client %d got the reply to request %d after the reply to %d", e.Client, r.Cxid, prev)
	}
	if s.connected {
		s.lastCxid = r.Cxid
	} else {
		if s.lastCxidAt == nil {
			s.lastCxidAt = map[core.NodeID]uint32{}
		}
		s.lastCxidAt[r.Server] = r.Cxid
	}
	floor, isRead := s.readFloor[r.Cxid]
	delete(s.readFloor, r.Cxid)
	want, isSync := s.syncReq[r.Cxid]
	delete(s.syncReq, r.Cxid)
	if r.Err == ztree.ConnectionLoss {
		return
	}
	switch {
	case isRead && r.Zxid < floor:
		c.flag(MonotonicReads, idx, "client %d read %s at %v from %v after it had seen %v", e.Client, r.Path, r.Zxid, r.Server, floor)
	case isSync && r.Zxid < want && want.Epoch() <= r.Zxid.Epoch():
		// NB: a deposed leader that has not yet noticed it lost its quorum
		// still answers sync (sync is not a quorum operation in ZooKeeper),
		// so a write acknowledged by a newer epoch's leader can be missed;
		// the checker holds sync to writes of the epoch it was served in.
		c.flag(SyncThenRead, idx, "client %d's sync at %v returned at %v, before the write %v acknowledged earlier", e.Client, r.Server, r.Zxid, want)
	}
	if isSync && want > s.syncFloor && want.Epoch() <= r.Zxid.Epoch() {
		// A sync served in an older epoch (by a deposed leader's ensemble)
		// promises nothing about the newer epoch's writes.
		s.syncFloor = want
	}
	if st := r.Stat; st != nil && st.EphemeralOwner != 0 {
		if z, ok := c.closed[st.EphemeralOwner]; ok && r.Zxid >= z {
			c.flag(EphemeralsDie, idx, "%v answered %s with an ephemeral node of session %#x at %v, after the session's closeSession %v", r.Server, r.Path, st.EphemeralOwner, r.Zxid, z)
		}
	}
	if r.Zxid > s.maxZxid {
		s.maxZxid = r.Zxid
	}
	if !r.Op.IsRead() && r.Op != ztree.OpSync && r.Zxid > c.maxWrite {
		c.maxWrite = r.Zxid
	}
}

// notification checks WatchOrder. A notification without a zxid (a watch
// given back at a reconnection that fires at once, WatchedEvent.NO_ZXID)
// or without a node (a session event: Disconnected, Expired) is not held
// to it.
func (c *Checker) notification(e core.Event) {
	r := e.Reply
	if r.Watch == nil || r.Watch.Type == core.EventNone || r.Zxid == 0 {
		return
	}
	s := c.sess(e.Client)
	switch {
	case r.Zxid <= s.maxZxid:
		c.flag(WatchOrder, len(c.trace)-1, "client %d got the %v notification of %s at %v from %v after a reply at %v", e.Client, r.Watch.Type, r.Watch.Path, r.Zxid, r.Server, s.maxZxid)
	case r.Zxid < s.notified:
		c.flag(WatchOrder, len(c.trace)-1, "client %d got the %v notification of %s at %v from %v after a notification at %v", e.Client, r.Watch.Type, r.Watch.Path, r.Zxid, r.Server, s.notified)
	}
	if r.Zxid > s.notified {
		s.notified = r.Zxid
	}
}

// Report renders the violations with their windows, for a terminal.
func Report(vs []Violation, seed uint64) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "VIOLATION %s (seed %d)\n", v, seed)
		fmt.Fprintf(&b, "  window %dms..%dms:\n", v.From, v.At)
		for _, e := range v.Window {
			fmt.Fprintf(&b, "    %s\n", DescribeEvent(e))
		}
	}
	return b.String()
}

// DescribeEvent is a one-line text form of a trace event.
func DescribeEvent(e core.Event) string {
	s := fmt.Sprintf("%6dms %-12s %v", e.At, e.Kind, e.Node)
	switch e.Kind {
	case core.EvDeliver, core.EvPropose:
		s += fmt.Sprintf(" %v %s", e.Zxid, e.Text)
	case core.EvEstablished:
		s += fmt.Sprintf(" epoch=%d last=%v", e.Epoch, e.Zxid)
	case core.EvRole:
		s += fmt.Sprintf(" %v epoch=%d %s", e.Role, e.Epoch, e.Text)
	case core.EvTruncate:
		s += fmt.Sprintf(" to %v (%d removed)", e.Zxid, len(e.Removed))
	case core.EvSend, core.EvDeliverMsg:
		if e.Text != "" {
			s += " " + e.Text
			break
		}
		from, to := e.Node, e.Peer
		if e.Kind == core.EvDeliverMsg {
			from, to = e.Peer, e.Node
		}
		s += fmt.Sprintf(" %v->%v %v z=%v", from, to, e.Msg, e.Zxid)
		if e.Msg == core.MsgAckEpoch {
			s += fmt.Sprintf(" currentEpoch=%d", int32(e.Epoch))
		}
	case core.EvPersist:
		s += fmt.Sprintf(" seq=%d %s", e.Seq, e.Text)
		if e.Zxid != 0 {
			s += fmt.Sprintf(" %v", e.Zxid)
		}
		if e.Epoch != 0 {
			s += fmt.Sprintf(" epoch=%d", e.Epoch)
		}
	case core.EvFsync:
		s += fmt.Sprintf(" durable up to seq=%d", e.Seq)
	case core.EvAcceptedEpoch, core.EvCurrentEpoch:
		s += fmt.Sprintf(" %d", e.Epoch)
	case core.EvRestart:
		s += fmt.Sprintf(" (last txn on disk %v)", e.Zxid)
	case core.EvRequest:
		if e.Req != nil {
			s += " " + e.Req.String()
		}
	case core.EvReply:
		if e.Reply != nil {
			s += fmt.Sprintf(" c%d#%d %v zxid=%v", e.Reply.Session, e.Reply.Cxid, e.Reply.Err, e.Reply.Zxid)
		}
	default:
		if e.Text != "" {
			s += " " + e.Text
		}
	}
	return s
}
