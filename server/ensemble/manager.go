package ensemble

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"os"
	"sort"
	"sync"
	"time"
)

// Mode says how an ensemble's servers run.
type Mode string

// Modes.
const (
	// InProcess runs each server as a node.Node inside serve.
	InProcess Mode = "inprocess"
	// Process runs each server as a `zabplay node` child process.
	Process Mode = "process"
)

// ParseMode reads --ensemble-mode.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case InProcess, Process:
		return Mode(s), nil
	}
	return "", fmt.Errorf("ensemble mode %q: want inprocess or process", s)
}

// Options configure a Manager. Zero fields take the defaults of `serve`.
type Options struct {
	Log *slog.Logger
	// Root holds the ensembles' data dirs; "" makes a temp dir (removed by
	// Close).
	Root string
	// MaxEnsembles and MaxPerClient cap the ensembles running at once, in
	// all and per client (see TrustedProxies); defaults 20 and 3.
	MaxEnsembles, MaxPerClient int
	// Idle is how long an ensemble with no viewer and no action lives
	// (default 10m).
	Idle time.Duration
	// MaxLifetime is how long an ensemble lives at most, even while watched
	// (default 1h).
	MaxLifetime time.Duration
	// EnsembleRate and ClientRate are the actions a second allowed on one
	// ensemble and from one client (token buckets with a burst of two
	// seconds' worth, at least 5); defaults 10 and 20; below zero, no limit.
	// A create counts as an action of its client.
	EnsembleRate, ClientRate float64
	// MaxViewers and MaxViewersPerClient cap the websockets watching one
	// ensemble and those of one client (defaults 100 and 20; below zero, no
	// limit).
	MaxViewers, MaxViewersPerClient int
	// MaxZnodes and MaxDataBytes cap an ensemble's tree: znodes, and the
	// bytes of their values (defaults 1000 and 256 KiB; below zero, no limit).
	// A write over a cap is refused before it reaches a server.
	MaxZnodes, MaxDataBytes int
	// SnapCount is the txns each server logs between snapshots (default
	// 1000; ZooKeeper's 100000 keeps a long log on disk and in memory).
	SnapCount int
	// TrustedProxies are the proxies whose X-Forwarded-For is believed: a
	// request from one counts against the rightmost address of that header
	// that is not a trusted proxy. IPv6 clients count by /64.
	TrustedProxies []netip.Prefix
	// Mode is how servers run (default InProcess).
	Mode Mode
	// AllowedOrigins are more websocket origins (host[:port] patterns, as
	// coder/websocket's OriginPatterns); the page's own host is always allowed.
	AllowedOrigins []string
	// Now is the clock of the idle reaper (default time.Now; tests inject one).
	Now func() time.Time
	// Timing of every server (defaults: tick 200ms, clock 10ms, initLimit 10,
	// syncLimit 5).
	TickMs, ClockMs, InitLimit, SyncLimit int
	// ViewerBuffer is how many events a viewer may fall behind by before it
	// gets a gap marker and a fresh snapshot (default 4096).
	ViewerBuffer int
	// MergeBuffer is the merger's buffer per server (default 16384).
	MergeBuffer int
	// NodeBinary is the `zabplay` binary whose `node` command runs each
	// server in Process mode (default os.Executable(); tests build one).
	NodeBinary string
}

func (o *Options) defaults() {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&o.MaxEnsembles, 20)
	def(&o.MaxPerClient, 3)
	def(&o.SnapCount, 1000)
	lim := func(p *int, v int) {
		switch {
		case *p == 0:
			*p = v
		case *p < 0:
			*p = math.MaxInt
		}
	}
	lim(&o.MaxViewers, 100)
	lim(&o.MaxViewersPerClient, 20)
	lim(&o.MaxZnodes, 1000)
	lim(&o.MaxDataBytes, 256<<10)
	if o.EnsembleRate == 0 {
		o.EnsembleRate = 10
	}
	if o.ClientRate == 0 {
		o.ClientRate = 20
	}
	if o.MaxLifetime <= 0 {
		o.MaxLifetime = time.Hour
	}
	def(&o.TickMs, 200)
	def(&o.ClockMs, 10)
	def(&o.InitLimit, 10)
	def(&o.SyncLimit, 5)
	def(&o.ViewerBuffer, 4096)
	def(&o.MergeBuffer, 16384)
	if o.Idle <= 0 {
		o.Idle = 10 * time.Minute
	}
	if o.Mode == "" {
		o.Mode = InProcess
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

func (o *Options) mergeBuffer() int { return o.MergeBuffer }

// Manager runs the live ensembles of one `serve`.
type Manager struct {
	opts    Options
	root    string
	ownRoot bool

	limits limiter

	mu        sync.Mutex
	ensembles map[string]*Ensemble
	starting  map[string]int // creates in progress, by client
	viewers   map[string]int // websockets open, by client
	closed    bool
	stopReap  chan struct{}
	closeOnce sync.Once
	closeErr  error
	reapDone  chan struct{}
}

// ErrCap is a create refused because a cap is reached.
var ErrCap = errors.New("cap reached")

// ErrNotFound is an unknown ensemble id.
var ErrNotFound = errors.New("no such ensemble")

// New makes a manager and starts its idle reaper.
func New(opts Options) (*Manager, error) {
	opts.defaults()
	if err := opts.processDefaults(); err != nil {
		return nil, err
	}
	m := &Manager{opts: opts, root: opts.Root, ensembles: map[string]*Ensemble{}, starting: map[string]int{},
		viewers: map[string]int{}, stopReap: make(chan struct{}), reapDone: make(chan struct{})}
	if m.root == "" {
		removeStaleRoots(os.TempDir(), opts.Log)
		dir, err := makeRoot(os.TempDir())
		if err != nil {
			return nil, err
		}
		m.root, m.ownRoot = dir, true
	}
	go m.reapLoop()
	return m, nil
}

// Root is the directory holding the ensembles' data dirs.
func (m *Manager) Root() string { return m.root }

// newID is an ensemble id: 128 random bits, in hex (the id is a link anyone
// may share to watch; it cannot be guessed).
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return "e-" + hex.EncodeToString(b[:])
}

// newToken is an ensemble's capability token: 256 random bits, base64url.
func newToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Create starts an ensemble for client. Its Token is what acting on it and
// deleting it take.
func (m *Manager) Create(client string, spec Spec) (*Ensemble, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, errors.New("the server is shutting down")
	}
	if len(m.ensembles) >= m.opts.MaxEnsembles {
		m.mu.Unlock()
		return nil, fmt.Errorf("%w: %d ensembles are running, the most this server runs", ErrCap, m.opts.MaxEnsembles)
	}
	mine := m.starting[client]
	for _, e := range m.ensembles {
		if e != nil && e.client == client {
			mine++
		}
	}
	if mine >= m.opts.MaxPerClient {
		m.mu.Unlock()
		return nil, fmt.Errorf("%w: you have %d ensembles running, the most per client: delete one first", ErrCap, mine)
	}
	id := newID()
	for m.ensembles[id] != nil {
		id = newID()
	}
	m.ensembles[id] = nil // reserved: counts against the caps while it starts
	m.starting[client]++
	m.mu.Unlock()

	dir, err := os.MkdirTemp(m.root, id+"-")
	var e *Ensemble
	if err == nil {
		e, err = newEnsemble(id, client, spec, dir, &m.opts, m.opts.Now())
		if err != nil {
			os.RemoveAll(dir)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.starting[client]--; m.starting[client] == 0 {
		delete(m.starting, client)
	}
	if err != nil {
		delete(m.ensembles, id)
		return nil, fmt.Errorf("starting the ensemble: %w", err)
	}
	e.token = newToken()
	if m.closed {
		delete(m.ensembles, id)
		go m.destroy(e, "the server is shutting down")
		return nil, errors.New("the server is shutting down")
	}
	m.ensembles[id] = e
	m.opts.Log.Info("ensemble started", slog.String("ensemble", id), slog.String("client", client),
		slog.Int("voters", spec.Voters), slog.Int("observers", spec.Observers), slog.Int("linkDelayMs", spec.LinkDelayMs))
	return e, nil
}

// Get looks an ensemble up.
func (m *Manager) Get(id string) (*Ensemble, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.ensembles[id]
	if e == nil {
		return nil, fmt.Errorf("%w %q", ErrNotFound, id)
	}
	return e, nil
}

// Delete stops an ensemble and removes its data.
func (m *Manager) Delete(id, reason string) error {
	m.mu.Lock()
	e := m.ensembles[id]
	if e == nil {
		m.mu.Unlock()
		return fmt.Errorf("%w %q", ErrNotFound, id)
	}
	delete(m.ensembles, id)
	m.mu.Unlock()
	m.destroy(e, reason)
	return nil
}

func (m *Manager) destroy(e *Ensemble, reason string) {
	e.stop(reason)
	if err := os.RemoveAll(e.dir); err != nil {
		m.opts.Log.Warn("removing an ensemble's data", slog.String("ensemble", e.ID), slog.Any("error", err))
	}
	m.opts.Log.Info("ensemble stopped", slog.String("ensemble", e.ID), slog.String("why", reason))
}

// IDs lists the running ensembles.
func (m *Manager) IDs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []string
	for id, e := range m.ensembles {
		if e != nil {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Reap stops every ensemble with no viewer and no action for Options.Idle,
// and every one older than Options.MaxLifetime, as of the manager's clock,
// and returns their ids.
func (m *Manager) Reap() []string {
	now := m.opts.Now()
	m.mu.Lock()
	type gone struct {
		e   *Ensemble
		why string
	}
	var out []gone
	for id, e := range m.ensembles {
		if e == nil {
			continue
		}
		e.mu.Lock()
		idle := e.viewers == 0 && now.Sub(e.lastActive) >= m.opts.Idle
		old := now.Sub(e.created) >= m.opts.MaxLifetime
		e.mu.Unlock()
		switch {
		case old:
			out = append(out, gone{e, fmt.Sprintf("this live ensemble reached the longest it may run (%v): start a new one", m.opts.MaxLifetime)})
		case idle:
			out = append(out, gone{e, fmt.Sprintf("idle for %v", m.opts.Idle)})
		default:
			continue
		}
		delete(m.ensembles, id)
	}
	m.mu.Unlock()
	var ids []string
	for _, g := range out {
		m.destroy(g.e, g.why)
		ids = append(ids, g.e.ID)
	}
	sort.Strings(ids)
	m.pruneBuckets()
	return ids
}

func (m *Manager) reapLoop() {
	defer close(m.reapDone)
	t := time.NewTicker(min(max(m.opts.Idle/10, time.Second), max(m.opts.MaxLifetime/10, time.Second)))
	defer t.Stop()
	for {
		select {
		case <-t.C:
			m.Reap()
		case <-m.stopReap:
			return
		}
	}
}

// Close stops every ensemble and removes their data (and the root, if the
// manager made it). Later creates fail. Every call waits until it is done.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() { m.closeErr = m.close() })
	return m.closeErr
}

func (m *Manager) close() error {
	m.mu.Lock()
	m.closed = true
	var all []*Ensemble
	for id, e := range m.ensembles {
		if e != nil {
			all = append(all, e)
		}
		delete(m.ensembles, id)
	}
	m.mu.Unlock()
	close(m.stopReap)
	<-m.reapDone
	var wg sync.WaitGroup
	for _, e := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.destroy(e, "the server is shutting down")
		}()
	}
	wg.Wait()
	if m.ownRoot {
		return os.RemoveAll(m.root)
	}
	return nil
}
