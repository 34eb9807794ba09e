package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/check"
	"github.com/zabplay/zabplay/core/sim"
)

func simCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scenario := fs.String("scenario", "", "run this scenario file")
	seeds := fs.Int("seeds", 0, "run a campaign of this many random fault schedules")
	seed := fs.Uint64("seed", 0, "with --scenario: override its seed; alone: replay one campaign seed")
	first := fs.Uint64("first-seed", 1, "first seed of a campaign")
	voters := fs.Int("voters", 3, "campaign: voters (1-9)")
	observers := fs.Int("observers", 0, "campaign: observers (0-4)")
	faults := fs.String("faults", "all", "campaign: all, none, or a list of "+strings.Join(sim.AllFaults, ","))
	duration := fs.Duration("duration", 60*time.Second, "campaign: virtual time of faults per seed")
	trace := fs.String("trace", "", "write the trace as JSON lines to this file")
	bugs := fs.String("bug", "", "campaign: comma list of bug switches to turn on (e.g. ZOOKEEPER-1154)")
	workers := fs.Int("workers", 0, "campaign: parallel workers (default: all cores)")
	if err := fs.Parse(args); err != nil {
		return errQuiet
	}
	var on core.Bugs
	if *bugs != "" {
		for _, name := range strings.Split(*bugs, ",") {
			b, err := core.ParseBug(strings.TrimSpace(name))
			if err != nil {
				return err
			}
			on = on.With(b, true)
		}
	}
	var traceW io.Writer
	if *trace != "" {
		f, err := os.Create(*trace)
		if err != nil {
			return err
		}
		defer f.Close()
		traceW = f
	}
	switch {
	case *scenario != "":
		src, err := os.ReadFile(*scenario)
		if err != nil {
			return err
		}
		var seedP *uint64
		if fs.Lookup("seed").Value.String() != "0" {
			seedP = seed
		}
		res, err := sim.RunScenario(*scenario, string(src), seedP, stdout, traceW)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d passed, %d failed, %d violations (seed %d)\n", res.Passed, res.Failed, len(res.Violations), res.Seed)
		if !res.OK() {
			return errQuiet
		}
		return nil
	case *seeds > 0 || *seed != 0:
		fl, err := sim.ParseFaults(*faults)
		if err != nil {
			return err
		}
		co := sim.CampaignOptions{Seeds: *seeds, FirstSeed: *first, Voters: *voters, Observers: *observers,
			Faults: fl, DurationMs: duration.Milliseconds(), Bugs: on, Workers: *workers}
		if *voters < 1 || *voters > 9 || *observers < 0 || *observers > 4 {
			return fmt.Errorf("want 1-9 voters and 0-4 observers")
		}
		if *seeds == 0 {
			return replaySeed(*seed, co, traceW, stdout)
		}
		if isTerminal(stderr) {
			co.Progress = stderr
		}
		fmt.Fprintf(stdout, "campaign: %d seeds from %d, %d voters, %d observers, faults=%s, %v each\n", co.Seeds, co.FirstSeed, co.Voters, co.Observers, *faults, *duration)
		res := sim.Campaign(co)
		replay := fmt.Sprintf("--voters %d --observers %d --faults %s --duration %v", co.Voters, co.Observers, *faults, *duration)
		if *bugs != "" {
			replay += " --bug " + *bugs
		}
		for _, f := range res.Failures {
			fmt.Fprintf(stdout, "seed %d FAILED", f.Seed)
			if f.Pending != "" {
				fmt.Fprintf(stdout, " (liveness: %s)", f.Pending)
			}
			fmt.Fprintf(stdout, "\n%sreplay: go run . sim --seed %d %s --trace out.jsonl\n", check.Report(f.Violations, f.Seed), f.Seed, replay)
		}
		fmt.Fprint(stdout, coverageReport(res.Coverage))
		fmt.Fprintf(stdout, "seeds=%d violations=%d events/s=%.0f\n", res.Seeds, res.Violations, res.EventsPerSecond())
		if res.Violations > 0 {
			return errQuiet
		}
		return nil
	}
	fs.Usage()
	return errQuiet
}

// coverageReport prints how often each sync mode, fault and sync trap
// happened, one line per group, so a campaign shows what it exercised.
func coverageReport(cov map[string]int) string {
	groups := map[string][]string{}
	var order []string
	keys := make([]string, 0, len(cov))
	for k := range cov {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, name, _ := strings.Cut(k, ": ")
		if groups[g] == nil {
			order = append(order, g)
		}
		groups[g] = append(groups[g], fmt.Sprintf("%s=%d", name, cov[k]))
	}
	var b strings.Builder
	for _, g := range order {
		fmt.Fprintf(&b, "coverage %s: %s\n", g, strings.Join(groups[g], " "))
	}
	return b.String()
}

func replaySeed(seed uint64, co sim.CampaignOptions, trace io.Writer, stdout io.Writer) error {
	co.Trace = trace
	r := sim.RunSeed(seed, co)
	fmt.Fprint(stdout, check.Report(r.Violations, seed))
	if r.Pending != "" {
		fmt.Fprintf(stdout, "liveness: %s\n", r.Pending)
	}
	fmt.Fprintf(stdout, "seed %d: %d events, %d violations\n", seed, r.Steps, len(r.Violations))
	if r.Failed() {
		return errQuiet
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
