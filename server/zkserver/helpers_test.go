package zkserver

import (
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/server/node"
)

const testTickMs = 100

// cluster is a live ensemble in this process, each server with its client
// port on loopback.
type cluster struct {
	t      testing.TB
	addrs  map[core.NodeID]string
	stores map[core.NodeID]*node.MemStore
	nodes  map[core.NodeID]*node.Node
	ports  map[core.NodeID]*Server
	client map[core.NodeID]string // client port addresses, kept across restarts
	tune   func(*Config)          // adjusts each client port's config
}

func newCluster(t testing.TB, n int) *cluster { return newClusterWith(t, n, nil) }

func newClusterWith(t testing.TB, n int, tune func(*Config)) *cluster {
	c := &cluster{t: t, tune: tune, addrs: map[core.NodeID]string{}, stores: map[core.NodeID]*node.MemStore{},
		nodes: map[core.NodeID]*node.Node{}, ports: map[core.NodeID]*Server{}, client: map[core.NodeID]string{}}
	lns := map[core.NodeID]net.Listener{}
	for i := 1; i <= n; i++ {
		id := core.NodeID(i)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		lns[id], c.addrs[id], c.stores[id] = ln, ln.Addr().String(), &node.MemStore{}
	}
	for id, ln := range lns {
		c.start(id, ln)
	}
	t.Cleanup(func() {
		for id := range c.nodes {
			c.kill(id)
		}
	})
	return c
}

func testLog() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return nil
}

func (c *cluster) start(id core.NodeID, ln net.Listener) {
	if ln == nil {
		require.Eventually(c.t, func() bool {
			var err error
			ln, err = net.Listen("tcp", c.addrs[id])
			return err == nil
		}, 5*time.Second, 10*time.Millisecond)
	}
	ncfg := node.Config{
		ID: id, Peers: c.addrs, Listener: ln, Store: c.stores[id], Restore: c.stores[id].Durable(),
		TickMs: testTickMs, ClockMs: 10, InitLimit: 10, SyncLimit: 5, Seed: uint64(id) * 7919, Log: testLog(),
	}
	n, err := node.Start(ncfg)
	require.NoError(c.t, err)
	addr := c.client[id]
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var p *Server
	cfg := Config{Backend: n, TickMs: testTickMs, Log: testLog(), Conf: ConfOf(ncfg, "")}
	if c.tune != nil {
		c.tune(&cfg)
	}
	require.Eventually(c.t, func() bool {
		p, err = Listen(addr, cfg)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
	c.nodes[id], c.ports[id], c.client[id] = n, p, p.Addr().String()
}

// kill stops a server abruptly, its client port with it.
func (c *cluster) kill(id core.NodeID) {
	c.ports[id].Close()
	c.nodes[id].Close()
	delete(c.nodes, id)
	delete(c.ports, id)
}

// servers lists the client ports, in id order.
func (c *cluster) servers() []string {
	var s []string
	for i := 1; i <= len(c.addrs); i++ {
		s = append(s, c.client[core.NodeID(i)])
	}
	return s
}

// leader waits for an established leader and returns it.
func (c *cluster) leader() core.NodeID {
	var lead core.NodeID
	require.Eventually(c.t, func() bool {
		for id, n := range c.nodes {
			st := n.Status()
			if st.Role == core.Leading && serving(st) {
				lead = id
				return true
			}
		}
		return false
	}, 20*time.Second, 10*time.Millisecond)
	return lead
}

// waitServing waits until every running server serves.
func (c *cluster) waitServing() {
	require.Eventually(c.t, func() bool {
		for _, n := range c.nodes {
			if !serving(n.Status()) {
				return false
			}
		}
		return true
	}, 20*time.Second, 10*time.Millisecond)
}

// connect opens a go-zookeeper session on the given client ports and waits
// until it has a session.
func (c *cluster) connect(servers []string) (*zk.Conn, <-chan zk.Event) {
	conn, ev, err := zk.Connect(servers, 2*time.Second, zk.WithLogger(quietLogger{c.t}), zk.WithHostProvider(&orderedHosts{order: servers}))
	require.NoError(c.t, err)
	c.t.Cleanup(conn.Close)
	deadline := time.After(10 * time.Second)
	for conn.State() != zk.StateHasSession {
		select {
		case <-deadline:
			c.t.Fatalf("no session after 10s: state %v", conn.State())
		case <-time.After(5 * time.Millisecond):
		}
	}
	return conn, ev
}

type quietLogger struct{ t testing.TB }

func (l quietLogger) Printf(f string, a ...any) {
	if testing.Verbose() {
		l.t.Logf("zk: "+f, a...)
	}
}

// orderedHosts tries the servers in the order given, without
// go-zookeeper's shuffle or its 1 s pause after a failed round, so the tests
// know where a client connects first and fail over fast.
type orderedHosts struct {
	mu      sync.Mutex
	order   []string // go-zookeeper shuffles the list it passes Init
	servers []string
	next    int
	last    int
}

func (h *orderedHosts) Init(servers []string) error {
	h.servers, h.last = h.order, -1
	return nil
}

func (h *orderedHosts) Len() int { return len(h.servers) }

func (h *orderedHosts) Next() (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.servers[h.next]
	h.last = h.next
	h.next = (h.next + 1) % len(h.servers)
	if h.next == 0 {
		time.Sleep(20 * time.Millisecond) // a short pause per round, not go-zookeeper's 1 s
	}
	return s, false
}

func (h *orderedHosts) Connected() {}
