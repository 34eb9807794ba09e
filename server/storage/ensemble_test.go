package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
	"github.com/zabplay/zabplay/server/node"
)

// diskEnsemble is 3 live servers on loopback, each on a Disk in its own
// directory, with every server's events collected.
type diskEnsemble struct {
	t      *testing.T
	addrs  map[core.NodeID]string
	dirs   map[core.NodeID]string
	nodes  map[core.NodeID]*node.Node
	events *eventLog
}

// eventLog is an EventSink shared by the servers: JSON lines.
type eventLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *eventLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// syncModes returns the sync modes a leader chose for learner id, in order.
func (l *eventLog) syncModes(t *testing.T, id core.NodeID) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range bytes.Split(l.b.Bytes(), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var ev struct {
			Kind string
			Peer core.NodeID
			Mode string
		}
		require.NoError(t, json.Unmarshal(line, &ev))
		if ev.Kind == "sync-mode" && ev.Peer == id {
			out = append(out, ev.Mode)
		}
	}
	return out
}

func newDiskEnsemble(t *testing.T) *diskEnsemble {
	e := &diskEnsemble{t: t, addrs: map[core.NodeID]string{}, dirs: map[core.NodeID]string{},
		nodes: map[core.NodeID]*node.Node{}, events: &eventLog{}}
	lns := map[core.NodeID]net.Listener{}
	for id := core.NodeID(1); id <= 3; id++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		lns[id], e.addrs[id], e.dirs[id] = ln, ln.Addr().String(), t.TempDir()
	}
	for id, ln := range lns {
		d, dur, err := Open(e.dirs[id], nil)
		require.NoError(t, err)
		e.start(id, ln, d, dur)
	}
	t.Cleanup(func() {
		for _, n := range e.nodes {
			n.Close()
		}
	})
	return e
}

// start boots server id on its Disk, on ln or (after a stop) its old address.
func (e *diskEnsemble) start(id core.NodeID, ln net.Listener, d *Disk, dur core.Durable) {
	if ln == nil {
		deadline := time.Now().Add(5 * time.Second)
		var err error
		for ln, err = net.Listen("tcp", e.addrs[id]); err != nil && time.Now().Before(deadline); ln, err = net.Listen("tcp", e.addrs[id]) {
			time.Sleep(10 * time.Millisecond)
		}
		require.NoError(e.t, err)
	}
	// SnapCount 10: the leader snapshots and purges its log, so a server
	// that comes back empty cannot be sent a DIFF: it gets a SNAP.
	n, err := node.Start(node.Config{
		ID: id, Peers: e.addrs, Listener: ln, Store: d, Restore: dur, EventSink: e.events,
		TickMs: 100, ClockMs: 10, InitLimit: 10, SyncLimit: 5, SnapCount: 10, Seed: uint64(id) * 7919,
	})
	require.NoError(e.t, err)
	e.nodes[id] = n
}

func (e *diskEnsemble) ids() []core.NodeID {
	var ids []core.NodeID
	for id := range e.nodes {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// synced reports whether the running servers are in broadcast under one
// established leader with the same last txn and tree, and why not.
func (e *diskEnsemble) synced() (bool, string) {
	var lid core.NodeID
	var lst node.Status
	for _, id := range e.ids() {
		if st := e.nodes[id].Status(); st.Role == core.Leading && st.Established {
			lid, lst = id, st
		}
	}
	if lid == 0 {
		return false, "no established leader"
	}
	for _, id := range e.ids() {
		st := e.nodes[id].Status()
		if st.Phase != core.PhaseBroadcast || st.Leader != lid || st.LastTxn != lst.LastTxn || st.TreeHash != lst.TreeHash {
			return false, fmt.Sprintf("%v: %v under %v at %v, leader %v at %v", id, st.Phase, st.Leader, st.LastTxn, lid, lst.LastTxn)
		}
	}
	return true, ""
}

func (e *diskEnsemble) waitSynced() {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	why := ""
	for time.Now().Before(deadline) {
		var ok bool
		if ok, why = e.synced(); ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("ensemble not in sync within 20s: %s", why)
}

func (e *diskEnsemble) request(id core.NodeID, op ztree.Op, path, data string) core.Reply {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rep, err := e.nodes[id].Request(ctx, core.Request{Request: ztree.Request{Op: op, Path: path, Data: data, Version: -1}})
	require.NoError(e.t, err)
	return rep
}

// requireHolds checks that server id holds every acknowledged write.
func (e *diskEnsemble) requireHolds(id core.NodeID, acked map[string]string) {
	e.t.Helper()
	for p, v := range acked {
		rep := e.request(id, ztree.OpGetData, p, "")
		require.Equal(e.t, ztree.OK, rep.Err, "acknowledged %s lost on %v", p, id)
		require.Equal(e.t, v, rep.Data, "%s on %v", p, id)
	}
}

// TestEnsembleRefusesFlippedBit is issue 8's case at the ensemble level: N
// acknowledged writes on 3 servers with their data on disk; a bit flips in
// the middle of one follower's log, valid records after it. The follower
// refuses to start (it does not rejoin with a shortened log, which could
// elect a leader without acknowledged writes); the other two still hold every
// write and keep serving; once its data dir is moved aside, it comes back
// empty, is sent a SNAP and holds every write again.
func TestEnsembleRefusesFlippedBit(t *testing.T) {
	if testing.Short() {
		t.Skip("live ensemble")
	}
	e := newDiskEnsemble(t)
	e.waitSynced()
	var lid core.NodeID
	for _, id := range e.ids() {
		if e.nodes[id].Status().Role == core.Leading {
			lid = id
		}
	}
	f := lid%3 + 1 // a follower
	acked := map[string]string{}
	for i := range 60 {
		p, v := fmt.Sprintf("/k%03d", i), fmt.Sprint("v", i)
		rep := e.request(f, ztree.OpCreate, p, v)
		require.Equal(t, ztree.OK, rep.Err, "create %s: %+v", p, rep)
		acked[p] = v
	}
	e.waitSynced()

	// Stop the follower and flip a bit in the middle of its log.
	require.NoError(t, e.nodes[f].Close())
	delete(e.nodes, f)
	d := &Disk{dir: e.dirs[f], logDir: join(e.dirs[f], "log")}
	_, err := d.loadSegs()
	require.NoError(t, err)
	seg := d.segs[len(d.segs)-1]
	offs := recordOffsets(t, seg.path)
	require.Greater(t, len(offs), 4, "records in the follower's last segment")
	mid := len(offs) / 2
	flip(t, seg.path, offs[mid]+recHeaderSize+30, 0x08)

	// It refuses to start, naming the file and the offset, and moves nothing.
	ce := requireRefuses(t, e.dirs[f], Options{})
	require.Equal(t, seg.path, ce.File)
	require.Equal(t, int64(offs[mid]), ce.Offset)
	require.NotZero(t, ce.LastGood)
	require.Contains(t, ce.Reason, "a valid record follows")
	t.Logf("refused: %v", ce)

	// The other two hold every acknowledged write and still commit.
	for _, id := range e.ids() {
		e.requireHolds(id, acked)
	}
	for i := range 5 {
		p, v := fmt.Sprintf("/after%d", i), "a"
		rep := e.request(lid, ztree.OpCreate, p, v)
		require.Equal(t, ztree.OK, rep.Err)
		acked[p] = v
	}

	// The way out the error gives: move the data dir aside, start empty.
	syncsBefore := len(e.events.syncModes(t, f))
	require.NoError(t, os.Rename(e.dirs[f], e.dirs[f]+".bad"))
	disk, dur, err := Open(e.dirs[f], nil)
	require.NoError(t, err)
	require.Equal(t, image{}, imageOf(t, dur))
	e.start(f, nil, disk, dur)
	e.waitSynced()
	modes := e.events.syncModes(t, f)[syncsBefore:]
	require.NotEmpty(t, modes)
	require.Equal(t, core.ModeSnap.String(), modes[0], "the empty server is sent the whole state")
	e.requireHolds(f, acked)
	require.FileExists(t, strings.Replace(seg.path, e.dirs[f], e.dirs[f]+".bad", 1), "the damaged file is kept")
}
