package main

import (
	"errors"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-zookeeper/zk"
)

var acl = zk.WorldACL(zk.PermAll)

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

// zkLogger is go-zookeeper's log: silent unless ZKBENCH_ZKLOG is set.
func zkLogger() zk.Logger {
	if os.Getenv("ZKBENCH_ZKLOG") != "" {
		return zk.DefaultLogger
	}
	return nopLogger{}
}

// hosts tries the servers in order, without go-zookeeper's shuffle and
// its 1 s pause after each failed round (a 10 ms pause instead), so that
// failover measures the servers, not the client's back-off.
type hosts struct {
	mu      sync.Mutex
	servers []string // in this order: go-zookeeper shuffles the list it passes Init
	next    int
}

func (h *hosts) Init([]string) error { return nil }
func (h *hosts) Len() int            { return len(h.servers) }
func (h *hosts) Connected()          {}
func (h *hosts) Next() (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.servers[h.next]
	h.next = (h.next + 1) % len(h.servers)
	if h.next == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	return s, false
}

// dial opens a session on the given servers and waits for it.
func dial(servers []string, timeout time.Duration) (*zk.Conn, error) {
	conn, _, err := zk.Connect(servers, 10*time.Second, zk.WithLogger(zkLogger()), zk.WithHostProvider(&hosts{servers: servers}))
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for conn.State() != zk.StateHasSession {
		if time.Now().After(deadline) {
			conn.Close()
			return nil, fmt.Errorf("no session on %v after %v", servers, timeout)
		}
		time.Sleep(time.Millisecond)
	}
	return conn, nil
}

// clients opens n sessions, spread over the servers (client i starts at
// server i mod 3).
func clients(c *cluster, n int) ([]*zk.Conn, error) {
	var out []*zk.Conn
	for i := range n {
		var order []string
		for j := range c.n {
			order = append(order, c.client[(i+j)%c.n])
		}
		conn, err := dial(order, 20*time.Second)
		if err != nil {
			closeAll(out)
			return nil, err
		}
		out = append(out, conn)
	}
	return out, nil
}

func closeAll(cs []*zk.Conn) {
	for _, c := range cs {
		c.Close()
	}
}

func startToFirstWrite(c *cluster) (time.Duration, error) {
	var order []string
	order = append(order, c.client...)
	deadline := c.started.Add(60 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := dial(order, time.Until(deadline))
		if err != nil {
			return 0, err
		}
		_, err = conn.Create("/bench", nil, 0, acl)
		conn.Close()
		if err == nil {
			return time.Since(c.started), nil
		}
		time.Sleep(time.Millisecond)
	}
	return 0, errors.New("no write within 60 s of the start")
}

func seqCreates(c *cluster, n int) (p50, p99 time.Duration, err error) {
	cs, err := clients(c, 1)
	if err != nil {
		return 0, 0, err
	}
	defer closeAll(cs)
	if _, err := cs[0].Create("/bench/seq", nil, 0, acl); err != nil {
		return 0, 0, err
	}
	data := value()
	var lat []time.Duration
	for range n {
		t := time.Now()
		if _, err := cs[0].Create("/bench/seq/n-", data, zk.FlagSequence, acl); err != nil {
			return 0, 0, err
		}
		lat = append(lat, time.Since(t))
	}
	return percentile(lat, 0.5), percentile(lat, 0.99), nil
}

// rate is a throughput run: operations per second and their latency.
type rate struct {
	perSec   float64
	p50, p99 time.Duration
}

// throughput runs n clients for d, each setting (or getting) its own znode
// of 100 B in a loop, and returns the operations per second and their
// latency percentiles.
func throughput(c *cluster, n int, d time.Duration, write bool) (rate, error) {
	cs, err := clients(c, n)
	if err != nil {
		return rate{}, err
	}
	defer closeAll(cs)
	data := value()
	for i, conn := range cs {
		p := fmt.Sprintf("/bench/c%d", i)
		if _, err := conn.Create(p, data, 0, acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return rate{}, err
		}
	}
	var ops atomic.Int64
	var firstErr atomic.Value
	lats := make([][]time.Duration, len(cs))
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for i, conn := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := fmt.Sprintf("/bench/c%d", i)
			for time.Now().Before(stop) {
				var err error
				t := time.Now()
				if write {
					_, err = conn.Set(p, data, -1)
				} else {
					_, _, err = conn.Get(p)
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				lats[i] = append(lats[i], time.Since(t))
				ops.Add(1)
			}
		}()
	}
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		return rate{}, e.(error)
	}
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	return rate{perSec: float64(ops.Load()) / time.Since(start).Seconds(), p50: percentile(all, 0.5), p99: percentile(all, 0.99)}, nil
}

// fill creates n znodes of 100 B with 64 clients.
func fill(c *cluster, n int) error {
	cs, err := clients(c, 64)
	if err != nil {
		return err
	}
	defer closeAll(cs)
	if _, err := cs[0].Create("/bench/fill", nil, 0, acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return err
	}
	data := value()
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for _, conn := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				if _, err := conn.Create(fmt.Sprintf("/bench/fill/z%07d", i), data, 0, acl); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		return e.(error)
	}
	return nil
}

// catchUp kills a follower, writes behind txns, restarts it and times how
// long from its restart it takes to reach the leader's zxid.
func catchUp(c *cluster, behind int) (time.Duration, error) {
	lead, err := c.leader(30 * time.Second)
	if err != nil {
		return 0, err
	}
	f := (lead + 1) % c.n
	c.kill(f)
	// Write through the servers still up.
	var up []string
	for i := range c.n {
		if i != f {
			up = append(up, c.client[i])
		}
	}
	var cs []*zk.Conn
	for i := range 32 {
		conn, err := dial([]string{up[i%2], up[(i+1)%2]}, 20*time.Second)
		if err != nil {
			closeAll(cs)
			return 0, err
		}
		cs = append(cs, conn)
	}
	data := value()
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for i, conn := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := fmt.Sprintf("/bench/c%d", i)
			for next.Add(1) <= int64(behind) {
				if _, err := conn.Set(p, data, -1); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	closeAll(cs)
	if e := firstErr.Load(); e != nil {
		return 0, e.(error)
	}
	target, ok := c.zxid(lead)
	if !ok {
		return 0, errors.New("no zxid from the leader")
	}
	t := time.Now()
	if err := c.start(f); err != nil {
		return 0, err
	}
	last := uint64(0)
	for time.Since(t) < 60*time.Second {
		z, ok := c.zxid(f)
		if ok && z >= target {
			d := time.Since(t)
			if os.Getenv("ZKBENCH_DEBUG") != "" {
				log.Printf("catch-up of s%d took %v; its log:", f+1, d)
				b, _ := os.ReadFile(filepath.Join(c.dir, fmt.Sprintf("s%d.out", f+1)))
				os.Stderr.Write(b)
			}
			return d, nil
		}
		if ok && z != last && os.Getenv("ZKBENCH_DEBUG") != "" {
			log.Printf("catch-up: s%d at 0x%x after %v (target 0x%x)", f+1, z, time.Since(t), target)
			last = z
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0, fmt.Errorf("follower s%d not caught up after 60 s", f+1)
}

// failover kills (or stops) the leader while a client on the two other
// servers writes in a loop, and times from the signal to the first write
// that started after it and succeeded. The leader is then restarted (or
// continued) and the ensemble waited for.
func failover(c *cluster, stop bool) (time.Duration, error) {
	lead, err := c.leader(60 * time.Second)
	if err != nil {
		return 0, err
	}
	var others []string
	for i := range c.n {
		if i != lead {
			others = append(others, c.client[i])
		}
	}
	rand.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
	conn, err := dial(others, 20*time.Second)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	data := value()
	if _, err := conn.Create("/bench/fo", data, 0, acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return 0, err
	}
	type done struct{ start, end time.Time }
	results := make(chan done, 1<<16)
	quit := make(chan struct{})
	go func() {
		for {
			select {
			case <-quit:
				return
			default:
			}
			s := time.Now()
			if _, err := conn.Set("/bench/fo", data, -1); err == nil {
				results <- done{s, time.Now()}
			} else {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	time.Sleep(500 * time.Millisecond)
	t0 := time.Now()
	if stop {
		c.signal(lead, syscall.SIGSTOP)
	} else {
		c.kill(lead)
	}
	// When another server first says it leads (srvr), for the log: the
	// election's part of the failover.
	elected := make(chan time.Duration, 1)
	go func() {
		for time.Since(t0) < 60*time.Second {
			for i := range c.n {
				if i != lead && c.mode(i) == "leader" {
					elected <- time.Since(t0)
					return
				}
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	var d time.Duration
	timeout := time.After(120 * time.Second)
wait:
	for {
		select {
		case r := <-results:
			if r.start.After(t0) {
				d = r.end.Sub(t0)
				break wait
			}
		case <-timeout:
			close(quit)
			return 0, errors.New("no write within 120 s of losing the leader")
		}
	}
	close(quit)
	select {
	case e := <-elected:
		log.Printf("%s: a new leader said so %v after the signal; the first write %v after it", c.kind, e, d)
	case <-time.After(time.Second):
	}
	if stop {
		c.signal(lead, syscall.SIGCONT)
	} else if err := c.start(lead); err != nil {
		return 0, err
	}
	if _, err := c.leader(60 * time.Second); err != nil {
		return 0, err
	}
	return d, nil
}

// value is what every znode holds: 100 bytes of text, as configuration
// values usually are. (100 zero bytes cost zabplay more: its event trace
// quotes each as \x00.)
func value() []byte { return []byte(strings.Repeat("zabplay-", 13)[:100]) }
