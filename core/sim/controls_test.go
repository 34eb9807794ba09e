package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zabplay/zabplay/core"
)

// TestDelaySetsALinksLatency: a delayed link delivers each message the
// delay after it was sent, in order; delay 0ms gives back the range.
func TestDelaySetsALinksLatency(t *testing.T) {
	o := DefaultOptions()
	o.Voters, o.Seed, o.Trace = 3, 9, true
	var evs []core.Event
	c, err := newCluster(o)
	require.NoError(t, err)
	require.NoError(t, c.Delay(1, 2, 250))
	c.sink = func(e core.Event) { evs = append(evs, e) }
	c.boot()
	c.RunUntil(3000, nil)
	n := 0
	for _, e := range evs {
		if e.Kind == core.EvSend && (e.Node == 1 && e.Peer == 2 || e.Node == 2 && e.Peer == 1) {
			assert.Equal(t, e.At+250, e.Arrive, "%+v", e)
			n++
		}
	}
	require.NotZero(t, n)
	require.NoError(t, c.Delay(0, 0, 0))
	assert.Zero(t, c.links[1][2].delayMs)
	assert.Error(t, c.Delay(1, 9, 5))
}
