package sim

import (
	"testing"
)

// BenchmarkCommit3 measures committed txns through a 3-voter in-memory
// ensemble: no latency, no tracing, no faults. One op is one committed txn.
func BenchmarkCommit3(b *testing.B) {
	d, err := NewDirect(3, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	d.Commit(b.N, 64)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txns/s")
}

// BenchmarkCampaignSeed measures simulated events per second of one campaign
// seed (5 voters, 1 observer, all faults, 10 s of virtual time, checker on).
func BenchmarkCampaignSeed(b *testing.B) {
	var steps uint64
	for i := 0; i < b.N; i++ {
		r := RunSeed(uint64(i+1), CampaignOptions{Voters: 5, Observers: 1, Faults: AllFaults, DurationMs: 10000})
		steps += r.Steps
	}
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "events/s")
}
