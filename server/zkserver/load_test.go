package zkserver

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"
)

// TestManyClients runs 96 go-zookeeper sessions over the three servers,
// each creating its znode and setting it in a loop: every request is
// answered. (The core answers a ping at once, ahead of the session's
// pending writes; the port used to expect answers in request order and
// stalled such a connection until the client timed out.)
func TestManyClients(t *testing.T) {
	c := newCluster(t, 3)
	c.leader()
	c.waitServing()
	srv := c.servers()
	var conns []*zk.Conn
	for i := range 96 {
		conn, _ := c.connect([]string{srv[i%3], srv[(i+1)%3], srv[(i+2)%3]})
		conns = append(conns, conn)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 96)
	stop := time.Now().Add(1500 * time.Millisecond)
	for i, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := fmt.Sprintf("/c%d", i)
			if _, err := conn.Create(p, nil, 0, acl); err != nil {
				errs <- fmt.Errorf("create %s: %w", p, err)
				return
			}
			for time.Now().Before(stop) {
				if _, err := conn.Set(p, []byte("x"), -1); err != nil {
					errs <- fmt.Errorf("set %s on %s: %w", p, conn.Server(), err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}
