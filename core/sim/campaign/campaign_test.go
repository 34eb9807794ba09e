package campaign

import (
	"flag"
	"github.com/zabplay/zabplay/core/sim"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/zabplay/zabplay/core/check"
)

var (
	swarmSeeds = flag.Int("seeds", 40, "seeds for TestSwarm")
	swarmSeed  = flag.Uint64("seed", 0, "run only this seed in TestSwarm")
	swarmDur   = flag.Int64("duration", 20000, "virtual ms of faults per seed")
)

// TestSwarm runs random fault schedules on 5 voters and 1 observer with
// every fault kind; a failure prints the seed and how to replay it.
func TestSwarm(t *testing.T) {
	co := Options{Seeds: *swarmSeeds, FirstSeed: 1, Voters: 5, Observers: 1, Faults: sim.AllFaults, DurationMs: *swarmDur}
	if *swarmSeed != 0 {
		co.Seeds, co.FirstSeed = 1, *swarmSeed
	}
	res := Run(co)
	for _, f := range res.Failures {
		t.Errorf("seed %d: pending=%q\n%s\nreproduce: go test ./core/sim -run TestSwarm -seed=%d", f.Seed, f.Pending, check.Report(f.Violations, f.Seed), f.Seed)
	}
	require.Equal(t, co.Seeds, res.Seeds)
	t.Logf("seeds=%d violations=%d events/s=%.0f (simulation alone, per core: %.0f/s) in %v", res.Seeds, res.Violations, res.EventsPerSecond(), res.SimEventsPerSecond(), res.Elapsed)
}
