package ensemble

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/check"
	"github.com/zabplay/zabplay/core/ztree"
)

// TestProcessMode runs live ensembles whose servers are `zabplay node`
// children (built once here): a SIGKILLed leader under load (3 and 5
// servers), and a SIGSTOPped leader that steps down on SIGCONT.
func TestProcessMode(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process mode needs Linux")
	}
	bin := buildZabplay(t)
	opts := func(t *testing.T) Options {
		o := testOptions(t)
		o.Mode, o.NodeBinary = Process, bin
		return o
	}
	t.Run("kill leader mid-load, 3 servers", func(t *testing.T) { killLeaderUnderLoad(t, opts(t), 3) })
	t.Run("kill leader mid-load, 5 servers", func(t *testing.T) { killLeaderUnderLoad(t, opts(t), 5) })
	t.Run("pause leader past syncLimit", func(t *testing.T) { pauseLeaderProcess(t, opts(t)) })
	t.Run("a server killed from outside", func(t *testing.T) { killedFromOutside(t, opts(t)) })
}

func buildZabplay(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "zabplay")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	start := time.Now()
	out, err := exec.Command(goTool, "build", "-o", bin, "github.com/zabplay/zabplay").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	t.Logf("built %s in %v", bin, time.Since(start).Round(time.Millisecond))
	return bin
}

// procClient writes setData to its own paths, one request at a time,
// through the API, and keeps its history.
type procClient struct {
	name  string
	via   string // the server it writes through
	paths []string

	mu      sync.Mutex
	ops     []check.WriteOp
	acked   int
	last    map[string]string   // path → last acknowledged value
	maybe   map[string][]string // path → values written after it with no answer
	errors  map[string]int      // why writes were not acknowledged
	started time.Time
}

func newProcClient(name, via string, paths int, start time.Time) *procClient {
	c := &procClient{name: name, via: via, last: map[string]string{}, maybe: map[string][]string{}, errors: map[string]int{}, started: start}
	for j := range paths {
		c.paths = append(c.paths, fmt.Sprintf("/%sp%d", name, j))
	}
	return c
}

func (c *procClient) ackCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.acked
}

// write sends one write and records it: OK is acknowledged; an answer with
// another code is a definite failure; no answer (or ConnectionLoss) leaves
// its outcome unknown.
func (c *procClient) write(a *api, id string, op ztree.Op, path, value string) {
	text := fmt.Sprintf("%s %s %s via %s", map[ztree.Op]string{ztree.OpCreate: "create", ztree.OpSetData: "set"}[op], path, value, c.via)
	call := time.Since(c.started).Microseconds()
	code, r := a.act(id, text)
	ret := time.Since(c.started).Microseconds()
	c.mu.Lock()
	defer c.mu.Unlock()
	w := check.WriteOp{Op: op, Path: path, Data: value, Version: -1, Call: call}
	switch {
	case code == http.StatusOK && r.Reply != nil:
		w.Client, w.Return, w.Err, w.NewVer = r.Reply.Session, ret, r.Reply.Err, r.Reply.Version
		w.Unknown = r.Reply.Err == ztree.ConnectionLoss
		if r.Reply.Err != ztree.OK {
			c.errors[r.Reply.Err.String()]++
		}
	case code == http.StatusBadRequest:
		c.errors["refused: "+r.Error]++ // never sent (the server is down)
		return
	default:
		w.Unknown = true // sent; no answer: it may commit later, or never
		c.errors[fmt.Sprintf("HTTP %d", code)]++
	}
	if w.Unknown {
		// A write that lost its connection may still commit later (the new
		// leader keeps what the old one logged): no bound on when.
		w.Return = 0
	}
	if w.Client == 0 {
		w.Client = -int64(len(c.ops) + 1) // a session of its own
	}
	c.ops = append(c.ops, w)
	switch {
	case !w.Unknown && w.Err == ztree.OK:
		c.acked++
		c.last[path] = value
		delete(c.maybe, path)
	case w.Unknown:
		c.maybe[path] = append(c.maybe[path], value)
	}
}

func (c *procClient) run(a *api, id string, stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		before := c.ackCount()
		c.write(a, id, ztree.OpSetData, c.paths[i%len(c.paths)], fmt.Sprintf("%s-%d", c.name, i))
		if c.ackCount() == before {
			time.Sleep(10 * time.Millisecond) // back off while there is no leader
		}
	}
}

// killLeaderUnderLoad: clients keep writing through the followers while the
// leader is SIGKILLed; a new leader in a higher epoch takes over, no
// acknowledged write is lost on any survivor, the survivors converge; the
// old leader restarts from its disk and resyncs by DIFF or TRUNC; the
// checker finds nothing in the merged trace and the writes are linearizable.
func killLeaderUnderLoad(t *testing.T, o Options, voters int) {
	a := newAPI(t, o)
	id := a.create(jsonBody(map[string]int{"voters": voters}))
	w := a.watch(id, nil, true)
	st := a.waitState(id, 15*time.Second, "a leader", synced)
	old := st.Leader
	oldEpoch := st.Servers[old-1].CurrentEpoch
	var followers []core.NodeID
	for _, s := range st.Servers {
		if s.ID != old {
			followers = append(followers, s.ID)
		}
	}
	e, err := a.m.Get(id)
	require.NoError(t, err)
	pids := map[core.NodeID]int{}
	e.mu.Lock()
	for _, m := range e.members {
		pids[m.id] = m.n.(*proc).cmd.Process.Pid
	}
	e.mu.Unlock()

	start := time.Now()
	var clients []*procClient
	for g := range 4 {
		c := newProcClient(fmt.Sprintf("c%d", g), followers[g%len(followers)].String(), 4, start)
		for _, p := range c.paths {
			c.write(a, id, ztree.OpCreate, p, "0")
		}
		require.Equal(t, len(c.paths), c.ackCount(), "%s: creates: %v", c.name, c.errors)
		clients = append(clients, c)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.run(a, id, stop)
		}()
	}
	stopped := false
	stopLoad := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer stopLoad()
	waitAcks := func(what string, n int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for _, c := range clients {
			for c.ackCount() < n {
				if time.Now().After(deadline) {
					c.mu.Lock()
					t.Fatalf("%s: %s has %d acknowledged writes, want %d (not acknowledged: %v)", what, c.name, c.acked, n, c.errors)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	waitAcks("before the kill", 4+20)

	killCall := time.Since(start).Microseconds()
	r := a.mustAct(id, "crash leader") // SIGKILL, with writes in flight
	killReturn := time.Since(start).Microseconds()
	assert.False(t, r.State.Servers[old-1].Up, "the old leader is down")
	var texts []string
	for _, x := range r.State.Actions {
		texts = append(texts, x.Text)
	}
	require.Contains(t, texts, fmt.Sprintf("crash %v", old), "actions record the resolved name")
	require.Eventually(t, func() bool { return syscall.Kill(pids[old], 0) != nil }, 5*time.Second, 10*time.Millisecond,
		"the old leader's process is gone")
	killedAt := make([]int, len(clients))
	for i, c := range clients {
		killedAt[i] = c.ackCount()
	}

	st = a.waitState(id, 20*time.Second, "a new leader in a higher epoch", func(st State) (bool, string) {
		if st.Leader == 0 || st.Leader == old {
			return false, fmt.Sprintf("leader %v", st.Leader)
		}
		if e := st.Servers[st.Leader-1].CurrentEpoch; e <= oldEpoch {
			return false, fmt.Sprintf("leader %v in epoch %d, not above %d", st.Leader, e, oldEpoch)
		}
		return true, ""
	})
	nl := st.Leader
	t.Logf("leader %v (epoch %d) killed; new leader %v (epoch %d)", old, oldEpoch, nl, st.Servers[nl-1].CurrentEpoch)
	for i := range clients {
		waitAcks("after the kill", killedAt[i]+20)
	}
	stopLoad()
	inFlight := 0
	for _, c := range clients {
		for _, op := range c.ops {
			if op.Call < killReturn && (op.Return == 0 || op.Return > killCall) {
				inFlight++
			}
		}
	}
	assert.Positive(t, inFlight, "writes were in flight when the leader was killed")

	// The survivors converge and every acknowledged write is on each.
	st = a.waitState(id, 15*time.Second, "survivors converge", synced)
	checkFinal := func(on core.NodeID) {
		t.Helper()
		r := a.mustAct(id, fmt.Sprintf("sync via %v", on))
		require.Equal(t, ztree.OK, r.Reply.Err)
		for _, c := range clients {
			c.mu.Lock()
			for _, p := range c.paths {
				r := a.mustAct(id, fmt.Sprintf("get %s via %v", p, on))
				require.Equal(t, ztree.OK, r.Reply.Err, "%v: get %s", on, p)
				want := append([]string{c.last[p]}, c.maybe[p]...)
				assert.Contains(t, want, r.Reply.Data, "%v: %s is %q: the last acknowledged write was %q (unanswered after it: %v)",
					on, p, r.Reply.Data, c.last[p], c.maybe[p])
			}
			c.mu.Unlock()
		}
	}
	for _, s := range st.Servers {
		if s.Up {
			checkFinal(s.ID)
		}
	}
	var ops []check.WriteOp
	total := 0
	for _, c := range clients {
		ops = append(ops, c.ops...)
		total += c.acked
		t.Logf("%s via %s: %d writes, %d acknowledged, not acknowledged: %v", c.name, c.via, len(c.ops), c.acked, c.errors)
	}
	assert.Nil(t, check.Linearizable(ops, 10*time.Second), "the clients' writes are linearizable")

	// The old leader restarts from its disk and resyncs with a diff.
	r = a.mustAct(id, fmt.Sprintf("restart %v", old))
	assert.True(t, r.State.Servers[old-1].Up)
	st = a.waitState(id, 20*time.Second, "the old leader resyncs", func(st State) (bool, string) {
		s := st.Servers[old-1]
		if s.Role != core.Following {
			return false, fmt.Sprintf("%v is %v", old, s.Role)
		}
		switch s.LastSync {
		case "DIFF", "TRUNC", "TRUNC+DIFF":
		default:
			return false, fmt.Sprintf("%v synced by %q", old, s.LastSync)
		}
		return synced(st)
	})
	t.Logf("%v resynced by %s at %v; %d writes acknowledged in all, %d in flight at the kill", old, st.Servers[old-1].LastSync, st.Servers[old-1].LastZxid, total, inFlight)
	checkFinal(old)

	// The checker over the merged stream (the viewer's and the ensemble's).
	require.True(t, w.waitSeq(st.Seq, 5*time.Second), "the viewer got the stream up to the snapshot")
	_, holes, gaps, events := w.stats()
	assert.Zero(t, holes)
	assert.Zero(t, gaps)
	assert.Greater(t, events, 500)
	w.mu.Lock()
	vs := w.checker.Violations()
	w.mu.Unlock()
	assert.Empty(t, vs, "%s", check.Report(vs, 0))
	assert.Nil(t, st.Violation)
	e.stream.mu.Lock()
	assert.Zero(t, e.stream.gaps, "the merger lost no event")
	e.stream.mu.Unlock()

	// DELETE kills every child and removes the data.
	require.Equal(t, http.StatusNoContent, a.do("DELETE", "/api/ensembles/"+id, "", nil))
	for sid, pid := range pids {
		if sid != old {
			assert.Error(t, syscall.Kill(pid, 0), "%v (pid %d) is gone", sid, pid)
		}
	}
	_, err = os.Stat(e.dir)
	assert.True(t, errors.Is(err, os.ErrNotExist), "data dir removed: %v", err)
}

// pauseLeaderProcess: SIGSTOP the leader; its timers stop with it, so it
// still believes it leads while the others time out (syncLimit) and elect a
// new leader; on SIGCONT it finds out and steps down, and rejoins.
func pauseLeaderProcess(t *testing.T, o Options) {
	a := newAPI(t, o)
	id := a.create(`{"voters":3}`)
	w := a.watch(id, nil, true)
	st := a.waitState(id, 15*time.Second, "a leader", synced)
	old := st.Leader
	oldEpoch := st.Servers[old-1].CurrentEpoch
	r := a.mustAct(id, "create /before x")
	require.Equal(t, ztree.OK, r.Reply.Err)
	e, err := a.m.Get(id)
	require.NoError(t, err)
	var mu sync.Mutex
	var seen []core.Event
	e.stream.mu.Lock()
	e.stream.onEvent = func(ev core.Event) {
		if ev.Node == old && (ev.Kind == core.EvRole || ev.Kind == core.EvPause || ev.Kind == core.EvResume) {
			mu.Lock()
			seen = append(seen, ev)
			mu.Unlock()
		}
	}
	e.stream.mu.Unlock()

	r = a.mustAct(id, "pause leader")
	paused := time.Now()
	assert.True(t, r.State.Servers[old-1].Paused)
	for _, l := range r.State.Links {
		assert.False(t, l.Cut, "a real pause cuts no link: %v->%v", l.From, l.To)
	}
	st = a.waitState(id, 15*time.Second, "a new leader while the old one is stopped", func(st State) (bool, string) {
		if st.Leader == 0 || st.Leader == old {
			return false, fmt.Sprintf("leader %v", st.Leader)
		}
		return true, ""
	})
	elapsed := time.Since(paused)
	nl := st.Leader
	syncLimit := time.Duration(o.SyncLimit*o.TickMs) * time.Millisecond
	assert.GreaterOrEqual(t, elapsed, syncLimit, "the followers waited out syncLimit")
	s := st.Servers[old-1]
	assert.True(t, s.Up && s.Paused)
	assert.Equal(t, core.Leading, s.Role, "a stopped leader has not noticed anything")
	assert.Equal(t, oldEpoch, s.CurrentEpoch)
	t.Logf("%v stopped; %v leads epoch %d after %v", old, nl, st.Servers[nl-1].CurrentEpoch, elapsed.Round(time.Millisecond))

	// A client of the new leader writes; the stopped one cannot have it.
	r = a.mustAct(id, fmt.Sprintf("create /during y via %v", nl))
	require.Equal(t, ztree.OK, r.Reply.Err)

	a.mustAct(id, fmt.Sprintf("resume %v", old))
	st = a.waitState(id, 15*time.Second, "the old leader steps down and rejoins", func(st State) (bool, string) {
		if s := st.Servers[old-1]; s.Role != core.Following || s.Leader != nl {
			return false, fmt.Sprintf("%v is %v under %v", old, s.Role, s.Leader)
		}
		return synced(st)
	})
	assert.False(t, st.Servers[old-1].Paused)
	r = a.mustAct(id, fmt.Sprintf("get /during via %v", old))
	assert.Equal(t, "y", r.Reply.Data)

	// The stepping down is in the trace, after the resume.
	require.True(t, w.waitSeq(st.Seq, 5*time.Second))
	w.mu.Lock()
	vs := w.checker.Violations()
	w.mu.Unlock()
	assert.Empty(t, vs, "%s", check.Report(vs, 0))
	assert.Nil(t, st.Violation)
	// The old leader's role changes come after its resume: while stopped it
	// changed nothing, not even on its own timers.
	mu.Lock()
	defer mu.Unlock()
	state := "before"
	var after []core.ServerState
	for _, ev := range seen {
		switch {
		case ev.Kind == core.EvPause:
			state = "paused"
		case ev.Kind == core.EvResume:
			state = "resumed"
		case ev.Kind == core.EvRole && state == "paused":
			t.Errorf("%v changed role to %v while stopped", old, ev.Role)
		case ev.Kind == core.EvRole && state == "resumed":
			after = append(after, ev.Role)
		}
	}
	require.Equal(t, "resumed", state)
	require.NotEmpty(t, after, "role changes after the resume")
	assert.NotEqual(t, core.Leading, after[0], "it stepped down: %v", after)
	t.Logf("%v after resume: %v", old, after)
}

// A child that dies without being asked (kill -9 from a shell, a failed
// fsync) shows as down with a crash in the trace, and restarts; a child
// crashed while stopped dies all the same.
func killedFromOutside(t *testing.T, o Options) {
	a := newAPI(t, o)
	id := a.create(`{"voters":3}`)
	w := a.watch(id, nil, true)
	st := a.waitState(id, 15*time.Second, "a leader", synced)
	f := st.Servers[st.Leader%3].ID // a follower
	e, err := a.m.Get(id)
	require.NoError(t, err)
	e.mu.Lock()
	pid := e.members[f-1].n.(*proc).cmd.Process.Pid
	e.mu.Unlock()
	crashes := 0
	e.stream.mu.Lock()
	e.stream.onEvent = func(ev core.Event) {
		if ev.Kind == core.EvCrash && ev.Node == f {
			crashes++ // under e.stream.mu
		}
	}
	e.stream.mu.Unlock()
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	a.waitState(id, 10*time.Second, "it shows down", func(st State) (bool, string) {
		return !st.Servers[f-1].Up, fmt.Sprintf("%v up", f)
	})
	a.mustAct(id, fmt.Sprintf("restart %v", f))
	st = a.waitState(id, 15*time.Second, "it rejoins", func(st State) (bool, string) {
		if st.Servers[f-1].Role != core.Following {
			return false, fmt.Sprintf("%v is %v", f, st.Servers[f-1].Role)
		}
		return synced(st)
	})

	a.mustAct(id, fmt.Sprintf("pause %v", f))
	a.mustAct(id, fmt.Sprintf("crash %v", f))
	r := a.mustAct(id, fmt.Sprintf("restart %v", f))
	assert.False(t, r.State.Servers[f-1].Paused)
	st = a.waitState(id, 15*time.Second, "it rejoins again", func(st State) (bool, string) {
		if st.Servers[f-1].Role != core.Following {
			return false, fmt.Sprintf("%v is %v", f, st.Servers[f-1].Role)
		}
		return synced(st)
	})
	require.True(t, w.waitSeq(st.Seq, 5*time.Second))
	w.mu.Lock()
	defer w.mu.Unlock()
	assert.Empty(t, w.checker.Violations(), "%s", check.Report(w.checker.Violations(), 0))
	e.stream.mu.Lock()
	defer e.stream.mu.Unlock()
	assert.Equal(t, 2, crashes, "both crashes are in the trace")
}
