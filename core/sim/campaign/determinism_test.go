package campaign

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/zabplay/zabplay/core/sim"
)

// TestSeedSameTrace runs a campaign seed twice and requires byte-identical
// traces.
func TestSeedSameTrace(t *testing.T) {
	seedTrace := func() []byte {
		var trace bytes.Buffer
		RunSeed(42, Options{Voters: 5, Observers: 1, Faults: sim.AllFaults, DurationMs: 10000, Trace: &trace})
		return trace.Bytes()
	}
	x, y := seedTrace(), seedTrace()
	require.Greater(t, len(x), 1000)
	require.True(t, bytes.Equal(x, y), "a campaign seed must replay byte for byte")
}
