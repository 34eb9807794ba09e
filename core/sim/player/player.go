package player

import (
	"fmt"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/check"
	"github.com/zabplay/zabplay/core/script"
	"github.com/zabplay/zabplay/core/sim"
	"github.com/zabplay/zabplay/core/view"
)

// PlayerConfig starts a Player: from a scenario's text, or from a size and a
// seed. Actions, if set, replace the scenario's own timeline (a shared URL
// holds them all).
type PlayerConfig struct {
	Scenario  string        `json:"scenario,omitempty"`
	Voters    int           `json:"voters,omitempty"`
	Observers int           `json:"observers,omitempty"`
	Seed      uint64        `json:"seed,omitempty"`
	Bugs      []string      `json:"bugs,omitempty"`
	Actions   []view.Action `json:"actions,omitempty"`
}

// Player is an ensemble a person plays with: time runs forward in steps of
// their choosing, actions happen at the current moment, and seeking anywhere
// replays the run from the start with the same actions. The browser playground
// drives it (wasm/); nothing in it depends on the browser.
type Player struct {
	opts    sim.Options
	actions []view.Action
	next    int // the next action to replay
	r       *sim.Runner
	events  []core.Event // the latest events (at most MaxPlayerEvents)
	dropped int          // older events no longer kept
	sent    int          // events already handed out by Take
	halted  *check.Violation
	script  []ScriptLine
}

// ScriptLine is one statement of the Player's scenario as it ran: its line in
// the scenario's text, when it ran, and for an expect whether it passed. The
// playground shows the scenario beside the ring and highlights the line
// running now, so a learner who looked away can read what happened.
type ScriptLine struct {
	Line int    `json:"line"`
	At   int64  `json:"t"`
	Step uint64 `json:"step"`
	Verb string `json:"verb"`
	// OK is set for an expect: whether it held when it ran.
	OK *bool `json:"ok,omitempty"`
}

// MaxPlayerEvents bounds the events a Player keeps for Events and export: a
// long session in a browser tab must not grow without end. Seeking replays
// from the start, so it never needs the dropped ones.
const MaxPlayerEvents = 200_000

// NewPlayer builds a player at time 0.
func NewPlayer(cfg PlayerConfig) (*Player, error) {
	p := &Player{}
	if cfg.Scenario != "" {
		stmts, err := sim.Parse("scenario", cfg.Scenario)
		if err != nil {
			return nil, err
		}
		if p.opts, err = sim.OptionsOf(stmts[0]); err != nil {
			return nil, err
		}
		rest := stmts[1:]
		for len(rest) > 0 && rest[0].Verb == script.Bug {
			p.opts.Bugs = p.opts.Bugs.With(rest[0].Bug, rest[0].Switch)
			rest = rest[1:]
		}
		acts, lines, err := compile(p.opts, rest)
		if err != nil {
			return nil, err
		}
		p.script = lines
		if cfg.Actions == nil {
			p.actions = acts
		}
	} else {
		p.opts = sim.DefaultOptions()
		p.opts.Voters, p.opts.Observers, p.opts.Seed = cfg.Voters, cfg.Observers, cfg.Seed
		if p.opts.Voters == 0 {
			p.opts.Voters = 3
		}
	}
	for _, name := range cfg.Bugs {
		b, err := core.ParseBug(name)
		if err != nil {
			return nil, err
		}
		p.opts.Bugs = p.opts.Bugs.With(b, true)
	}
	if cfg.Actions != nil {
		for i, a := range cfg.Actions {
			if _, err := parseAction(a.Text); err != nil {
				return nil, fmt.Errorf("action %d %q: %w", i+1, a.Text, err)
			}
			if i > 0 && a.Step < cfg.Actions[i-1].Step {
				return nil, fmt.Errorf("action %d %q: steps must not go back (%d after %d)", i+1, a.Text, a.Step, cfg.Actions[i-1].Step)
			}
		}
		p.actions = append([]view.Action(nil), cfg.Actions...)
	}
	p.opts.Trace = true
	if err := p.reset(); err != nil {
		return nil, err
	}
	return p, nil
}

// compile runs a scenario once and records the statements that change the
// run, with the step and time at which each happened, and every statement's
// line as it ran.
func compile(o sim.Options, stmts []sim.Stmt) ([]view.Action, []ScriptLine, error) {
	r, err := sim.NewRunner("scenario", o, nil)
	if err != nil {
		return nil, nil, err
	}
	var acts []view.Action
	r.Interp.OnAction = func(o script.Outcome) {
		text := o.Text
		if o.Verb.IsRequest() && o.Client == "" { // the timeline replays every request async
			text = script.RequestText(o.Req, o.Servers[0], true)
		}
		acts = append(acts, view.Action{Step: r.Cluster.Steps(), At: r.Cluster.Now(), Text: text})
	}
	lines := make([]ScriptLine, 0, len(stmts))
	for _, st := range stmts {
		_, failedBefore, _ := r.Interp.Counts()
		if _, err := r.Interp.Exec(st); err != nil {
			return nil, nil, r.ErrAt(st, err)
		}
		l := ScriptLine{Line: st.Line, At: r.Cluster.Now(), Step: r.Cluster.Steps(), Verb: st.Verb.String()}
		if st.Verb == script.Expect || st.Verb == script.Wait {
			_, failed, _ := r.Interp.Counts()
			ok := failed == failedBefore
			l.OK = &ok
		}
		lines = append(lines, l)
	}
	return acts, lines, nil
}

// Script is the scenario's statements as they ran (none without a scenario).
func (p *Player) Script() []ScriptLine { return p.script }

func (p *Player) reset() error {
	p.events, p.dropped, p.sent, p.next, p.halted = p.events[:0], 0, 0, 0, nil
	r, err := sim.NewRunner("playground", p.opts, p.keep)
	if err != nil {
		return err
	}
	p.r = r
	return nil
}

func (p *Player) keep(e core.Event) {
	if len(p.events) == MaxPlayerEvents {
		half := MaxPlayerEvents / 2
		k := copy(p.events, p.events[half:])
		clear(p.events[k:])
		p.events = p.events[:k]
		p.dropped += half
		p.sent = max(p.sent-half, 0)
	}
	p.events = append(p.events, e)
}

// Dropped is how many of the run's first events are no longer kept.
func (p *Player) Dropped() int { return p.dropped }

// Now is the virtual time in ms.
func (p *Player) Now() int64 { return p.r.Cluster.Now() }

// Cluster is the ensemble as it is now.
func (p *Player) Cluster() *sim.Cluster { return p.r.Cluster }

// Violation is the checker's first violation, once it fired.
func (p *Player) Violation() *check.Violation { return p.halted }

// Actions is the timeline.
func (p *Player) Actions() []view.Action { return p.actions }

// Events is the run's events so far, without the Dropped first ones.
func (p *Player) Events() []core.Event { return p.events }

// Take returns the events since the last Take.
func (p *Player) Take() []core.Event {
	out := p.events[p.sent:]
	p.sent = len(p.events)
	return out
}

// AdvanceTo runs virtual time up to t, replaying the timeline's actions where
// they happened. It stops at the event where the checker finds a violation.
func (p *Player) AdvanceTo(t int64) {
	p.run(t, -1)
}

// StepOne handles exactly one more event (replaying actions due before it).
func (p *Player) StepOne() {
	p.run(1<<62, 1)
}

func (p *Player) run(t int64, maxSteps int) {
	c := p.r.Cluster
	for p.halted == nil {
		if p.next < len(p.actions) {
			a := p.actions[p.next]
			if a.Step <= c.Steps() && a.At <= t {
				c.AdvanceClock(a.At)
				p.apply(a.Text)
				p.next++
				continue
			}
			if a.Step <= c.Steps() {
				break // due later than t
			}
		}
		if at, ok := c.NextAt(); maxSteps == 0 || !ok || at > t {
			break
		}
		c.Step()
		maxSteps--
		if !p.r.Checker.OK() {
			v := p.r.Checker.Violations()[0]
			p.halted = &v
			p.keep(core.Event{At: c.Now(), Kind: core.EvViolation, Text: v.Property + ": " + v.Text})
		}
	}
	if p.halted == nil && maxSteps < 0 && c.Now() < t {
		if p.next < len(p.actions) && p.actions[p.next].Step <= c.Steps() {
			return
		}
		c.AdvanceClock(t)
	}
}

// Seek replays the run from the start up to time t.
func (p *Player) SeekTo(t int64) error {
	if err := p.reset(); err != nil {
		return err
	}
	p.AdvanceTo(t)
	return nil
}

// SetBug switches a historical bug on or off and replays the run to where it
// was, with the same actions.
func (p *Player) SetBug(name string, on bool) error {
	b, err := core.ParseBug(name)
	if err != nil {
		return err
	}
	t := p.Now()
	p.opts.Bugs = p.opts.Bugs.With(b, on)
	return p.SeekTo(t)
}

// Bugs lists the switches that are on.
func (p *Player) Bugs() []string {
	var out []string
	for _, b := range core.AllBugs() {
		if p.opts.Bugs.Has(b) {
			out = append(out, b.String())
		}
	}
	return out
}

// Options are the run's options.
func (p *Player) Options() sim.Options { return p.opts }

// FaultsOn reports whether random faults are being injected.
func (p *Player) FaultsOn() bool { return p.r.Cluster.RandomFaults() }

// Act applies one statement now (core/script): crash, restart, pause,
// resume, isolate, partition, cut, heal, delay, create, set, delete, get,
// sync, or "faults on|off". Server names may be leader, follower or
// observer; client requests are sent async.
// The timeline after this moment is dropped and the action is added to it.
func (p *Player) Act(text string) error {
	st, err := parseAction(text)
	if err != nil {
		return err
	}
	if p.halted != nil {
		return fmt.Errorf("the checker found a violation at %dms: seek back before acting", p.halted.At)
	}
	c := p.r.Cluster
	p.actions = p.actions[:p.next]
	var recorded []string
	p.r.Interp.OnAction = func(o script.Outcome) { recorded = append(recorded, o.Text) }
	_, err = p.r.Interp.Exec(st)
	p.r.Interp.OnAction = nil
	if err != nil {
		return err
	}
	for _, t := range recorded {
		p.actions = append(p.actions, view.Action{Step: c.Steps(), At: c.Now(), Text: t})
		p.next++
	}
	return nil
}

// apply replays one recorded action.
func (p *Player) apply(text string) {
	st, err := parseAction(text)
	if err != nil {
		return // checked when the action was added
	}
	_, _ = p.r.Interp.Exec(st) // an action that failed live was never recorded
}

// playerActions are the statements a Player applies: a live ensemble's
// actions and the random faults switch.
var playerActions = script.Actions.With(script.Faults)

// parseAction reads one action statement (core/script); a client request
// is sent async: the run goes on while it is answered.
func parseAction(text string) (sim.Stmt, error) {
	st, err := script.ParseStatement(text, playerActions, "the playground")
	if err != nil {
		return st, err
	}
	if st.Verb.IsRequest() || st.Verb == script.Client || st.Verb == script.Watch || st.Verb == script.Close {
		st.Async = true
	}
	return st, nil
}
