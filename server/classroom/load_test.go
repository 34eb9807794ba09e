package classroom

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestClassOf200 is the load test of a shared session sized for a class:
// 200 follower websockets on one room (in this process, over loopback), a
// teacher sending 100 actions 50 ms apart with a time position between them.
// It asserts only correctness: every follower gets every action, in order.
// It measures (and logs, for README.md) the delivery latency from the
// teacher's write to the last of the 200 followers reading the action, and
// the memory the 200 followers cost the process.
//
//	go test ./server/classroom -run TestClassOf200 -v
func TestClassOf200(t *testing.T) {
	const followers, actions = 200, 100
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, base := testHub(t, Options{MaxFollowersPerClient: followers})
	code, token := openRoom(t, base)
	tc := teach(t, ctx, base, code, token)
	write(t, ctx, tc, `{"type":"reset","config":{"voters":5,"observers":1,"seed":7},"actions":[],"clock":{"t":0,"playing":true,"speed":1}}`)
	go func() { // drain the teacher's follower counts
		for {
			if _, _, err := tc.Read(ctx); err != nil {
				return
			}
		}
	}()

	heap0, rss0 := memNow()
	var mu sync.Mutex
	got := make([][]time.Time, followers) // per follower, when it read action i
	var wg, ready sync.WaitGroup
	errs := make(chan error, followers)
	conns := make([]*websocket.Conn, followers)
	for i := range followers {
		c, _, err := websocket.Dial(ctx, strings.Replace(base, "http", "ws", 1)+"/api/rooms/"+code+"/follow", nil)
		if err != nil {
			t.Fatalf("follower %d: %v", i, err)
		}
		c.SetReadLimit(MaxMessage)
		conns[i] = c
	}
	t.Cleanup(func() {
		for _, c := range conns {
			c.CloseNow()
		}
	})
	for i, c := range conns {
		wg.Add(1)
		ready.Add(1)
		go func() {
			defer wg.Done()
			next := -1 // actions seen; -1 until the started state
			for next < actions {
				_, b, err := c.Read(ctx)
				if err != nil {
					errs <- fmt.Errorf("follower %d after %d actions: %v", i, next, err)
					if next < 0 {
						ready.Done()
					}
					return
				}
				at := time.Now()
				var m struct {
					Type    string
					Started bool
					Index   int
					Actions []Action
					Action  Action
				}
				if err := json.Unmarshal(b, &m); err != nil {
					errs <- fmt.Errorf("follower %d: %v", i, err)
					return
				}
				switch m.Type {
				case "state":
					if !m.Started {
						continue
					}
					if next < 0 {
						ready.Done()
						next = 0
					}
					if len(m.Actions) < next {
						errs <- fmt.Errorf("follower %d: a state with %d actions after %d", i, len(m.Actions), next)
						return
					}
					mu.Lock()
					for len(got[i]) < len(m.Actions) {
						got[i] = append(got[i], at)
					}
					mu.Unlock()
					next = len(m.Actions)
				case "act":
					if m.Index != next || m.Action.Text != "crash s"+strconv.Itoa(next%5+1) {
						errs <- fmt.Errorf("follower %d: act %d %q after %d actions", i, m.Index, m.Action.Text, next)
						return
					}
					mu.Lock()
					got[i] = append(got[i], at)
					mu.Unlock()
					next++
				}
			}
		}()
	}
	ready.Wait()
	runtime.GC()
	heap1, rss1 := memNow()

	sent := make([]time.Time, actions)
	for k := range actions {
		sent[k] = time.Now()
		write(t, ctx, tc, fmt.Sprintf(`{"type":"act","index":%d,"action":{"step":%d,"t":%d,"text":"crash s%d"}}`, k, 100*k, 10*k, k%5+1))
		write(t, ctx, tc, fmt.Sprintf(`{"type":"clock","clock":{"t":%d,"playing":true,"speed":1}}`, 10*k+5))
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	// Per action: when the last follower had it, and each delivery.
	var all, last []time.Duration
	for k := range actions {
		var worst time.Duration
		for i := range followers {
			d := got[i][k].Sub(sent[k])
			all = append(all, d)
			worst = max(worst, d)
		}
		last = append(last, worst)
	}
	pct := func(ds []time.Duration, p float64) time.Duration {
		s := append([]time.Duration(nil), ds...)
		sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
		return s[min(len(s)-1, int(p*float64(len(s))))].Round(10 * time.Microsecond)
	}
	t.Logf("%d followers, %d actions: one delivery p50 %v, p99 %v; the last of %d followers p50 %v, p99 %v, max %v",
		followers, actions, pct(all, 0.5), pct(all, 0.99), followers, pct(last, 0.5), pct(last, 0.99), pct(last, 1))
	t.Logf("memory of %d followers (server and test clients in one process): heap in use %+.1f MiB, RSS %+.1f MiB (%.1f KiB of heap per follower)",
		followers, float64(heap1-heap0)/(1<<20), float64(rss1-rss0)/(1<<20), float64(heap1-heap0)/1024/followers)
}

// memNow is the heap in use and the RSS of this process, in bytes.
func memNow() (heap, rss int64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap = int64(ms.HeapInuse)
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				rss = kb << 10
			}
		}
	}
	return heap, rss
}
