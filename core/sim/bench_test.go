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
