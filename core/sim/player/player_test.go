package player

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/view"
)

func traceHash(t *testing.T, evs []core.Event) string {
	t.Helper()
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, e := range evs {
		require.NoError(t, enc.Encode(e))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// playSession drives a player the way the browser does: frames of 16ms,
// actions in between, single steps.
func playSession(t *testing.T) *Player {
	p, err := NewPlayer(PlayerConfig{Voters: 5, Observers: 1, Seed: 42})
	require.NoError(t, err)
	frames := func(to int64) {
		for p.Now() < to {
			p.AdvanceTo(p.Now() + 16)
			p.Take()
		}
	}
	frames(3000)
	require.NotZero(t, p.Cluster().Leader(), "a leader by 3s")
	require.NoError(t, p.Act("crash leader"))
	frames(6000)
	require.NoError(t, p.Act("create /a hello via leader"))
	for range 7 {
		p.StepOne()
	}
	require.NoError(t, p.Act("partition s1 s2 | rest"))
	frames(9000)
	require.NoError(t, p.Act("heal"))
	require.NoError(t, p.Act("faults on"))
	frames(15000)
	require.NoError(t, p.Act("faults off"))
	require.NoError(t, p.Act("set /a bye"))
	frames(20000)
	return p
}

// TestPlayerReplayIsExact: the same config and actions give the same events,
// byte for byte, whether time ran in frames with single steps, in one go, or
// by seeking.
func TestPlayerReplayIsExact(t *testing.T) {
	live := playSession(t)
	end := live.Now()
	want := traceHash(t, live.Events())
	acts := live.Actions()
	require.Len(t, acts, 7)
	assert.Equal(t, "crash s", acts[0].Text[:7], "names are resolved")

	again, err := NewPlayer(PlayerConfig{Voters: 5, Observers: 1, Seed: 42, Actions: acts})
	require.NoError(t, err)
	again.AdvanceTo(end)
	assert.Equal(t, end, again.Now())
	assert.Equal(t, want, traceHash(t, again.Events()), "replay in one go")

	require.NoError(t, live.SeekTo(12000))
	require.NoError(t, live.SeekTo(end-3000))
	live.AdvanceTo(end)
	assert.Equal(t, end, live.Now())
	assert.Equal(t, want, traceHash(t, live.Events()), "seek back and forth")

	// The state JSON is deterministic too.
	a, _ := json.Marshal(live.State())
	b, _ := json.Marshal(again.State())
	assert.JSONEq(t, string(a), string(b))
}

// TestPlayerActingDropsTheFuture: acting after seeking back starts a branch.
func TestPlayerActingDropsTheFuture(t *testing.T) {
	p := playSession(t)
	require.NoError(t, p.SeekTo(4000))
	require.NoError(t, p.Act("heal"))
	require.Len(t, p.Actions(), 2, "the crash before 4s, then the new heal")
	assert.Equal(t, "heal", p.Actions()[1].Text)
}

// TestPlayerScenario: a scenario's statements become the timeline, and
// playing it reaches the state the scenario expects.
func TestPlayerScenario(t *testing.T) {
	src, err := os.ReadFile("../testdata/sync-diff.txt")
	require.NoError(t, err)
	p, err := NewPlayer(PlayerConfig{Scenario: string(src)})
	require.NoError(t, err)
	acts := p.Actions()
	require.NotEmpty(t, acts)
	p.AdvanceTo(acts[len(acts)-1].At + 5000)
	st := p.State()
	require.NotZero(t, st.Leader)
	leader := st.Servers[st.Leader-1]
	for _, s := range st.Servers {
		assert.Equal(t, leader.LastZxid, s.LastZxid, "%s in sync", s.Name)
		assert.Contains(t, s.Tree, view.ZNode{Path: "/b", Data: "three", Version: 0}, s.Name)
	}
	assert.Nil(t, st.Violation)
}

// TestPlayerHaltsOnViolation: with a bug switch the checker stops the run at
// the violating event, and acting is refused until the learner seeks back.
func TestPlayerHaltsOnViolation(t *testing.T) {
	src, err := os.ReadFile("../testdata/bugs/zk-4643.txt")
	require.NoError(t, err)
	p, err := NewPlayer(PlayerConfig{Scenario: string(src)})
	require.NoError(t, err)
	p.AdvanceTo(60000)
	v := p.State().Violation
	require.NotNil(t, v, "ZOOKEEPER-4643 is caught")
	assert.Equal(t, v.At, p.Now(), "halted at the violation")
	last := p.Events()[len(p.Events())-1]
	assert.Equal(t, core.EvViolation, last.Kind)
	require.Error(t, p.Act("heal"))

	require.NoError(t, p.SetBug("ZOOKEEPER-4643", false))
	p.AdvanceTo(60000)
	assert.Nil(t, p.State().Violation, "clean without the bug")
}

// TestPlayerRejectsBadInput: every bad input is an error, and changes nothing.
func TestPlayerRejectsBadInput(t *testing.T) {
	p, err := NewPlayer(PlayerConfig{Voters: 3, Seed: 1})
	require.NoError(t, err)
	p.AdvanceTo(2000)
	before := traceHash(t, p.Events())
	for _, bad := range []string{"", "explode s1", "crash s9", "crash", "expect ok", "run 2s", "wait leader",
		"create a-path x", "load 20", "faults maybe", "partition s1 | s7", "cut s1-s1x", "bug ZOOKEEPER-1154 on"} {
		assert.Error(t, p.Act(bad), "%q", bad)
	}
	assert.Empty(t, p.Actions())
	assert.Equal(t, before, traceHash(t, p.Events()))

	for _, cfg := range []PlayerConfig{
		{Scenario: "crash s1"},
		{Scenario: "ensemble voters=12"},
		{Voters: 3, Bugs: []string{"ZOOKEEPER-0"}},
		{Voters: 3, Actions: []view.Action{{Text: "fly"}}},
		{Voters: 3, Actions: []view.Action{{Step: 9, Text: "heal"}, {Step: 3, Text: "heal"}}},
		{Voters: 10},
	} {
		_, err := NewPlayer(cfg)
		assert.Error(t, err, "%+v", cfg)
	}
}

// TestPlayerBoundsEvents: a long session keeps at most MaxPlayerEvents.
func TestPlayerBoundsEvents(t *testing.T) {
	p, err := NewPlayer(PlayerConfig{Voters: 5, Seed: 3})
	require.NoError(t, err)
	taken := 0
	for p.Dropped() == 0 {
		p.AdvanceTo(p.Now() + 60000)
		taken += len(p.Take())
	}
	assert.LessOrEqual(t, len(p.Events()), MaxPlayerEvents)
	assert.Equal(t, taken, p.Dropped()+len(p.Events()), "Take handed out every event once")
}
