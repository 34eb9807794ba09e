package transport

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/zabplay/zabplay/core"
)

// Config configures a Transport.
type Config struct {
	// ID is this server's id.
	ID core.NodeID
	// Peers maps every server of the ensemble, this one included, to its
	// quorum address (host:port).
	Peers map[core.NodeID]string
	// Listener, if set, is used instead of listening on Peers[ID] (tests
	// listen on port 0 first to learn the addresses).
	Listener net.Listener
	// Log gets connection events; nil discards them.
	Log *slog.Logger
	// OnEvent gets the trace events the transport makes (send, drop). It is
	// called with locks held and must not block or call back in.
	OnEvent func(core.Event)
	// Clock returns the milliseconds used for Event.Arrive (the node's trace
	// clock); default: milliseconds since New.
	Clock func() int64
	// BackoffMin and BackoffMax bound the pause between dial attempts
	// (default 10ms and 500ms; it doubles after each failure).
	BackoffMin, BackoffMax time.Duration
	// QueueMax bounds the messages waiting for one peer's connection
	// (default 262,144: a leader's sync of a follower 100,000 txns behind
	// queues a PROPOSAL and a COMMIT for each at once, as ZooKeeper's
	// LearnerHandler does); past it the connection breaks, so the link never
	// has a hole. A learner that stops reading is dropped by its leader
	// within syncLimit anyway, which empties the queue.
	QueueMax int
	// DialTimeout bounds a dial plus its handshake (default 2s).
	DialTimeout time.Duration

	// Secret is the ensemble's shared secret (every server has the same).
	// With one, a connection is installed only after both sides proved they
	// know it (an HMAC-SHA256 challenge–response over both ids and fresh
	// nonces, see auth.go); a server with a different secret or none is
	// refused. Without one the quorum port is open to anyone who reaches it.
	Secret []byte
	// HandshakeTimeout bounds an incoming connection's handshake (default 5s).
	HandshakeTimeout time.Duration
	// MaxHandshakes bounds the incoming handshakes in flight (default 64);
	// past it new connections are refused at once.
	MaxHandshakes int
	// TLS, if set, makes every connection mutual TLS 1.3: it holds this
	// server's certificate (Certificates) and the ensemble's CA (RootCAs);
	// see tls.go for what each side checks. LoadTLS reads one from files.
	TLS *tls.Config
	// MaxConnsPerAddr bounds the incoming connections, handshaking or
	// established, from one remote IP (default len(Peers)+8: every server
	// may run on one host, as serve's loopback ensembles do, plus redials).
	MaxConnsPerAddr int
}

// Inbound is what Recv yields: a message from a peer, or the news that the
// connection to Peer broke (Lost) and everything in flight on it is gone.
type Inbound struct {
	Peer core.NodeID
	Msg  core.Message
	// ID is the message's trace id (the sender's send event carries it).
	ID   uint64
	Lost bool
	// Why says why the connection broke.
	Why string
}

// Transport is one server's end of the ensemble's TCP mesh.
type Transport struct {
	cfg   Config
	log   *slog.Logger
	ln    net.Listener
	start time.Time
	peers map[core.NodeID]*peer
	ids   []core.NodeID // peers, sorted

	inbox  inbox
	slots  chan struct{} // backpressure: one per queued message not yet taken
	out    chan Inbound
	done   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
	mu     sync.Mutex // guards seq
	seq    uint64
	closed bool

	gate     gate // incoming connections in handshake and per remote address
	refusals logLimiter

	tlsServer, tlsClient *tls.Config // nil without Config.TLS
}

// inboxMax bounds the messages read but not yet taken by Recv's reader.
const inboxMax = 4096

// New listens and starts connecting to the peers. It fails on a bad config or
// if it cannot listen.
func New(cfg Config) (*Transport, error) {
	if err := validate(cfg); err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	def := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&cfg.BackoffMin, 10*time.Millisecond)
	def(&cfg.BackoffMax, 500*time.Millisecond)
	def(&cfg.DialTimeout, 2*time.Second)
	def(&cfg.HandshakeTimeout, 5*time.Second)
	if cfg.QueueMax <= 0 {
		cfg.QueueMax = 1 << 18
	}
	if cfg.MaxHandshakes <= 0 {
		cfg.MaxHandshakes = 64
	}
	if cfg.MaxConnsPerAddr <= 0 {
		cfg.MaxConnsPerAddr = len(cfg.Peers) + 8
	}
	cfg.Secret = slices.Clone(cfg.Secret)
	t := &Transport{
		cfg: cfg, log: cfg.Log.With(slog.String("server", cfg.ID.String())), start: time.Now(),
		peers: map[core.NodeID]*peer{}, slots: make(chan struct{}, inboxMax),
		out: make(chan Inbound), done: make(chan struct{}),
	}
	var err error
	if t.tlsServer, t.tlsClient, err = tlsConfigs(cfg.TLS); err != nil {
		return nil, err
	}
	t.inbox.ready = make(chan struct{}, 1)
	t.gate.perAddr = map[string]int{}
	if t.cfg.Clock == nil {
		t.cfg.Clock = func() int64 { return time.Since(t.start).Milliseconds() }
	}
	ln := cfg.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Peers[cfg.ID]); err != nil {
			return nil, fmt.Errorf("transport: %w", err)
		}
	}
	t.ln = ln
	for id, addr := range cfg.Peers {
		if id == cfg.ID {
			continue
		}
		t.peers[id] = &peer{t: t, id: id, addr: addr, wake: make(chan struct{}, 1), redial: make(chan struct{}, 1)}
		t.ids = append(t.ids, id)
	}
	sort.Slice(t.ids, func(i, j int) bool { return t.ids[i] < t.ids[j] })
	t.wg.Add(2)
	go t.acceptLoop()
	go t.pump()
	for _, id := range t.ids {
		if cfg.ID > id { // the larger sid dials (QuorumCnxManager)
			t.wg.Add(1)
			go t.peers[id].dialLoop()
		}
	}
	return t, nil
}

func validate(cfg Config) error {
	if cfg.ID == 0 || cfg.ID > core.MaxNodes {
		return fmt.Errorf("transport: server id %d out of range 1..%d", cfg.ID, core.MaxNodes)
	}
	if _, ok := cfg.Peers[cfg.ID]; !ok && cfg.Listener == nil {
		return fmt.Errorf("transport: server %v has no address in the peer list", cfg.ID)
	}
	for id, addr := range cfg.Peers {
		if id == 0 || id > core.MaxNodes {
			return fmt.Errorf("transport: server id %d out of range 1..%d", id, core.MaxNodes)
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("transport: address of %v: %w", id, err)
		}
	}
	if n := len(cfg.Secret); n > 0 && n < MinSecret {
		return fmt.Errorf("transport: secret of %d bytes, want at least %d", n, MinSecret)
	}
	return nil
}

// Addr is the address the transport listens on.
func (t *Transport) Addr() net.Addr { return t.ln.Addr() }

// Recv yields messages and broken connections, in order per peer.
func (t *Transport) Recv() <-chan Inbound { return t.out }

// Send queues m for m.To and returns its trace id. It never blocks: a message
// to an unknown server, on a cut link or lost by a fault is dropped (with a
// drop event), the last two also breaking the connection.
func (t *Transport) Send(m core.Message) uint64 {
	id := t.nextID()
	p := t.peers[m.To]
	if p == nil {
		t.event(core.Event{Kind: core.EvDrop, Node: m.From, Peer: m.To, Msg: m.Type, ID: id, Reason: "unknown server", Text: core.Describe(m)})
		return id
	}
	p.send(m, id)
	return id
}

// CloseConn closes the connection to peer, as the core asks in Ready.Close:
// what is queued on it is lost and only the far end is told.
func (t *Transport) CloseConn(peer core.NodeID) {
	if p := t.peers[peer]; p != nil {
		p.mu.Lock()
		p.breakLocked("closed by "+t.cfg.ID.String(), false)
		p.mu.Unlock()
	}
}

// Close shuts the transport down at once: listener and connections close,
// queued messages are lost, goroutines end. Peers see their connections break.
func (t *Transport) Close() error {
	t.once.Do(func() {
		t.mu.Lock()
		t.closed = true
		t.mu.Unlock()
		close(t.done)
		t.ln.Close()
		for _, id := range t.ids {
			p := t.peers[id]
			p.mu.Lock()
			p.breakLocked("shutdown", false)
			p.mu.Unlock()
		}
	})
	t.wg.Wait()
	return nil
}

func (t *Transport) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

func (t *Transport) nextID() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seq++
	return uint64(t.cfg.ID)<<48 | t.seq
}

func (t *Transport) event(e core.Event) {
	if t.cfg.OnEvent != nil {
		t.cfg.OnEvent(e)
	}
}

// ---- inbound queue ----

// inbox is an unbounded FIFO that never blocks a push, so a broken
// connection can be queued while its peer's lock is held: that is what orders
// it after the connection's messages and before the next connection's.
type inbox struct {
	mu    sync.Mutex
	items []Inbound
	ready chan struct{}
}

func (b *inbox) push(in Inbound) {
	b.mu.Lock()
	b.items = append(b.items, in)
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

func (b *inbox) take() []Inbound {
	b.mu.Lock()
	defer b.mu.Unlock()
	items := b.items
	b.items = nil
	return items
}

// pump moves the inbox to the Recv channel.
func (t *Transport) pump() {
	defer t.wg.Done()
	for {
		select {
		case <-t.inbox.ready:
		case <-t.done:
			return
		}
		for _, in := range t.inbox.take() {
			select {
			case t.out <- in:
			case <-t.done:
				return
			}
			if !in.Lost {
				<-t.slots
			}
		}
	}
}

// ---- dialing ----

// dialLoop keeps a connection to a peer with a smaller id up.
func (p *peer) dialLoop() {
	t := p.t
	defer t.wg.Done()
	backoff := t.cfg.BackoffMin
	lastErr := ""
	var upSince time.Time // when the last dialled connection came up
	sleep := func() bool {
		select {
		case <-time.After(backoff):
		case <-t.done:
			return false
		}
		backoff = min(2*backoff, t.cfg.BackoffMax)
		return true
	}
	for {
		select {
		case <-t.done:
			return
		default:
		}
		p.mu.Lock()
		connected, cut := p.conn != nil, p.out.Cut && p.in.Cut
		p.mu.Unlock()
		if connected || cut {
			select {
			case <-p.redial:
			case <-t.done:
				return
			}
			continue
		}
		if !upSince.IsZero() {
			// A connection that lived a while is redialled at once; one that
			// broke right away (a one-way cut, a flapping link) backs off.
			short := time.Since(upSince) < time.Second
			upSince = time.Time{}
			if !short {
				backoff = t.cfg.BackoffMin
			} else if !sleep() {
				return
			}
		}
		err := p.dial()
		if err == nil {
			lastErr, upSince = "", time.Now()
			continue
		}
		if t.isClosed() {
			return
		}
		if msg := err.Error(); msg != lastErr {
			lastErr = msg
			var rej rejected
			if errors.As(err, &rej) {
				t.log.Warn("peer refused the connection", slog.String("peer", p.id.String()), slog.String("why", string(rej)))
			} else {
				t.log.Debug("dial failed", slog.String("peer", p.id.String()), slog.Any("error", err))
			}
		}
		if !sleep() {
			return
		}
	}
}

// ---- links ----

// Dir is a direction of a link, seen from this server.
type Dir uint8

// Directions.
const (
	// Out is this server → peer.
	Out Dir = 1 << iota
	// In is peer → this server.
	In
	// Both is Out and In.
	Both = Out | In
)

// ParseDir reads "out", "in" or "both".
func ParseDir(s string) (Dir, error) {
	switch s {
	case "out":
		return Out, nil
	case "in":
		return In, nil
	case "both", "":
		return Both, nil
	}
	return 0, fmt.Errorf("direction %q: want out, in or both", s)
}

// Faults are the teaching faults of one direction of a link.
type Faults struct {
	// Cut drops every message; each drop breaks the connection.
	Cut bool `json:"cut,omitempty"`
	// DelayMs holds every message back this long (order is kept).
	DelayMs int `json:"delayMs,omitempty"`
	// LossPct loses this share of messages; each loss breaks the connection.
	LossPct int `json:"lossPct,omitempty"`
}

// Validate checks the ranges.
func (f Faults) Validate() error {
	if f.DelayMs < 0 || f.DelayMs > 60000 {
		return fmt.Errorf("delayMs %d: want 0..60000", f.DelayMs)
	}
	if f.LossPct < 0 || f.LossPct > 100 {
		return fmt.Errorf("lossPct %d: want 0..100", f.LossPct)
	}
	return nil
}

// Link is the state of the link to one peer.
type Link struct {
	Peer      core.NodeID `json:"peer"`
	Addr      string      `json:"addr"`
	Connected bool        `json:"connected"`
	Queued    int         `json:"queued"`
	Out       Faults      `json:"out"`
	In        Faults      `json:"in"`
}

// Links reports every link, by peer id.
func (t *Transport) Links() []Link {
	out := make([]Link, 0, len(t.ids))
	for _, id := range t.ids {
		p := t.peers[id]
		p.mu.Lock()
		out = append(out, Link{Peer: id, Addr: p.addr, Connected: p.conn != nil, Queued: len(p.queue), Out: p.out, In: p.in})
		p.mu.Unlock()
	}
	return out
}

// SetFaults sets the faults of the link to peer in the given directions. A
// new cut breaks the connection, as the simulator's Cut does.
func (t *Transport) SetFaults(peer core.NodeID, d Dir, f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	p := t.peers[peer]
	if p == nil {
		return fmt.Errorf("no link to %v (peers: %v)", peer, t.ids)
	}
	p.mu.Lock()
	newCut := false
	if d&Out != 0 {
		newCut = newCut || f.Cut && !p.out.Cut
		p.out = f
	}
	if d&In != 0 {
		newCut = newCut || f.Cut && !p.in.Cut
		p.in = f
	}
	if newCut {
		p.breakLocked("cut", true)
	}
	p.mu.Unlock()
	signal(p.redial)
	return nil
}

// Heal removes every fault of every link.
func (t *Transport) Heal() {
	for _, id := range t.ids {
		t.SetFaults(id, Both, Faults{})
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

var _ io.Closer = (*Transport)(nil)
