package sim

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
)

// Fault kinds a campaign can inject.
const (
	FaultCrash     = "crash"
	FaultPartition = "partition"
	FaultCut       = "cut"
	FaultPause     = "pause"
	FaultBreak     = "break"
	// FaultSync arms a trap: when the next sync packet of a kind chosen now
	// (DIFF, TRUNC, SNAP, NEWLEADER or UPTODATE) reaches a learner, the learner or its leader crashes a few
	// milliseconds later, in the middle of the sync, and restarts later.
	FaultSync = "sync"
)

// AllFaults lists every fault kind inside ZAB's model.
var AllFaults = []string{FaultCrash, FaultPartition, FaultCut, FaultPause, FaultBreak, FaultSync}

// Break-the-assumption faults: outside ZAB's model, never in "all". Asked of
// a campaign they hold for the whole run (Options.ReorderPct, DuplicatePct,
// LoseFsynced), and the checker is expected to find violations.
const (
	FaultReorder     = "reorder"      // a message may overtake earlier ones on its link (10%)
	FaultDuplicate   = "duplicate"    // a quorum packet may arrive twice (10%)
	FaultLoseFsynced = "lose-fsynced" // a crash also loses the last fsynced log record
)

// BreakFaults lists the break-the-assumption faults.
var BreakFaults = []string{FaultReorder, FaultDuplicate, FaultLoseFsynced}

func isBreakFault(f string) bool {
	for _, b := range BreakFaults {
		if b == f {
			return true
		}
	}
	return false
}

// ParseFaults reads "all", "none" or a comma list of fault kinds; "all" may
// be followed by break-the-assumption faults ("all,reorder").
func ParseFaults(s string) ([]string, error) {
	switch s {
	case "all":
		return AllFaults, nil
	case "none", "":
		return nil, nil
	}
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "all" {
			out = append(out, AllFaults...)
			continue
		}
		known := isBreakFault(f)
		for _, k := range AllFaults {
			known = known || k == f
		}
		if !known {
			return nil, fmt.Errorf("unknown fault %q (want all, none, or a list of %s, and of the break-the-assumption faults %s)",
				f, strings.Join(AllFaults, ","), strings.Join(BreakFaults, ","))
		}
		out = append(out, f)
	}
	return out, nil
}

// CampaignOptions configure a campaign.
type CampaignOptions struct {
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

// CampaignResult sums a campaign.
type CampaignResult struct {
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
func (r CampaignResult) SimEventsPerSecond() float64 {
	if r.SimTime <= 0 {
		return 0
	}
	return float64(r.Steps) / r.SimTime.Seconds()
}

// EventsPerSecond is simulated events handled per wall-clock second.
func (r CampaignResult) EventsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Steps) / r.Elapsed.Seconds()
}

// SeedOptions derives every knob of one run from its seed.
func SeedOptions(seed uint64, voters, observers int, bugs core.Bugs) Options {
	o := DefaultOptions()
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
	// acking (ZOOKEEPER-4643, 4646).
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

// maxSeedSteps bounds the simulator events of one seed.
const maxSeedSteps = 1_000_000

// RunSeed runs one seed: random faults for DurationMs with the checker after
// every event (safety), then heal everything and require the ensemble to come
// back in sync within LivenessMs (liveness).
func RunSeed(seed uint64, co CampaignOptions) (res SeedResult) {
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
		case FaultReorder:
			o.ReorderPct = 10
		case FaultDuplicate:
			o.DuplicatePct = 10
		case FaultLoseFsynced:
			o.LoseFsynced = true
		default:
			faults = append(faults, f)
		}
	}
	chk := newChecker(o)
	sink := chk.Observe
	var enc *traceEncoder
	if co.Trace != nil {
		o.Trace = true
		enc = newTraceEncoder(co.Trace)
		sink = func(e core.Event) { chk.Observe(e); enc.write(e) }
	}
	c, err := newWithSink(o, sink)
	if err != nil {
		return SeedResult{Seed: seed, Pending: err.Error()}
	}
	c.faults = faults
	c.Coverage = map[string]int{}
	if len(faults) > 0 && c.rng.IntN(5) == 0 {
		// A late joiner: one server starts with an empty disk while the
		// others already run (ZOOKEEPER-1319's learner at zxid 0).
		id := 1 + c.rng.IntN(c.Size())
		c.Crash(core.NodeID(id))
		c.count("fault: late joiner")
		c.schedule(qev{at: c.between(1000, int(max(2000, co.DurationMs/2))), kind: evRestart, node: id})
	}
	if o.InitialCounter != 0 {
		c.count("fault: counter rollover")
	}
	c.StartWorkload(3, 100)
	if len(faults) > 0 {
		c.schedule(qev{at: 500 + c.between(0, 1000), kind: evFault})
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
		c.faults = nil
		c.stopWorkload = true
		c.Heal()
		for i := 1; i <= c.Size(); i++ {
			c.Restart(core.NodeID(i))
		}
		limit := co.LivenessMs
		if limit == 0 {
			limit = 60000
		}
		if !c.RunUntil(c.Now()+limit, func() bool { return c.Pending() == "" || !chk.OK() || storm() }) || storm() {
			res.Pending = c.Pending()
			if storm() {
				res.Pending = fmt.Sprintf("event storm: more than %d events by %dms of virtual time", maxSeedSteps, c.Now())
			}
		}
	}
	if enc != nil {
		enc.flush()
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

// randomFault injects one fault from the enabled kinds and schedules the next.
func (c *Cluster) randomFault() {
	if len(c.faults) == 0 {
		return
	}
	n := c.Size()
	pick := func() core.NodeID { return core.NodeID(1 + c.rng.IntN(n)) }
	kind := c.faults[c.rng.IntN(len(c.faults))]
	c.count("fault: " + kind)
	switch kind {
	case FaultCrash:
		id := pick()
		if c.Up(id) {
			c.Crash(id)
			c.schedule(qev{at: c.now + c.between(200, 5000), kind: evRestart, node: int(id)})
		}
	case FaultPartition:
		var a, b []core.NodeID
		for i := 1; i <= n; i++ {
			if c.rng.IntN(2) == 0 {
				a = append(a, core.NodeID(i))
			} else {
				b = append(b, core.NodeID(i))
			}
		}
		if len(a) > 0 && len(b) > 0 {
			c.Partition([][]core.NodeID{a, b})
			c.schedule(qev{at: c.now + c.between(300, 5000), kind: evHeal})
		}
	case FaultCut:
		a, b := pick(), pick()
		if a != b {
			c.Cut(a, b, c.rng.IntN(2) == 0)
			c.schedule(qev{at: c.now + c.between(300, 5000), kind: evHeal})
		}
	case FaultPause:
		if id := pick(); c.Up(id) {
			c.Pause(id, c.between(100, 3000))
		}
	case FaultBreak:
		a, b := pick(), pick()
		if a != b {
			c.breakConn(int(a), int(b), "fault", false)
		}
	case FaultSync:
		c.syncTrap = syncPackets[c.rng.IntN(len(syncPackets))]
	}
	c.schedule(qev{at: c.now + c.between(200, 2000), kind: evFault})
}

// Campaign runs many seeds on all cores.
func Campaign(co CampaignOptions) CampaignResult {
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
	res := CampaignResult{Seeds: int(done.Load()), Violations: len(failures), Steps: steps.Load(), Elapsed: time.Since(start), SimTime: time.Duration(simNs.Load()), Failures: failures, Coverage: coverage}
	if co.Progress != nil {
		fmt.Fprintf(co.Progress, "\r%s\n", strings.Repeat(" ", 78))
	}
	return res
}

func progress(co CampaignOptions, start time.Time, done, bad *atomic.Int64, steps *atomic.Uint64, stop chan struct{}) {
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
