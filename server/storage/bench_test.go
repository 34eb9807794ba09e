package storage

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// BenchmarkAppend appends 1 KB txns, persisting (one fsync) every batch of
// 1, 8 or 64: what group commit buys. ns/op and MB/s are per txn.
func BenchmarkAppend(b *testing.B) {
	data := strings.Repeat("x", 1024)
	for _, batch := range []int{1, 8, 64} {
		b.Run(fmt.Sprint("batch=", batch), func(b *testing.B) {
			d, _, err := Open(b.TempDir(), nil)
			require.NoError(b, err)
			defer d.Close()
			ws := []core.Write{{Kind: core.WriteAppend, Entries: make([]core.Entry, batch)}}
			counter := uint32(0)
			b.SetBytes(1024)
			b.ResetTimer()
			for i := 0; i < b.N; i += batch {
				for j := range ws[0].Entries {
					counter++
					ws[0].Entries[j] = core.Entry{Txn: core.Txn{Zxid: core.MakeZxid(1, counter),
						Txn: ztree.Txn{Op: ztree.OpSetData, Path: "/bench", Data: data, Version: int32(counter)}}}
				}
				ws[0].Seq++
				if _, err := d.Persist(ws); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
