package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
	"github.com/zabplay/zabplay/server/transport"
)

// testSecret is the shared secret of the test ensembles.
var testSecret = []byte("the node tests' shared secret")

// ensemble is N live servers on loopback ports, in this process.
type ensemble struct {
	t         *testing.T
	observers []core.NodeID
	addrs     map[core.NodeID]string
	nodes     map[core.NodeID]*Node
	stores    map[core.NodeID]*MemStore
}

func newEnsemble(t *testing.T, n int, observers ...core.NodeID) *ensemble {
	e := &ensemble{t: t, observers: observers, addrs: map[core.NodeID]string{}, nodes: map[core.NodeID]*Node{}, stores: map[core.NodeID]*MemStore{}}
	lns := map[core.NodeID]net.Listener{}
	for i := 1; i <= n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		id := core.NodeID(i)
		lns[id], e.addrs[id], e.stores[id] = ln, ln.Addr().String(), &MemStore{}
	}
	for id, ln := range lns {
		e.start(id, ln)
	}
	t.Cleanup(func() {
		for _, n := range e.nodes {
			n.Close()
		}
	})
	return e
}

func testLog(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return nil
}

// start boots server id from its store, on ln or (after a kill) its old address.
func (e *ensemble) start(id core.NodeID, ln net.Listener) {
	if ln == nil {
		require.Eventually(e.t, func() bool {
			var err error
			ln, err = net.Listen("tcp", e.addrs[id])
			return err == nil
		}, 5*time.Second, 10*time.Millisecond)
	}
	n, err := Start(Config{
		ID: id, Peers: e.addrs, Observers: e.observers, Listener: ln, Secret: testSecret, Store: e.stores[id], Restore: e.stores[id].Durable(),
		TickMs: 100, ClockMs: 10, InitLimit: 10, SyncLimit: 5, Seed: uint64(id) * 7919, Log: testLog(e.t),
	})
	require.NoError(e.t, err)
	e.nodes[id] = n
}

// kill closes a server abruptly (what it had not persisted is lost).
func (e *ensemble) kill(id core.NodeID) {
	require.NoError(e.t, e.nodes[id].Close())
	delete(e.nodes, id)
}

func (e *ensemble) ids() []core.NodeID {
	var ids []core.NodeID
	for id := range e.nodes {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// leader returns the established leader, if the running servers have one.
func (e *ensemble) leader() (core.NodeID, Status, bool) {
	for _, id := range e.ids() {
		if st := e.nodes[id].Status(); st.Role == core.Leading && st.Established {
			return id, st, true
		}
	}
	return 0, Status{}, false
}

// synced reports whether every running server is in broadcast under one
// established leader with the same last txn (zxid) and tree hash, and why
// not (the simulator's Pending).
func (e *ensemble) synced() (bool, string) {
	lid, lst, ok := e.leader()
	if !ok {
		return false, "no established leader"
	}
	for _, id := range e.ids() {
		st := e.nodes[id].Status()
		switch {
		case st.Phase != core.PhaseBroadcast:
			return false, fmt.Sprintf("%v is in phase %v", id, st.Phase)
		case st.Leader != lid:
			return false, fmt.Sprintf("%v follows %v, not %v", id, st.Leader, lid)
		case st.LastTxn != lst.LastTxn || st.TreeHash != lst.TreeHash:
			return false, fmt.Sprintf("%v at %v tree %x, leader %v at %v tree %x", id, st.LastTxn, st.TreeHash, lid, lst.LastTxn, lst.TreeHash)
		}
	}
	return true, ""
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	why := ""
	for time.Now().Before(deadline) {
		var ok bool
		if ok, why = cond(); ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v: %s", what, within, why)
}

func (e *ensemble) waitSynced(within time.Duration) {
	e.t.Helper()
	waitFor(e.t, within, "ensemble in sync", e.synced)
}

func (e *ensemble) follower() core.NodeID {
	lid, _, _ := e.leader()
	for _, id := range e.ids() {
		if id != lid {
			return id
		}
	}
	e.t.Fatal("no follower")
	return 0
}

func request(t *testing.T, n *Node, op ztree.Op, path, data string) core.Reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rep, err := n.Request(ctx, core.Request{Request: ztree.Request{Op: op, Path: path, Data: data, Version: -1}})
	require.NoError(t, err)
	return rep
}

func TestEnsembleCommitsThroughFollower(t *testing.T) {
	e := newEnsemble(t, 3)
	e.waitSynced(10 * time.Second)
	lid, lst, _ := e.leader()
	f := e.follower()
	t.Logf("leader %v epoch %d; writing through %v", lid, lst.CurrentEpoch, f)
	for i := 0; i < 20; i++ {
		rep := request(t, e.nodes[f], ztree.OpCreate, fmt.Sprintf("/k%02d", i), fmt.Sprint(i))
		require.Equal(t, ztree.OK, rep.Err, "create /k%02d: %+v", i, rep)
		assert.Equal(t, lst.CurrentEpoch, rep.Zxid.Epoch())
		assert.Equal(t, f, rep.Server)
	}
	e.waitSynced(5 * time.Second)
	for _, id := range e.ids() {
		rep := request(t, e.nodes[id], ztree.OpGetData, "/k19", "")
		assert.Equal(t, ztree.OK, rep.Err, "%v", id)
		assert.Equal(t, "19", rep.Data, "%v", id)
	}
	rep := request(t, e.nodes[f], ztree.OpCreate, "/k00", "again")
	assert.Equal(t, ztree.NodeExists, rep.Err)
}

func TestLeaderCrashFailoverAndResync(t *testing.T) {
	e := newEnsemble(t, 3)
	e.waitSynced(10 * time.Second)
	old, ost, _ := e.leader()
	f := e.follower()
	var acked []string
	for i := 0; i < 10; i++ {
		p := fmt.Sprintf("/w%d", i)
		if rep := request(t, e.nodes[f], ztree.OpCreate, p, "v"+p); rep.Err == ztree.OK {
			acked = append(acked, p)
		}
	}
	require.Len(t, acked, 10)

	e.kill(old)
	waitFor(t, 10*time.Second, "a new leader", func() (bool, string) {
		id, st, ok := e.leader()
		if !ok {
			return false, "no established leader"
		}
		return st.CurrentEpoch > ost.CurrentEpoch, fmt.Sprintf("%v leads epoch %d (old %d)", id, st.CurrentEpoch, ost.CurrentEpoch)
	})
	e.waitSynced(10 * time.Second)
	nl, _, _ := e.leader()
	assert.NotEqual(t, old, nl)
	for _, id := range e.ids() {
		for _, p := range acked {
			rep := request(t, e.nodes[id], ztree.OpGetData, p, "")
			assert.Equal(t, ztree.OK, rep.Err, "acknowledged %s lost on %v", p, id)
			assert.Equal(t, "v"+p, rep.Data)
		}
	}
	rep := request(t, e.nodes[nl], ztree.OpSetData, "/w0", "after")
	require.Equal(t, ztree.OK, rep.Err)

	// The old leader comes back from its store and resyncs.
	e.start(old, nil)
	e.waitSynced(10 * time.Second)
	st := e.nodes[old].Status()
	assert.Equal(t, core.Following, st.Role)
	rep = request(t, e.nodes[old], ztree.OpGetData, "/w0", "")
	assert.Equal(t, "after", rep.Data)
	rep = request(t, e.nodes[old], ztree.OpCreate, "/back", "x")
	assert.Equal(t, ztree.OK, rep.Err)
	e.waitSynced(5 * time.Second)
}

func TestObserverSyncsAndServes(t *testing.T) {
	e := newEnsemble(t, 4, 4)
	e.waitSynced(10 * time.Second)
	st := e.nodes[4].Status()
	assert.Equal(t, core.Observing, st.Role)
	assert.True(t, st.Observer)
	rep := request(t, e.nodes[4], ztree.OpCreate, "/o", "seen")
	require.Equal(t, ztree.OK, rep.Err)
	e.waitSynced(5 * time.Second)
	rep = request(t, e.nodes[1], ztree.OpGetData, "/o", "")
	assert.Equal(t, "seen", rep.Data)
}

func TestIsolatedLeaderStepsDownAndRejoins(t *testing.T) {
	e := newEnsemble(t, 3)
	e.waitSynced(10 * time.Second)
	old, ost, _ := e.leader()
	for _, id := range e.ids() {
		if id != old {
			require.NoError(t, e.nodes[old].SetFaults(id, transport.Both, transport.Faults{Cut: true}))
		}
	}
	waitFor(t, 10*time.Second, "a new leader beside the isolated one", func() (bool, string) {
		for _, id := range e.ids() {
			st := e.nodes[id].Status()
			if id != old && st.Role == core.Leading && st.Established && st.CurrentEpoch > ost.CurrentEpoch {
				return true, ""
			}
		}
		return false, fmt.Sprintf("old leader %v is %v", old, e.nodes[old].Status().Role)
	})
	waitFor(t, 5*time.Second, "the isolated leader steps down", func() (bool, string) {
		st := e.nodes[old].Status()
		return st.Role != core.Leading, st.Role.String()
	})
	e.nodes[old].Heal()
	e.waitSynced(10 * time.Second)
	nl, _, _ := e.leader()
	assert.NotEqual(t, old, nl)
}

func TestAdminAPI(t *testing.T) {
	e := newEnsemble(t, 3)
	e.waitSynced(10 * time.Second)
	f := e.follower()
	srv := httptest.NewServer(e.nodes[f].Handler(AdminOptions{}))
	defer srv.Close()

	// Events: subscribe, then write.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/events", nil)
	require.NoError(t, err)
	defer ws.CloseNow()

	post := func(path, body string) (int, map[string]any) {
		resp, err := http.Post(srv.URL+path, "application/json", bytes.NewBufferString(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		b, _ := io.ReadAll(resp.Body)
		json.Unmarshal(b, &out)
		return resp.StatusCode, out
	}
	code, rep := post("/request", `{"op":"create","path":"/a","data":"x"}`)
	require.Equal(t, 200, code, "%v", rep)
	assert.Equal(t, "OK", rep["err"])
	code, rep = post("/request", `{"op":"get","path":"/a"}`)
	require.Equal(t, 200, code)
	assert.Equal(t, "x", rep["data"])
	code, _ = post("/request", `{"op":"frobnicate","path":"/a"}`)
	assert.Equal(t, 400, code)
	code, _ = post("/request", `{"op":"create","path":"no-slash"}`)
	assert.Equal(t, 400, code)

	kinds := map[string]bool{}
	for !(kinds["request"] && kinds["deliver"] && kinds["reply"] && kinds["send"] && kinds["deliver-msg"]) {
		_, b, err := ws.Read(ctx)
		require.NoError(t, err, "events so far: %v", kinds)
		var ev map[string]any
		require.NoError(t, json.Unmarshal(b, &ev))
		kinds[ev["kind"].(string)] = true
		_, hasT := ev["t"]
		assert.True(t, hasT, "every event has t: %s", b)
	}

	// Status.
	resp, err := http.Get(srv.URL + "/status")
	require.NoError(t, err)
	var st map[string]any // core's ServerState and Phase marshal as names only
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	resp.Body.Close()
	assert.Equal(t, float64(f), st["id"])
	assert.Equal(t, "following", st["role"])
	assert.Equal(t, "broadcast", st["phase"])
	assert.Equal(t, true, st["running"])
	assert.NotZero(t, st["treeHash"])
	assert.Len(t, st["links"], 2)

	// Faults: a 300ms delay on f->leader slows writes through f but they commit.
	lid, _, _ := e.leader()
	code, _ = post("/faults", fmt.Sprintf(`{"peer":%d,"dir":"out","delayMs":300}`, lid))
	require.Equal(t, 200, code)
	start := time.Now()
	code, rep = post("/request", `{"op":"set","path":"/a","data":"slow"}`)
	require.Equal(t, 200, code)
	assert.Equal(t, "OK", rep["err"])
	assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	code, _ = post("/faults", `{"peer":9,"cut":true}`)
	assert.Equal(t, 400, code)
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/faults", nil)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	for _, l := range e.nodes[f].Links() {
		assert.Zero(t, l.Out.DelayMs)
	}
}

func TestHubGapMarker(t *testing.T) {
	h := NewHub(time.Now())
	s := h.Subscribe(2)
	for i := 0; i < 5; i++ {
		h.Publish(core.Event{Kind: core.EvWarn, Text: fmt.Sprint(i)})
	}
	assert.Contains(t, string(<-s.C), `"text":"0"`)
	assert.Contains(t, string(<-s.C), `"text":"1"`)
	h.Publish(core.Event{Kind: core.EvWarn, Text: "5"})
	assert.Contains(t, string(<-s.C), `{"kind":"gap","dropped":3,`)
	assert.Contains(t, string(<-s.C), `"text":"5"`)
	h.Close()
	_, ok := <-s.C
	assert.False(t, ok)
}
