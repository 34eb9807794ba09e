package ensemble

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/script"
	"github.com/zabplay/zabplay/core/view"
	"github.com/zabplay/zabplay/core/ztree"
)

// Bounds of an action.
const (
	PathMax     = 256
	ValueMax    = 4096
	PauseMax    = 10 * time.Minute
	RequestWait = 5 * time.Second
)

// ErrAction is a statement the ensemble did not apply, for a reason of the
// statement's or of the ensemble's state (a 400): core/script's structured
// error. Its Kind says which (syntax, not an action here, a reference that
// names no server, refused); its message names why.
type ErrAction = script.Error

func bad(format string, a ...any) error { return script.Refused(format, a...) }

// ErrTimeout is a client request the server did not answer in time.
var ErrTimeout = errors.New("no answer in time")

// where names a live ensemble in the interpreter's messages.
const where = "a live ensemble"

// parseAction reads one action (core/script; server/ensemble/README.md)
// and checks a live ensemble's bounds on it.
func parseAction(text string) (script.Stmt, error) {
	st, err := script.ParseStatement(text, script.Actions, where)
	if err != nil {
		return st, err
	}
	switch {
	case st.Verb == script.Pause && time.Duration(st.Ms)*time.Millisecond > PauseMax:
		return st, bad("pause for %v: want more than 0 and at most %v", time.Duration(st.Ms)*time.Millisecond, PauseMax)
	case st.Verb == script.Delay && st.Ms > DelayMaxMs:
		return st, bad("delay %dms: want 0ms..5s", st.Ms)
	case st.Verb.IsRequest():
		if st.Req.Op != ztree.OpSync {
			if len(st.Req.Path) > PathMax {
				return st, bad("path of %d bytes: at most %d", len(st.Req.Path), PathMax)
			}
			if err := ztree.ValidatePath(st.Req.Path); err != nil {
				return st, bad("path %q: %v", st.Req.Path, err)
			}
		}
		if len(st.Req.Data) > ValueMax {
			return st, bad("value of %d bytes: at most %d", len(st.Req.Data), ValueMax)
		}
	}
	return st, nil
}

// DelayMaxMs bounds a delay action.
const DelayMaxMs = 5000

// Result is the answer to an action.
type Result struct {
	OK    bool        `json:"ok"`
	Reply *core.Reply `json:"reply"`
	State State       `json:"state"`
}

// interpreter is the ensemble's interpreter of actions (core/script), made
// at the first action: the names it resolves (follower, observer, a
// request without via and no leader) are picked by the ensemble's seed.
func (e *Ensemble) interpreter() *script.Interp {
	e.interpOnce.Do(func() {
		e.interp = script.New(live{e}, e.seed)
		e.interp.OnAction = func(o script.Outcome) { e.record(o.Text, o.Verb) }
	})
	return e.interp
}

// Act validates and applies one statement. A malformed or inapplicable one
// is an *ErrAction and changes nothing.
func (e *Ensemble) Act(ctx context.Context, text string) (*core.Reply, error) {
	out, err := e.Apply(ctx, text)
	if err != nil || out.Call == nil {
		return nil, err
	}
	rep := out.Call.Reply()
	return &rep, nil
}

// Apply is Act, and tells how the interpreter resolved the statement.
func (e *Ensemble) Apply(ctx context.Context, text string) (script.Outcome, error) {
	st, err := parseAction(text)
	if err != nil {
		return script.Outcome{}, err
	}
	return e.Exec(ctx, st)
}

// Exec applies one parsed statement: an action, or (Go callers: tests)
// also run, wait, let or expect. Client requests run beside each other and
// beside faults; faults run one at a time.
func (e *Ensemble) Exec(ctx context.Context, st script.Stmt) (script.Outcome, error) {
	in := e.interpreter()
	if !st.Verb.IsRequest() {
		e.act.Lock()
		defer e.act.Unlock()
	}
	e.mu.Lock()
	stopped := e.stopped
	e.mu.Unlock()
	if stopped {
		return script.Outcome{}, bad("the ensemble has stopped")
	}
	if !st.Verb.IsRequest() {
		return in.ExecContext(ctx, st)
	}
	res, err := e.reserve(ctx, st.Req)
	if err != nil {
		return script.Outcome{}, err
	}
	out, err := in.ExecContext(ctx, st)
	if err != nil || out.Call == nil || !out.Call.Done() {
		e.release(res, nil)
	} else {
		rep := out.Call.Reply()
		e.release(res, &rep)
	}
	return out, err
}

// record appends an applied action to the timeline and the event stream.
func (e *Ensemble) record(text string, verb script.Verb) {
	at := e.stream.now()
	e.mu.Lock()
	if len(e.actions) >= 2*actionsMax {
		// Keep the latest actionsMax (State lists no more).
		e.actions = append(make([]view.Action, 0, 2*actionsMax), e.actions[len(e.actions)-actionsMax:]...)
	}
	e.actions = append(e.actions, view.Action{At: at, Text: text})
	e.actionsTotal++
	e.mu.Unlock()
	switch verb {
	case script.Partition, script.Isolate:
		e.stream.inject(core.Event{Kind: core.EvPartition, Text: text})
	case script.Heal:
		e.stream.inject(core.Event{Kind: core.EvHeal, Text: text})
	case script.Cut:
		e.stream.inject(core.Event{Kind: core.EvCut, Text: strings.TrimPrefix(text, "cut ")})
	}
}

func (e *Ensemble) rest(named []*member) []*member {
	var out []*member
	for _, m := range e.members {
		in := false
		for _, n := range named {
			in = in || n == m
		}
		if !in {
			out = append(out, m)
		}
	}
	return out
}

// partition cuts every link between different groups (both ways); a server
// in no group keeps its links (live.Partition always passes every server).
func (e *Ensemble) partition(groups [][]*member) {
	group := map[core.NodeID]int{}
	for i, g := range groups {
		for _, m := range g {
			group[m.id] = i + 1
		}
	}
	e.mu.Lock()
	for a, ga := range group {
		for b, gb := range group {
			if ga != gb {
				e.cut[a-1][b-1] = true
			}
		}
	}
	e.mu.Unlock()
	e.applyFaults(e.allIDs()...)
}

func (e *Ensemble) setDelay(ms []*member, delay int64) string {
	e.mu.Lock()
	text := "delay " + strconv.FormatInt(delay, 10) + "ms"
	if len(ms) == 2 {
		a, b := ms[0].id, ms[1].id
		e.delay[a-1][b-1], e.delay[b-1][a-1] = int(delay), int(delay)
		text = "delay " + a.String() + "-" + b.String() + " " + strconv.FormatInt(delay, 10) + "ms"
	} else {
		for i := range e.delay {
			for j := range e.delay[i] {
				if i != j {
					e.delay[i][j] = int(delay)
				}
			}
		}
	}
	e.mu.Unlock()
	ids := e.allIDs()
	if len(ms) == 2 {
		ids = []core.NodeID{ms[0].id, ms[1].id}
	}
	e.applyFaults(ids...)
	return text
}

// pause (in process: the server's links cut both ways, its clock still
// ticking; the node has no way to stop its ticks; in process mode: SIGSTOP,
// its timers stop too) or resume a server.
func (e *Ensemble) pause(m *member, on bool, forMs int64) (string, error) {
	e.mu.Lock()
	up, paused := m.n != nil, m.paused
	e.mu.Unlock()
	switch {
	case !up:
		return "", bad("%v is down", m.id)
	case on && paused:
		return "", bad("%v is already paused", m.id)
	case !on && !paused:
		return "", bad("%v is not paused", m.id)
	}
	e.mu.Lock()
	m.paused = on
	n := m.n
	e.mu.Unlock()
	kind, text := core.EvPause, "pause "+m.id.String()
	if !on {
		kind, text = core.EvResume, "resume "+m.id.String()
	}
	p, real := n.(pauser) // process mode: SIGSTOP/SIGCONT
	if real && !on {
		// Before SIGCONT: the child's next events come after the resume.
		e.stream.inject(core.Event{Kind: kind, Node: m.id})
	}
	if real {
		if err := p.Pause(on); err != nil {
			e.mu.Lock()
			m.paused = !on
			e.mu.Unlock()
			return "", err
		}
	}
	e.applyFaults(m.id)
	if !real || on {
		e.stream.inject(core.Event{Kind: kind, Node: m.id})
	}
	if on && forMs > 0 {
		text += " for " + strconv.FormatInt(forMs, 10) + "ms"
		time.AfterFunc(time.Duration(forMs)*time.Millisecond, func() {
			e.act.Lock()
			defer e.act.Unlock()
			e.mu.Lock()
			still := m.paused && m.n != nil && !e.stopped
			e.mu.Unlock()
			if still {
				if t, err := e.pause(m, false, 0); err == nil {
					e.record(t, script.Resume)
				}
			}
		})
	}
	return text, nil
}
