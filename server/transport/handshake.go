package transport

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// ---- admission ----

// gate counts the incoming connections: those in handshake, and those from
// each remote IP (handshaking or established).
type gate struct {
	mu         sync.Mutex
	handshakes int
	perAddr    map[string]int
	refused    uint64 // connections refused, for tests and logs
}

// admit reserves a handshake slot and a slot of ip, or says why not.
func (t *Transport) admit(ip string) string {
	g := &t.gate
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.handshakes >= t.cfg.MaxHandshakes:
		return fmt.Sprintf("too many handshakes in flight (%d)", g.handshakes)
	case g.perAddr[ip] >= t.cfg.MaxConnsPerAddr:
		return fmt.Sprintf("too many connections from %s (%d)", ip, g.perAddr[ip])
	}
	g.handshakes++
	g.perAddr[ip]++
	return ""
}

// handshakeDone frees the handshake slot taken by admit.
func (t *Transport) handshakeDone() {
	t.gate.mu.Lock()
	t.gate.handshakes--
	t.gate.mu.Unlock()
}

// release frees the slot of ip taken by admit, when its connection closes.
func (t *Transport) release(ip string) {
	g := &t.gate
	g.mu.Lock()
	if g.perAddr[ip]--; g.perAddr[ip] <= 0 {
		delete(g.perAddr, ip)
	}
	g.mu.Unlock()
}

// gateCounts reports the handshakes in flight, the connections counted per
// address and the connections refused so far.
func (t *Transport) gateCounts() (handshakes, conns int, refused uint64) {
	g := &t.gate
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, n := range g.perAddr {
		conns += n
	}
	return g.handshakes, conns, g.refused
}

// logLimiter lets through a few log lines a second and counts the rest, so
// a flood of bad connections is told in the log without filling the disk.
type logLimiter struct {
	mu         sync.Mutex
	window     time.Time
	n          int
	suppressed int
}

// logLimit is how many refusal lines a second reach the log.
const logLimit = 10

// allow reports whether to log a line now, and how many were held back
// since the last line that was logged.
func (l *logLimiter) allow() (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.window) >= time.Second {
		l.window, l.n = now, 0
	}
	if l.n >= logLimit {
		l.suppressed++
		return false, 0
	}
	l.n++
	s := l.suppressed
	l.suppressed = 0
	return true, s
}

// logRefusal logs a refused incoming connection (rate-limited).
func (t *Transport) logRefusal(remote, why string) {
	t.gate.mu.Lock()
	t.gate.refused++
	t.gate.mu.Unlock()
	ok, more := t.refusals.allow()
	if !ok {
		return
	}
	attrs := []any{slog.String("remote", remote), slog.String("why", why)}
	if more > 0 {
		attrs = append(attrs, slog.Int("notLogged", more))
	}
	t.log.Warn("refusing connection", attrs...)
}

// ---- accepting ----

func (t *Transport) acceptLoop() {
	defer t.wg.Done()
	for {
		nc, err := t.ln.Accept()
		if err != nil {
			if t.isClosed() {
				return
			}
			t.log.Warn("accept failed", slog.Any("error", err))
			select {
			case <-time.After(50 * time.Millisecond):
			case <-t.done:
				return
			}
			continue
		}
		remote := nc.RemoteAddr().String()
		ip, _, err := net.SplitHostPort(remote)
		if err != nil {
			ip = remote
		}
		if why := t.admit(ip); why != "" {
			t.logRefusal(remote, why)
			nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			nc.Write(AppendFrame(nil, FrameReject, []byte(why)))
			nc.Close()
			continue
		}
		t.wg.Add(1)
		go t.handshakeIn(nc, ip)
	}
}

// handshakeIn authenticates an incoming connection (the acceptor's side of
// the handshake in auth.go) and installs it.
func (t *Transport) handshakeIn(nc net.Conn, ip string) {
	defer t.wg.Done()
	defer t.handshakeDone()
	remote := nc.RemoteAddr().String()
	nc.SetDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	var tc *tls.Conn
	if t.tlsServer != nil {
		var err error
		if tc, err = t.tlsAccept(nc); err != nil {
			t.logRefusal(remote, err.Error())
			nc.Close()
			t.release(ip)
			return
		}
		nc = tc
	}
	br := bufio.NewReaderSize(nc, 4096)
	refuse := func(why string) {
		t.logRefusal(remote, why)
		nc.Write(AppendFrame(nil, FrameReject, []byte(why)))
		nc.Close()
		t.release(ip)
	}
	quit := func(err error) {
		if errors.Is(err, ErrFrame) {
			refuse(err.Error())
			return
		}
		t.logRefusal(remote, "handshake: "+err.Error())
		nc.Close()
		t.release(ip)
	}
	f, err := readFrame(br, FrameHello)
	if err != nil {
		quit(err)
		return
	}
	d, err := parseHello(f.Body)
	if err != nil {
		quit(err)
		return
	}
	p := t.peers[d.from]
	mine := len(t.cfg.Secret) > 0
	switch {
	case d.to != t.cfg.ID:
		refuse(fmt.Sprintf("this is server %v, not %v", t.cfg.ID, d.to))
		return
	case d.from == t.cfg.ID:
		refuse(fmt.Sprintf("server id %d is this server's own id", d.from))
		return
	case p == nil:
		refuse(fmt.Sprintf("unknown server id %d (this ensemble: %v)", d.from, t.ids))
		return
	case d.from < t.cfg.ID:
		refuse(fmt.Sprintf("%v must not dial %v: the larger id dials (QuorumCnxManager)", d.from, t.cfg.ID))
		return
	case mine && !d.secret:
		refuse(fmt.Sprintf("server %v requires the ensemble's shared secret (--secret-file); the dialer has none", t.cfg.ID))
		return
	case !mine && d.secret:
		refuse(fmt.Sprintf("server %v has no shared secret but the dialer has one: give every server the same --secret-file", t.cfg.ID))
		return
	}
	if tc != nil {
		if err := certSpeaksFor(tc, p.addr); err != nil {
			refuse(fmt.Sprintf("the dialer cannot be server %v at %s: %v", d.from, p.addr, err))
			return
		}
	}
	if p.fullyCut() {
		t.log.Debug("refusing connection on a cut link", slog.String("peer", d.from.String()))
		nc.Write(AppendFrame(nil, FrameReject, []byte("link cut")))
		nc.Close()
		t.release(ip)
		return
	}
	a := newHello(mine, t.cfg.ID, d.from)
	if _, err := nc.Write(AppendFrame(nil, FrameHello, a.body())); err != nil {
		quit(err)
		return
	}
	if f, err = readFrame(br, FrameAuth); err != nil {
		quit(err)
		return
	}
	if !checkAuth(f.Body, t.cfg.Secret, roleDialer, d, a) {
		refuse(fmt.Sprintf("%v: %v", d.from, errAuth))
		return
	}
	if _, err := nc.Write(AppendFrame(nil, FrameAuth, authMAC(t.cfg.Secret, roleAcceptor, d, a))); err != nil {
		quit(err)
		return
	}
	nc.SetDeadline(time.Time{})
	p.install(nc, br, func() { t.release(ip) })
}

// ---- dialing ----

type rejected string

func (r rejected) Error() string { return "refused: " + string(r) }

// dial connects to the peer, authenticates both ways (the dialer's side of
// the handshake in auth.go) and installs the connection.
func (p *peer) dial() error {
	t := p.t
	nc, err := net.DialTimeout("tcp", p.addr, t.cfg.DialTimeout)
	if err != nil {
		return err
	}
	nc.SetDeadline(time.Now().Add(t.cfg.DialTimeout))
	fail := func(err error) error {
		nc.Close()
		return err
	}
	if t.tlsClient != nil {
		tc, err := t.tlsDial(nc, p.addr)
		if err != nil {
			return fail(err)
		}
		nc = tc
	}
	mine := len(t.cfg.Secret) > 0
	d := newHello(mine, t.cfg.ID, p.id)
	if _, err := nc.Write(AppendFrame(nil, FrameHello, d.body())); err != nil {
		return fail(err)
	}
	br := bufio.NewReaderSize(nc, 4096)
	f, err := readFrame(br, FrameHello, FrameReject)
	if err != nil {
		return fail(err)
	}
	if f.Type == FrameReject {
		return fail(rejected(rejectText(f.Body)))
	}
	a, err := parseHello(f.Body)
	if err != nil {
		return fail(err)
	}
	switch {
	case a.from != p.id || a.to != t.cfg.ID:
		t.log.Warn("wrong server at address", slog.String("addr", p.addr), slog.String("want", p.id.String()), slog.String("got", a.from.String()))
		return fail(fmt.Errorf("server at %s is %v (expecting %v), not %v", p.addr, a.from, a.to, p.id))
	case a.secret != mine:
		return fail(fmt.Errorf("server at %s: secret on one side only (theirs %v, ours %v)", p.addr, a.secret, mine))
	}
	if _, err := nc.Write(AppendFrame(nil, FrameAuth, authMAC(t.cfg.Secret, roleDialer, d, a))); err != nil {
		return fail(err)
	}
	if f, err = readFrame(br, FrameAuth, FrameReject); err != nil {
		return fail(err)
	}
	if f.Type == FrameReject {
		return fail(rejected(rejectText(f.Body)))
	}
	if !checkAuth(f.Body, t.cfg.Secret, roleAcceptor, d, a) {
		t.log.Warn("server failed authentication", slog.String("addr", p.addr), slog.String("peer", p.id.String()))
		return fail(fmt.Errorf("server at %s (%v): %w", p.addr, p.id, errAuth))
	}
	nc.SetDeadline(time.Time{})
	p.install(nc, br, nil)
	return nil
}
