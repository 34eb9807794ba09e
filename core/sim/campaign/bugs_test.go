package campaign

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/sim"
)

// liveness names a run that does not recover once the faults stop.
const liveness = "liveness"

// bugCampaigns are the small campaigns that catch each bug switch without a
// scenario of its own telling them where to look.
var bugCampaigns = []struct {
	bug    core.Bug
	voters int
	seeds  int
	faults []string
	breaks []string // the properties the bug breaks; one must be flagged
}{
	{core.BugZK1154, 3, 100, sim.AllFaults, []string{"Agreement"}},
	{core.BugZK1264, 3, 100, sim.AllFaults, []string{"Agreement", "PrimaryIntegrity"}},
	{core.BugZK2355, 3, 400, sim.AllFaults, []string{"Agreement"}},
	{core.BugZK2845, 3, 100, sim.AllFaults, []string{"Agreement", "CommittedNeverLost"}},
	// An unfinished SNAP kept in memory: the learner serves state its
	// disk does not have.
	{core.BugZK3642, 3, 300, sim.AllFaults, []string{"Integrity", "PrimaryIntegrity"}},
	{core.BugZK3911, 3, 300, sim.AllFaults, []string{"CommittedNeverLost"}},
	// The follower ACKs NEWLEADER before its sync txns are durable:
	// AckDurable sees the ACK itself, CommittedNeverLost a later loss.
	{core.BugZK4643, 3, 300, sim.AllFaults, []string{"CommittedNeverLost", "AckDurable"}},
	// The NEWLEADER ACK goes out before the fsync: AckDurable sees it at
	// once, before any txn is lost.
	{core.BugZK4646, 3, 300, sim.AllFaults, []string{"CommittedNeverLost", "AckDurable"}},
	{core.BugCommitBeforeQuorum, 3, 100, sim.AllFaults, []string{"CommittedNeverLost", "VoterQuorum"}},
	// Liveness bugs: the campaign's recovery phase flags them (a late
	// joiner at zxid 0 is told it is in sync; a counter started near its
	// end rolls into the epoch and writes stop).
	{core.BugZK1319, 3, 300, sim.AllFaults, []string{"Agreement", "CommittedNeverLost", liveness}},
	// Without the guard the counter carries into the epoch: the leader
	// of epoch e proposes (e+1, 0), which followers ACK like a NEWLEADER
	// of epoch e+1 they never accepted (AckDurable, EpochPromise).
	{core.BugZK1277, 3, 300, sim.AllFaults, []string{liveness, "AckDurable", "EpochPromise"}},
	// Electing without the zxid picks a leader its followers are ahead of;
	// the leader's "follower is ahead" check refuses them, so the ensemble
	// never forms a quorum: the campaign reports a liveness failure.
	{core.BugElectWithoutZxid, 3, 300, []string{sim.FaultCrash}, []string{liveness}},
}

// TestBugsCaughtByCampaign turns each switch of bugCampaigns on for a small
// campaign and asserts some seed's run is flagged by the property the bug
// breaks (liveness for a run that does not recover once the faults stop).
// The seeds are fixed, so this is deterministic; a seed that stops catching a
// bug fails the test.
func TestBugsCaughtByCampaign(t *testing.T) {
	for _, tc := range bugCampaigns {
		t.Run(tc.bug.String(), func(t *testing.T) {
			res := Run(Options{Seeds: tc.seeds, FirstSeed: 1, Voters: tc.voters, Faults: tc.faults,
				DurationMs: 20000, Bugs: core.Bugs(0).With(tc.bug, true)})
			flagged := map[string]int{}
			for _, f := range res.Failures {
				if f.Pending != "" {
					flagged[liveness]++
				}
				for _, v := range f.Violations {
					flagged[v.Property]++
				}
			}
			caught := false
			for _, p := range tc.breaks {
				caught = caught || flagged[p] > 0
			}
			assert.True(t, caught, "no seed of %d flagged %v with %v (flagged: %v)", tc.seeds, tc.bug, tc.breaks, flagged)
		})
	}
}

// TestEveryBugIsTested keeps the lists above complete.
func TestEveryBugIsTested(t *testing.T) {
	files, err := filepath.Glob("../testdata/bugs/*.txt")
	require.NoError(t, err)
	var scen string
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		scen += string(b)
	}
	inCampaign := map[core.Bug]bool{}
	for _, c := range bugCampaigns {
		inCampaign[c.bug] = true
	}
	for _, b := range core.AllBugs() {
		inScenario := strings.Contains(scen, "bug "+b.String()+" on")
		assert.True(t, inScenario || inCampaign[b], "bug %s has no test that shows it is caught", b)
	}
}
