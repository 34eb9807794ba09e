package player

import (
	"github.com/zabplay/zabplay/core/sim"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
)

// Every bug scenario of testdata/bugs is offered for its bug, turns that
// bug's switch on and starts in a Player.
func TestBugScenario(t *testing.T) {
	files, err := filepath.Glob("../testdata/bugs/*.txt")
	require.NoError(t, err)
	found := 0
	for _, b := range core.AllBugs() {
		src, ok := sim.BugScenario(b)
		if !ok {
			continue
		}
		found++
		assert.Contains(t, src, "bug "+b.String()+" on", "%s's scenario turns it on", b)
		_, err := NewPlayer(PlayerConfig{Scenario: src})
		assert.NoError(t, err, "%s's scenario starts", b)
		assert.False(t, strings.TrimSpace(src) == "", b.String())
	}
	assert.Equal(t, len(files), found, "one bug per scenario file")
}
