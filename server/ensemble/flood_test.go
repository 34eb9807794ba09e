package ensemble

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// floodSample is the process's memory at one moment of the flood.
type floodSample struct {
	at        time.Duration
	heap, rss int64 // live heap after a GC; resident set
	accepted  int64
}

// One client floods one 3-server ensemble with 4 KB writes from 8 loops at
// once for 60 s (ZABPLAY_FLOOD=10s shortens it), one viewer watching: the
// writes accepted stay under the ensemble's rate limit (the rest are 429
// with Retry-After), the tree stays under its caps, and the live heap and
// RSS level off: what the stream, the checker and the servers keep is
// bounded, not proportional to the writes. ZABPLAY_FLOOD_RATE sets the
// ensemble's limit (default 50 a second; -1: none, to measure the worst
// case). The figures are logged for README.md.
func TestFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("60 s: not in -short")
	}
	dur := 60 * time.Second
	if d, err := time.ParseDuration(os.Getenv("ZABPLAY_FLOOD")); err == nil {
		dur = d
	}
	rate := 50.0
	if r := os.Getenv("ZABPLAY_FLOOD_RATE"); r != "" {
		fmt.Sscan(r, &rate)
	}
	const workers, paths, valueLen = 8, 32, 4000
	o := testOptions(t)
	o.EnsembleRate, o.ClientRate = rate, 2*rate
	o.MaxZnodes, o.MaxDataBytes = 0, 0 // the defaults: 1000 znodes, 256 KiB
	a := newAPI(t, o)
	lc := newLoadClient(a)
	defer lc.tr.CloseIdleConnections()
	id := a.create(`{"voters":3}`)
	a.waitState(id, 15*time.Second, "a leader", synced)
	w := a.watch(id, nil, false)
	w.light = true
	w.startReading()
	for i := range paths {
		_, err := lc.write(id, fmt.Sprintf("create /f%d x", i))
		for err != nil && strings.Contains(err.Error(), " 429 ") {
			time.Sleep(100 * time.Millisecond)
			_, err = lc.write(id, fmt.Sprintf("create /f%d x", i))
		}
		require.NoError(t, err)
	}
	base := settledUsage()
	var baseMem runtime.MemStats
	runtime.ReadMemStats(&baseMem)

	var accepted, limited, noRetry, other atomic.Int64
	var firstOther atomic.Value
	start := time.Now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for k := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(k), 1))
			val := make([]byte, valueLen)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				for j := range val {
					val[j] = 'a' + byte(rng.IntN(26))
				}
				body := jsonBody(map[string]string{"text": fmt.Sprintf("set /f%d %s", rng.IntN(paths), val)})
				req, _ := http.NewRequest("POST", lc.base+"/api/ensembles/"+id+"/actions", strings.NewReader(body))
				asOwner(req, "/api/ensembles/"+id+"/actions")
				resp, err := lc.hc.Do(req)
				if err != nil {
					other.Add(1)
					firstOther.CompareAndSwap(nil, err.Error())
					continue
				}
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					accepted.Add(1)
				case http.StatusTooManyRequests:
					limited.Add(1)
					if resp.Header.Get("Retry-After") == "" {
						noRetry.Add(1)
					}
				default:
					other.Add(1)
					firstOther.CompareAndSwap(nil, resp.Status)
				}
			}
		}()
	}
	var samples []floodSample
	sample := func() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		samples = append(samples, floodSample{at: time.Since(start), heap: int64(ms.HeapAlloc), rss: readRSS(), accepted: accepted.Load()})
	}
	step := dur / 12
	for time.Since(start) < dur {
		time.Sleep(min(step, dur-time.Since(start)))
		sample()
	}
	close(stop)
	wg.Wait()
	elapsed := time.Since(start)
	st := a.state(id)

	var tbl strings.Builder
	fmt.Fprintf(&tbl, "| s | writes accepted | live heap MB | RSS MB |\n|---|---|---|---|\n| 0 | 0 | %s | %s |\n", mb(int64(baseMem.HeapAlloc)), mb(base.rss))
	for _, s := range samples {
		fmt.Fprintf(&tbl, "| %.0f | %d | %s | %s |\n", s.at.Seconds(), s.accepted, mb(s.heap), mb(s.rss))
	}
	n := accepted.Load()
	t.Logf("flood of %v (limit %v a second on the ensemble, %d loops, %d B values): %d writes accepted (%.1f/s), %d refused 429, %d other (first: %v); %d events; the viewer got %d gaps\n%s",
		elapsed.Round(time.Millisecond), rate, workers, valueLen, n, float64(n)/elapsed.Seconds(), limited.Load(), other.Load(), firstOther.Load(),
		st.Seq, w.gaps, tbl.String())

	assert.Zero(t, other.Load(), "every answer was 200 or 429; first other: %v", firstOther.Load())
	assert.Zero(t, noRetry.Load(), "every 429 has Retry-After")
	if rate > 0 {
		assert.Positive(t, limited.Load(), "the flood hit the limit")
		assert.LessOrEqual(t, float64(n), rate*elapsed.Seconds()+float64(burstOf(rate))+1, "accepted writes stay under the limit")
	}
	assert.Nil(t, st.Violation)
	assert.LessOrEqual(t, len(st.Servers[0].Tree), paths)

	// Levelling off: the second half of the flood adds little to the live
	// heap, whatever it wrote. (Bounds are generous: they catch growth per
	// write, ~85 KB a 4 KB write before, not noise.)
	if len(samples) >= 4 && !raceEnabled() {
		mid, last := samples[len(samples)/2-1], samples[len(samples)-1]
		writes := last.accepted - mid.accepted
		grew := last.heap - mid.heap
		t.Logf("second half: %d writes, live heap %+d KB (%+.1f KB a write), RSS %+d MB", writes, grew>>10,
			float64(grew)/1024/float64(max(writes, 1)), (last.rss-mid.rss)>>20)
		assert.Less(t, grew, int64(48<<20), "the live heap grew by %s MB in the second half", mb(grew))
		if writes > 0 {
			assert.Less(t, float64(grew)/float64(writes), 8192.0, "heap per write in the second half")
		}
		if last.rss > 0 {
			assert.Less(t, last.rss-base.rss, int64(rssGrowthMax), "RSS over the baseline")
		}
	}
}
