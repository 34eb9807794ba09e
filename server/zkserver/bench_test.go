package zkserver

import (
	"fmt"
	"sync"
	"testing"

	"github.com/go-zookeeper/zk"
)

// BenchmarkSetData32 is 32 go-zookeeper sessions over a 3-server ensemble
// in this process (memory stores: no fsync) setting their own znodes of
// 100 B, for profiling the port and the servers under load:
//
//	go test ./server/zkserver -run X -bench SetData32 -cpuprofile cpu.out
func BenchmarkSetData32(b *testing.B) {
	c := newCluster(b, 3)
	c.leader()
	c.waitServing()
	srv := c.servers()
	var conns []*zk.Conn
	for i := range 32 {
		conn, _ := c.connect([]string{srv[i%3], srv[(i+1)%3], srv[(i+2)%3]})
		defer conn.Close()
		if _, err := conn.Create(fmt.Sprintf("/b%d", i), nil, 0, acl); err != nil {
			b.Fatal(err)
		}
		conns = append(conns, conn)
	}
	data := make([]byte, 100)
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N/len(conns) + 1
	for i, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range per {
				if _, err := conn.Set(fmt.Sprintf("/b%d", i), data, -1); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(per*len(conns))/b.Elapsed().Seconds(), "writes/s")
}
