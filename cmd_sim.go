package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/check"
	"github.com/zabplay/zabplay/core/sim"
	"github.com/zabplay/zabplay/core/sim/campaign"
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
	faults := fs.String("faults", "all", "campaign: all, none, or a list of "+strings.Join(sim.AllFaults, ",")+
		"; the break-the-assumption faults "+strings.Join(sim.BreakFaults, ",")+" are never in all (e.g. all,reorder)")
	duration := fs.Duration("duration", 60*time.Second, "campaign: virtual time of faults per seed")
	sessions := fs.Int("sessions", 0, "campaign: session clients beside the default workload (ephemerals, multis, watches, closes; 0-16)")
	trace := fs.String("trace", "", "write the trace as JSON lines to this file")
	bugs := fs.String("bug", "", "campaign: comma list of bug switches to turn on (e.g. ZOOKEEPER-1154)")
	workers := fs.Int("workers", 0, "campaign: parallel workers (default: all cores)")
	mutant := fs.String("mutant", "", "campaign or replay: plant this mutant in every server (see --mutants)")
	mutants := fs.Bool("mutants", false, "run the campaign (--seeds, default 2000; stops at a mutant's first kill) and the scenarios of --scenarios against every mutant, and print the table")
	scenarioDir := fs.String("scenarios", "core/sim/testdata", "with --mutants: the committed scenarios (*.txt) to run against each mutant")
	record := fs.String("record", "", "with --mutants: write each mutant's first-killing seed to this file (TestMutantsKilled reads core/sim/campaign/testdata/mutants.golden)")
	if err := fs.Parse(args); err != nil {
		return errQuiet
	}
	if *sessions < 0 || *sessions > 16 {
		return fmt.Errorf("--sessions %d: want 0-16 session clients", *sessions)
	}
	var mut core.Mutant
	if *mutant != "" {
		m, err := core.ParseMutant(*mutant)
		if err != nil {
			return err
		}
		mut = m
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
	case *mutants:
		fl, err := sim.ParseFaults(*faults)
		if err != nil {
			return err
		}
		if *seeds == 0 {
			*seeds = 2000
		}
		co := campaign.Options{Seeds: *seeds, FirstSeed: *first, Voters: *voters, Observers: *observers,
			Faults: fl, DurationMs: duration.Milliseconds(), Workers: *workers, Sessions: *sessions}
		return mutantsCmd(co, *faults, *scenarioDir, *record, stdout, stderr)
	case *scenario != "":
		src, err := os.ReadFile(*scenario)
		if err != nil {
			return err
		}
		var seedP *uint64
		if fs.Lookup("seed").Value.String() != "0" {
			seedP = seed
		}
		stmts, err := sim.Parse(*scenario, string(src))
		if err != nil {
			return err
		}
		res, err := (&sim.Runner{File: *scenario, Out: stdout, Trace: traceW, Mutant: mut}).Run(stmts, seedP)
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
		co := campaign.Options{Seeds: *seeds, FirstSeed: *first, Voters: *voters, Observers: *observers,
			Faults: fl, DurationMs: duration.Milliseconds(), Bugs: on, Workers: *workers, Mutant: mut, Sessions: *sessions}
		if *voters < 1 || *voters > core.MaxVoters || *observers < 0 || *observers > core.MaxObservers {
			return fmt.Errorf("want 1-%d voters and 0-%d observers", core.MaxVoters, core.MaxObservers)
		}
		if *seeds == 0 {
			return replaySeed(*seed, co, traceW, stdout)
		}
		if isTerminal(stderr) {
			co.Progress = stderr
		}
		fmt.Fprintf(stdout, "campaign: %d seeds from %d, %d voters, %d observers, faults=%s, %v each", co.Seeds, co.FirstSeed, co.Voters, co.Observers, *faults, *duration)
		if co.Sessions > 0 {
			fmt.Fprintf(stdout, ", %d session clients", co.Sessions)
		}
		fmt.Fprintln(stdout)
		res := campaign.Run(co)
		replay := fmt.Sprintf("--voters %d --observers %d --faults %s --duration %v", co.Voters, co.Observers, *faults, *duration)
		if co.Sessions > 0 {
			replay += fmt.Sprintf(" --sessions %d", co.Sessions)
		}
		if *bugs != "" {
			replay += " --bug " + *bugs
		}
		if mut != core.MutNone {
			replay += " --mutant " + mut.String()
		}
		for _, f := range res.Failures {
			fmt.Fprintf(stdout, "seed %d FAILED", f.Seed)
			if f.Pending != "" {
				fmt.Fprintf(stdout, " (liveness: %s)", f.Pending)
			}
			fmt.Fprintf(stdout, "\n%sreplay: go run . sim --seed %d %s --trace out.jsonl\n", check.Report(f.Violations, f.Seed), f.Seed, replay)
		}
		fmt.Fprint(stdout, coverageReport(res.Coverage))
		if len(res.Failures) > 0 {
			fmt.Fprintf(stdout, "failed seeds by what flagged them first: %s\n", byProperty(res.Failures))
		}
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

func replaySeed(seed uint64, co campaign.Options, trace io.Writer, stdout io.Writer) error {
	co.Trace = trace
	r := campaign.RunSeed(seed, co)
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

// mutantsCmd runs the campaign and the committed scenarios against every
// mutant and prints a Markdown table (README "## Mutants").
func mutantsCmd(co campaign.Options, faults, dir, record string, stdout, stderr io.Writer) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return err
	}
	scenarios := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		scenarios[filepath.Base(f)] = string(b)
	}
	fmt.Fprintf(stdout, "mutants: campaign of up to %d seeds from %d, %d voters, %d observers, faults=%s, %v each, %d session clients (stops at the first kill); %d scenarios from %s\n\n",
		co.Seeds, co.FirstSeed, co.Voters, co.Observers, faults, time.Duration(co.DurationMs)*time.Millisecond, co.Sessions, len(scenarios), dir)
	fmt.Fprintln(stdout, "| mutant | result | campaign: first kill | seeds to it | scenarios that kill it |")
	fmt.Fprintln(stdout, "|---|---|---|---|---|")
	var all []campaign.MutantResult
	survivors := 0
	start := time.Now()
	for _, m := range core.AllMutants() {
		t0 := time.Now()
		r := campaign.RunMutant(m, co, scenarios)
		all = append(all, r)
		result, camp, seedsTo := "killed", "—", fmt.Sprintf("— (%d run)", r.SeedsRun)
		if !r.Killed() {
			result = "**survived**"
			survivors++
		}
		if r.Seed != 0 {
			camp = fmt.Sprintf("%s (seed %d)", r.By, r.Seed)
			seedsTo = fmt.Sprint(r.SeedsRun)
		}
		scen := "—"
		if len(r.Scenarios) > 0 {
			// The first two, then how many more.
			var sc []string
			for _, k := range r.Scenarios[:min(2, len(r.Scenarios))] {
				sc = append(sc, fmt.Sprintf("%s (%s)", strings.TrimSuffix(k.File, ".txt"), mdEscape(k.Reason)))
			}
			scen = fmt.Sprintf("%d of %d: %s", len(r.Scenarios), len(scenarios), strings.Join(sc, "; "))
			if len(r.Scenarios) > 2 {
				scen += "; …"
			}
		}
		fmt.Fprintf(stdout, "| %s | %s | %s | %s | %s |\n", m, result, camp, seedsTo, scen)
		fmt.Fprintf(stderr, "%s: %s in %v\n", m, result, time.Since(t0).Round(time.Millisecond))
	}
	fmt.Fprintf(stdout, "\n%d mutants, %d killed, %d survived (%v)\n", len(all), len(all)-survivors, survivors, time.Since(start).Round(time.Second))
	if record != "" {
		if err := os.WriteFile(record, []byte(campaign.FormatMutantKills(all)), 0o644); err != nil {
			return err
		}
	}
	if survivors > 0 {
		return errQuiet
	}
	return nil
}

func mdEscape(s string) string {
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return strings.ReplaceAll(s, "|", "\\|")
}

// byProperty counts failed seeds by the property (or "liveness") that
// flagged each first, e.g. "AckDurable=3 liveness=1".
func byProperty(fs []campaign.SeedResult) string {
	n := map[string]int{}
	for _, f := range fs {
		p := campaign.Liveness
		if len(f.Violations) > 0 {
			p = f.Violations[0].Property
		}
		n[p]++
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, n[k]))
	}
	return strings.Join(parts, " ")
}
