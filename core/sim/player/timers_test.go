package player

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/view"
)

func serverOf(st PlayerState, id core.NodeID) view.Server {
	for _, s := range st.Servers {
		if s.ID == id {
			return s
		}
	}
	return view.Server{}
}

// The timers a view draws come from the core: a follower's last word from
// its leader and its syncLimit, the leader's learners and quorum count, and
// a frozen leader's clock standing still while its followers' countdowns
// run out (the "freeze the leader" exercise).
func TestViewTimersFreezeLeader(t *testing.T) {
	p, err := NewPlayer(PlayerConfig{Voters: 3, Seed: 7})
	require.NoError(t, err)
	p.AdvanceTo(3000)
	st := p.State()
	ld := st.Leader
	require.NotZero(t, ld)
	o := p.Options()
	lv := serverOf(st, ld)
	assert.Equal(t, 2, lv.Timers.Quorum)
	assert.Equal(t, 3, lv.Timers.Synced, "an established leader hears both followers")
	assert.Len(t, lv.Timers.Learners, 2)
	assert.NotZero(t, lv.Timers.Tick)
	assert.Greater(t, lv.Timers.NextPingAt, lv.Now-int64(o.TickMs))
	for _, l := range lv.Timers.Learners {
		assert.Equal(t, "uptodate", l.Stage)
		assert.True(t, l.Synced)
		assert.GreaterOrEqual(t, l.AckDeadline, lv.Timers.Tick)
	}
	var fol core.NodeID
	for _, s := range st.Servers {
		if s.ID != ld {
			fol = s.ID
			assert.Equal(t, "syncLimit", s.Timers.HeardLimit)
			assert.Equal(t, int64(o.SyncLimit*o.TickMs), s.Timers.HeardTimeoutMs)
			assert.LessOrEqual(t, s.Now-s.Timers.HeardAt, int64(o.TickMs), "a PING every half tick")
		}
	}

	require.NoError(t, p.Act("pause "+ld.String()+" for 3s"))
	p.AdvanceTo(p.Now() + int64(o.SyncLimit*o.TickMs)/2)
	st = p.State()
	frozen := serverOf(st, ld)
	f := serverOf(st, fol)
	assert.True(t, frozen.Paused)
	assert.Less(t, frozen.Now, st.At, "a paused server's clock stands still")
	assert.Greater(t, f.Now-f.Timers.HeardAt, int64(o.TickMs), "the follower's countdown runs")

	// The followers give up on it and elect; when it resumes it steps down.
	p.AdvanceTo(p.Now() + 3000)
	st = p.State()
	assert.NotEqual(t, ld, st.Leader)
	assert.NotEqual(t, core.Leading, serverOf(st, ld).Role)
}

// While LOOKING with a quorum for its vote a server shows when it decides
// (finalizeWait); a leader not yet established shows its initLimit deadline.
func TestViewTimersElection(t *testing.T) {
	p, err := NewPlayer(PlayerConfig{Voters: 3, Seed: 7})
	require.NoError(t, err)
	sawFinalize, sawInit := false, false
	for p.Now() < 3000 && !(sawFinalize && sawInit) {
		p.StepOne()
		for _, s := range p.State().Servers {
			if s.Timers.FinalizeAt > 0 {
				sawFinalize = true
				assert.LessOrEqual(t, s.Timers.FinalizeAt-s.Now, int64(200))
			}
			if s.Timers.InitDeadline > 0 {
				sawInit = true
				assert.NotEmpty(t, s.Timers.InitWaiting)
			}
		}
	}
	assert.True(t, sawFinalize, "a finalize wait")
	assert.True(t, sawInit, "an initLimit deadline")
}
