package core

import (
	"sort"

	"github.com/zabplay/zabplay/core/ztree"
)

// Ready is what a node asks its driver to do. Slices are valid until Advance.
type Ready struct {
	// Writes go to disk in order; report durability with MsgPersisted.
	Writes []Write
	// Close lists peers whose connection this node closes (a leader dropping a
	// learner, a learner giving up on its leader). Close before sending.
	Close []NodeID
	// Messages are ready to send now; nothing in them waits on a write.
	Messages []Message
	// Replies go to clients, in this order: answers to requests and to
	// Connects, and watch notifications (see Reply).
	Replies []Reply
	// Events describe what happened, for the trace and the visualizer.
	Events []Event
}

// Node is one ZooKeeper server's protocol state machine.
type Node struct {
	cfg        Config
	id         NodeID
	voters     nodeSet
	all        nodeSet
	voterList  []NodeID
	allList    []NodeID
	isObserver bool
	now        int64
	quiet      bool

	state   ServerState
	phase   Phase
	roleGen uint64
	stepFn  func(*Node, Message)
	tickFn  func(*Node)

	// Disk as this server has written it (durable up to durableSeq).
	acceptedEpoch, currentEpoch Epoch
	log                         []Entry
	snap                        *Snapshot
	writeSeq, durableSeq        uint64
	appendStart                 int
	sinceSnap                   int
	gated                       []gated

	// The in-memory database (ZKDatabase).
	tree           *ztree.Tree
	lastProcessed  Zxid
	lastTxnZxid    Zxid
	digest         uint64
	committedLog   []Entry
	knownCommitted Zxid
	// wantSnap: a leader sent a TRUNC below this server's snapshot's last
	// txn, which truncating the log cannot undo; until a SNAP replaces its
	// database, its ACKEPOCH asks for one (in memory only: after a restart
	// the same TRUNC sets it again).
	wantSnap bool

	el      election
	lead    *leader
	learn   *learner
	clients map[int64]*clientQueue
	selfq   []Message

	// Sessions and watches of the clients connected here (session.go,
	// watch.go).
	conns                     map[int64]*conn
	touched                   map[int64]int32
	nextSession               int64
	dataWatches, childWatches watchTable

	rd Ready
}

// gateAct is an internal action that waits for durability.
type gateAct uint8

const (
	gateSend gateAct = iota
	gateSelfAck
	gateLeaderEpoch
	gateLeaderCurrentEpoch
	gateLearnerAppend
)

type gated struct {
	seq  uint64
	gen  uint64
	act  gateAct
	msg  Message
	zxid Zxid
}

// NewNode starts a server from its durable state; it begins LOOKING. It panics
// on an invalid config (call Config.Validate first to get an error).
func NewNode(cfg Config) *Node {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	cfg = cfg.withDefaults()
	n := &Node{cfg: cfg, id: cfg.ID, clients: map[int64]*clientQueue{}, conns: map[int64]*conn{}, appendStart: -1}
	for _, v := range cfg.Voters {
		n.voters.add(v)
		n.all.add(v)
	}
	for _, o := range cfg.Observers {
		n.all.add(o)
		if o == cfg.ID {
			n.isObserver = true
		}
	}
	n.voterList = sortedIDs(n.voters)
	n.allList = sortedIDs(n.all)
	r := cfg.Restore
	n.acceptedEpoch, n.currentEpoch, n.snap = r.AcceptedEpoch, r.CurrentEpoch, r.Snap
	n.log = append([]Entry(nil), r.Log...)
	n.reload()
	// QuorumPeer.loadDataBase: missing epoch files are created from the last zxid.
	if e := n.lastProcessed.Epoch(); n.currentEpoch < e {
		n.currentEpoch = e
	}
	if n.acceptedEpoch < n.currentEpoch {
		n.acceptedEpoch = n.currentEpoch
	}
	n.state = Looking
	n.stepFn, n.tickFn = (*Node).stepLooking, (*Node).tickLooking
	n.enterLooking("start", true)
	return n
}

func sortedIDs(s nodeSet) []NodeID {
	var out []NodeID
	for id := NodeID(1); id <= MaxNodes; id++ {
		if s.has(id) {
			out = append(out, id)
		}
	}
	return out
}

// SetQuiet stops the node from emitting the chatty events (vote, phase) and
// the text of txns that only the visualizer needs; the checker's events
// (persist included) stay.
func (n *Node) SetQuiet(q bool) { n.quiet = q }

// ID returns the server id.
func (n *Node) ID() NodeID { return n.id }

// Tick advances the node's clock by ClockMs. It is the only way time enters.
func (n *Node) Tick() {
	n.now += int64(n.cfg.ClockMs)
	n.tickFn(n)
	n.drainSelf()
}

// Step takes one input.
func (n *Node) Step(m Message) {
	switch m.Type {
	case MsgPersisted:
		n.onPersisted(m.Seq)
	case MsgNotification:
		n.onNotification(m)
	case MsgClientRequest:
		if m.Req != nil {
			n.onClientRequest(*m.Req)
		}
	case MsgConnect:
		if m.Connect != nil {
			n.onConnect(*m.Connect)
		}
	case MsgDisconnect:
		if m.Connect != nil {
			n.onDisconnect(*m.Connect)
		}
	default:
		if m.Type >= numMsgTypes || m.Type == MsgNone {
			n.warn("ignoring message of unknown type")
			return
		}
		n.stepFn(n, m)
	}
	n.drainSelf()
	n.maybeSnapshot()
}

// drainSelf delivers messages the node sent to itself (a server's own FLE
// notification loops back through QuorumCnxManager).
func (n *Node) drainSelf() {
	for len(n.selfq) > 0 {
		m := n.selfq[0]
		n.selfq = n.selfq[1:]
		n.onNotification(m)
	}
	n.selfq = n.selfq[:0]
}

// HasReady reports whether Ready has anything.
func (n *Node) HasReady() bool {
	r := &n.rd
	return len(r.Writes)+len(r.Close)+len(r.Messages)+len(r.Replies)+len(r.Events) > 0
}

// Ready returns the pending outputs.
func (n *Node) Ready() Ready { return n.rd }

// Advance tells the node its last Ready was handled.
func (n *Node) Advance() {
	r := &n.rd
	clear(r.Messages)
	clear(r.Events)
	clear(r.Writes)
	n.appendStart = -1
	r.Writes, r.Close, r.Messages, r.Replies, r.Events = r.Writes[:0], r.Close[:0], r.Messages[:0], r.Replies[:0], r.Events[:0]
}

// ---- outputs ----

func (n *Node) send(m Message) {
	m.From = n.id
	if m.To == n.id && m.Type == MsgNotification {
		n.selfq = append(n.selfq, m)
		return
	}
	n.rd.Messages = append(n.rd.Messages, m)
}

func (n *Node) closeConn(peer NodeID) {
	if peer != 0 && peer != n.id {
		n.rd.Close = append(n.rd.Close, peer)
	}
}

func (n *Node) emit(e Event) {
	e.Node = n.id
	n.rd.Events = append(n.rd.Events, e)
}

// deliverEvent reports the delivery of t, after which the delivered
// history's chain digest is digest (pz, pd: the zxid and digest before it).
// Every delivery of a txn is built here, so each carries the same fields.
func (n *Node) deliverEvent(t *Txn, digest uint64, pz Zxid, pd uint64) Event {
	e := Event{Kind: EvDeliver, Node: n.id, Zxid: t.Zxid, Digest: digest, PrevZxid: pz, PrevDigest: pd,
		Hash: t.Txn.Hash(), Text: n.txnText(t), Client: t.Session, Seq: uint64(t.Cxid)}
	switch t.Op {
	case ztree.OpCloseSession:
		e.Closes = t.Session
	case ztree.OpCreate:
		e.Owner = t.EphemeralOwner
	case ztree.OpMulti:
		for i := range t.Txns {
			if t.Txns[i].Op == ztree.OpCreate && t.Txns[i].EphemeralOwner != 0 {
				e.Owner = t.Txns[i].EphemeralOwner
			}
		}
	}
	return e
}

// snapshotDelivered reports a whole snapshot image delivered at once: the
// history up to z, with chain digest digest.
func (n *Node) snapshotDelivered(z Zxid, digest uint64) Event {
	return Event{Kind: EvDeliver, Node: n.id, Zxid: z, Digest: digest, Snapshot: true, Text: "snapshot"}
}

// txnText describes a txn for events; a quiet node skips it (it allocates).
func (n *Node) txnText(t *Txn) string {
	if n.quiet {
		return ""
	}
	return t.Txn.String()
}

func (n *Node) warn(text string) { n.emit(Event{Kind: EvWarn, Text: text}) }

// ---- disk ----

func (n *Node) write(w Write) uint64 {
	n.writeSeq++
	w.Seq = n.writeSeq
	n.rd.Writes = append(n.rd.Writes, w)
	n.emitPersist(w)
	return w.Seq
}

// emitPersist reports a disk write (always: the checker tracks what each
// server has made durable). Zxid is the txn an append adds, the target of a
// truncate or the last txn of a snapshot; Epoch is an epoch file's value.
func (n *Node) emitPersist(w Write) {
	e := Event{Kind: EvPersist, Seq: w.Seq, Text: w.Kind.String(), Epoch: w.Epoch, Zxid: w.Zxid}
	switch w.Kind {
	case WriteAppend:
		e.Zxid = w.Entries[len(w.Entries)-1].Zxid
	case WriteSnapshot, WriteSnapshotPurge:
		e.Zxid = w.Snap.TxnZxid
	}
	n.emit(e)
}

func (n *Node) lastLogDigest() (Zxid, uint64) {
	if len(n.log) > 0 {
		e := n.log[len(n.log)-1]
		return e.Zxid, e.Digest
	}
	if n.snap != nil {
		return n.snap.TxnZxid, n.snap.Digest
	}
	return 0, 0
}

// appendLog appends txns to the txn log and returns the write's seq.
func (n *Node) appendLog(t Txn) uint64 {
	_, d := n.lastLogDigest()
	if len(n.log) == cap(n.log) {
		// Double (append grows large slices by ~1.25x, copying far more).
		grown := make([]Entry, len(n.log), 2*len(n.log)+64)
		copy(grown, n.log)
		n.log = grown
	}
	n.log = append(n.log, Entry{Txn: t, Digest: chain(d, t.Zxid, t.Txn.Hash())})
	n.sinceSnap++
	if k := len(n.rd.Writes); k > 0 && n.appendStart >= 0 && n.rd.Writes[k-1].Kind == WriteAppend {
		// Group commit: one append record for a batch of txns. n.log is never
		// overwritten in place (truncation clips its capacity), so the record
		// can share its backing array.
		w := &n.rd.Writes[k-1]
		n.writeSeq++
		w.Seq = n.writeSeq
		w.Entries = n.log[n.appendStart:len(n.log):len(n.log)]
		n.emitPersist(*w)
		return w.Seq
	}
	n.appendStart = len(n.log) - 1
	return n.write(Write{Kind: WriteAppend, Entries: n.log[n.appendStart:len(n.log):len(n.log)]})
}

func (n *Node) truncateLog(z Zxid) []Removed {
	i := len(n.log)
	for i > 0 && n.log[i-1].Zxid > z {
		i--
	}
	var removed []Removed
	for _, e := range n.log[i:] {
		removed = append(removed, Removed{Zxid: e.Zxid, Digest: e.Digest})
	}
	n.log = n.log[:i:i]
	n.appendStart = -1
	n.write(Write{Kind: WriteTruncate, Zxid: z})
	return removed
}

func (n *Node) takeSnapshot() uint64 {
	s := &Snapshot{Zxid: n.lastProcessed, TxnZxid: n.lastTxnZxid, Digest: n.digest, Tree: n.tree.Clone()}
	n.snap = s
	n.log = nil
	n.appendStart = -1
	n.sinceSnap = 0
	return n.write(Write{Kind: WriteSnapshot, Snap: s})
}

// maybeSnapshot takes ZooKeeper's periodic snapshot once SnapCount txns were
// logged since the last one (SyncRequestProcessor), and purges the log behind
// it. Called between inputs, never in the middle of a sync.
func (n *Node) maybeSnapshot() {
	if n.sinceSnap < n.cfg.SnapCount || n.phase != PhaseBroadcast || n.lastTxnZxid == 0 {
		return
	}
	n.sinceSnap = 0
	s := &Snapshot{Zxid: n.lastProcessed, TxnZxid: n.lastTxnZxid, Digest: n.digest, Tree: n.tree.Clone()}
	if n.cfg.Mutant == MutSnapshotWrongZxid {
		s.TxnZxid, _ = n.lastLogDigest()
	}
	n.snap = s
	// The log will grow by SnapCount txns before the next purge: room for
	// them now saves copying the log at every doubling (the log is the
	// broadcast path's biggest cost).
	n.log = purgeBehind(n.log, s.TxnZxid, min(n.cfg.SnapCount, 1<<20)+64)
	n.appendStart = -1
	n.write(Write{Kind: WriteSnapshotPurge, Snap: s})
}

func (n *Node) setAcceptedEpoch(e Epoch) uint64 {
	n.acceptedEpoch = e
	n.emit(Event{Kind: EvAcceptedEpoch, Epoch: e})
	return n.write(Write{Kind: WriteAcceptedEpoch, Epoch: e})
}

func (n *Node) setCurrentEpoch(e Epoch) uint64 {
	n.currentEpoch = e
	n.emit(Event{Kind: EvCurrentEpoch, Epoch: e})
	return n.write(Write{Kind: WriteCurrentEpoch, Epoch: e})
}

// afterDurable runs g once every write issued so far is durable.
func (n *Node) afterDurable(g gated) {
	g.gen = n.roleGen
	if n.durableSeq >= n.writeSeq {
		n.runGated(g)
		return
	}
	g.seq = n.writeSeq
	n.gated = append(n.gated, g)
}

func (n *Node) sendAfterDurable(m Message) { n.afterDurable(gated{act: gateSend, msg: m}) }

func (n *Node) onPersisted(seq uint64) {
	if seq > n.writeSeq {
		n.warn("PERSISTED beyond the last write; ignored")
		return
	}
	if seq <= n.durableSeq {
		return
	}
	n.durableSeq = seq
	i := 0
	for ; i < len(n.gated) && n.gated[i].seq <= seq; i++ {
		g := n.gated[i]
		if g.gen == n.roleGen {
			n.runGated(g)
		}
	}
	if i == len(n.gated) {
		clear(n.gated)
		n.gated = n.gated[:0]
	} else if i > 0 {
		k := copy(n.gated, n.gated[i:])
		clear(n.gated[k:])
		n.gated = n.gated[:k]
	}
}

func (n *Node) runGated(g gated) {
	switch g.act {
	case gateSend:
		n.send(g.msg)
	case gateSelfAck:
		if n.lead != nil {
			n.processAck(n.id, g.zxid)
		}
	case gateLeaderEpoch:
		if n.lead != nil {
			n.leaderEpochDurable()
		}
	case gateLeaderCurrentEpoch:
		if n.lead != nil {
			n.leaderCurrentEpochDurable()
		}
	case gateLearnerAppend:
		if n.learn != nil {
			n.learnerPersistCommitted()
		}
	}
}

// ---- the in-memory database ----

// reload rebuilds the DB from the snapshot and the txn log, applying every
// logged txn, committed or not (ZooKeeper FileTxnSnapLog.restore).
func (n *Node) reload() {
	n.tree = ztree.New()
	n.lastProcessed, n.lastTxnZxid, n.digest = 0, 0, 0
	n.committedLog = n.committedLog[:0]
	if n.snap != nil {
		n.tree = n.snap.Tree.Clone()
		n.lastProcessed, n.lastTxnZxid, n.digest = n.snap.Zxid, n.snap.TxnZxid, n.snap.Digest
	}
	n.fastForward()
}

// fastForward applies logged txns the DB has not seen (ZOOKEEPER-2845).
func (n *Node) fastForward() {
	for i := range n.log {
		if n.log[i].Zxid > n.lastProcessed {
			n.apply(&n.log[i].Txn)
		}
	}
}

// apply applies one txn to the DB and returns the result and the previous
// (zxid, digest) of the delivered chain.
func (n *Node) apply(t *Txn) (ztree.Result, Zxid, uint64) {
	tx := t.Txn
	if tx.Op == ztree.OpCloseSession && n.cfg.Mutant == MutKillSessionLeaderOnly && n.lead == nil {
		tx.Session = 0 // the close of no session here: its ephemerals stay
	}
	res := n.tree.Apply(uint64(t.Zxid), tx)
	prevZ, prevD := n.lastTxnZxid, n.digest
	n.digest = chain(prevD, t.Zxid, t.Txn.Hash())
	n.lastTxnZxid = t.Zxid
	if t.Zxid > n.lastProcessed {
		n.lastProcessed = t.Zxid
	}
	n.committedLog = append(n.committedLog, Entry{Txn: *t, Digest: n.digest})
	if c := n.cfg.CommitLogCount; len(n.committedLog) >= 2*c {
		k := copy(n.committedLog, n.committedLog[len(n.committedLog)-c:])
		clear(n.committedLog[k:])
		n.committedLog = n.committedLog[:k]
	}
	return res, prevZ, prevD
}

// commitWindow is the committedLog as ZooKeeper keeps it: the last
// CommitLogCount applied txns.
func (n *Node) commitWindow() []Entry {
	if c := n.cfg.CommitLogCount; len(n.committedLog) > c {
		return n.committedLog[len(n.committedLog)-c:]
	}
	return n.committedLog
}

// deliver applies a committed txn, reports the delivery, fires the watches
// it triggers and answers its client: a notification for zxid Z goes out
// before the reply of Z, as FinalRequestProcessor sends them.
func (n *Node) deliver(t *Txn) ztree.Result {
	var deleted []string
	if t.Op == ztree.OpCloseSession && (n.cfg.Mutant != MutKillSessionLeaderOnly || n.lead != nil) {
		deleted = n.tree.Ephemerals(t.Session)
	}
	res, pz, pd := n.apply(t)
	n.noteDelivered(t, pz, pd)
	if n.cfg.Mutant == MutNotifyAfterReply {
		if t.Op == ztree.OpCloseSession {
			n.sessionClosed(t)
		}
		n.answerCommitted(t, res)
		n.triggerWatches(t, t.Txn, res, deleted)
		return res
	}
	n.triggerWatches(t, t.Txn, res, deleted)
	if t.Op == ztree.OpCloseSession {
		n.sessionClosed(t)
	}
	n.answerCommitted(t, res)
	return res
}

func (n *Node) noteDelivered(t *Txn, pz Zxid, pd uint64) {
	if t.Zxid > n.knownCommitted {
		n.knownCommitted = t.Zxid
	}
	n.emit(n.deliverEvent(t, n.digest, pz, pd))
}

// ---- roles ----

func (n *Node) setPhase(p Phase) {
	if n.phase == p {
		return
	}
	n.phase = p
	if !n.quiet {
		n.emit(Event{Kind: EvPhase, Phase: p})
	}
}

// leaveRole ends the current role the way QuorumPeer.run does when a role
// method returns: shut it down and keep (fast-forward) or clear the DB.
func (n *Node) leaveRole() {
	n.roleGen++
	n.gated = n.gated[:0]
	if n.lead != nil {
		for _, id := range n.allList {
			if n.lead.handlers[id] != nil {
				n.closeConn(id)
			}
		}
		n.lead = nil
	}
	clearDB := false
	if n.learn != nil {
		n.closeConn(n.learn.leader)
		// Learner.shutdown → zk.shutdown(syncMode == SNAP) (ZOOKEEPER-3642).
		clearDB = n.learn.syncMode == ModeSnap && !n.cfg.Bugs.Has(BugZK3642)
		n.learn = nil
	}
	switch {
	case clearDB:
		n.reload()
	case !n.cfg.Bugs.Has(BugZK2845):
		n.fastForward()
	}
	n.failClients(ztree.ConnectionLoss)
}

func (n *Node) setRole(s ServerState, leader NodeID, why string) {
	n.state = s
	n.emit(Event{Kind: EvRole, Role: s, Epoch: n.currentEpoch, Zxid: n.lastProcessed, Leader: leader, Text: why})
}

// Status is a node's state for views and scenario expectations.
type Status struct {
	ID            NodeID      `json:"id"`
	Role          ServerState `json:"role"`
	Phase         Phase       `json:"phase"`
	Observer      bool        `json:"observer,omitempty"`
	Leader        NodeID      `json:"leader,omitempty"`
	AcceptedEpoch Epoch       `json:"acceptedEpoch"`
	CurrentEpoch  Epoch       `json:"currentEpoch"`
	LastZxid      Zxid        `json:"lastZxid"`
	LastTxn       Zxid        `json:"lastTxn"`
	LastLogged    Zxid        `json:"lastLogged"`
	Committed     Zxid        `json:"committed"`
	Vote          Vote        `json:"vote"`
	Round         uint64      `json:"round"`
	Established   bool        `json:"established,omitempty"`
	Digest        uint64      `json:"digest"`
	TreeHash      uint64      `json:"treeHash"`
	DurableSeq    uint64      `json:"durableSeq"`
	LogLen        int         `json:"logLen"`
	// Sessions is the open sessions in the tree; Clients the sessions
	// connected to this server; Watches the watches set here (data and
	// child).
	Sessions int `json:"sessions,omitempty"`
	Clients  int `json:"clients,omitempty"`
	Watches  int `json:"watches,omitempty"`
	// Now is the node's clock (ms) and Timers its failure-detection
	// deadlines in that clock (timers.go), for views; not part of the trace.
	Now    int64  `json:"now"`
	Timers Timers `json:"timers"`
}

// Status reports the node's state.
func (n *Node) Status() Status {
	lastLogged, _ := n.lastLogDigest()
	s := Status{
		ID: n.id, Role: n.state, Phase: n.phase, Observer: n.isObserver,
		AcceptedEpoch: n.acceptedEpoch, CurrentEpoch: n.currentEpoch,
		LastZxid: n.lastProcessed, LastTxn: n.lastTxnZxid, LastLogged: lastLogged, Committed: n.knownCommitted,
		Vote: n.el.proposal, Round: n.el.logicalclock, Digest: n.digest,
		DurableSeq: n.durableSeq, LogLen: len(n.log),
		Sessions: n.tree.SessionCount(), Clients: len(n.conns), Watches: n.dataWatches.count() + n.childWatches.count(),
		Now: n.now, Timers: n.timers(),
	}
	switch {
	case n.lead != nil:
		s.Leader = n.id
		s.Established = n.lead.established
		s.Committed = n.lead.lastCommitted
	case n.learn != nil:
		s.Leader = n.learn.leader
	}
	return s
}

// Tree returns the node's data tree (read-only for callers).
func (n *Node) Tree() *ztree.Tree { return n.tree }

// Log returns the node's txn log as written (read-only for callers).
func (n *Node) Log() []Entry { return n.log }

// Now returns the node's clock in milliseconds.
func (n *Node) Now() int64 { return n.now }

func sortedKeys[V any](m map[int64]V) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}
