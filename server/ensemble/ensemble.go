package ensemble

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/script"
	"github.com/zabplay/zabplay/core/view"
	"github.com/zabplay/zabplay/server/node"
	"github.com/zabplay/zabplay/server/storage"
	"github.com/zabplay/zabplay/server/transport"
	"github.com/zabplay/zabplay/server/zkserver"
)

// Spec is the body of POST /api/ensembles.
type Spec struct {
	Voters      int `json:"voters"`
	Observers   int `json:"observers"`
	LinkDelayMs int `json:"linkDelayMs"`
	// Seed seeds the picks of the ensemble's actions (follower, observer:
	// core/script); 0 picks a random one.
	Seed uint64 `json:"seed,omitempty"`
}

// Validate checks the ranges of the contract.
func (s Spec) Validate() error {
	switch {
	case s.Voters < 1 || s.Voters > core.MaxVoters:
		return fmt.Errorf("voters %d: want 1..%d", s.Voters, core.MaxVoters)
	case s.Observers < 0 || s.Observers > core.MaxObservers:
		return fmt.Errorf("observers %d: want 0..%d", s.Observers, core.MaxObservers)
	case s.LinkDelayMs < 0 || s.LinkDelayMs > 5000:
		return fmt.Errorf("linkDelayMs %d: want 0..5000", s.LinkDelayMs)
	}
	return nil
}

// server is what the ensemble needs of a running server: a *node.Node in
// this process, or a *proc (process.go) in a `zabplay node` child. Inspect
// is its status with its view (core/view, what State shows of it). Close is
// a crash. A server that can really stop (SIGSTOP) also implements pauser.
type server interface {
	Status() node.Status
	Inspect(ctx context.Context, o view.Options) (node.Status, error)
	Request(ctx context.Context, r core.Request) (core.Reply, error)
	SetFaults(peer core.NodeID, d transport.Dir, f transport.Faults) error
	Close() error
}

var _ server = (*node.Node)(nil)

// inproc is a server in this process: the node and its client port
// (ZooKeeper's client protocol on loopback), which a crash closes first.
type inproc struct {
	*node.Node
	port *zkserver.Server
}

// Close closes the client port, then crashes the node.
func (p *inproc) Close() error {
	p.port.Close()
	return p.Node.Close()
}

// member is one server of an ensemble.
type member struct {
	id       core.NodeID
	observer bool
	addr     string
	admin    string // process mode: the child's admin address, kept across restarts
	client   string // its client port (ZooKeeper's protocol, loopback), kept across restarts
	dir      string
	n        server // nil while down
	paused   bool
	last     node.Status // the status when it went down
	// crashAt is when crash was asked of the running incarnation (for its
	// crash event; under e.mu). Each incarnation has its own: a crash
	// event that comes late still has its time.
	crashAt *int64
	ended   <-chan struct{} // closed when the running incarnation's events are all read
}

// Ensemble is one live ensemble: its servers, their links' faults, its
// event stream and viewers.
type Ensemble struct {
	ID     string
	client string
	token  string // the capability token acting and DELETE take
	spec   Spec
	dir    string
	log    *slog.Logger
	opts   *Options
	start  time.Time
	stream *stream
	secret []byte // the quorum's shared secret, random per ensemble
	seed   uint64 // seeds the interpreter's picks (Spec.Seed, or random)

	interpOnce sync.Once
	interp     *script.Interp // the actions' interpreter (actions.go)

	act sync.Mutex // one fault action at a time (client requests run beside them)

	states stateBuilds

	mu           sync.Mutex
	members      []*member     // by id-1
	cut          [][]bool      // [from-1][to-1]
	delay        [][]int       // [from-1][to-1]
	actions      []view.Action // the latest (at most 2*actionsMax)
	actionsTotal int
	viewers      int
	lastActive   time.Time // the manager's clock
	created      time.Time // the manager's clock
	bucket       bucket    // the actions' rate limit
	reserved     []*reservation
	capsApplied  core.Zxid // the tree's last txn when reserved was last pruned
	lastStats    treeStats // what treeStats last found
	stopped      bool
}

// Token is the capability token that acting on the ensemble and deleting it
// take (README.md: Authorization: Bearer TOKEN).
func (e *Ensemble) Token() string { return e.token }

func newEnsemble(id, client string, spec Spec, dir string, opts *Options, now time.Time) (*Ensemble, error) {
	e := &Ensemble{ID: id, client: client, spec: spec, dir: dir, opts: opts, start: time.Now(), lastActive: now, created: now,
		log: opts.Log.With(slog.String("ensemble", id))}
	e.stream = newStream(e.start)
	e.seed = spec.Seed
	if e.seed == 0 {
		e.seed = rand.Uint64()
	}
	size := spec.Voters + spec.Observers
	peers := map[core.NodeID]string{}
	lns := make([]net.Listener, size)
	fail := func(err error) (*Ensemble, error) {
		for _, ln := range lns {
			if ln != nil {
				ln.Close()
			}
		}
		e.stop("failed to start")
		return nil, err
	}
	e.secret = transport.NewSecret()
	if opts.Mode == Process { // the children read it from a 0600 file, never from their command line
		if err := transport.WriteSecretFile(e.secretFile(), e.secret); err != nil {
			return fail(err)
		}
	}
	for i := 0; i < size; i++ {
		id := core.NodeID(i + 1)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fail(fmt.Errorf("listen: %w", err))
		}
		lns[i] = ln
		m := &member{id: id, observer: i >= spec.Voters, addr: ln.Addr().String(), dir: filepath.Join(dir, id.String())}
		if err := os.Mkdir(m.dir, 0o700); err != nil {
			return fail(err)
		}
		peers[id] = m.addr
		e.members = append(e.members, m)
	}
	e.cut, e.delay = make([][]bool, size), make([][]int, size)
	for i := range size {
		e.cut[i], e.delay[i] = make([]bool, size), make([]int, size)
		for j := range size {
			if i != j {
				e.delay[i][j] = spec.LinkDelayMs
			}
		}
	}
	for i, m := range e.members {
		if err := e.boot(m, lns[i], nil); err != nil {
			lns[i] = nil
			for _, l := range lns[i+1:] {
				if l != nil {
					l.Close()
				}
			}
			clear(lns)
			return fail(err)
		}
		lns[i] = nil
	}
	return e, nil
}

func (e *Ensemble) peers() map[core.NodeID]string {
	p := map[core.NodeID]string{}
	for _, m := range e.members {
		p[m.id] = m.addr
	}
	return p
}

func (e *Ensemble) observerIDs() []core.NodeID {
	var out []core.NodeID
	for _, m := range e.members {
		if m.observer {
			out = append(out, m.id)
		}
	}
	return out
}

// boot starts member m from its data dir, on ln or (a restart) a new
// listener on its old address; first is the event emitted before its own.
// e.mu need not be held: only the action in progress touches m.
func (e *Ensemble) boot(m *member, ln net.Listener, first *core.Event) error {
	if e.opts.Mode == Process {
		return e.bootProcess(m, ln, first)
	}
	if ln == nil {
		var err error
		deadline := time.Now().Add(3 * time.Second)
		for {
			if ln, err = net.Listen("tcp", m.addr); err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond) // the old port is being released
		}
		if err != nil {
			return fmt.Errorf("%v: listen on %s: %w", m.id, m.addr, err)
		}
	}
	disk, durable, err := storage.Open(m.dir, e.log)
	if err != nil {
		ln.Close()
		return fmt.Errorf("%v: %w", m.id, err)
	}
	o := e.opts
	cfg := node.Config{
		ID: m.id, Peers: e.peers(), Observers: e.observerIDs(), Listener: ln, Secret: e.secret, Store: disk, Restore: durable,
		TickMs: o.TickMs, ClockMs: o.ClockMs, InitLimit: o.InitLimit, SyncLimit: o.SyncLimit, Log: e.log,
		SnapCount: o.SnapCount,
	}
	n, err := node.Start(cfg)
	if err != nil {
		ln.Close()
		disk.Close()
		return fmt.Errorf("%v: %w", m.id, err)
	}
	port, err := e.clientPort(m, n, cfg)
	if err != nil {
		n.Close()
		return err
	}
	sub := n.Hub().Subscribe(o.mergeBuffer())
	nodeZero := time.Now().Add(-time.Duration(n.Hub().Now()) * time.Millisecond)
	offset := nodeZero.Sub(e.start).Milliseconds()
	ended := make(chan struct{})
	crashAt := new(int64)
	e.mu.Lock()
	m.ended, m.crashAt = ended, crashAt
	e.mu.Unlock()
	e.stream.addSource(m.id, offset, sub.C, first, func() *core.Event {
		defer close(ended)
		e.mu.Lock()
		at := *crashAt
		e.mu.Unlock()
		if at == 0 {
			return nil
		}
		return &core.Event{At: at, Kind: core.EvCrash, Node: m.id}
	})
	e.mu.Lock()
	m.n, m.client = &inproc{Node: n, port: port}, port.Addr().String()
	e.mu.Unlock()
	e.applyFaults(m.id)
	return nil
}

// clientPort opens member m's client port on loopback: a new port at the
// first boot, its old one at a restart (a client reconnects where it was).
func (e *Ensemble) clientPort(m *member, n *node.Node, cfg node.Config) (*zkserver.Server, error) {
	addr := m.client
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	zc := zkserver.Config{Backend: n, TickMs: e.opts.TickMs, Log: e.log, Conf: zkserver.ConfOf(cfg, m.dir)}
	deadline := time.Now().Add(3 * time.Second)
	for {
		port, err := zkserver.Listen(addr, zc)
		if err == nil {
			return port, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%v: client port: %w", m.id, err)
		}
		time.Sleep(20 * time.Millisecond) // the old port is being released
	}
}

// crash stops member m at once (node Close: what was not fsynced is lost).
func (e *Ensemble) crash(m *member) error {
	e.mu.Lock()
	n := m.n
	if n == nil {
		e.mu.Unlock()
		return fmt.Errorf("%v is already down", m.id)
	}
	*m.crashAt = e.stream.now()
	ended := m.ended
	e.mu.Unlock()
	last := n.Status()
	e.mu.Lock()
	m.last = last // State reads it under e.mu
	e.mu.Unlock()
	err := n.Close()
	select { // its last events, then the crash event, are in the stream
	case <-ended:
	case <-time.After(5 * time.Second):
		e.log.Warn("a crashed server's last events are late; its crash event follows them", slog.String("server", m.id.String()))
	}
	e.mu.Lock()
	m.n, m.paused = nil, false
	e.mu.Unlock()
	if err != nil && !errors.Is(err, os.ErrClosed) {
		e.log.Warn("closing a server", slog.String("server", m.id.String()), slog.Any("error", err))
	}
	return nil
}

// restart starts a down member again from its data dir.
func (e *Ensemble) restart(m *member) error {
	e.mu.Lock()
	up := m.n != nil
	e.mu.Unlock()
	if up {
		return fmt.Errorf("%v is already running", m.id)
	}
	return e.boot(m, nil, &core.Event{At: e.stream.now(), Kind: core.EvRestart, Node: m.id})
}

// cutNow reports whether from→to drops everything: cut, or (in process,
// where a pause is simulated by cuts) an end paused. e.mu is held.
func (e *Ensemble) cutNow(from, to core.NodeID) bool {
	simPause := e.opts.Mode != Process && (e.members[from-1].paused || e.members[to-1].paused)
	return e.cut[from-1][to-1] || simPause
}

// applyFaults sets the faults of every link of server id on both ends (each
// node controls its own end: the sender delays and cuts, the receiver cuts).
func (e *Ensemble) applyFaults(ids ...core.NodeID) {
	type set struct {
		n    server
		peer core.NodeID
		dir  transport.Dir
		f    transport.Faults
	}
	var sets []set
	e.mu.Lock()
	touched := map[[2]core.NodeID]bool{}
	for _, id := range ids {
		for _, m := range e.members {
			if m.id == id {
				continue
			}
			touched[[2]core.NodeID{id, m.id}] = true
			touched[[2]core.NodeID{m.id, id}] = true
		}
	}
	for l := range touched {
		from, to := l[0], l[1]
		f := transport.Faults{Cut: e.cutNow(from, to), DelayMs: e.delay[from-1][to-1]}
		if n := e.members[from-1].n; n != nil {
			sets = append(sets, set{n, to, transport.Out, f})
		}
		if n := e.members[to-1].n; n != nil {
			sets = append(sets, set{n, from, transport.In, transport.Faults{Cut: f.Cut}})
		}
	}
	e.mu.Unlock()
	for _, s := range sets {
		if err := s.n.SetFaults(s.peer, s.dir, s.f); err != nil {
			e.log.Warn("set faults", slog.Any("error", err))
		}
	}
}

func (e *Ensemble) allIDs() []core.NodeID {
	ids := make([]core.NodeID, len(e.members))
	for i, m := range e.members {
		ids[i] = m.id
	}
	return ids
}

// stop crashes every server and ends the stream; the manager removes the dir.
func (e *Ensemble) stop(reason string) {
	e.act.Lock()
	defer e.act.Unlock()
	e.mu.Lock()
	if e.stopped {
		e.mu.Unlock()
		return
	}
	e.stopped = true
	var ns []server
	for _, m := range e.members {
		if m.n != nil {
			ns = append(ns, m.n)
			m.n = nil
		}
	}
	e.mu.Unlock()
	var wg sync.WaitGroup
	for _, n := range ns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.Close()
		}()
	}
	wg.Wait()
	e.stream.close(reason)
}

// touch records activity for the idle reaper.
func (e *Ensemble) touch(now time.Time) {
	e.mu.Lock()
	e.lastActive = now
	e.mu.Unlock()
}
