package campaign

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/check"
)

// equivalentMutants survive on purpose; each one's doc comment in
// core/mutant.go says why no property can tell it from the faithful core.
var equivalentMutants = map[core.Mutant]bool{core.MutStaleVote: true}

// TestMutantsKilled replays, for every mutant, the campaign seed that first
// killed it (testdata/mutants.golden, written by `sim --mutants --record`)
// and asserts the recorded property flags it, and that the same seed is clean
// without the mutant; for a mutant only a committed scenario kills, that
// scenario fails with it as recorded and passes without it. A mutant without
// a line must be a known equivalent.
func TestMutantsKilled(t *testing.T) {
	b, err := os.ReadFile("testdata/mutants.golden")
	require.NoError(t, err)
	kills, err := ParseMutantKills(string(b))
	require.NoError(t, err)
	seen := map[core.Mutant]bool{}
	for _, k := range kills {
		seen[k.Mutant] = true
		t.Run(k.Mutant.String(), func(t *testing.T) {
			t.Parallel()
			if k.Scenario != "" {
				file := filepath.Join("..", "testdata", k.Scenario)
				src, err := os.ReadFile(file)
				require.NoError(t, err)
				require.Empty(t, scenarioAgainst(core.MutNone, k.Scenario, string(src)), "%s fails without the mutant", file)
				why := scenarioAgainst(k.Mutant, k.Scenario, string(src))
				assert.True(t, strings.HasPrefix(why, k.By), "%s with %v: want %s, got %q\nreplay: go run . sim --scenario core/sim/testdata/%s --mutant %v",
					file, k.Mutant, k.By, why, k.Scenario, k.Mutant)
				return
			}
			co := MutantCampaign(1)
			clean := RunSeed(k.Seed, co)
			require.False(t, clean.Failed(), "seed %d fails without the mutant: %s", k.Seed, check.Report(clean.Violations, k.Seed))
			co.Mutant = k.Mutant
			r := RunSeed(k.Seed, co)
			flagged := map[string]bool{}
			for _, v := range r.Violations {
				flagged[v.Property] = true
			}
			if r.Pending != "" {
				flagged[Liveness] = true
			}
			assert.True(t, flagged[k.By], "seed %d with %v: want %s flagged, got %v (pending %q)\nreplay: go run . sim --seed %d %s --mutant %v",
				k.Seed, k.Mutant, k.By, flagged, r.Pending, k.Seed, MutantCampaignFlags, k.Mutant)
		})
	}
	for _, m := range core.AllMutants() {
		if !seen[m] && !equivalentMutants[m] {
			t.Errorf("mutant %v has no recorded kill in testdata/mutants.golden and is not a known equivalent", m)
		}
	}
}

// The recorded kills read back as written, a scenario's kill included (a
// mutant the campaign does not reach but a committed scenario does).
func TestMutantKillsRoundTrip(t *testing.T) {
	rs := []MutantResult{
		{Mutant: core.MutQuorumHalf, Seed: 1, By: "VoterQuorum"},
		{Mutant: core.MutSessionMovedUnchecked, Scenarios: []ScenarioKill{{File: "session-moved.txt", Reason: "expect 24: expect data /a == 0 on all"}}},
		{Mutant: core.MutStaleVote}, // survived: no line
	}
	kills, err := ParseMutantKills(FormatMutantKills(rs))
	require.NoError(t, err)
	assert.Equal(t, []MutantKill{
		{Mutant: core.MutQuorumHalf, Seed: 1, By: "VoterQuorum"},
		{Mutant: core.MutSessionMovedUnchecked, Scenario: "session-moved.txt", By: "expect"},
	}, kills)
	_, err = ParseMutantKills("quorum-half 1\n")
	assert.ErrorContains(t, err, "line 1")
}
