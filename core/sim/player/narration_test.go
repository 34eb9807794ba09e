package player

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zabplay/zabplay/core/narrate"
)

// Each Step of a narrated run ends on a caption: a learner pressing n always
// reads what just happened, and the run never stops on an unnarrated event.
func TestNarrationStepsCaptionByCaption(t *testing.T) {
	src, err := os.ReadFile("../testdata/leader-crash-uncommitted-truncated.txt")
	require.NoError(t, err)
	p, err := NewPlayer(PlayerConfig{Scenario: string(src)})
	require.NoError(t, err)
	x := NewNarration(p, narrate.English)
	var keys []string
	steps := 0
	for {
		c, ok := x.Step()
		if !ok {
			break
		}
		require.NotEmpty(t, c.Text, "step %d", steps)
		keys = append(keys, c.Key)
		steps++
		require.Less(t, steps, 1000)
	}
	// The scenario is over: only heartbeats follow, and Step says so by
	// finding nothing within its bounds; every caption was handed out, one
	// per step.
	assert.Greater(t, steps, 40)
	assert.Empty(t, x.Take())
	for _, k := range []string{"quorum", "leading", "epoch.leader", "established", "propose", "commit", "partition.quorum", "truncate", "sync.trunc"} {
		assert.Contains(t, keys, k)
	}
}

// Seeking replays the run; the narration replayed with it tells the same
// captions as the first time.
func TestNarrationSameAfterSeek(t *testing.T) {
	src, err := os.ReadFile("../testdata/sync-diff.txt")
	require.NoError(t, err)
	p, err := NewPlayer(PlayerConfig{Scenario: string(src)})
	require.NoError(t, err)
	x := NewNarration(p, narrate.Chinese)
	p.AdvanceTo(3000)
	first := append([]narrate.Caption(nil), x.Take()...)
	require.NoError(t, p.SeekTo(3000))
	x.Reset()
	assert.Equal(t, first, x.Window(0, 3000))
}

// A scenario's statements come with the time each ran and, for expects and
// waits, whether they held, so the page can show the script beside the ring.
func TestPlayerScript(t *testing.T) {
	src, err := os.ReadFile("../testdata/sync-diff.txt")
	require.NoError(t, err)
	p, err := NewPlayer(PlayerConfig{Scenario: string(src)})
	require.NoError(t, err)
	lines := p.Script()
	require.NotEmpty(t, lines)
	var prev int64
	expects := 0
	for _, l := range lines {
		assert.GreaterOrEqual(t, l.At, prev, "line %d runs after the one before", l.Line)
		prev = l.At
		if l.Verb == "expect" {
			expects++
			require.NotNil(t, l.OK)
			assert.True(t, *l.OK, "line %d", l.Line)
		}
	}
	assert.Equal(t, 5, expects)
	assert.Equal(t, 4, lines[0].Line, "line numbers are the scenario text's")
}
