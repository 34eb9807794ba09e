package transport

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
)

// rawHello opens a connection to addr by hand and exchanges Hellos: h is
// sent, the acceptor's Hello returned. A Reject is returned as a rejected
// error.
func rawHello(addr string, h hello) (net.Conn, *bufio.Reader, hello, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, nil, hello{}, err
	}
	return rawHelloOn(nc, h)
}

// rawHelloOn is rawHello on an open connection.
func rawHelloOn(nc net.Conn, h hello) (net.Conn, *bufio.Reader, hello, error) {
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(nc)
	if _, err := nc.Write(AppendFrame(nil, FrameHello, h.body())); err != nil {
		nc.Close()
		return nil, nil, hello{}, err
	}
	f, err := ReadFrame(br)
	if err == nil && f.Type == FrameReject {
		err = rejected(rejectText(f.Body))
	} else if err == nil && f.Type != FrameHello {
		err = fmt.Errorf("got a %s frame", f.Type)
	}
	var a hello
	if err == nil {
		a, err = parseHello(f.Body)
	}
	if err != nil {
		nc.Close()
		return nil, nil, hello{}, err
	}
	return nc, br, a, nil
}

// rawDial performs the dialer's side of the handshake by hand, as server
// from with the given secret, and returns the authenticated connection.
func rawDial(addr string, from, to core.NodeID, secret []byte) (net.Conn, *bufio.Reader, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	return rawDialOn(nc, from, to, secret)
}

// rawDialOn is rawDial on an open connection.
func rawDialOn(nc net.Conn, from, to core.NodeID, secret []byte) (net.Conn, *bufio.Reader, error) {
	d := newHello(len(secret) > 0, from, to)
	nc, br, a, err := rawHelloOn(nc, d)
	if err != nil {
		return nil, nil, err
	}
	nc.Write(AppendFrame(nil, FrameAuth, authMAC(secret, roleDialer, d, a)))
	f, err := ReadFrame(br)
	switch {
	case err != nil:
	case f.Type == FrameReject:
		err = rejected(rejectText(f.Body))
	case f.Type != FrameAuth || !checkAuth(f.Body, secret, roleAcceptor, d, a):
		err = fmt.Errorf("acceptor failed authentication (%s frame)", f.Type)
	}
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	nc.SetDeadline(time.Time{})
	return nc, br, nil
}

// gen returns the connection generation of a's link to b (it grows each
// time a connection is installed).
func (m *mesh) gen(a, b core.NodeID) uint64 {
	p := m.tr[a].peers[b]
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gen
}

// firstRecv asserts that the next thing tr's Recv yields is m: nothing else
// (no forged message, no broken connection) got in before it.
func firstRecv(t *testing.T, from, to *Transport, m core.Message) {
	t.Helper()
	from.Send(m)
	in := recv(t, to)
	assert.False(t, in.Lost, "a broken connection reached Recv: %s", in.Why)
	assert.Equal(t, m, in.Msg, "the first thing Recv yields")
}

func TestRogueWithoutSecretCannotJoin(t *testing.T) {
	m := newMesh(t, 2)
	m.waitConnected(1, 2)
	gen := m.gen(1, 2)

	// No secret at all.
	_, _, err := rawDial(m.addrs[1], 2, 1, nil)
	assert.ErrorContains(t, err, "requires the ensemble's shared secret")
	// Claims a secret, answers with garbage.
	d := newHello(true, 2, 1)
	nc, br, _, err := rawHello(m.addrs[1], d)
	require.NoError(t, err)
	nc.Write(AppendFrame(nil, FrameAuth, bytes.Repeat([]byte{7}, maxAuth)))
	f, err := ReadFrame(br)
	require.NoError(t, err)
	assert.Equal(t, FrameReject, f.Type)
	assert.Contains(t, string(f.Body), "authentication failed")
	nc.Close()
	// A wrong secret.
	_, _, err = rawDial(m.addrs[1], 2, 1, []byte("not the secret, but as long one"))
	assert.ErrorContains(t, err, "authentication failed")
	// A message straight away, with no handshake.
	nc, err = net.Dial("tcp", m.addrs[1])
	require.NoError(t, err)
	nc.Write(AppendFrame(nil, FrameMsg, mustBody(t, ping(2, 1, 99))))
	f, err = ReadFrame(bufio.NewReader(nc))
	require.NoError(t, err)
	assert.Equal(t, FrameReject, f.Type)
	assert.Contains(t, string(f.Body), "expected hello, got a msg frame")
	nc.Close()
	// Hello, then a message instead of Auth.
	nc, _, _, err = rawHello(m.addrs[1], newHello(true, 2, 1))
	require.NoError(t, err)
	nc.Write(AppendFrame(nil, FrameMsg, mustBody(t, ping(2, 1, 98))))
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(nc)
	assert.Contains(t, string(b), "expected auth, got a msg frame")
	nc.Close()

	_, _, refused := m.tr[1].gateCounts()
	assert.EqualValues(t, 5, refused, "every rogue connection is refused")
	assert.Equal(t, gen, m.gen(1, 2), "the real connection was never replaced")
	assert.True(t, m.connected(1, 2))
	firstRecv(t, m.tr[2], m.tr[1], ping(2, 1, 1))
	firstRecv(t, m.tr[1], m.tr[2], ping(1, 2, 1))
}

func TestWrongOrMissingSecretIsRefused(t *testing.T) {
	for name, secret2 := range map[string][]byte{
		"wrong secret": []byte("another secret, at least 16 bytes"),
		"no secret":    nil,
	} {
		t.Run(name, func(t *testing.T) {
			m := newMeshWith(t, 2, func(id core.NodeID, cfg *Config) {
				if id == 2 {
					cfg.Secret = secret2
				}
			})
			// s2 dials s1 again and again; s1 refuses every time.
			require.Eventually(t, func() bool {
				_, _, refused := m.tr[1].gateCounts()
				return refused >= 3
			}, 10*time.Second, 5*time.Millisecond)
			assert.False(t, m.connected(1, 2))
			assert.False(t, m.connected(2, 1))
			assert.Zero(t, m.gen(1, 2), "s1 never installed a connection")
			assert.Zero(t, m.gen(2, 1), "s2 never installed a connection")
		})
	}
	// Without a secret on either side the quorum is open, and works.
	m := newMeshWith(t, 2, func(_ core.NodeID, cfg *Config) { cfg.Secret = nil })
	m.waitConnected(1, 2)
	firstRecv(t, m.tr[2], m.tr[1], ping(2, 1, 1))
	_, err := New(Config{ID: 1, Peers: map[core.NodeID]string{1: "127.0.0.1:0"}, Secret: []byte("short")})
	assert.ErrorContains(t, err, "secret of 5 bytes, want at least 16")
}

// recorder is a TCP proxy in front of s1: the first connection is relayed
// and the dialer's and acceptor's handshake frames recorded; every later one
// is answered by replaying the acceptor's recorded Hello and Auth, and the
// frames the dialer sent on it are reported.
type recorder struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	dialer  []byte // s2's handshake bytes (Hello, Auth)
	accept  []byte // s1's
	done    chan struct{}
	replays chan []Frame
}

func newRecorder(t *testing.T, target string) *recorder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r := &recorder{ln: ln, target: target, done: make(chan struct{}), replays: make(chan []Frame, 16)}
	go r.serve()
	t.Cleanup(func() { ln.Close() })
	return r
}

// handshakeLen is the size of one side's Hello and Auth frames.
var handshakeLen = 2*HeaderLen + len(newHello(true, 1, 2).body()) + maxAuth

func (r *recorder) serve() {
	first := true
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		if first {
			first = false
			go r.relay(c)
			continue
		}
		go r.replay(c)
	}
}

func (r *recorder) relay(c net.Conn) {
	s, err := net.Dial("tcp", r.target)
	if err != nil {
		c.Close()
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src net.Conn, rec *[]byte) {
		defer wg.Done()
		buf := make([]byte, 4096)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				r.mu.Lock()
				if len(*rec) < handshakeLen {
					*rec = append(*rec, buf[:min(n, handshakeLen-len(*rec))]...)
				}
				r.mu.Unlock()
				dst.Write(buf[:n])
			}
			if err != nil {
				dst.Close()
				return
			}
		}
	}
	go pipe(s, c, &r.dialer)
	go pipe(c, s, &r.accept)
	wg.Wait()
}

func (r *recorder) recorded() (dialer, accept []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.dialer), bytes.Clone(r.accept)
}

func (r *recorder) replay(c net.Conn) {
	defer c.Close()
	_, accept := r.recorded()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	var got []Frame
	if f, err := ReadFrame(br); err == nil { // the dialer's Hello
		got = append(got, f)
		c.Write(accept)
		for {
			f, err := ReadFrame(br)
			if err != nil {
				break
			}
			got = append(got, f)
		}
	}
	select {
	case r.replays <- got:
	default: // the test took what it needed
	}
}

func TestReplayedHandshakeFails(t *testing.T) {
	var rec *recorder
	m := newMeshWith(t, 2, func(id core.NodeID, cfg *Config) {
		if id == 2 { // s2 reaches s1 through the recorder
			peers := map[core.NodeID]string{}
			for k, v := range cfg.Peers {
				peers[k] = v
			}
			rec = newRecorder(t, cfg.Peers[1])
			peers[1] = rec.ln.Addr().String()
			cfg.Peers = peers
		}
	})
	m.waitConnected(1, 2)
	gen := m.gen(1, 2)
	dialer, accept := rec.recorded()
	require.Len(t, dialer, handshakeLen)
	require.Len(t, accept, handshakeLen)

	// A stranger replays s2's recorded Hello and Auth to s1: s1's nonce is
	// new, so the Auth no longer matches.
	nc, err := net.Dial("tcp", m.addrs[1])
	require.NoError(t, err)
	nc.Write(dialer)
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(nc)
	nc.Close()
	frames, _ := DecodeFrames(b)
	require.Len(t, frames, 2, "s1's Hello, then a Reject")
	assert.Equal(t, FrameHello, frames[0].Type)
	assert.Equal(t, FrameReject, frames[1].Type)
	assert.Contains(t, string(frames[1].Body), "authentication failed")
	assert.Equal(t, gen, m.gen(1, 2), "the real connection was not replaced")

	// A stranger posing as s1 replays s1's recorded answer to s2: s2's nonce
	// is new, so s2 refuses it and writes nothing but its handshake.
	gen2 := m.gen(2, 1)
	m.tr[2].CloseConn(1)
	require.True(t, recv(t, m.tr[1]).Lost)
	m.tr[2].Send(ping(2, 1, 5)) // queued for the next connection
	var got []Frame
	select {
	case got = <-rec.replays:
	case <-time.After(10 * time.Second):
		t.Fatal("s2 never redialled")
	}
	require.Len(t, got, 2, "s2 sent only its Hello and Auth: %v", got)
	assert.Equal(t, FrameHello, got[0].Type)
	assert.Equal(t, FrameAuth, got[1].Type)
	assert.False(t, m.connected(2, 1), "s2 installed nothing")
	assert.Equal(t, gen2, m.gen(2, 1), "s2 installed no connection after the first")
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "secret")
	s := NewSecret()
	require.Len(t, s, 32)
	require.NoError(t, WriteSecretFile(p, s))
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	assert.Error(t, WriteSecretFile(p, s), "an existing file is not overwritten")
	got, exposed, err := LoadSecret(p)
	require.NoError(t, err)
	assert.Equal(t, s, got)
	assert.False(t, exposed)

	p = filepath.Join(dir, "text")
	require.NoError(t, os.WriteFile(p, []byte("a secret in a text file\n"), 0o644))
	got, exposed, err = LoadSecret(p)
	require.NoError(t, err)
	assert.Equal(t, "a secret in a text file", string(got), "the final line break is not part of it")
	assert.True(t, exposed, "mode 0644 is reported")

	require.NoError(t, os.WriteFile(p, []byte("short\n"), 0o600))
	_, _, err = LoadSecret(p)
	assert.ErrorContains(t, err, "5 bytes, want at least 16")
	_, _, err = LoadSecret(filepath.Join(dir, "missing"))
	assert.True(t, errors.Is(err, os.ErrNotExist), "%v", err)
	_, _, err = LoadSecret(dir)
	assert.ErrorContains(t, err, "not a regular file")
}
