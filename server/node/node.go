package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/view"
	"github.com/zabplay/zabplay/core/ztree"
	"github.com/zabplay/zabplay/server/transport"
)

// Config configures one live server.
type Config struct {
	// ID is this server's id; Peers maps every server of the ensemble (this
	// one, voters and observers) to its quorum address.
	ID    core.NodeID
	Peers map[core.NodeID]string
	// Observers lists the ids in Peers that are observers; the rest vote.
	Observers []core.NodeID
	// Listener, if set, is the quorum listener (tests listen on port 0).
	Listener net.Listener
	// Secret is the ensemble's shared secret: only servers that prove they
	// know it may connect (transport.Config.Secret). Without one the quorum
	// port is open to anyone who reaches it.
	Secret []byte
	// TLS, if set, makes the quorum mutual TLS (transport.Config.TLS).
	TLS *tls.Config
	// HandshakeTimeout, MaxHandshakes and MaxConnsPerAddr bound the quorum
	// port's incoming connections (transport.Config); zero means the
	// transport's default.
	HandshakeTimeout time.Duration
	MaxHandshakes    int
	MaxConnsPerAddr  int
	// Store makes writes durable; Restore is what it held at start.
	Store   Store
	Restore core.Durable
	// TickMs, InitLimit, SyncLimit, ClockMs and SnapCount are core.Config's;
	// zero means the core's default.
	TickMs, InitLimit, SyncLimit, ClockMs, SnapCount int
	// Seed seeds the core's randomness; 0 picks one from the clock (logged).
	Seed uint64
	// Log gets the node's and transport's log lines; nil discards them.
	Log *slog.Logger
	// EventSink, if set, gets every event as one JSON line, written before
	// the event's Publish returns, so before the node acts on it (sends,
	// replies). A supervisor reading it from a pipe (`zabplay node
	// --events-fd`) loses nothing when the process is SIGKILLed: the kernel
	// keeps what was written. A failed write drops the sink.
	EventSink io.Writer
}

// CoreConfig is the core.Config the node runs with.
func (c Config) CoreConfig() core.Config {
	var voters []core.NodeID
	obs := map[core.NodeID]bool{}
	for _, o := range c.Observers {
		obs[o] = true
	}
	for id := range c.Peers {
		if !obs[id] {
			voters = append(voters, id)
		}
	}
	sort.Slice(voters, func(i, j int) bool { return voters[i] < voters[j] })
	return core.Config{
		ID: c.ID, Voters: voters, Observers: c.Observers,
		TickMs: c.TickMs, InitLimit: c.InitLimit, SyncLimit: c.SyncLimit, ClockMs: c.ClockMs, SnapCount: c.SnapCount,
		Rand: rand.New(rand.NewPCG(c.Seed, uint64(c.ID))), Restore: c.Restore,
	}
}

// Validate reports what is wrong with the config.
func (c Config) Validate() error {
	if c.Store == nil {
		return errors.New("node: no Store")
	}
	for _, o := range c.Observers {
		if _, ok := c.Peers[o]; !ok {
			return fmt.Errorf("node: observer %v is not in the peer list", o)
		}
	}
	if _, ok := c.Peers[c.ID]; !ok {
		return fmt.Errorf("node: server %v is not in the peer list", c.ID)
	}
	return c.CoreConfig().Validate()
}

// Node is one running server.
type Node struct {
	cfg   Config
	log   *slog.Logger
	start time.Time
	core  *core.Node
	tr    *transport.Transport
	hub   *Hub

	calls     chan call
	views     chan viewCall
	persisted chan uint64
	stop      chan struct{}
	stopOnce  sync.Once
	wg        sync.WaitGroup
	status    atomic.Pointer[core.Status]
	failure   atomic.Pointer[error]

	pmu     sync.Mutex
	pending []core.Write
	pwake   chan struct{}

	// Owned by the loop goroutine.
	waiters map[replyKey]chan core.Reply
	cxids   map[int64]uint32

	sessionSeq atomic.Int64 // the last one-shot session id (admin requests)
	reads      chan readCall
	smu        sync.Mutex
	sinks      map[int64]ClientSink  // connected sessions (client port)
	connSinks  map[uint64]ClientSink // client connections
}

type replyKey struct {
	session int64
	cxid    uint32
}

// viewCall asks the loop for the core's view.
type viewCall struct {
	o     view.Options
	reply chan view.Server
}

// call is a client request (or, with msg, a client's Connect or
// Disconnect) on its way into the loop.
type call struct {
	req   core.Request
	msg   *core.Message
	reply chan core.Reply
}

// ErrStopped is returned by a node that is closed or failed.
var ErrStopped = errors.New("node: stopped")

// Start runs a server: it listens, connects to its peers and starts looking
// for a leader.
func Start(cfg Config) (*Node, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Seed == 0 {
		cfg.Seed = uint64(time.Now().UnixNano())
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cc := cfg.CoreConfig()
	n := &Node{
		cfg: cfg, log: cfg.Log.With(slog.String("server", cfg.ID.String())), start: time.Now(),
		calls: make(chan call), views: make(chan viewCall), persisted: make(chan uint64, 16), stop: make(chan struct{}),
		pwake: make(chan struct{}, 1), waiters: map[replyKey]chan core.Reply{}, cxids: map[int64]uint32{},
		reads: make(chan readCall), sinks: map[int64]ClientSink{}, connSinks: map[uint64]ClientSink{},
	}
	n.hub = NewHub(n.start)
	n.hub.sink = cfg.EventSink
	n.sessionSeq.Store(int64(cfg.ID)<<56 | (n.start.UnixMilli()&(1<<36-1))<<16)
	tr, err := transport.New(transport.Config{
		ID: cfg.ID, Peers: cfg.Peers, Listener: cfg.Listener, Log: cfg.Log, Secret: cfg.Secret,
		HandshakeTimeout: cfg.HandshakeTimeout, MaxHandshakes: cfg.MaxHandshakes, MaxConnsPerAddr: cfg.MaxConnsPerAddr, TLS: cfg.TLS,
		OnEvent: n.hub.Publish, Clock: n.hub.Now,
	})
	if err != nil {
		return nil, err
	}
	n.tr = tr
	n.core = core.NewNode(cc)
	n.log.Info("server starting", slog.Uint64("seed", cfg.Seed), slog.String("quorum", tr.Addr().String()),
		slog.Int("clockMs", cc.ClockMs), slog.Int("tickMs", cc.TickMs), slog.Bool("secret", len(cfg.Secret) > 0), slog.Bool("tls", cfg.TLS != nil))
	n.saveStatus()
	n.wg.Add(2)
	go n.loop()
	go n.persistLoop()
	return n, nil
}

// Close stops the server at once, like a crash: writes not yet persisted are
// lost, connections break. The Store is closed. It is safe to call twice.
func (n *Node) Close() error {
	n.halt()
	n.wg.Wait()
	n.tr.Close()
	n.hub.Close()
	return n.cfg.Store.Close()
}

func (n *Node) halt() { n.stopOnce.Do(func() { close(n.stop) }) }

// fail stops the node after an unrecoverable error (a failed fsync: ZooKeeper
// exits).
func (n *Node) fail(err error) {
	n.failure.CompareAndSwap(nil, &err)
	n.log.Error("server stopping", slog.Any("error", err))
	n.halt()
}

// Err is the error that stopped the node, or nil.
func (n *Node) Err() error {
	if p := n.failure.Load(); p != nil {
		return *p
	}
	return nil
}

// Done is closed when the node stops (Close, or a fatal error: see Err).
func (n *Node) Done() <-chan struct{} { return n.stop }

// Addr is the quorum address the node listens on.
func (n *Node) Addr() net.Addr { return n.tr.Addr() }

// Hub is where the node's events go.
func (n *Node) Hub() *Hub { return n.hub }

// loop is the one goroutine that owns the core.
func (n *Node) loop() {
	defer n.wg.Done()
	clock := time.Duration(n.cfg.CoreConfig().ClockMs) * time.Millisecond
	if clock == 0 {
		clock = 10 * time.Millisecond
	}
	ticker := time.NewTicker(clock)
	defer ticker.Stop()
	n.handleReady()
	for {
		select {
		case <-n.stop:
			n.failWaiters()
			return
		case <-ticker.C:
			n.core.Tick()
		case in := <-n.tr.Recv():
			if in.Lost {
				n.core.Step(core.Message{Type: core.MsgConnLost, From: in.Peer, To: n.cfg.ID})
			} else {
				m := in.Msg
				n.hub.Publish(core.Event{Kind: core.EvDeliverMsg, Node: m.To, Peer: m.From, Msg: m.Type, ID: in.ID, Text: core.Describe(m)})
				n.core.Step(m)
			}
		case seq := <-n.persisted:
			n.hub.Publish(core.Event{Kind: core.EvFsync, Node: n.cfg.ID, Seq: seq})
			n.core.Step(core.Message{Type: core.MsgPersisted, Seq: seq, To: n.cfg.ID})
		case c := <-n.calls:
			n.takeRequest(c)
		case v := <-n.views:
			v.reply <- view.Of(n.core, v.o)
			continue // nothing changed
		case rc := <-n.reads:
			rc.f(n.core)
			close(rc.done)
			continue // nothing changed
		}
		n.handleReady()
		n.saveStatus()
	}
}

// handleReady performs the core's Ready in its order: persist, close, send,
// reply, Advance.
func (n *Node) handleReady() {
	for n.core.HasReady() {
		rd := n.core.Ready()
		for _, e := range rd.Events {
			n.hub.Publish(e)
			if e.Kind == core.EvRole {
				n.log.Info("role", slog.String("role", e.Role.String()), slog.Uint64("epoch", uint64(e.Epoch)),
					slog.String("leader", e.Leader.String()), slog.String("why", e.Text))
			}
		}
		if len(rd.Writes) > 0 {
			n.pmu.Lock()
			n.pending = append(n.pending, rd.Writes...)
			n.pmu.Unlock()
			select {
			case n.pwake <- struct{}{}:
			default:
			}
		}
		for _, p := range rd.Close {
			n.tr.CloseConn(p)
		}
		for _, m := range rd.Messages {
			n.tr.Send(m)
		}
		for _, r := range rd.Replies {
			n.answer(r)
		}
		n.core.Advance()
	}
}

// persistLoop performs the writes in batches: everything that queued up
// while the previous Persist ran goes in the next one (group commit).
func (n *Node) persistLoop() {
	defer n.wg.Done()
	for {
		select {
		case <-n.pwake:
		case <-n.stop:
			return
		}
		n.pmu.Lock()
		batch := n.pending
		n.pending = nil
		n.pmu.Unlock()
		if len(batch) == 0 {
			continue
		}
		seq, err := n.cfg.Store.Persist(batch)
		if err != nil {
			n.fail(fmt.Errorf("persist: %w", err))
			return
		}
		select {
		case n.persisted <- seq:
		case <-n.stop:
			return
		}
	}
}

func (n *Node) saveStatus() {
	st := n.core.Status()
	st.TreeHash = n.core.Tree().Hash()
	n.status.Store(&st)
}

// Status is what GET /status reports: the core's status (its TreeHash filled
// in), the links, and (from Inspect) the server's view (core/view: its log
// tail and tree), as the playground draws it.
type Status struct {
	core.Status
	Running  bool             `json:"running"`
	Error    string           `json:"error,omitempty"`
	UptimeMs int64            `json:"uptimeMs"`
	Quorum   string           `json:"quorum"`
	Links    []transport.Link `json:"links"`
	View     *view.Server     `json:"view,omitempty"`
}

// Status reports the node's state as of its last handled input.
func (n *Node) Status() Status {
	st := Status{Status: *n.status.Load(), UptimeMs: n.hub.Now(), Quorum: n.tr.Addr().String(), Links: n.tr.Links()}
	select {
	case <-n.stop:
		st.Role = core.Down
	default:
		st.Running = true
	}
	if err := n.Err(); err != nil {
		st.Error = err.Error()
	}
	return st
}

// Inspect reports the node's status with its view (View set), built by the
// loop goroutine between two inputs, so it is the core's state at one
// moment. A node that stopped has no view: ErrStopped (its Status still says
// what it was).
func (n *Node) Inspect(ctx context.Context, o view.Options) (Status, error) {
	v := viewCall{o: o, reply: make(chan view.Server, 1)}
	select {
	case n.views <- v:
	case <-n.stop:
		return n.Status(), ErrStopped
	case <-ctx.Done():
		return n.Status(), ctx.Err()
	}
	sv := <-v.reply // the loop answers before it takes anything else
	st := n.Status()
	st.View = &sv
	return st, nil
}

// Request hands a client request to the core and waits for its reply. A zero
// Session gets a fresh session of this server; a zero Cxid the session's next.
func (n *Node) Request(ctx context.Context, r core.Request) (core.Reply, error) {
	c := call{req: r, reply: make(chan core.Reply, 1)}
	select {
	case n.calls <- c:
	case <-n.stop:
		return core.Reply{}, ErrStopped
	case <-ctx.Done():
		return core.Reply{}, ctx.Err()
	}
	select {
	case rep, ok := <-c.reply:
		if !ok {
			return core.Reply{}, ErrStopped
		}
		return rep, nil
	case <-ctx.Done():
		return core.Reply{}, ctx.Err()
	}
}

func (n *Node) takeRequest(c call) {
	if c.msg != nil {
		n.core.Step(*c.msg)
		return
	}
	r := c.req
	switch {
	case r.Session == 0: // a one-shot session of this server
		r.Session, r.Cxid = n.sessionSeq.Add(1), 1
	case r.Cxid == 0:
		n.cxids[r.Session]++
		r.Cxid = n.cxids[r.Session]
	}
	k := replyKey{r.Session, r.Cxid}
	if _, dup := n.waiters[k]; dup {
		bad := core.Reply{Session: r.Session, Cxid: r.Cxid, Op: r.Op, Err: ztree.BadArguments, Server: n.cfg.ID}
		if c.reply != nil {
			c.reply <- bad
		} else if s := n.route(bad); s != nil {
			s.Deliver(bad)
		}
		return
	}
	if c.reply != nil { // nil: Submit, the answer goes to the session's sink
		n.waiters[k] = c.reply
	}
	n.hub.Publish(core.Event{Kind: core.EvRequest, Node: n.cfg.ID, Client: r.Session, Req: &r})
	n.core.Step(core.Message{Type: core.MsgClientRequest, To: n.cfg.ID, Req: &r})
}

func (n *Node) answer(r core.Reply) {
	n.hub.Publish(core.Event{Kind: core.EvReply, Node: n.cfg.ID, Client: r.Session, Reply: &r})
	k := replyKey{r.Session, r.Cxid}
	if w := n.waiters[k]; w != nil {
		w <- r
		delete(n.waiters, k)
		return
	}
	if s := n.route(r); s != nil {
		s.Deliver(r)
	}
}

func (n *Node) failWaiters() {
	for k, w := range n.waiters {
		close(w)
		delete(n.waiters, k)
	}
}

// SetFaults sets the teaching faults of the link to peer (see
// transport.Faults) and records a cut in the trace.
func (n *Node) SetFaults(peer core.NodeID, d transport.Dir, f transport.Faults) error {
	if err := n.tr.SetFaults(peer, d, f); err != nil {
		return err
	}
	if f.Cut {
		text := n.cfg.ID.String() + "-" + peer.String()
		switch d {
		case transport.Out:
			text = n.cfg.ID.String() + "->" + peer.String()
		case transport.In:
			text = peer.String() + "->" + n.cfg.ID.String()
		}
		n.hub.Publish(core.Event{Kind: core.EvCut, Text: text})
	}
	n.log.Info("link faults set", slog.String("peer", peer.String()), slog.Int("dir", int(d)),
		slog.Bool("cut", f.Cut), slog.Int("delayMs", f.DelayMs), slog.Int("lossPct", f.LossPct))
	return nil
}

// Heal removes every link fault.
func (n *Node) Heal() {
	n.tr.Heal()
	n.hub.Publish(core.Event{Kind: core.EvHeal, Node: n.cfg.ID})
	n.log.Info("links healed")
}

// Links reports the links.
func (n *Node) Links() []transport.Link { return n.tr.Links() }
