package transport

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
)

// mesh is a set of transports on loopback ports.
type mesh struct {
	t      *testing.T
	addrs  map[core.NodeID]string
	tr     map[core.NodeID]*Transport
	tweak  func(id core.NodeID, cfg *Config)
	mu     sync.Mutex
	events []core.Event
}

// testSecret is the shared secret of the test meshes.
var testSecret = []byte("zabplay test secret, 32 bytes..")

func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

func newMesh(t *testing.T, n int) *mesh { return newMeshWith(t, n, nil) }

// newMeshWith starts n transports with testSecret; tweak, if set, changes
// each one's config.
func newMeshWith(t *testing.T, n int, tweak func(id core.NodeID, cfg *Config)) *mesh {
	m := &mesh{t: t, addrs: map[core.NodeID]string{}, tr: map[core.NodeID]*Transport{}, tweak: tweak}
	lns := map[core.NodeID]net.Listener{}
	for i := 1; i <= n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		lns[core.NodeID(i)] = ln
		m.addrs[core.NodeID(i)] = ln.Addr().String()
	}
	for id, ln := range lns {
		m.start(id, ln)
	}
	t.Cleanup(func() {
		for _, tr := range m.tr {
			tr.Close()
		}
	})
	return m
}

func (m *mesh) start(id core.NodeID, ln net.Listener) {
	cfg := Config{ID: id, Peers: m.addrs, Listener: ln, Log: testLogger(), Secret: testSecret, OnEvent: func(e core.Event) {
		m.mu.Lock()
		m.events = append(m.events, e)
		m.mu.Unlock()
	}}
	if m.tweak != nil {
		m.tweak(id, &cfg)
	}
	tr, err := New(cfg)
	require.NoError(m.t, err)
	m.tr[id] = tr
}

// restart closes a transport and starts a new one on the same address.
func (m *mesh) restart(id core.NodeID) {
	require.NoError(m.t, m.tr[id].Close())
	var ln net.Listener
	require.Eventually(m.t, func() bool {
		var err error
		ln, err = net.Listen("tcp", m.addrs[id])
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
	m.start(id, ln)
}

func (m *mesh) connected(a, b core.NodeID) bool {
	for _, l := range m.tr[a].Links() {
		if l.Peer == b {
			return l.Connected
		}
	}
	return false
}

func (m *mesh) waitConnected(a, b core.NodeID) {
	require.Eventually(m.t, func() bool { return m.connected(a, b) && m.connected(b, a) }, 5*time.Second, 5*time.Millisecond, "%v-%v never connected", a, b)
}

func (m *mesh) dropped(reason string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, e := range m.events {
		if e.Kind == core.EvDrop && e.Reason == reason {
			n++
		}
	}
	return n
}

func ping(from, to core.NodeID, z uint32) core.Message {
	return core.Message{Type: core.MsgPing, From: from, To: to, Zxid: core.MakeZxid(1, z)}
}

// recv waits for the next inbound item at tr.
func recv(t *testing.T, tr *Transport) Inbound {
	t.Helper()
	select {
	case in := <-tr.Recv():
		return in
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received within 5s")
		return Inbound{}
	}
}

func TestSendInOrder(t *testing.T) {
	m := newMesh(t, 3)
	m.waitConnected(1, 3)
	for i := uint32(1); i <= 100; i++ {
		m.tr[1].Send(ping(1, 3, i))
		m.tr[3].Send(ping(3, 1, i))
	}
	for i := uint32(1); i <= 100; i++ {
		in := recv(t, m.tr[3])
		require.False(t, in.Lost, in.Why)
		assert.Equal(t, ping(1, 3, i), in.Msg)
		assert.Equal(t, uint64(1)<<48, in.ID&^(1<<48-1), "trace id names the sender")
		in = recv(t, m.tr[1])
		assert.Equal(t, ping(3, 1, i), in.Msg)
	}
}

func TestReconnectAfterPeerRestart(t *testing.T) {
	m := newMesh(t, 2)
	m.waitConnected(1, 2)
	m.tr[2].Send(ping(2, 1, 1))
	assert.Equal(t, ping(2, 1, 1), recv(t, m.tr[1]).Msg)

	// s1 (the smaller id, which s2 dials) restarts: s2 sees the break and redials.
	m.restart(1)
	in := recv(t, m.tr[2])
	assert.True(t, in.Lost, "s2 is told its connection to s1 broke")
	assert.Equal(t, core.NodeID(1), in.Peer)
	m.waitConnected(1, 2)
	m.tr[2].Send(ping(2, 1, 2))
	assert.Equal(t, ping(2, 1, 2), recv(t, m.tr[1]).Msg)

	// s2 (the dialer) restarts: it dials s1 again.
	m.restart(2)
	in = recv(t, m.tr[1])
	assert.True(t, in.Lost)
	m.waitConnected(1, 2)
	m.tr[1].Send(ping(1, 2, 3))
	assert.Equal(t, ping(1, 2, 3), recv(t, m.tr[2]).Msg)
}

func TestCorruptFrameClosesConnection(t *testing.T) {
	m := newMesh(t, 2)
	m.waitConnected(1, 2)
	// Pretend to be s3 is refused: unknown id.
	_, _, err := rawDial(m.addrs[1], 3, 1, testSecret)
	assert.ErrorContains(t, err, "unknown server id 3")

	// A bad protocol version is refused.
	nc, err := net.Dial("tcp", m.addrs[1])
	require.NoError(t, err)
	nc.Write([]byte{Version + 1, byte(FrameHello), 0, 0, 0, 1, 2})
	f, err := ReadFrame(bufio.NewReader(nc))
	require.NoError(t, err)
	assert.Equal(t, FrameReject, f.Type)
	assert.Contains(t, string(f.Body), "protocol version")
	nc.Close()

	// Impersonate s2 with the secret (replacing its connection), then send garbage.
	for _, garbage := range [][]byte{
		AppendFrame(nil, FrameMsg, []byte{0xff, 0xff}),
		{Version, 99, 0, 0, 0, 0},
		{Version, byte(FrameMsg), 0xff, 0, 0, 0}, // over MaxFrame
		AppendFrame(nil, FrameHello, newHello(true, 2, 1).body()),
		AppendFrame(nil, FrameMsg, mustBody(t, ping(2, 3, 1))), // to the wrong server
	} {
		nc, br, err := rawDial(m.addrs[1], 2, 1, testSecret)
		require.NoError(t, err)
		nc.Write(garbage)
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.ReadAll(br)
		if err != nil { // EOF, or a reset since s1 closed with unread data
			var ne net.Error
			assert.False(t, errors.As(err, &ne) && ne.Timeout(), "s1 closes the connection: %v", err)
		}
		nc.Close()
	}
	// s1 still works: the real s2 reconnects and messages flow.
	m.waitConnected(1, 2)
	require.Eventually(t, func() bool {
		m.tr[2].Send(ping(2, 1, 7))
		for {
			select {
			case in := <-m.tr[1].Recv():
				if !in.Lost && in.Msg == ping(2, 1, 7) {
					return true
				}
			case <-time.After(50 * time.Millisecond):
				return false
			}
		}
	}, 5*time.Second, 10*time.Millisecond)
}

func mustBody(t *testing.T, m core.Message) []byte {
	b, err := MsgBody(nil, 1, m)
	require.NoError(t, err)
	return b
}

func TestDelayKeepsOrder(t *testing.T) {
	m := newMesh(t, 2)
	m.waitConnected(1, 2)
	require.NoError(t, m.tr[1].SetFaults(2, Out, Faults{DelayMs: 150}))
	require.NoError(t, m.tr[1].SetFaults(2, In, Faults{DelayMs: 100}))
	start := time.Now()
	for i := uint32(1); i <= 20; i++ {
		m.tr[1].Send(ping(1, 2, i))
		m.tr[2].Send(ping(2, 1, i))
	}
	for i := uint32(1); i <= 20; i++ {
		assert.Equal(t, ping(1, 2, i), recv(t, m.tr[2]).Msg)
	}
	out := time.Since(start)
	for i := uint32(1); i <= 20; i++ {
		assert.Equal(t, ping(2, 1, i), recv(t, m.tr[1]).Msg)
	}
	in := time.Since(start)
	assert.GreaterOrEqual(t, out, 150*time.Millisecond)
	assert.Less(t, out, 1500*time.Millisecond, "a delay holds each message back, it does not add up")
	assert.GreaterOrEqual(t, in, 100*time.Millisecond)
	m.mu.Lock()
	for _, e := range m.events {
		if e.Kind == core.EvSend && e.Node == 1 {
			assert.GreaterOrEqual(t, e.Arrive, int64(150), "send events say when the message arrives")
			break
		}
	}
	m.mu.Unlock()
}

func TestCutAndLossBreakTheConnection(t *testing.T) {
	m := newMesh(t, 2)
	m.waitConnected(1, 2)
	// A one-way cut 1->2: s1's send is dropped and the connection breaks;
	// both ends are told.
	require.NoError(t, m.tr[1].SetFaults(2, Out, Faults{Cut: true}))
	in := recv(t, m.tr[1])
	assert.True(t, in.Lost, "setting a cut breaks the connection")
	assert.True(t, recv(t, m.tr[2]).Lost)
	m.waitConnected(1, 2) // a one-way cut lets the connection come back
	m.tr[1].Send(ping(1, 2, 1))
	assert.True(t, recv(t, m.tr[1]).Lost)
	assert.True(t, recv(t, m.tr[2]).Lost)
	assert.Equal(t, 1, m.dropped("cut"))
	// ...while 2->1 still works.
	m.waitConnected(1, 2)
	m.tr[2].Send(ping(2, 1, 2))
	assert.Equal(t, ping(2, 1, 2), recv(t, m.tr[1]).Msg)

	// Both ways cut: the connection stays down.
	require.NoError(t, m.tr[1].SetFaults(2, Both, Faults{Cut: true}))
	assert.True(t, recv(t, m.tr[1]).Lost)
	assert.True(t, recv(t, m.tr[2]).Lost)
	time.Sleep(100 * time.Millisecond) // give s2 time to try (it must not get through)
	assert.False(t, m.connected(1, 2))
	m.tr[1].Heal()
	m.waitConnected(1, 2)

	// 100% loss on s2's side of 1->2: the message is lost and the connection breaks.
	require.NoError(t, m.tr[2].SetFaults(1, In, Faults{LossPct: 100}))
	m.tr[1].Send(ping(1, 2, 3))
	assert.True(t, recv(t, m.tr[2]).Lost)
	assert.True(t, recv(t, m.tr[1]).Lost)
	assert.Equal(t, 1, m.dropped("loss"))
	assert.Error(t, m.tr[2].SetFaults(1, In, Faults{LossPct: 101}))
	assert.Error(t, m.tr[2].SetFaults(9, In, Faults{}))
}

// TestQueueFullBreaksTheConnection: past QueueMax messages waiting for a
// peer the connection breaks; the far end gets a prefix of what was sent,
// never a stream with a hole (it used to drop the oldest and go on).
func TestQueueFullBreaksTheConnection(t *testing.T) {
	m := newMeshWith(t, 2, func(_ core.NodeID, cfg *Config) { cfg.QueueMax = 8 })
	m.waitConnected(1, 2)
	require.NoError(t, m.tr[1].SetFaults(2, Out, Faults{DelayMs: 300})) // hold them in the queue
	for i := uint32(1); i <= 20; i++ {
		m.tr[1].Send(ping(1, 2, i))
	}
	assert.True(t, recv(t, m.tr[1]).Lost, "the sender's core is told")
	assert.GreaterOrEqual(t, m.dropped("queue full"), 1)
	next := uint32(1)
	for {
		in := recv(t, m.tr[2])
		if in.Lost {
			break
		}
		require.Equal(t, ping(1, 2, next), in.Msg, "in order, no hole")
		next++
	}
	assert.LessOrEqual(t, next, uint32(9))
}

func TestCloseConnTellsOnlyTheFarEnd(t *testing.T) {
	m := newMesh(t, 2)
	m.waitConnected(1, 2)
	m.tr[1].CloseConn(2)
	in := recv(t, m.tr[2])
	assert.True(t, in.Lost)
	m.waitConnected(1, 2)
	m.tr[2].Send(ping(2, 1, 1))
	in = recv(t, m.tr[1])
	assert.False(t, in.Lost, "s1 closed the connection itself: it gets no CONNLOST")
	assert.Equal(t, ping(2, 1, 1), in.Msg)
}
