package campaign

import (
	"testing"

	"github.com/zabplay/zabplay/core/sim"
)

// BenchmarkCampaignSeed measures simulated events per second of one campaign
// seed (5 voters, 1 observer, all faults, 10 s of virtual time, checker on).
func BenchmarkCampaignSeed(b *testing.B) {
	var steps uint64
	for i := 0; i < b.N; i++ {
		r := RunSeed(uint64(i+1), Options{Voters: 5, Observers: 1, Faults: sim.AllFaults, DurationMs: 10000})
		steps += r.Steps
	}
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "events/s")
}
