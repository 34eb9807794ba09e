package zkserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/server/node"
	"github.com/zabplay/zabplay/server/zkwire"
)

// Backend is the server a client port serves: a *node.Node.
type Backend interface {
	Connect(ctx context.Context, c core.Connect, s node.ClientSink) error
	Disconnect(conn uint64, session int64, s node.ClientSink)
	Submit(ctx context.Context, r core.Request) error
	Read(ctx context.Context, f func(*core.Node)) error
	Status() node.Status
	Done() <-chan struct{}
}

var _ Backend = (*node.Node)(nil)

// Config configures a client port.
type Config struct {
	Backend Backend
	// TickMs is the server's tickTime, which conf prints with the session
	// timeout bounds (the core negotiates a timeout into [2, 20] ticks).
	TickMs int
	// MaxConns and MaxConnsPerIP cap the connections at once, in all and
	// from one IP address (ZooKeeper's maxClientCnxns is per IP, 60 by
	// default); 0 means 1024 and 60.
	MaxConns, MaxConnsPerIP int
	// HandshakeTimeout bounds the time from accept to a complete
	// ConnectRequest; 0 means 10 s.
	HandshakeTimeout time.Duration
	// WriteTimeout bounds one write to a client; 0 means 10 s. A client that
	// does not read is disconnected.
	WriteTimeout time.Duration
	// MaxFrame is jute.maxbuffer; 0 means zkwire.DefaultMaxFrame.
	MaxFrame int
	// MaxOutstanding is the requests of one connection in flight before the
	// port stops reading it (ZooKeeper's globalOutstandingLimit throttling);
	// 0 means 1000.
	MaxOutstanding int
	// Conf is what the conf word prints (ClientPort is filled in).
	Conf zkwire.ConfInfo
	// Log gets one line per refused or broken connection; nil discards.
	Log *slog.Logger
}

func (c *Config) defaults() {
	if c.TickMs <= 0 {
		c.TickMs = 2000
	}
	if c.MaxConns <= 0 {
		c.MaxConns = 1024
	}
	if c.MaxConnsPerIP <= 0 {
		c.MaxConnsPerIP = 60
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = 10 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.MaxFrame <= 0 {
		c.MaxFrame = zkwire.DefaultMaxFrame
	}
	if c.MaxOutstanding <= 0 {
		c.MaxOutstanding = 1000
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// MinSessionTimeout and MaxSessionTimeout are the bounds a requested
// session timeout is clamped to (ZooKeeperServer.getMin/MaxSessionTimeout).
func (c *Config) MinSessionTimeout() int32 { return int32(2 * c.TickMs) }

// MaxSessionTimeout is 20 ticks.
func (c *Config) MaxSessionTimeout() int32 { return int32(20 * c.TickMs) }

// Server is one server's client port.
type Server struct {
	cfg   Config
	log   *slog.Logger
	ln    net.Listener
	start time.Time

	quit   chan struct{}
	connID atomic.Uint64 // the last Connect.Conn handed out

	mu     sync.Mutex
	conns  map[*conn]struct{}
	perIP  map[string]int
	closed bool
	wg     sync.WaitGroup

	stats    stats
	refusals atomic.Int64 // refusals not logged (rate limit)
	lastLog  atomic.Int64 // unix ms of the last refusal logged
}

// stats are the counters srvr, stat and mntr print.
type stats struct {
	received, sent atomic.Int64

	mu             sync.Mutex
	latMin, latMax int64
	latSum, latN   int64
}

func (s *stats) latency(ms int64) {
	s.mu.Lock()
	if s.latN == 0 || ms < s.latMin {
		s.latMin = ms
	}
	s.latMax = max(s.latMax, ms)
	s.latSum += ms
	s.latN++
	s.mu.Unlock()
}

func (s *stats) latencies() (lo int64, avg float64, hi int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.latN > 0 {
		avg = float64(s.latSum) / float64(s.latN)
	}
	return s.latMin, avg, s.latMax
}

// Listen opens a client port on addr and serves it until Close.
func Listen(addr string, cfg Config) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("client port: %w", err)
	}
	return Serve(ln, cfg), nil
}

// Serve serves the client protocol on ln until Close.
func Serve(ln net.Listener, cfg Config) *Server {
	cfg.defaults()
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		cfg.Conf.ClientPort = a.Port
	}
	s := &Server{cfg: cfg, log: cfg.Log, ln: ln, start: time.Now(), conns: map[*conn]struct{}{}, perIP: map[string]int{}, quit: make(chan struct{})}
	s.wg.Add(2)
	go s.accept()
	go s.watchDone()
	return s
}

// Addr is the address the port listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops accepting, closes every connection and waits for their
// goroutines. Sessions are not closed: they expire, or move to another
// server, as when a ZooKeeper server stops.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.quit)
	err := s.ln.Close()
	for c := range s.conns {
		c.close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		ip := hostOf(nc.RemoteAddr())
		s.mu.Lock()
		switch {
		case s.closed:
			s.mu.Unlock()
			nc.Close()
			return
		case len(s.conns) >= s.cfg.MaxConns:
			s.mu.Unlock()
			s.refuse(nc, fmt.Sprintf("too many connections: max is %d", s.cfg.MaxConns))
			continue
		case s.perIP[ip] >= s.cfg.MaxConnsPerIP:
			s.mu.Unlock()
			// NIOServerCnxnFactory: "Too many connections from /IP - max is 60".
			s.refuse(nc, fmt.Sprintf("too many connections from %s - max is %d", ip, s.cfg.MaxConnsPerIP))
			continue
		}
		c := newConn(s, nc, ip)
		s.conns[c] = struct{}{}
		s.perIP[ip]++
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			if s.perIP[ip]--; s.perIP[ip] <= 0 {
				delete(s.perIP, ip)
			}
			s.mu.Unlock()
		}()
	}
}

// refuse closes a connection the caps do not let in, logging at most one
// line a second (and how many were not logged).
func (s *Server) refuse(nc net.Conn, why string) {
	nc.Close()
	now := time.Now().UnixMilli()
	last := s.lastLog.Load()
	if now-last < 1000 || !s.lastLog.CompareAndSwap(last, now) {
		s.refusals.Add(1)
		return
	}
	s.log.Warn("client connection refused", slog.String("remote", nc.RemoteAddr().String()),
		slog.String("why", why), slog.Int64("notLogged", s.refusals.Swap(0)))
}

// watchDone closes every connection when the server stops. (When it
// leaves the broadcast phase the core itself drops its clients: each
// connection gets a Disconnected notification and closes.)
func (s *Server) watchDone() {
	defer s.wg.Done()
	select {
	case <-s.cfg.Backend.Done():
		s.closeAll()
	case <-s.quit:
	}
}

func (s *Server) closeAll() {
	s.mu.Lock()
	for c := range s.conns {
		c.close()
	}
	s.mu.Unlock()
}

// serving reports whether a server answers clients: it is in the broadcast
// phase, as an established leader or a synced learner.
func serving(st node.Status) bool {
	if !st.Running || st.Phase != core.PhaseBroadcast {
		return false
	}
	switch st.Role {
	case core.Leading:
		return st.Established
	case core.Following, core.Observing:
		return true
	}
	return false
}

func hostOf(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}
