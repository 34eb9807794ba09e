package campaign

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zabplay/zabplay/core/check"
	"github.com/zabplay/zabplay/core/sim"
)

// TestFoundSeeds replays every campaign seed that once found a bug
// (testdata/found/seeds.txt): each must now run clean.
func TestFoundSeeds(t *testing.T) {
	f, err := os.Open("testdata/found/seeds.txt")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fs := strings.Fields(text)
		require.GreaterOrEqual(t, len(fs), 4, "seeds.txt:%d: want seed voters observers duration", line)
		seed, err1 := strconv.ParseUint(fs[0], 10, 64)
		voters, err2 := strconv.Atoi(fs[1])
		observers, err3 := strconv.Atoi(fs[2])
		dur, err4 := time.ParseDuration(fs[3])
		for _, err := range []error{err1, err2, err3, err4} {
			require.NoError(t, err, "seeds.txt:%d", line)
		}
		n++
		t.Run(fs[0], func(t *testing.T) {
			t.Parallel()
			r := RunSeed(seed, Options{Voters: voters, Observers: observers, Faults: sim.AllFaults, DurationMs: dur.Milliseconds()})
			require.False(t, r.Failed(), "seed %d: pending=%q\n%s", seed, r.Pending, check.Report(r.Violations, seed))
		})
	}
	require.NoError(t, sc.Err())
	require.NotZero(t, n)
}

// The two liveness seeds of the second 20,000-seed run recover the way
// their fixes say, not by some other path.
func TestFoundLivenessPaths(t *testing.T) {
	for seed, key := range map[uint64]string{5400: sim.CoverSnapAsked, 15304: sim.CoverStranded} {
		r := RunSeed(seed, Options{Voters: 5, Observers: 1, Faults: sim.AllFaults, DurationMs: 60000})
		require.False(t, r.Failed(), "seed %d: pending=%q\n%s", seed, r.Pending, check.Report(r.Violations, seed))
		assert.Positive(t, r.Coverage[key], "seed %d: %q", seed, key)
	}
}
