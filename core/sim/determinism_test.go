package sim

import (
	"bytes"
	"crypto/sha256"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSameSeedSameTrace runs a scenario twice and requires byte-identical
// traces; a different seed must give a different one.
func TestSameSeedSameTrace(t *testing.T) {
	src, err := os.ReadFile("testdata/minority-leader-steps-down.txt")
	require.NoError(t, err)
	run := func(seed uint64) []byte {
		var trace bytes.Buffer
		_, err := RunScenario("m.txt", string(src), &seed, nil, &trace)
		require.NoError(t, err)
		return trace.Bytes()
	}
	a, b := run(7), run(7)
	require.NotEmpty(t, a)
	require.Equal(t, sha256.Sum256(a), sha256.Sum256(b), "same seed and scenario must give the same trace")
	require.NotEqual(t, sha256.Sum256(a), sha256.Sum256(run(8)), "another seed should give another trace")
}
