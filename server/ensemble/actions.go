package ensemble

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/sim"
	"github.com/zabplay/zabplay/core/ztree"
	"github.com/zabplay/zabplay/server/node"
)

// Bounds of an action.
const (
	PathMax     = 256
	ValueMax    = 4096
	PauseMax    = 10 * time.Minute
	RequestWait = 5 * time.Second
)

// ErrAction is a statement the ensemble cannot apply; the message names why.
type ErrAction struct{ Msg string }

func (e *ErrAction) Error() string { return e.Msg }

func bad(format string, a ...any) error { return &ErrAction{Msg: fmt.Sprintf(format, a...)} }

// ErrTimeout is a client request the server did not answer in time.
var ErrTimeout = errors.New("no answer in time")

// action is a parsed statement, refs not yet resolved.
type action struct {
	verb    string
	refs    []string   // crash, restart, pause, resume, isolate, cut, via
	groups  [][]string // partition
	oneWay  bool
	ms      int64 // delay, pause ... for
	req     ztree.Request
	hasPair bool // delay A-B
}

const verbs = "crash, restart, pause, resume, isolate, partition, cut, heal, delay, create, set, delete, get or sync"

// parseAction reads one statement of the scenario language the ensemble
// can apply (server/ensemble/README.md) and checks its bounds.
func parseAction(text string) (action, error) {
	f := strings.Fields(text)
	if k := strings.Index(text, "#"); k >= 0 {
		f = strings.Fields(text[:k])
	}
	if len(f) == 0 {
		return action{}, bad("empty action: want %s", verbs)
	}
	a := action{verb: f[0]}
	switch f[0] {
	case "pause":
		if len(f) != 2 && !(len(f) == 4 && f[2] == "for") {
			return a, bad("want: pause SERVER [for DURATION]")
		}
		a.refs = []string{f[1]}
		if len(f) == 4 {
			ms, err := sim.ParseDuration(f[3])
			if err != nil {
				return a, bad("pause: %v", err)
			}
			if ms <= 0 || time.Duration(ms)*time.Millisecond > PauseMax {
				return a, bad("pause for %s: want more than 0 and at most %v", f[3], PauseMax)
			}
			a.ms = ms
		}
		return a, nil
	case "resume":
		if len(f) != 2 {
			return a, bad("want: resume SERVER")
		}
		a.refs = []string{f[1]}
		return a, nil
	case "delay":
		if len(f) != 2 && len(f) != 3 {
			return a, bad("want: delay A-B DURATION (both ways) or delay DURATION (every link)")
		}
		if len(f) == 3 {
			x, y, ok := strings.Cut(f[1], "-")
			if !ok || x == "" || y == "" || strings.Contains(y, ">") {
				return a, bad("delay %s: want delay A-B DURATION (both ways)", f[1])
			}
			a.refs, a.hasPair = []string{x, y}, true
		}
		ms, err := sim.ParseDuration(f[len(f)-1])
		if err != nil {
			return a, bad("delay: %v", err)
		}
		if ms < 0 || ms > 5000 {
			return a, bad("delay %s: want 0ms..5s", f[len(f)-1])
		}
		a.ms = ms
		return a, nil
	}
	st, err := sim.ParseStatement(text)
	if err != nil {
		return a, bad("%s", strings.TrimPrefix(err.Error(), sim.ErrPlayerAction.Error()+": "))
	}
	switch st.Verb {
	case "crash", "restart", "isolate":
		a.refs = st.Refs
	case "partition":
		a.groups = st.Groups
	case "cut":
		a.refs, a.oneWay = st.Refs, st.OneWay
	case "heal":
	case "create", "set", "delete", "get", "sync":
		a.refs = st.Refs
		op, err := ztree.ParseOp(st.Op)
		if err != nil {
			return a, bad("%v", err)
		}
		a.req = ztree.Request{Op: op, Path: st.Path, Data: st.Data, Version: st.Version}
		if op != ztree.OpSync {
			if len(st.Path) > PathMax {
				return a, bad("path of %d bytes: at most %d", len(st.Path), PathMax)
			}
			if err := ztree.ValidatePath(st.Path); err != nil {
				return a, bad("path %q: %v", st.Path, err)
			}
		}
		if len(st.Data) > ValueMax {
			return a, bad("value of %d bytes: at most %d", len(st.Data), ValueMax)
		}
	default:
		return a, bad("%q is not an action of a live ensemble: want %s", st.Verb, verbs)
	}
	return a, nil
}

// resolve turns a server reference into a member: sN, leader (the
// established leader now), follower or observer (the first one, by id).
func (e *Ensemble) resolve(ref string) (*member, error) {
	switch ref {
	case "leader", "follower", "observer":
		want := map[string]core.ServerState{"leader": core.Leading, "follower": core.Following, "observer": core.Observing}[ref]
		var best *member
		var bestEpoch core.Epoch
		for _, m := range e.members {
			e.mu.Lock()
			n := m.n
			e.mu.Unlock()
			if n == nil {
				continue
			}
			st := n.Status()
			if st.Role != want || (ref == "leader" && !st.Established) {
				continue
			}
			if best == nil || (ref == "leader" && st.CurrentEpoch > bestEpoch) {
				best, bestEpoch = m, st.CurrentEpoch
			}
		}
		if best == nil {
			return nil, bad("there is no %s right now", ref)
		}
		return best, nil
	}
	if strings.HasPrefix(ref, "s") {
		if n, err := strconv.Atoi(ref[1:]); err == nil && n >= 1 && n <= len(e.members) && ref[1] != '0' {
			return e.members[n-1], nil
		}
	}
	return nil, bad("unknown server %q: this ensemble has s1..s%d (or say leader, follower, observer)", ref, len(e.members))
}

// Result is the answer to an action.
type Result struct {
	OK    bool        `json:"ok"`
	Reply *core.Reply `json:"reply"`
	State State       `json:"state"`
}

// Act validates and applies one statement. A malformed or inapplicable one
// is an *ErrAction and changes nothing.
func (e *Ensemble) Act(ctx context.Context, text string) (*core.Reply, error) {
	a, err := parseAction(text)
	if err != nil {
		return nil, err
	}
	switch a.verb {
	case "create", "set", "delete", "get", "sync":
		return e.request(ctx, a)
	}
	e.act.Lock()
	defer e.act.Unlock()
	e.mu.Lock()
	stopped := e.stopped
	e.mu.Unlock()
	if stopped {
		return nil, bad("the ensemble has stopped")
	}
	ms := make([]*member, len(a.refs))
	for i, r := range a.refs {
		if ms[i], err = e.resolve(r); err != nil {
			return nil, err
		}
	}
	var record string
	switch a.verb {
	case "crash":
		if err := e.crash(ms[0]); err != nil {
			return nil, bad("%v", err)
		}
		record = "crash " + ms[0].id.String()
	case "restart":
		if err := e.restart(ms[0]); err != nil {
			var ea *ErrAction
			if errors.As(err, &ea) || strings.Contains(err.Error(), "already running") {
				return nil, bad("%v", err)
			}
			return nil, err
		}
		record = "restart " + ms[0].id.String()
	case "pause", "resume":
		if record, err = e.pause(ms[0], a.verb == "pause", a.ms); err != nil {
			return nil, err
		}
	case "isolate":
		record = "isolate " + ms[0].id.String()
		e.partition([][]*member{{ms[0]}, e.rest(ms[:1])})
	case "partition":
		groups, text, err := e.resolveGroups(a.groups)
		if err != nil {
			return nil, err
		}
		record = text
		e.partition(groups)
	case "cut":
		if ms[0] == ms[1] {
			return nil, bad("cut %v-%v: a link joins two different servers", ms[0].id, ms[1].id)
		}
		sep := "-"
		if a.oneWay {
			sep = "->"
		}
		record = "cut " + ms[0].id.String() + sep + ms[1].id.String()
		e.mu.Lock()
		e.cut[ms[0].id-1][ms[1].id-1] = true
		if !a.oneWay {
			e.cut[ms[1].id-1][ms[0].id-1] = true
		}
		e.mu.Unlock()
		e.applyFaults(ms[0].id, ms[1].id)
	case "heal":
		record = "heal"
		e.mu.Lock()
		for i := range e.cut {
			clear(e.cut[i])
		}
		e.mu.Unlock()
		e.applyFaults(e.allIDs()...)
	case "delay":
		if len(ms) == 2 && ms[0] == ms[1] {
			return nil, bad("delay %v-%v: a link joins two different servers", ms[0].id, ms[1].id)
		}
		record = e.setDelay(ms, a.ms)
	}
	e.record(record, a.verb)
	return nil, nil
}

// record appends an applied action to the timeline and the event stream.
func (e *Ensemble) record(text, verb string) {
	at := e.stream.now()
	e.mu.Lock()
	if len(e.actions) >= 2*actionsMax {
		// Keep the latest actionsMax (State lists no more).
		e.actions = append(make([]sim.Action, 0, 2*actionsMax), e.actions[len(e.actions)-actionsMax:]...)
	}
	e.actions = append(e.actions, sim.Action{At: at, Text: text})
	e.actionsTotal++
	e.mu.Unlock()
	switch verb {
	case "partition", "isolate":
		e.stream.inject(core.Event{Kind: core.EvPartition, Text: text})
	case "heal":
		e.stream.inject(core.Event{Kind: core.EvHeal, Text: text})
	case "cut":
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

func (e *Ensemble) resolveGroups(refs [][]string) ([][]*member, string, error) {
	groups := make([][]*member, len(refs))
	seen := map[*member]bool{}
	restAt := -1
	for i, g := range refs {
		for _, r := range g {
			if r == "rest" {
				if restAt >= 0 {
					return nil, "", bad("partition: rest named twice")
				}
				restAt = i
				continue
			}
			m, err := e.resolve(r)
			if err != nil {
				return nil, "", err
			}
			if seen[m] {
				return nil, "", bad("partition: %v is in two groups", m.id)
			}
			seen[m] = true
			groups[i] = append(groups[i], m)
		}
	}
	if restAt >= 0 {
		var named []*member
		for m := range seen {
			named = append(named, m)
		}
		groups[restAt] = append(groups[restAt], e.rest(named)...)
	}
	var parts []string
	for _, g := range groups {
		var names []string
		for _, m := range g {
			names = append(names, m.id.String())
		}
		parts = append(parts, strings.Join(names, " "))
	}
	return groups, "partition " + strings.Join(parts, " | "), nil
}

// partition cuts every link between different groups (both ways); a server
// in no group keeps its links.
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
					e.record(t, "resume")
				}
			}
		})
	}
	return text, nil
}

// request sends a client request to the server named by via (default the
// leader) and waits for its reply.
func (e *Ensemble) request(ctx context.Context, a action) (*core.Reply, error) {
	via := "leader"
	if len(a.refs) > 0 {
		via = a.refs[0]
	}
	m, err := e.resolve(via)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	n, stopped := m.n, e.stopped
	e.mu.Unlock()
	if stopped {
		return nil, bad("the ensemble has stopped")
	}
	if n == nil {
		return nil, bad("%v is down", m.id)
	}
	text := a.verb
	if a.req.Op != ztree.OpSync {
		text += " " + a.req.Path
		if a.req.Op == ztree.OpCreate || a.req.Op == ztree.OpSetData {
			text += " " + a.req.Data
		}
		if a.req.Version >= 0 && a.req.Op != ztree.OpCreate {
			text += " version " + strconv.Itoa(int(a.req.Version))
		}
	}
	text += " via " + m.id.String()
	res, err := e.reserve(a.req)
	if err != nil {
		return nil, err
	}
	e.record(text, a.verb)
	ctx, cancel := context.WithTimeout(ctx, RequestWait)
	defer cancel()
	rep, err := n.Request(ctx, core.Request{Request: a.req})
	if err != nil {
		e.release(res, nil)
	} else {
		e.release(res, &rep)
	}
	switch {
	case errors.Is(err, node.ErrStopped):
		return nil, fmt.Errorf("%v stopped before it answered: %w", m.id, ErrTimeout)
	case err != nil:
		return nil, fmt.Errorf("%v did not answer within %v: %w", m.id, RequestWait, ErrTimeout)
	}
	return &rep, nil
}
