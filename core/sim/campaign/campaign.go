package campaign

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/check"
	"github.com/zabplay/zabplay/core/sim"
)

// Options configure a campaign.
type Options struct {
	Seeds      int
	FirstSeed  uint64
	Voters     int
	Observers  int
	Faults     []string
	DurationMs int64 // safety phase per seed
	LivenessMs int64 // bound on the liveness phase (default 60s)
	Workers    int   // default GOMAXPROCS
	Bugs       core.Bugs
	Mutant     core.Mutant // plant a mutant in every server (mutation testing)
	// Sessions: this many session clients (sim.StartSessionWorkload:
	// ephemerals, multis, watches, closes, moves after a disconnection)
	// work beside the default workload's; 0, none.
	Sessions int
	// StopAtFirstFailure stops handing out seeds above the lowest failing
	// seed found so far; the seeds below it still run, so the lowest failing
	// seed reported is the same whatever the workers' timing.
	StopAtFirstFailure bool
	Progress           io.Writer // a status line, refreshed (nil: none)
	Trace              io.Writer // RunSeed: write every event as JSON lines (nil: none)
}

// SeedResult is one seed's outcome.
type SeedResult struct {
	Seed       uint64
	Violations []check.Violation
	Pending    string // liveness failure: why the ensemble did not recover
	Steps      uint64
	SimTime    time.Duration  // wall time of the simulation and trace checks, without porcupine
	Coverage   map[string]int // how often each sync mode, fault and sync trap happened
}

// Failed reports whether the seed found a problem.
func (r SeedResult) Failed() bool { return len(r.Violations) > 0 || r.Pending != "" }

// Result sums a campaign.
type Result struct {
	Seeds      int
	Violations int
	Steps      uint64
	Elapsed    time.Duration
	SimTime    time.Duration // summed over workers
	Failures   []SeedResult
	Coverage   map[string]int // summed over seeds
}

// SimEventsPerSecond is simulated events per second of one core's
// simulation time (checker included, porcupine excluded).
func (r Result) SimEventsPerSecond() float64 {
	if r.SimTime <= 0 {
		return 0
	}
	return float64(r.Steps) / r.SimTime.Seconds()
}

// EventsPerSecond is simulated events handled per wall-clock second.
func (r Result) EventsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Steps) / r.Elapsed.Seconds()
}

// SeedOptions derives every knob of one run from its seed.
func SeedOptions(seed uint64, voters, observers int, bugs core.Bugs) sim.Options {
	o := sim.DefaultOptions()
	o.Seed, o.Voters, o.Observers, o.Bugs = seed, voters, observers, bugs
	x := seed*0x9E3779B97F4A7C15 + 1
	next := func(n int) int {
		x ^= x >> 33
		x *= 0xff51afd7ed558ccd
		x ^= x >> 33
		return int(x % uint64(n))
	}
	o.LatencyMinMs = 1 + next(3)
	o.LatencyMaxMs = o.LatencyMinMs + next(20)
	o.FsyncMinMs = next(3)
	// A slow disk now and then widens the windows between logging and
	// acking (ZOOKEEPER-4643, 4646). It is a fault: it ends with the others
	// (Cluster.StopRandomFaults), since a disk slower than initLimit allows
	// never lets a leader be established.
	o.FsyncMaxMs = o.FsyncMinMs + []int{next(10), next(10), next(10), 50 + next(50), 200 + next(200)}[next(5)]
	o.SyncLimit = 2 + next(4)
	o.InitLimit = o.SyncLimit + next(6)
	// Small committed-log windows and snapshot intervals too, so that SNAP,
	// TRUNC and the txn-log path are all reached.
	o.CommitLogCount = []int{2, 5, 20, 100, 500}[next(5)]
	o.SnapCount = []int{3, 10, 50, 100 + next(1000), 100 + next(1000)}[next(5)]
	// One seed in four starts each leader's counter near the end of its
	// 32 bits, so the zxid rolls over (ZOOKEEPER-1277) during the run.
	if next(4) == 0 {
		o.InitialCounter = 0xffffffff - uint32(20+next(300))
	}
	// One seed in three lets the leader sync from its txn log whatever the
	// txns weigh against the snapshot (zookeeper.snapshotSizeFactor), so
	// that path, and where it meets the committed log, is reached often.
	if next(3) == 0 {
		o.SnapshotSizeFactor = 10
	}

	return o
}

// sessionPeriodMs: how often (about) each session client works.
const sessionPeriodMs = 150

// maxSeedSteps bounds the simulator events of one seed.
const maxSeedSteps = 1_000_000

// RunSeed runs one seed: random faults for DurationMs with the checker after
// every event (safety), then heal everything and require the ensemble to come
// back in sync within LivenessMs (liveness).
func RunSeed(seed uint64, co Options) (res SeedResult) {
	if co.Mutant != core.MutNone {
		// A mutant may break the core's own invariants: a panic kills it.
		defer func() {
			if p := recover(); p != nil {
				res = SeedResult{Seed: seed, Violations: []check.Violation{{Property: Panic, Text: fmt.Sprint(p)}}}
			}
		}()
	}
	t0 := time.Now()
	o := SeedOptions(seed, co.Voters, co.Observers, co.Bugs)
	o.Mutant = co.Mutant
	var faults []string // the faults injected now and then; break faults hold all along
	for _, f := range co.Faults {
		switch f {
		case sim.FaultReorder:
			o.ReorderPct = 10
		case sim.FaultDuplicate:
			o.DuplicatePct = 10
		case sim.FaultLoseFsynced:
			o.LoseFsynced = true
		default:
			faults = append(faults, f)
		}
	}
	chk := sim.NewChecker(o)
	sink := chk.Observe
	var enc *sim.TraceEncoder
	if co.Trace != nil {
		o.Trace = true
		enc = sim.NewTraceEncoder(co.Trace)
		sink = func(e core.Event) { chk.Observe(e); enc.Write(e) }
	}
	c, err := sim.NewWithSink(o, sink)
	if err != nil {
		return SeedResult{Seed: seed, Pending: err.Error()}
	}
	c.StartRandomFaults(faults, co.DurationMs)
	if co.Sessions > 0 {
		c.StartSessionWorkload(co.Sessions, sessionPeriodMs)
	}
	// A budget of events: a clean seed takes ~70k; a fault outside the
	// model can start a message storm that never reaches the next
	// millisecond.
	storm := func() bool { return c.Steps() > maxSeedSteps }
	c.RunUntil(co.DurationMs, func() bool { return !chk.OK() || storm() })
	res = SeedResult{Seed: seed, Coverage: c.Coverage}
	if storm() {
		res.Pending = fmt.Sprintf("event storm: more than %d events by %dms of virtual time", maxSeedSteps, c.Now())
	} else if chk.OK() {
		// Liveness: stop faults and load, heal, restart, and wait.
		c.StopRandomFaults()
		limit := co.LivenessMs
		if limit == 0 {
			limit = 60000
		}
		if !c.RunUntil(c.Now()+limit, func() bool { return c.Pending() == "" || !chk.OK() || storm() }) || storm() {
			res.Pending = c.Pending()
			if storm() {
				res.Pending = fmt.Sprintf("event storm: more than %d events by %dms of virtual time", maxSeedSteps, c.Now())
			}
		} else if len(c.Stranded()) > 0 && c.Coverage != nil {
			c.Coverage[sim.CoverStranded]++
		}
	}
	if enc != nil {
		enc.Flush()
	}
	res.Violations = chk.Violations()
	res.Steps = c.Steps()
	res.SimTime = time.Since(t0)
	if len(res.Violations) == 0 {
		if v := check.Linearizable(c.WriteHistory(), 5*time.Second); v != nil {
			v.At = c.Now()
			res.Violations = append(res.Violations, *v)
		}
	}
	return res
}

// Campaign runs many seeds on all cores.
func Run(co Options) Result {
	workers := co.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	start := time.Now()
	var next, done, bad, limit atomic.Int64
	limit.Store(int64(co.Seeds))
	var steps atomic.Uint64
	var simNs atomic.Int64
	var mu sync.Mutex
	var failures []SeedResult
	coverage := map[string]int{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	if co.Progress != nil {
		go progress(co, start, &done, &bad, &steps, stop)
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= limit.Load() {
					return
				}
				r := RunSeed(co.FirstSeed+uint64(i), co)
				if r.Failed() && co.StopAtFirstFailure {
					for l := limit.Load(); i < l && !limit.CompareAndSwap(l, i); l = limit.Load() {
					}
				}
				steps.Add(r.Steps)
				simNs.Add(int64(r.SimTime))
				mu.Lock()
				for k, v := range r.Coverage {
					coverage[k] += v
				}
				mu.Unlock()
				if r.Failed() {
					bad.Add(1)
					mu.Lock()
					failures = append(failures, r)
					mu.Unlock()
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	sort.Slice(failures, func(i, j int) bool { return failures[i].Seed < failures[j].Seed })
	res := Result{Seeds: int(done.Load()), Violations: len(failures), Steps: steps.Load(), Elapsed: time.Since(start), SimTime: time.Duration(simNs.Load()), Failures: failures, Coverage: coverage}
	if co.Progress != nil {
		fmt.Fprintf(co.Progress, "\r%s\n", strings.Repeat(" ", 78))
	}
	return res
}

func progress(co Options, start time.Time, done, bad *atomic.Int64, steps *atomic.Uint64, stop chan struct{}) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			d := done.Load()
			el := time.Since(start)
			left := "?"
			if d > 0 {
				left = (time.Duration(float64(el) / float64(d) * float64(int64(co.Seeds)-d))).Round(time.Second).String()
			}
			fmt.Fprintf(co.Progress, "\rseeds %d/%d  violations %d  %.0f events/s  %s left   ",
				d, co.Seeds, bad.Load(), float64(steps.Load())/el.Seconds(), left)
		}
	}
}
