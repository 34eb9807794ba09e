package ensemble

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/check"
	"github.com/zabplay/zabplay/core/ztree"
)

func TestKillLeader3(t *testing.T) { killLeader(t, 3) }
func TestKillLeader5(t *testing.T) { killLeader(t, 5) }

// killLeader: write through a follower, crash the leader, a new leader with a
// higher epoch keeps every acknowledged write, the survivors converge, the old
// leader restarts from its disk and resyncs; the checker finds nothing in the
// merged live stream.
func killLeader(t *testing.T, voters int) {
	a := newAPI(t, testOptions(t))
	id := a.create(jsonBody(map[string]int{"voters": voters}))
	w := a.watch(id, nil, true)

	st := a.waitState(id, 15*time.Second, "a leader", synced)
	old := st.Leader
	oldEpoch := st.Servers[old-1].CurrentEpoch
	var f core.NodeID
	for _, s := range st.Servers {
		if s.Role == core.Following {
			f = s.ID
			break
		}
	}
	require.NotZero(t, f, "no follower in %+v", st.Servers)
	t.Logf("leader %v epoch %d; writing through %v", old, oldEpoch, f)

	acked := map[string]string{}
	for i := range 10 {
		p, v := fmt.Sprintf("/k%d", i), fmt.Sprintf("v%d", i)
		r := a.mustAct(id, fmt.Sprintf("create %s %s via %s", p, v, f))
		require.NotNil(t, r.Reply)
		require.Equal(t, ztree.OK, r.Reply.Err, "create %s: %+v", p, r.Reply)
		assert.Equal(t, f, r.Reply.Server)
		acked[p] = v
	}

	r := a.mustAct(id, "crash leader")
	assert.False(t, r.State.Servers[old-1].Up, "the old leader is down")
	assert.Equal(t, fmt.Sprintf("crash %v", old), r.State.Actions[len(r.State.Actions)-1].Text, "actions record the resolved name")

	st = a.waitState(id, 20*time.Second, "a new leader in a higher epoch", func(st State) (bool, string) {
		if ok, why := synced(st); !ok {
			return false, why
		}
		if e := st.Servers[st.Leader-1].CurrentEpoch; e <= oldEpoch {
			return false, fmt.Sprintf("leader %v in epoch %d, not above %d", st.Leader, e, oldEpoch)
		}
		return true, ""
	})
	nl := st.Leader
	require.NotEqual(t, old, nl)
	t.Logf("new leader %v epoch %d", nl, st.Servers[nl-1].CurrentEpoch)
	r = a.mustAct(id, "create /after x")
	require.Equal(t, ztree.OK, r.Reply.Err)
	assert.Equal(t, st.Servers[nl-1].CurrentEpoch, r.Reply.Zxid.Epoch())

	st = a.waitState(id, 10*time.Second, "survivors converge", synced)
	for _, s := range st.Servers {
		if !s.Up {
			continue
		}
		for p, v := range acked {
			r := a.mustAct(id, fmt.Sprintf("get %s via %v", p, s.ID))
			require.Equal(t, ztree.OK, r.Reply.Err, "%v lost %s", s.ID, p)
			assert.Equal(t, v, r.Reply.Data, "%v %s", s.ID, p)
		}
	}

	r = a.mustAct(id, fmt.Sprintf("restart %v", old))
	assert.True(t, r.State.Servers[old-1].Up)
	st = a.waitState(id, 20*time.Second, "the old leader resyncs", func(st State) (bool, string) {
		if !st.Servers[old-1].Up || st.Servers[old-1].LastSync == "" {
			return false, fmt.Sprintf("%v not synced yet", old)
		}
		return synced(st)
	})
	t.Logf("%v resynced with %s at %v", old, st.Servers[old-1].LastSync, st.Servers[old-1].LastZxid)
	assert.Contains(t, []string{"DIFF", "TRUNC", "TRUNC+DIFF", "SNAP"}, st.Servers[old-1].LastSync)
	assert.Equal(t, st.Servers[nl-1].LastZxid, st.Servers[old-1].LastZxid)
	rep := a.mustAct(id, fmt.Sprintf("get /k9 via %v", old)).Reply
	assert.Equal(t, "v9", rep.Data)

	// The tree in the state: what the servers applied.
	var paths []string
	for _, n := range st.Servers[old-1].Tree {
		paths = append(paths, n.Path)
	}
	assert.Contains(t, paths, "/k0")
	assert.Contains(t, paths, "/after")

	// The checker over the stream the browser gets, and the ensemble's own.
	require.True(t, w.waitSeq(st.Seq, 5*time.Second), "the viewer got the stream up to the snapshot")
	_, holes, gaps, events := w.stats()
	assert.Zero(t, holes)
	assert.Zero(t, gaps)
	assert.Greater(t, events, 100)
	w.mu.Lock()
	vs := w.checker.Violations()
	w.mu.Unlock()
	assert.Empty(t, vs, "%s", check.Report(vs, 0))
	assert.Nil(t, st.Violation)
}

// A paused leader (in process: every link cut) loses its quorum within
// syncLimit and steps down; a new leader is elected; on resume it rejoins.
func TestPauseLeaderStepsDown(t *testing.T) {
	a := newAPI(t, testOptions(t))
	id := a.create(`{"voters":3}`)
	st := a.waitState(id, 15*time.Second, "a leader", synced)
	old := st.Leader
	r := a.mustAct(id, "pause leader")
	assert.True(t, r.State.Servers[old-1].Paused)
	for _, l := range r.State.Links {
		if l.From == old || l.To == old {
			assert.True(t, l.Cut, "%v->%v", l.From, l.To)
		}
	}
	start := time.Now()
	a.waitState(id, 10*time.Second, "the paused leader steps down", func(st State) (bool, string) {
		s := st.Servers[old-1]
		if s.Role == core.Leading {
			return false, fmt.Sprintf("%v still leading", old)
		}
		if st.Leader == 0 || st.Leader == old {
			return false, "no new leader"
		}
		return true, ""
	})
	t.Logf("stepped down and replaced within %v", time.Since(start))
	code, res := a.act(id, fmt.Sprintf("pause %v", old))
	assert.Equal(t, 400, code)
	assert.Contains(t, res.Error, "already paused")
	a.mustAct(id, fmt.Sprintf("resume %v", old))
	st = a.waitState(id, 15*time.Second, "it rejoins", func(st State) (bool, string) {
		if st.Servers[old-1].Role != core.Following {
			return false, fmt.Sprintf("%v is %v", old, st.Servers[old-1].Role)
		}
		return synced(st)
	})
	assert.False(t, st.Servers[old-1].Paused)
}

// Partition, cut, delay and heal show in the links.
func TestLinkActions(t *testing.T) {
	a := newAPI(t, testOptions(t))
	id := a.create(`{"voters":3,"linkDelayMs":20}`)
	a.waitState(id, 15*time.Second, "a leader", synced)
	linkOf := func(st State, from, to core.NodeID) Link {
		for _, l := range st.Links {
			if l.From == from && l.To == to {
				return l
			}
		}
		t.Fatalf("no link %v->%v", from, to)
		return Link{}
	}
	st := a.mustAct(id, "cut s1->s2").State
	assert.True(t, linkOf(st, 1, 2).Cut)
	assert.False(t, linkOf(st, 2, 1).Cut)
	assert.Equal(t, 20, linkOf(st, 1, 2).DelayMs)
	st = a.mustAct(id, "delay s2-s3 300ms").State
	assert.Equal(t, 300, linkOf(st, 2, 3).DelayMs)
	assert.Equal(t, 300, linkOf(st, 3, 2).DelayMs)
	assert.Equal(t, 20, linkOf(st, 1, 3).DelayMs)
	st = a.mustAct(id, "partition s1 | rest").State
	assert.True(t, linkOf(st, 2, 1).Cut)
	assert.True(t, linkOf(st, 1, 3).Cut)
	assert.False(t, linkOf(st, 2, 3).Cut)
	assert.Equal(t, "partition s1 | s2 s3", st.Actions[len(st.Actions)-1].Text)
	st = a.mustAct(id, "heal").State
	for _, l := range st.Links {
		assert.False(t, l.Cut)
	}
	st = a.mustAct(id, "delay 0ms").State
	for _, l := range st.Links {
		assert.Zero(t, l.DelayMs)
	}
	a.waitState(id, 15*time.Second, "in sync after heal", synced)
}
