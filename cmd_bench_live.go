package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
	"github.com/zabplay/zabplay/server/node"
	"github.com/zabplay/zabplay/server/storage"
)

// liveEnsemble is a 3-server ensemble on loopback with its data on disk
// (fsync on), for the live benchmarks.
type liveEnsemble struct {
	dir     string
	peers   map[core.NodeID]string
	nodes   map[core.NodeID]*node.Node
	session atomic.Int64
}

func startLiveEnsemble(dir string, n int) (*liveEnsemble, error) {
	e := &liveEnsemble{dir: dir, peers: map[core.NodeID]string{}, nodes: map[core.NodeID]*node.Node{}}
	lns := map[core.NodeID]net.Listener{}
	for i := 1; i <= n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		id := core.NodeID(i)
		lns[id], e.peers[id] = ln, ln.Addr().String()
	}
	for id, ln := range lns {
		if err := e.start(id, ln); err != nil {
			e.close()
			return nil, err
		}
	}
	return e, nil
}

// start runs server id from its data dir (recovering what is there).
func (e *liveEnsemble) start(id core.NodeID, ln net.Listener) error {
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", e.peers[id]); err != nil {
			return err
		}
	}
	disk, durable, err := storage.Open(filepath.Join(e.dir, id.String()), nil)
	if err != nil {
		ln.Close()
		return err
	}
	nd, err := node.Start(node.Config{ID: id, Peers: e.peers, Listener: ln, Store: disk, Restore: durable, Seed: uint64(id)})
	if err != nil {
		disk.Close()
		ln.Close()
		return err
	}
	e.nodes[id] = nd
	return nil
}

func (e *liveEnsemble) crash(id core.NodeID) {
	if nd := e.nodes[id]; nd != nil {
		nd.Close()
		delete(e.nodes, id)
	}
}

func (e *liveEnsemble) close() {
	for id := range e.nodes {
		e.crash(id)
	}
}

// leader waits for an established leader.
func (e *liveEnsemble) leader(timeout time.Duration) (core.NodeID, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for id, nd := range e.nodes {
			if st := nd.Status(); st.Role == core.Leading && st.Established {
				return id, nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0, errors.New("no leader")
}

// synced waits until every running server is in broadcast.
func (e *liveEnsemble) synced(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ok := true
		for _, nd := range e.nodes {
			ok = ok && nd.Status().Phase == core.PhaseBroadcast
		}
		if ok {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return errors.New("the ensemble did not get in sync")
}

func (e *liveEnsemble) follower() core.NodeID {
	for id, nd := range e.nodes {
		if nd.Status().Role == core.Following {
			return id
		}
	}
	return 0
}

// client is one session sending requests to one server.
type liveClient struct {
	e       *liveEnsemble
	session int64
	cxid    uint32
}

func (e *liveEnsemble) client() *liveClient {
	return &liveClient{e: e, session: 1<<40 + e.session.Add(1)}
}

func (c *liveClient) do(ctx context.Context, via core.NodeID, r ztree.Request) (core.Reply, error) {
	nd := c.e.nodes[via]
	if nd == nil {
		return core.Reply{}, fmt.Errorf("%v is down", via)
	}
	c.cxid++
	r.Session = c.session
	rep, err := nd.Request(ctx, core.Request{Session: c.session, Cxid: c.cxid, Request: r})
	if err == nil && rep.Err != ztree.OK {
		err = fmt.Errorf("%v", rep.Err)
	}
	return rep, err
}

// throughput runs clients workers for d, each sending op through via, and
// returns completed requests per second.
func (e *liveEnsemble) throughput(clients int, d time.Duration, via core.NodeID, op ztree.Request) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var done atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := e.client()
			for ctx.Err() == nil {
				if _, err := c.do(ctx, via, op); err != nil {
					if ctx.Err() == nil {
						firstErr.CompareAndSwap(nil, err)
					}
					return
				}
				done.Add(1)
			}
		}()
	}
	start := time.Now()
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return float64(done.Load()) / time.Since(start).Seconds(), nil
}

// benchLive measures a 3-server ensemble on loopback with fsync on.
func benchLive(stdout io.Writer, writes, catchUp int, window time.Duration) error {
	dir, err := os.MkdirTemp("", "zabplay-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	e, err := startLiveEnsemble(dir, 3)
	if err != nil {
		return err
	}
	defer e.close()
	l, err := e.leader(30 * time.Second)
	if err != nil {
		return err
	}
	ctx := context.Background()
	c := e.client()
	if _, err := c.do(ctx, l, ztree.Request{Op: ztree.OpCreate, Path: "/bench", Data: "0"}); err != nil {
		return fmt.Errorf("create /bench: %w", err)
	}
	set := ztree.Request{Op: ztree.OpSetData, Path: "/bench", Data: "x", Version: -1}

	lat := make([]time.Duration, 0, writes)
	for range writes {
		t0 := time.Now()
		if _, err := c.do(ctx, l, set); err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	fmt.Fprintf(stdout, "live: sequential writes through the leader (%d): p50 %v, p99 %v\n", writes,
		lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond))
	for _, n := range []int{1, 8, 32} {
		tp, err := e.throughput(n, window, l, set)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "live: write throughput, %2d clients: %.0f writes/s\n", n, tp)
	}
	f := e.follower()
	tp, err := e.throughput(8, window, f, ztree.Request{Op: ztree.OpGetData, Path: "/bench"})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "live: read throughput, 8 clients on a follower: %.0f reads/s\n", tp)

	// Failover: crash the leader, time until a write commits again.
	t0 := time.Now()
	e.crash(l)
	for {
		if time.Since(t0) > time.Minute {
			return errors.New("no write committed within a minute of the leader's crash")
		}
		nl, err := e.leader(time.Minute)
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err = e.client().do(wctx, nl, set)
		cancel()
		if err == nil {
			fmt.Fprintf(stdout, "live: failover (leader crashed -> next committed write): %v\n", time.Since(t0).Round(time.Millisecond))
			l = nl
			break
		}
	}
	if err := e.start(func() core.NodeID {
		for id := range e.peers {
			if e.nodes[id] == nil {
				return id
			}
		}
		return 0
	}(), nil); err != nil {
		return err
	}

	// Catch-up: a follower misses catchUp txns, then comes back.
	if l, err = e.leader(30 * time.Second); err != nil {
		return err
	}
	if err := e.synced(time.Minute); err != nil {
		return err
	}
	lag := e.follower()
	e.crash(lag)
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Value
	per := (catchUp + 31) / 32
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := e.client()
			for i := range per {
				r := ztree.Request{Op: ztree.OpSetData, Path: "/bench", Data: strconv.Itoa(w*per + i), Version: -1}
				if _, err := c.do(ctx, l, r); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		return fmt.Errorf("%d writes failed while a follower was down, the first: %v", failed.Load(), firstErr.Load())
	}
	want := e.nodes[l].Status().LastZxid
	t0 = time.Now()
	if err := e.start(lag, nil); err != nil {
		return err
	}
	for st := e.nodes[lag].Status(); st.LastZxid < want || st.Phase != core.PhaseBroadcast; st = e.nodes[lag].Status() {
		if time.Since(t0) > 2*time.Minute {
			return errors.New("the follower did not catch up within 2 minutes")
		}
		time.Sleep(2 * time.Millisecond)
	}
	fmt.Fprintf(stdout, "live: catch-up of a follower %d txns behind (restart -> in broadcast with the leader's last zxid): %v\n",
		per*32, time.Since(t0).Round(time.Millisecond))
	return nil
}
