package sim

import (
	"fmt"
	"math/rand/v2"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/check"
)

// Options are every knob of a simulated ensemble. Units are last in names.
type Options struct {
	Voters, Observers int
	Seed              uint64
	TickMs            int
	InitLimit         int
	SyncLimit         int
	ClockMs           int
	LatencyMinMs      int
	LatencyMaxMs      int
	FsyncMinMs        int
	FsyncMaxMs        int
	CommitLogCount    int
	SnapCount         int
	InitialCounter    uint32
	// SnapshotSizeFactor bounds the leader's txn-log sync against the
	// snapshot size (0: ZooKeeper's 0.33).
	SnapshotSizeFactor float64
	Bugs               core.Bugs
	// Mutant plants a deliberate mistake in every server (mutation testing;
	// core.Mutant). Tests and `sim --mutants` only.
	Mutant core.Mutant
	// Break-the-assumption faults (off in ZAB's model).
	ReorderPct   int  // chance that a message may overtake earlier ones on its link
	DuplicatePct int  // chance that a quorum packet (not a notification) is delivered twice
	LoseFsynced  bool // a crash also loses the last fsynced log record
	// Trace records message-level and visual events (send, deliver-msg, drop,
	// vote, persist, phase); without it only the checker's events are made.
	Trace bool
}

// DefaultOptions are a 3-voter ensemble with the scenario defaults.
func DefaultOptions() Options {
	return Options{
		Voters: 3, TickMs: 100, InitLimit: 10, SyncLimit: 5, ClockMs: 10,
		LatencyMinMs: 2, LatencyMaxMs: 10, FsyncMinMs: 1, FsyncMaxMs: 5,
	}
}

func (o Options) validate() error {
	switch {
	case o.Voters < 1 || o.Voters > core.MaxVoters:
		return fmt.Errorf("voters=%d: want 1 to %d", o.Voters, core.MaxVoters)
	case o.Observers < 0 || o.Observers > core.MaxObservers:
		return fmt.Errorf("observers=%d: want 0 to %d", o.Observers, core.MaxObservers)
	case o.LatencyMinMs < 0 || o.LatencyMaxMs < o.LatencyMinMs:
		return fmt.Errorf("latency %dms..%dms: want 0 <= min <= max", o.LatencyMinMs, o.LatencyMaxMs)
	case o.FsyncMinMs < 0 || o.FsyncMaxMs < o.FsyncMinMs:
		return fmt.Errorf("fsync %dms..%dms: want 0 <= min <= max", o.FsyncMinMs, o.FsyncMaxMs)
	case o.ClockMs <= 0 || o.TickMs < 2*o.ClockMs || (o.TickMs/2)%o.ClockMs != 0:
		return fmt.Errorf("tick=%dms must be a multiple of %dms", o.TickMs, 2*o.ClockMs)
	case o.InitLimit < 1 || o.SyncLimit < 1:
		return fmt.Errorf("init=%d sync=%d: both must be at least 1", o.InitLimit, o.SyncLimit)
	}
	return nil
}

// inflight is a message on a link.
type inflight struct {
	msg          core.Message
	id           uint64
	sent, arrive int64
	ch           channel
	dead         bool
}

// channel is one of the two TCP connections a pair of ZooKeeper servers
// keeps: election notifications travel on QuorumCnxManager's connection,
// everything else on the learner's connection to its leader
// (Learner/LearnerHandler). Each is FIFO on its own; closing the learner
// connection (the core's Ready.Close) loses only what is in flight on it,
// while a partition, a cut or a crash breaks both.
type channel uint8

const (
	chQuorum   channel = iota // Learner ↔ LearnerHandler
	chElection                // QuorumCnxManager: NOTIFICATION
	nChannels
)

func channelOf(t core.MsgType) channel {
	if t == core.MsgNotification {
		return chElection
	}
	return chQuorum
}

type link struct {
	cut      bool             // this direction is partitioned or cut
	lastAt   [nChannels]int64 // FIFO per connection
	inflight []*inflight      // both connections, in send order
	delayMs  int64            // latency set by a delay action (0: the options' range)
}

type server struct {
	id         core.NodeID
	node       *core.Node
	observer   bool
	disk       disk
	gen        uint64 // incarnation: bumps at crash and restart
	paused     bool
	pauseUntil int64
	backlog    []qev // events that arrived while paused, in order
	fsyncing   bool
}

// disk is a server's disk: durable state plus writes waiting for an fsync.
type disk struct {
	durable core.Durable
	pending []core.Write
}

// Cluster is a simulated ensemble.
type Cluster struct {
	opts    Options
	rng     *rand.Rand
	now     int64
	seq     uint64
	q       evHeap
	servers []*server // index 1..N
	links   [][]link
	msgID   uint64
	steps   uint64
	sink    func(core.Event)
	// lastSync is the last sync mode a leader chose for each server.
	lastSync     []string
	clients      clients
	sess         sessionClients
	failed       error
	commits      map[writeKey]int64 // when each client write was first committed
	proposed     map[writeKey]bool  // client writes a leader proposed
	refused      map[writeKey]bool  // client writes the session check refused (an error txn: no effect)
	stopWorkload bool
	faults       []string
	// syncTrap is the sync packet the armed sync fault waits for (see
	// FaultSync); 0 when disarmed.
	syncTrap core.MsgType
	// Coverage counts how often each sync mode, fault and trap happened.
	Coverage map[string]int
}

// New builds an ensemble and starts every server.
func New(o Options) (*Cluster, error) {
	c, err := newCluster(o)
	if err != nil {
		return nil, err
	}
	c.boot()
	return c, nil
}

func newCluster(o Options) (*Cluster, error) {
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	c := &Cluster{opts: o, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x5DEECE66D))}
	n := o.Voters + o.Observers
	c.servers = make([]*server, n+1)
	c.links = make([][]link, n+1)
	c.lastSync = make([]string, n+1)
	for i := range c.links {
		c.links[i] = make([]link, n+1)
	}
	for i := 1; i <= n; i++ {
		c.servers[i] = &server{id: core.NodeID(i), observer: i > o.Voters}
	}
	c.clients.init()
	c.commits = map[writeKey]int64{}
	c.proposed = map[writeKey]bool{}
	c.refused = map[writeKey]bool{}
	return c, nil
}

func (c *Cluster) boot() {
	for i := 1; i < len(c.servers); i++ {
		c.start(i)
	}
}

// NewChecker is a checker for a run with options o: it knows the voters, and
// the simulator reports every event its message and disk properties need.
func NewChecker(o Options) *check.Checker {
	chk := check.New()
	voters := make([]core.NodeID, o.Voters)
	for i := range voters {
		voters[i] = core.NodeID(i + 1)
	}
	chk.Ensemble(voters)
	return chk
}

// Options returns the cluster's options.
func (c *Cluster) Options() Options { return c.opts }

// Now is the virtual time in milliseconds.
func (c *Cluster) Now() int64 { return c.now }

// Steps is the number of simulator events handled so far.
func (c *Cluster) Steps() uint64 { return c.steps }

// Size is the number of servers.
func (c *Cluster) Size() int { return len(c.servers) - 1 }

// OnEvent sets the function every trace event goes to.
func (c *Cluster) OnEvent(f func(core.Event)) { c.sink = f }

func (c *Cluster) emit(e core.Event) {
	e.At = c.now
	if c.Coverage != nil {
		switch {
		case e.Kind == core.EvSession:
			c.Coverage["session: "+e.Text]++
		case e.Kind == core.EvDeliver && e.Closes != 0:
			c.Coverage["session: closeSession applied (by each server)"]++
		case e.Kind == core.EvDeliver && e.Owner != 0:
			c.Coverage["session: ephemeral created (by each server)"]++
		case e.Kind == core.EvPropose && e.Reason != "":
			c.Coverage["session: write refused ("+e.Reason+")"]++
		case e.Kind == core.EvReply && e.Reply.Watch != nil && e.Reply.Watch.Type != core.EventNone:
			c.Coverage["session: notification"]++
		}
	}
	if c.sink != nil {
		c.sink(e)
	}
}

func (c *Cluster) config(i int) core.Config {
	o := c.opts
	var voters, observers []core.NodeID
	for j := 1; j <= o.Voters; j++ {
		voters = append(voters, core.NodeID(j))
	}
	for j := o.Voters + 1; j <= o.Voters+o.Observers; j++ {
		observers = append(observers, core.NodeID(j))
	}
	return core.Config{
		ID: core.NodeID(i), Voters: voters, Observers: observers,
		TickMs: o.TickMs, InitLimit: o.InitLimit, SyncLimit: o.SyncLimit, ClockMs: o.ClockMs,
		CommitLogCount: o.CommitLogCount, SnapCount: o.SnapCount, InitialCounter: o.InitialCounter,
		SnapshotSizeFactor: o.SnapshotSizeFactor,
		Rand:               rand.New(rand.NewPCG(c.rng.Uint64(), uint64(i))), Bugs: o.Bugs, Mutant: o.Mutant,
	}
}

// start boots server i from its disk.
func (c *Cluster) start(i int) {
	s := c.servers[i]
	cfg := c.config(i)
	d := s.disk.durable
	cfg.Restore = core.Durable{AcceptedEpoch: d.AcceptedEpoch, CurrentEpoch: d.CurrentEpoch, Snap: d.Snap, Log: append([]core.Entry(nil), d.Log...)}
	s.gen++
	s.node = core.NewNode(cfg)
	s.node.SetQuiet(!c.opts.Trace)
	s.paused = false
	s.fsyncing = false
	phase := int64(c.rng.IntN(c.opts.ClockMs))
	c.schedule(qev{at: c.now + phase + 1, kind: evTick, node: i, gen: s.gen})
	c.handleReady(i)
}

func (c *Cluster) schedule(e qev) {
	c.seq++
	e.seq = c.seq
	c.q.push(e)
}

// Step handles the next event. It returns false when nothing is queued.
func (c *Cluster) Step() bool {
	if len(c.q) == 0 {
		return false
	}
	e := c.q.pop()
	if e.at > c.now {
		c.now = e.at
	}
	c.steps++
	c.dispatch(e)
	return true
}

// RunUntil handles events until virtual time t (inclusive) or until stop
// returns true after an event. It reports whether stop fired.
func (c *Cluster) RunUntil(t int64, stop func() bool) bool {
	for len(c.q) > 0 && c.q[0].at <= t {
		c.Step()
		if stop != nil && stop() {
			return true
		}
	}
	if c.now < t {
		c.now = t
	}
	return false
}

func (c *Cluster) dispatch(e qev) {
	switch e.kind {
	case evClientClose:
		if s := c.servers[e.node]; s.node != nil && e.gen == s.gen && !s.paused {
			s.node.Step(core.Message{Type: core.MsgDisconnect, Connect: &core.Connect{Conn: e.upTo, Session: int64(e.peer)}})
			c.handleReady(e.node)
		}
	case evTick:
		s := c.servers[e.node]
		if s.node == nil || e.gen != s.gen {
			return
		}
		if s.paused {
			s.backlog = append(s.backlog, e)
			return
		}
		s.node.Tick()
		c.handleReady(e.node)
		c.schedule(qev{at: c.now + int64(c.opts.ClockMs), kind: evTick, node: e.node, gen: e.gen})
	case evDeliver:
		c.deliver(e)
	case evFsync:
		c.fsyncDone(e)
	case evConnLost:
		s := c.servers[e.node]
		if s.node == nil || e.gen != s.gen {
			return
		}
		if s.paused {
			s.backlog = append(s.backlog, e)
			return
		}
		s.node.Step(core.Message{Type: core.MsgConnLost, From: core.NodeID(e.peer), To: s.id})
		c.handleReady(e.node)
	case evResume:
		s := c.servers[e.node]
		if s.paused && e.gen == s.gen && c.now >= s.pauseUntil {
			s.paused = false
			c.emit(core.Event{Kind: core.EvResume, Node: s.id})
			// What queued up while paused runs now, in the order it arrived.
			backlog := s.backlog
			s.backlog = nil
			for _, b := range backlog {
				c.dispatch(b)
			}
		}
	case evClient:
		c.clientArrive(e)
	case evRestart:
		if c.servers[e.node].node == nil {
			c.Restart(core.NodeID(e.node))
		}
	case evHeal:
		c.Heal()
	case evFault:
		c.randomFault()
	case evCrash:
		if s := c.servers[e.node]; s.node != nil && s.gen == e.gen {
			c.Crash(core.NodeID(e.node))
			c.schedule(qev{at: c.now + c.between(50, 3000), kind: evRestart, node: e.node})
		}
	}
}

// handleReady performs a node's Ready: writes, closes, sends, replies.
func (c *Cluster) handleReady(i int) {
	s := c.servers[i]
	n := s.node
	if n == nil || !n.HasReady() {
		return
	}
	rd := n.Ready()
	for _, ev := range rd.Events {
		ev.Node = s.id
		c.emit(ev)
		switch {
		case ev.Kind == core.EvSyncMode && int(ev.Peer) < len(c.lastSync):
			c.lastSync[ev.Peer] = ev.Mode.String()
			c.count("sync: " + ev.Mode.String())
			if ev.Reason == core.SnapAsked {
				c.count(CoverSnapAsked)
			}
		case ev.Kind == core.EvRole:
			// A server that changes role closes its client connections; each
			// client reconnects with its lastZxidSeen.
			c.clients.serverClosed(s.id)
		case ev.Kind == core.EvPropose && ev.Client != 0:
			c.proposed[writeKey{ev.Client, uint32(ev.Seq)}] = true
			if ev.Reason != "" {
				c.refused[writeKey{ev.Client, uint32(ev.Seq)}] = true
			}
		case ev.Kind == core.EvDeliver && ev.Client != 0:
			k := writeKey{ev.Client, uint32(ev.Seq)}
			if _, ok := c.commits[k]; !ok {
				c.commits[k] = c.now
			}
		}
	}
	if len(rd.Writes) > 0 {
		s.disk.pending = append(s.disk.pending, rd.Writes...)
		if !s.fsyncing {
			c.startFsync(i)
		}
	}
	for _, p := range rd.Close {
		c.closeQuorumConn(i, int(p), "closed by "+s.id.String())
	}
	for k := range rd.Messages {
		c.send(i, rd.Messages[k])
	}
	for _, r := range rd.Replies {
		if c.sessionReply(r) {
			continue
		}
		c.clientReply(r)
	}
	n.Advance()
}

func (c *Cluster) between(lo, hi int) int64 {
	if hi <= lo {
		return int64(lo)
	}
	return int64(lo + c.rng.IntN(hi-lo+1))
}

func (c *Cluster) startFsync(i int) {
	s := c.servers[i]
	if len(s.disk.pending) == 0 {
		return
	}
	s.fsyncing = true
	upTo := s.disk.pending[len(s.disk.pending)-1].Seq
	c.schedule(qev{at: c.now + c.between(c.opts.FsyncMinMs, c.opts.FsyncMaxMs), kind: evFsync, node: i, gen: s.gen, upTo: upTo})
}

func (c *Cluster) fsyncDone(e qev) {
	s := c.servers[e.node]
	if s.node == nil || e.gen != s.gen {
		return
	}
	if s.paused {
		s.backlog = append(s.backlog, e)
		return
	}
	k := 0
	for ; k < len(s.disk.pending) && s.disk.pending[k].Seq <= e.upTo; k++ {
		s.disk.pending[k].ApplyTo(&s.disk.durable)
	}
	clear(s.disk.pending[:k])
	s.disk.pending = s.disk.pending[k:]
	s.fsyncing = false
	c.emit(core.Event{Kind: core.EvFsync, Node: s.id, Seq: e.upTo})
	s.node.Step(core.Message{Type: core.MsgPersisted, Seq: e.upTo, To: s.id})
	c.handleReady(e.node)
	if !s.fsyncing {
		c.startFsync(e.node)
	}
}

// ---- network ----

// checked reports whether the checker reads sends and deliveries of a
// message type (the discovery, sync and ack properties); the simulator
// reports those even without Trace, and the sends of COMMIT and INFORM.
func checked(t core.MsgType) bool {
	switch t {
	case core.MsgLeaderInfo, core.MsgAckEpoch, core.MsgNewLeader, core.MsgAck, core.MsgUpToDate:
		return true
	}
	return false
}

// describe is the text of a message event: Describe(m) with Trace on, none
// without (it allocates).
func (c *Cluster) describe(m core.Message) string {
	if !c.opts.Trace {
		return ""
	}
	return core.Describe(m)
}

func (c *Cluster) send(from int, m core.Message) {
	to := int(m.To)
	c.msgID++
	id := c.msgID
	if to <= 0 || to >= len(c.servers) {
		return
	}
	l := &c.links[from][to]
	if l.cut {
		if c.opts.Trace {
			c.emit(core.Event{Kind: core.EvDrop, Node: m.From, Peer: m.To, Msg: m.Type, ID: id, Reason: "partition", Text: core.Describe(m)})
		}
		// A partition breaks the TCP connection: both ends find out.
		c.breakConn(from, to, "partition", false)
		return
	}
	if c.servers[to].node == nil {
		if c.opts.Trace {
			c.emit(core.Event{Kind: core.EvDrop, Node: m.From, Peer: m.To, Msg: m.Type, ID: id, Reason: "down", Text: core.Describe(m)})
		}
		return
	}
	at := c.now + c.between(c.opts.LatencyMinMs, c.opts.LatencyMaxMs)
	if l.delayMs > 0 {
		at = c.now + l.delayMs
	}
	reorder := c.opts.ReorderPct > 0 && c.rng.IntN(100) < c.opts.ReorderPct
	ch := channelOf(m.Type)
	if at < l.lastAt[ch] && !reorder {
		at = l.lastAt[ch] // FIFO: never overtake an earlier message on the same connection
	}
	if at > l.lastAt[ch] {
		l.lastAt[ch] = at
	}
	f := &inflight{msg: m, id: id, sent: c.now, arrive: at, ch: ch}
	l.inflight = append(l.inflight, f)
	if c.opts.Trace || checked(m.Type) || m.Type == core.MsgCommit || m.Type == core.MsgInform {
		c.emit(core.Event{Kind: core.EvSend, Node: m.From, Peer: m.To, Msg: m.Type, Zxid: m.Zxid, Epoch: m.Epoch, ID: id, Arrive: at, Text: c.describe(m)})
	}
	c.schedule(qev{at: at, kind: evDeliver, node: to, peer: from, msg: f, gen: c.servers[to].gen})
	// Only quorum packets are duplicated: a duplicated notification between a
	// LOOKING voter of an older round and a LOOKING observer (which answer
	// each other forever) would start one more endless exchange each time,
	// an exponential storm.
	if c.opts.DuplicatePct > 0 && ch == chQuorum && c.rng.IntN(100) < c.opts.DuplicatePct {
		d := &inflight{msg: m, id: id, sent: c.now, arrive: at + 1, ch: ch}
		l.inflight = append(l.inflight, d)
		c.schedule(qev{at: at + 1, kind: evDeliver, node: to, peer: from, msg: d, gen: c.servers[to].gen})
	}
}

func (c *Cluster) deliver(e qev) {
	f := e.msg
	if f.dead {
		return
	}
	s := c.servers[e.node]
	if s.paused && s.node != nil {
		s.backlog = append(s.backlog, e)
		return
	}
	l := &c.links[e.peer][e.node]
	for k, g := range l.inflight {
		if g == f {
			l.inflight = append(l.inflight[:k], l.inflight[k+1:]...)
			break
		}
	}
	if s.node == nil || e.gen != s.gen {
		if c.opts.Trace {
			c.emit(core.Event{Kind: core.EvDrop, Node: f.msg.From, Peer: f.msg.To, Msg: f.msg.Type, ID: f.id, Reason: "down", Text: core.Describe(f.msg)})
		}
		return
	}
	if c.opts.Trace || checked(f.msg.Type) {
		c.emit(core.Event{Kind: core.EvDeliverMsg, Node: f.msg.To, Peer: f.msg.From, Msg: f.msg.Type, Zxid: f.msg.Zxid, Epoch: f.msg.Epoch, ID: f.id, Text: c.describe(f.msg)})
	}
	s.node.Step(f.msg)
	c.handleReady(e.node)
	if c.syncTrap != 0 && f.msg.Type == c.syncTrap {
		c.springSyncTrap(e.node, e.peer, f.msg.Type)
	}
}

// syncPackets are the packets the sync fault can wait for.
var syncPackets = []core.MsgType{core.MsgDiff, core.MsgTrunc, core.MsgSnap, core.MsgNewLeader, core.MsgUpToDate}

// springSyncTrap crashes the learner that just got a sync packet, or its
// leader, a few milliseconds later: in the middle of the sync.
func (c *Cluster) springSyncTrap(learner, leader int, t core.MsgType) {
	c.syncTrap = 0
	victims, who := []int{learner}, "learner"
	switch c.rng.IntN(3) {
	case 1:
		victims, who = []int{leader}, "leader"
	case 2:
		victims, who = []int{learner, leader}, "both"
	}
	c.count("trap: " + who + " crashes after " + t.String())
	at := c.now + c.between(0, 30)
	for _, v := range victims {
		c.schedule(qev{at: at, kind: evCrash, node: v, gen: c.servers[v].gen})
	}
}

// count adds one to a coverage counter (campaign runs only).
func (c *Cluster) count(what string) {
	if c.Coverage != nil {
		c.Coverage[what]++
	}
}

// breakConn breaks both connections between a and b (a partition, a cut, a
// crash): what is in flight either way is lost and both ends (or only the far
// end, when a closed it) notice.
func (c *Cluster) breakConn(a, b int, why string, closedByA bool) {
	c.dropInflight(a, b, why, true)
	if !closedByA {
		c.notifyConnLost(a, b)
	}
	c.notifyConnLost(b, a)
}

// closeQuorumConn is a's core closing its learner connection to b: only what
// is in flight on that connection is lost, and b notices. Election
// notifications in flight between them still arrive, as they do on
// QuorumCnxManager's own connection in ZooKeeper.
func (c *Cluster) closeQuorumConn(a, b int, why string) {
	if c.dropInflight(a, b, why, false) {
		c.notifyConnLost(b, a)
	}
}

// dropInflight loses the messages in flight between a and b either way, on
// both connections or on the learner connection only. It reports whether a
// and b are two servers.
func (c *Cluster) dropInflight(a, b int, why string, both bool) bool {
	if a == b || a <= 0 || b <= 0 || a >= len(c.servers) || b >= len(c.servers) {
		return false
	}
	for _, p := range [2][2]int{{a, b}, {b, a}} {
		l := &c.links[p[0]][p[1]]
		keep := l.inflight[:0]
		for _, f := range l.inflight {
			if !both && f.ch != chQuorum {
				keep = append(keep, f)
				continue
			}
			f.dead = true
			if c.opts.Trace {
				c.emit(core.Event{Kind: core.EvDrop, Node: f.msg.From, Peer: f.msg.To, Msg: f.msg.Type, ID: f.id, Reason: "connection broken: " + why})
			}
		}
		clear(l.inflight[len(keep):])
		l.inflight = keep
	}
	return true
}

func (c *Cluster) notifyConnLost(at, peer int) {
	s := c.servers[at]
	if s.node == nil {
		return
	}
	c.schedule(qev{at: c.now, kind: evConnLost, node: at, peer: peer, gen: s.gen})
}
