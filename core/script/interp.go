package script

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// Interp runs statements against a Target. It keeps the names bound by let,
// the last client request (for expect reply), the count of expects passed
// and failed, and the seeded source that picks follower and observer.
//
// It is safe for concurrent use as far as a live ensemble needs it (client
// requests run beside each other and beside fault actions); the Target's
// own methods must be too.
type Interp struct {
	t    Target
	File string    // names the file in output lines
	Out  io.Writer // one line per statement run (nil: none)
	// OnAction, if set, hears every statement that changes the run, with
	// every reference resolved: a fault after it was applied, a client
	// request before it is sent (load: each request it sends).
	OnAction func(Outcome)

	mu      sync.Mutex
	names   map[string]core.NodeID
	clients map[string]bool // session clients connected by "client"
	pick    *rand.Rand      // follower, observer, a request without via and no leader
	last    Call
	passed  int
	failed  int
	first   string // the first failed expect, "line: statement"
}

// Outcome is a statement as the interpreter applied it.
type Outcome struct {
	Verb Verb
	// Text is the statement with every reference resolved: "crash s2",
	// "partition s5 | s1 s2 s3 s4", "create /a x via s3 async", "let f = s2".
	// Empty for statements that change nothing and bind nothing (run,
	// wait, expect).
	Text string
	// Servers are the servers the statement named once resolved, in the
	// order it named them (partition: group by group, rest expanded).
	Servers []core.NodeID
	// Req is a client request's op, path, data and version.
	Req ztree.Request
	// Call is a client request's call (load: the last one).
	Call Call
	// Client is the session client a statement named (client, watch,
	// close, a request via a client).
	Client string
}

// pickStream is the PCG stream of the picks ("names"), apart from every
// other random source, so that naming a server never changes the run.
const pickStream = 0x6e616d6573

// New makes an interpreter for target t; seed seeds its picks (the
// simulator passes the run's seed, a live ensemble its own).
func New(t Target, seed uint64) *Interp {
	return &Interp{t: t, names: map[string]core.NodeID{}, clients: map[string]bool{}, pick: rand.New(rand.NewPCG(seed, pickStream))}
}

// Target is the target the interpreter drives.
func (in *Interp) Target() Target { return in.t }

// Counts returns the expects (and waits) passed and failed so far, and the
// first that failed ("line: statement", "" if none).
func (in *Interp) Counts() (passed, failed int, first string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.passed, in.failed, in.first
}

// Last is the last client request sent (nil if none).
func (in *Interp) Last() Call {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.last
}

func (in *Interp) printf(format string, a ...any) {
	if in.Out != nil {
		fmt.Fprintf(in.Out, format, a...)
	}
}

// Leader is the established leader now: a running, unpaused server leading
// in broadcast with a quorum that acked its NEWLEADER; the one of the
// highest epoch if several claim it (a deposed leader that has not noticed
// yet); 0 if none.
func (in *Interp) Leader() core.NodeID {
	var best core.NodeID
	var bestEpoch core.Epoch
	for i := 1; i <= in.t.Size(); i++ {
		s := in.t.Server(core.NodeID(i))
		if !s.Up() || s.Paused {
			continue
		}
		if s.Role == core.Leading && s.Established && s.Phase == core.PhaseBroadcast && (best == 0 || s.CurrentEpoch > bestEpoch) {
			best, bestEpoch = core.NodeID(i), s.CurrentEpoch
		}
	}
	return best
}

// Synced reports whether there is a leader and every running, unpaused
// server is in broadcast with it and has its last txn.
func (in *Interp) Synced() bool {
	l := in.Leader()
	if l == 0 {
		return false
	}
	want := in.t.Server(l).LastTxn
	for i := 1; i <= in.t.Size(); i++ {
		s := in.t.Server(core.NodeID(i))
		if !s.Up() || s.Paused {
			continue
		}
		if s.Phase != core.PhaseBroadcast || s.Leader != l || s.LastTxn != want {
			return false
		}
	}
	return true
}

// Resolve turns a reference into a server, the one way both the simulator
// and a live ensemble do (README.md, "The scenario language"):
//
//   - sN: server N;
//   - a name bound by let: the server it was bound to;
//   - leader: Leader();
//   - follower, observer: a pick, by the interpreter's seeded source, among
//     the servers whose role is following (observing) now, paused ones
//     included, in id order.
func (in *Interp) Resolve(ref string) (core.NodeID, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.resolve(ref)
}

// resolve is Resolve with in.mu held.
func (in *Interp) resolve(ref string) (core.NodeID, error) {
	t := in.t
	if id, ok := in.names[ref]; ok {
		return id, nil
	}
	switch ref {
	case "leader":
		if l := in.Leader(); l != 0 {
			return l, nil
		}
		return 0, errorf(ErrReference, "there is no established leader at %dms", t.Now())
	case "follower", "observer":
		want := core.Following
		if ref == "observer" {
			want = core.Observing
		}
		var ids []core.NodeID
		for i := 1; i <= t.Size(); i++ {
			if t.Server(core.NodeID(i)).Role == want {
				ids = append(ids, core.NodeID(i))
			}
		}
		if len(ids) == 0 {
			return 0, errorf(ErrReference, "there is no %s at %dms (no server is %v)", ref, t.Now(), want)
		}
		return ids[in.pick.IntN(len(ids))], nil
	}
	if strings.HasPrefix(ref, "s") {
		if n, err := strconv.Atoi(ref[1:]); err == nil && ref[1] != '+' && ref[1] != '-' {
			if n < 1 || n > t.Size() || ref[1] == '0' {
				return 0, errorf(ErrReference, "no server %s (the ensemble has s1..s%d)", clip(ref), t.Size())
			}
			return core.NodeID(n), nil
		}
	}
	return 0, errorf(ErrReference, "unknown server %q (not s1..s%d, leader, follower, observer, or a name bound by let)", clip(ref), t.Size())
}

// resolveAll resolves refs in order.
func (in *Interp) resolveAll(refs []string) ([]core.NodeID, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	ids := make([]core.NodeID, len(refs))
	for i, r := range refs {
		id, err := in.resolve(r)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

// clip quotes at most 60 bytes of a word from the input (a live ensemble's
// errors never echo a long input).
func clip(s string) string {
	if len(s) > 80 {
		return fmt.Sprintf("%s... (%d bytes)", s[:60], len(s))
	}
	return s
}

// Exec applies one statement. Ensemble and bug statements are the caller's
// (they make the Target); Exec refuses them. An error is an *Error when the
// statement was not applied for a reason of the script's (a reference, the
// state refusing it), or the Target's own error.
func (in *Interp) Exec(st Stmt) (Outcome, error) {
	return in.ExecContext(context.Background(), st)
}

// ExecContext is Exec with a context for the Target's client requests (a
// live ensemble stops waiting for an answer when it is done).
func (in *Interp) ExecContext(ctx context.Context, st Stmt) (Outcome, error) {
	out, err := in.exec(ctx, st)
	if e, ok := err.(*Error); ok && e.Verb == VerbNone {
		e.Verb = st.Verb
	}
	return out, err
}

func (in *Interp) exec(ctx context.Context, st Stmt) (Outcome, error) {
	t := in.t
	out := Outcome{Verb: st.Verb}
	switch st.Verb {
	case Run:
		t.Run(st.Ms)
	case Wait:
		in.wait(st)
	case Let:
		if in.isClient(st.Name) {
			return out, errorf(ErrRefused, "let %s: %s is a client's name", st.Name, st.Name)
		}
		in.mu.Lock()
		id, err := in.resolve(st.Refs[0])
		if err == nil {
			in.names[st.Name] = id
		}
		in.mu.Unlock()
		if err != nil {
			return out, err
		}
		out.Text, out.Servers = fmt.Sprintf("let %s = %v", st.Name, id), []core.NodeID{id}
		in.printf("%s:%d: %s = %v\n", in.File, st.Line, st.Name, id)
	case Crash, Restart, Pause, Resume, Isolate:
		return in.server(st)
	case Partition:
		return in.partition(st)
	case Cut, Delay:
		return in.link(st)
	case Heal:
		if err := t.Heal(); err != nil {
			return out, err
		}
		out.Text = "heal"
		in.done(out)
	case Create, Set, Delete, Get, Sync:
		if len(st.Refs) == 1 && in.isClient(st.Refs[0]) {
			st.Client = st.Refs[0]
			return in.clientRequest(ctx, st)
		}
		return in.request(ctx, st)
	case Client:
		return in.connect(st)
	case Watch, Close:
		return in.clientRequest(ctx, st)
	case Load:
		return in.load(ctx, st)
	case Expect:
		return out, in.expectStmt(st)
	case Faults:
		f, ok := t.(FaultSwitch)
		if !ok {
			return out, errorf(ErrNotHere, "faults on|off: only the simulator injects random faults")
		}
		f.SetRandomFaults(st.Switch)
		out.Text = "faults off"
		if st.Switch {
			out.Text = "faults on"
		}
		in.done(out)
	case Bug:
		return out, errorf(ErrNotHere, "bug switches go right after the ensemble line (they apply from the start)")
	case Ensemble:
		return out, errorf(ErrNotHere, "only one ensemble line per scenario, the first")
	default:
		return out, errorf(ErrSyntax, "no statement")
	}
	return out, nil
}

func (in *Interp) isClient(name string) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.clients[name]
}

func (in *Interp) sessions(what string) (Sessions, error) {
	s, ok := in.t.(Sessions)
	if !ok {
		return nil, errorf(ErrNotHere, "%s: only the simulator has session clients yet", what)
	}
	return s, nil
}

// connect runs "client NAME connect SERVER [timeout D]".
func (in *Interp) connect(st Stmt) (Outcome, error) {
	out := Outcome{Verb: Client}
	ss, err := in.sessions("client")
	if err != nil {
		return out, err
	}
	in.mu.Lock()
	_, bound := in.names[st.Client]
	in.mu.Unlock()
	if bound {
		return out, errorf(ErrRefused, "client %s: %s names a server (let)", st.Client, st.Client)
	}
	ids, err := in.resolveAll(st.Refs)
	if err != nil {
		return out, err
	}
	out.Servers, out.Client = ids, st.Client
	out.Text = fmt.Sprintf("client %s connect %v", st.Client, ids[0])
	if st.Ms > 0 {
		out.Text += fmt.Sprintf(" timeout %dms", st.Ms)
	}
	// Told before it is sent, as a request is: a replay connects at the
	// same moment.
	in.done(out)
	if err := ss.Connect(st.Client, ids[0], st.Ms); err != nil {
		return out, errorf(ErrRefused, "%v", err)
	}
	in.mu.Lock()
	in.clients[st.Client] = true
	in.mu.Unlock()
	if st.Async {
		in.printf("%s:%d: sent %s\n", in.File, st.Line, st.Text)
		return out, nil
	}
	in.t.WaitUntil(requestWaitMs, func() bool {
		state, _, _ := ss.ClientState(st.Client)
		return state != "connecting"
	})
	state, _, _ := ss.ClientState(st.Client)
	in.printf("%s:%d: %s -> %s\n", in.File, st.Line, st.Text, state)
	return out, nil
}

// clientRequest sends a request from a session client: a request via it,
// watch, close.
func (in *Interp) clientRequest(ctx context.Context, st Stmt) (Outcome, error) {
	out := Outcome{Verb: st.Verb, Req: st.Req, Client: st.Client}
	ss, err := in.sessions(st.Verb.String())
	if err != nil {
		return out, err
	}
	if !in.isClient(st.Client) {
		return out, errorf(ErrReference, "no client %s (want: client %s connect SERVER)", st.Client, st.Client)
	}
	out.Text = st.Text
	in.done(out)
	call, err := ss.SubmitAs(ctx, st.Client, st.Req)
	if err != nil {
		return out, errorf(ErrRefused, "%v", err)
	}
	return in.answered(st, out, call), nil
}

// answered records a submitted request's call as the last one (what expect
// reply reads), and, unless it is async, waits for its reply (bounded) and
// prints it.
func (in *Interp) answered(st Stmt, out Outcome, call Call) Outcome {
	out.Call, out.Servers = call, []core.NodeID{call.Server()}
	in.mu.Lock()
	in.last = call
	in.mu.Unlock()
	if st.Async {
		in.printf("%s:%d: sent %s to %v\n", in.File, st.Line, st.Text, call.Server())
		return out
	}
	in.t.WaitUntil(requestWaitMs, call.Done)
	in.printf("%s:%d: %s -> %s\n", in.File, st.Line, st.Text, DescribeReply(call))
	return out
}

// done tells OnAction about an applied statement.
func (in *Interp) done(o Outcome) {
	if in.OnAction != nil {
		in.OnAction(o)
	}
}

// server applies crash, restart, pause, resume and isolate.
func (in *Interp) server(st Stmt) (Outcome, error) {
	t := in.t
	out := Outcome{Verb: st.Verb}
	ids, err := in.resolveAll(st.Refs)
	if err != nil {
		return out, err
	}
	id := ids[0]
	out.Servers = ids
	s := t.Server(id)
	out.Text = fmt.Sprintf("%v %v", st.Verb, id)
	switch st.Verb {
	case Crash:
		if !s.Up() {
			return out, errorf(ErrRefused, "%v is already down", id)
		}
		err = t.Crash(id)
	case Restart:
		if s.Up() {
			return out, errorf(ErrRefused, "%v is already running", id)
		}
		err = t.Restart(id)
	case Pause:
		switch {
		case !s.Up():
			return out, errorf(ErrRefused, "%v is down", id)
		case s.Paused:
			return out, errorf(ErrRefused, "%v is already paused", id)
		}
		if st.Ms > 0 {
			out.Text += fmt.Sprintf(" for %dms", st.Ms)
		}
		err = t.Pause(id, st.Ms)
	case Resume:
		switch {
		case !s.Up():
			return out, errorf(ErrRefused, "%v is down", id)
		case !s.Paused:
			return out, errorf(ErrRefused, "%v is not paused", id)
		}
		err = t.Resume(id)
	case Isolate:
		err = t.Partition([][]core.NodeID{{id}})
	}
	if err != nil {
		return out, err
	}
	in.done(out)
	return out, nil
}

// partition resolves the groups ('rest': every server not named) and splits.
func (in *Interp) partition(st Stmt) (Outcome, error) {
	out := Outcome{Verb: Partition}
	in.mu.Lock()
	named := map[core.NodeID]bool{}
	groups := make([][]core.NodeID, len(st.Groups))
	restAt := -1
	for gi, g := range st.Groups {
		for _, ref := range g {
			if ref == "rest" {
				restAt = gi
				continue
			}
			id, err := in.resolve(ref)
			if err != nil {
				in.mu.Unlock()
				return out, err
			}
			if named[id] {
				in.mu.Unlock()
				return out, errorf(ErrRefused, "partition: %v is in two groups", id)
			}
			named[id] = true
			groups[gi] = append(groups[gi], id)
		}
	}
	in.mu.Unlock()
	if restAt >= 0 {
		for i := 1; i <= in.t.Size(); i++ {
			if !named[core.NodeID(i)] {
				groups[restAt] = append(groups[restAt], core.NodeID(i))
			}
		}
	}
	var b strings.Builder
	b.WriteString("partition")
	for i, g := range groups {
		if i > 0 {
			b.WriteString(" |")
		}
		for _, id := range g {
			fmt.Fprintf(&b, " %v", id)
			out.Servers = append(out.Servers, id)
		}
	}
	out.Text = b.String()
	if err := in.t.Partition(groups); err != nil {
		return out, err
	}
	in.done(out)
	return out, nil
}

// link applies cut and delay.
func (in *Interp) link(st Stmt) (Outcome, error) {
	out := Outcome{Verb: st.Verb}
	ids, err := in.resolveAll(st.Refs)
	if err != nil {
		return out, err
	}
	out.Servers = ids
	sep := "-"
	if st.OneWay {
		sep = "->"
	}
	if len(ids) == 2 && ids[0] == ids[1] {
		return out, errorf(ErrRefused, "%v %v%s%v: a link joins two different servers", st.Verb, ids[0], sep, ids[1])
	}
	if st.Verb == Cut {
		out.Text = fmt.Sprintf("cut %v%s%v", ids[0], sep, ids[1])
		err = in.t.Cut(ids[0], ids[1], !st.OneWay)
	} else {
		var a, b core.NodeID
		out.Text = fmt.Sprintf("delay %dms", st.Ms)
		if len(ids) == 2 {
			a, b = ids[0], ids[1]
			out.Text = fmt.Sprintf("delay %v-%v %dms", a, b, st.Ms)
		}
		err = in.t.Delay(a, b, st.Ms)
	}
	if err != nil {
		return out, err
	}
	in.done(out)
	return out, nil
}

// via resolves a request's server: the one named, or the leader; 0 when
// none is named and there is no leader (the Target chooses: Submit).
func (in *Interp) via(refs []string) (core.NodeID, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(refs) == 1 {
		return in.resolve(refs[0])
	}
	return in.Leader(), nil
}

// RequestText writes a request as a statement with its server resolved.
func RequestText(req ztree.Request, via core.NodeID, async bool) string {
	var b strings.Builder
	b.WriteString(req.Op.ShortName())
	switch req.Op {
	case ztree.OpCreate, ztree.OpSetData:
		fmt.Fprintf(&b, " %s %s", req.Path, QuoteValue(req.Data))
	case ztree.OpDelete, ztree.OpGetData:
		fmt.Fprintf(&b, " %s", req.Path)
	}
	if via != 0 {
		fmt.Fprintf(&b, " via %v", via)
	}
	if (req.Op == ztree.OpSetData || req.Op == ztree.OpDelete) && req.Version != -1 {
		fmt.Fprintf(&b, " version %d", req.Version)
	}
	if async {
		b.WriteString(" async")
	}
	return b.String()
}

// submit records and sends one request.
func (in *Interp) submit(ctx context.Context, verb Verb, via core.NodeID, req ztree.Request, async bool) (Call, error) {
	in.done(Outcome{Verb: verb, Text: RequestText(req, via, async), Servers: []core.NodeID{via}, Req: req})
	return in.t.Submit(ctx, via, req)
}

// requestWaitMs bounds the wait for a synchronous request's reply.
const requestWaitMs = 10000

func (in *Interp) request(ctx context.Context, st Stmt) (Outcome, error) {
	out := Outcome{Verb: st.Verb, Req: st.Req}
	via, err := in.via(st.Refs)
	if err != nil {
		return out, err
	}
	out.Text = RequestText(st.Req, via, st.Async)
	call, err := in.submit(ctx, st.Verb, via, st.Req, st.Async)
	if err != nil {
		return out, err
	}
	return in.answered(st, out, call), nil
}

// DescribeReply is a call's reply for people.
func DescribeReply(c Call) string {
	if !c.Done() {
		return "no reply within 10s"
	}
	rep := c.Reply()
	s := fmt.Sprintf("%v from %v zxid=%v", rep.Err, rep.Server, rep.Zxid)
	if c.Request().Op == ztree.OpGetData && rep.Err == ztree.OK {
		s += fmt.Sprintf(" data=%q version=%d", rep.Data, rep.Version)
	}
	return s
}

// load makes /load and sends N setData writes to it, pipelined, then waits
// for all of them (at most 60s).
func (in *Interp) load(ctx context.Context, st Stmt) (Outcome, error) {
	out := Outcome{Verb: Load}
	via, err := in.via(st.Refs)
	if err != nil {
		return out, err
	}
	mk, err := in.submit(ctx, Create, via, ztree.Request{Op: ztree.OpCreate, Path: "/load", Data: "0"}, true)
	if err != nil {
		return out, err
	}
	out.Servers = []core.NodeID{mk.Server()}
	out.Text = fmt.Sprintf("load %d via %v", st.Count, mk.Server())
	calls := []Call{mk}
	for i := 0; i < st.Count; i++ {
		c, err := in.submit(ctx, Set, mk.Server(), ztree.Request{Op: ztree.OpSetData, Path: "/load", Data: strconv.Itoa(i + 1), Version: -1}, true)
		if err != nil {
			return out, err
		}
		calls = append(calls, c)
	}
	last := calls[len(calls)-1]
	out.Call = last
	in.mu.Lock()
	in.last = last
	in.mu.Unlock()
	in.t.WaitUntil(60000, last.Done)
	okN := 0
	for _, c := range calls[1:] {
		if c.Done() && c.Reply().Err == ztree.OK {
			okN++
		}
	}
	in.printf("%s:%d: %s -> %d/%d ok via %v\n", in.File, st.Line, st.Text, okN, st.Count, mk.Server())
	return out, nil
}

func (in *Interp) wait(st Stmt) {
	t := in.t
	cond := func() bool { return in.Leader() != 0 }
	if st.Wait == WaitSynced {
		cond = in.Synced
	}
	if !cond() && !t.WaitUntil(st.Ms, cond) {
		why := "no established leader"
		if st.Wait == WaitSynced {
			why = "not in sync"
		}
		if e, ok := t.(Explainer); ok {
			why = e.Pending()
		}
		in.fail(st, false)
		in.printf("%s:%d: FAIL %s (not within %dms: %s)\n", in.File, st.Line, st.Text, st.Ms, why)
		return
	}
	in.printf("%s:%d: ok   %s (at %dms)\n", in.File, st.Line, st.Text, t.Now())
}

// fail counts a failed expect (first: and remembers the first).
func (in *Interp) fail(st Stmt, first bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.failed++
	if first && in.first == "" {
		in.first = fmt.Sprintf("%d: %s", st.Line, st.Text)
	}
}
