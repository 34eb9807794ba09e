package player

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPauseResumeDelay: the actions a live ensemble has always taken work in
// the simulator too, and replay exactly in the Player.
func TestPauseResumeDelay(t *testing.T) {
	p, err := NewPlayer(PlayerConfig{Voters: 3, Seed: 5})
	require.NoError(t, err)
	p.AdvanceTo(2000)
	l := p.Cluster().Leader()
	require.NotZero(t, l)
	require.NoError(t, p.Act("pause leader"))
	assert.True(t, p.Cluster().Paused(l))
	assert.Error(t, p.Act("pause "+l.String()), "already paused")
	p.AdvanceTo(8000)
	assert.True(t, p.Cluster().Paused(l), "no for: paused until resume")
	require.NoError(t, p.Act("resume "+l.String()))
	assert.False(t, p.Cluster().Paused(l))
	assert.Error(t, p.Act("resume "+l.String()), "not paused")
	require.NoError(t, p.Act("delay s1-s2 700ms"))
	assert.Error(t, p.Act("delay s1-s1 5ms"), "a link joins two servers")
	require.NoError(t, p.Act("delay 0ms"))
	p.AdvanceTo(15000)
	var texts []string
	for _, a := range p.Actions() {
		texts = append(texts, a.Text)
	}
	assert.Equal(t, []string{"pause " + l.String(), "resume " + l.String(), "delay s1-s2 700ms", "delay 0ms"}, texts)

	again, err := NewPlayer(PlayerConfig{Voters: 3, Seed: 5, Actions: p.Actions()})
	require.NoError(t, err)
	again.AdvanceTo(15000)
	assert.Equal(t, traceHash(t, p.Events()), traceHash(t, again.Events()), "the replay is exact")
}
