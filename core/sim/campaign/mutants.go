package campaign

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/sim"
)

// Kill reasons that are not checker properties.
const (
	// Liveness: the ensemble did not come back in sync after the faults
	// stopped (the campaign's recovery phase).
	Liveness = "liveness"
	// Panic: the mutant broke one of the core's own invariants.
	Panic = "panic"
)

// MutantCampaign is the default campaign the mutants face (and the one
// testdata/mutants.golden records; `task test` runs it clean): 5 voters, 1
// observer, every fault inside the model, 60 s of faults per seed, 3 session
// clients beside the default workload.
func MutantCampaign(seeds int) Options {
	return Options{Seeds: seeds, FirstSeed: 1, Voters: 5, Observers: 1, Faults: sim.AllFaults, DurationMs: 60000, Sessions: 3}
}

// MutantCampaignFlags are MutantCampaign's as `zabplay sim` takes them.
const MutantCampaignFlags = "--voters 5 --observers 1 --faults all --duration 60s --sessions 3"

// ScenarioKill is a committed scenario that failed against a mutant.
type ScenarioKill struct {
	File   string
	Reason string // the first violation's property, or "expect <line>: <statement>"
}

// MutantResult is what the campaign and the scenarios made of one mutant.
type MutantResult struct {
	Mutant core.Mutant
	// Seed is the lowest campaign seed that killed it (0: the campaign did
	// not), By what flagged that seed, SeedsRun how many seeds ran up to it.
	Seed     uint64
	By       string
	Text     string
	SeedsRun int
	// Scenarios lists the committed scenarios that failed with the mutant.
	Scenarios []ScenarioKill
}

// Killed reports whether anything caught the mutant.
func (r MutantResult) Killed() bool { return r.Seed != 0 || len(r.Scenarios) > 0 }

// failureReason names what flagged a failed seed.
func failureReason(r SeedResult) (string, string) {
	if len(r.Violations) > 0 {
		return r.Violations[0].Property, r.Violations[0].Text
	}
	return Liveness, r.Pending
}

// RunMutant runs a campaign with the mutant planted, stopping at its first
// kill, then every scenario of scenarios (file name → source) against it.
func RunMutant(m core.Mutant, co Options, scenarios map[string]string) MutantResult {
	co.Mutant, co.StopAtFirstFailure, co.Progress, co.Trace = m, true, nil, nil
	out := MutantResult{Mutant: m}
	res := Run(co)
	if len(res.Failures) > 0 {
		f := res.Failures[0]
		out.Seed, out.SeedsRun = f.Seed, int(f.Seed-co.FirstSeed)+1
		out.By, out.Text = failureReason(f)
	} else {
		out.SeedsRun = res.Seeds
	}
	files := make([]string, 0, len(scenarios))
	for f := range scenarios {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		if why := scenarioAgainst(m, f, scenarios[f]); why != "" {
			out.Scenarios = append(out.Scenarios, ScenarioKill{File: f, Reason: why})
		}
	}
	return out
}

// scenarioAgainst runs one scenario with the mutant (core.MutNone: the
// faithful core); it returns why the scenario failed (its first violation's
// property, "expect <line>: <statement>", "error: ...", "panic: ..."), or ""
// if it passed.
func scenarioAgainst(m core.Mutant, file, src string) (why string) {
	defer func() {
		if p := recover(); p != nil {
			why = Panic + ": " + fmt.Sprint(p)
		}
	}()
	stmts, err := sim.Parse(file, src)
	if err != nil {
		return "parse: " + err.Error()
	}
	res, err := (&sim.Runner{File: file, Mutant: m}).Run(stmts, nil)
	switch {
	case err != nil:
		return "error: " + err.Error()
	case len(res.Violations) > 0:
		return res.Violations[0].Property
	case res.Failed > 0:
		return "expect " + res.FirstFailed
	}
	return ""
}

// MutantKill is one line of the recorded first kills (testdata/mutants.golden):
// the seed that killed a mutant in the default campaign and what flagged it,
// or, for a mutant the campaign does not kill, the first committed scenario
// that does (Seed 0, Scenario its file) and how (a property, or "expect").
type MutantKill struct {
	Mutant   core.Mutant
	Seed     uint64
	Scenario string
	By       string
}

// FormatMutantKills writes the recorded first kills, one "name seed property"
// line per mutant the campaign killed and one "name scenario:FILE how" per
// mutant only a scenario killed.
func FormatMutantKills(rs []MutantResult) string {
	var b strings.Builder
	b.WriteString("# The first campaign seed that kills each mutant, and what flags it (TestMutantsKilled);\n")
	b.WriteString("# for a mutant the campaign does not kill, the first scenario that does.\n")
	b.WriteString("# Campaign: 5 voters, 1 observer, faults=all, 60s, 3 session clients (campaign.MutantCampaign). Rewrite with:\n")
	b.WriteString("#   go run . sim --mutants " + MutantCampaignFlags + " --record core/sim/campaign/testdata/mutants.golden\n")
	for _, r := range rs {
		switch {
		case r.Seed != 0:
			fmt.Fprintf(&b, "%s %d %s\n", r.Mutant, r.Seed, r.By)
		case len(r.Scenarios) > 0:
			how, _, _ := strings.Cut(r.Scenarios[0].Reason, " ")
			fmt.Fprintf(&b, "%s scenario:%s %s\n", r.Mutant, r.Scenarios[0].File, strings.TrimSuffix(how, ":"))
		}
	}
	return b.String()
}

// ParseMutantKills reads what FormatMutantKills wrote.
func ParseMutantKills(s string) ([]MutantKill, error) {
	var out []MutantKill
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("line %d: want \"mutant seed property\" or \"mutant scenario:FILE how\", got %q", i+1, line)
		}
		m, err := core.ParseMutant(f[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		if file, ok := strings.CutPrefix(f[1], "scenario:"); ok {
			out = append(out, MutantKill{Mutant: m, Scenario: file, By: f[2]})
			continue
		}
		seed, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		out = append(out, MutantKill{Mutant: m, Seed: seed, By: f[2]})
	}
	return out, nil
}
