package sim

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/check"
	"github.com/zabplay/zabplay/core/ztree"
)

// Result is what running a scenario found.
type Result struct {
	Passed, Failed int
	Violations     []check.Violation
	Seed           uint64
}

// OK reports whether every expect passed and the checker found nothing.
func (r Result) OK() bool { return r.Failed == 0 && len(r.Violations) == 0 }

// Runner runs a parsed scenario against a fresh cluster.
type Runner struct {
	File    string
	Out     io.Writer // expect lines go here (nil: discard)
	Trace   io.Writer // every event as a JSON line (nil: none)
	BugsOff bool      // ignore "bug ... on" lines (to show a bug scenario is clean without the bug)
	Cluster *Cluster
	Checker *check.Checker
	names   map[string]core.NodeID
	pick    *rand.Rand // picks "follower"/"observer": its own stream, so naming never changes the run
	last    *ClientOp
	// onAction, if set, hears every statement that changes the run, as one
	// statement with every server name resolved (the Player's timeline).
	onAction func(text string)
	onEvent  func(core.Event) // sees every event after the checker
	res      Result
	enc      *traceEncoder
}

const sessionScenario = 1

// RunScenario parses and runs a scenario. Setting seed (non-nil) overrides the
// ensemble line's seed.
func RunScenario(file, src string, seed *uint64, out, trace io.Writer) (Result, error) {
	stmts, err := Parse(file, src)
	if err != nil {
		return Result{}, err
	}
	r := &Runner{File: file, Out: out, Trace: trace}
	return r.Run(stmts, seed)
}

// Run executes statements; stmts[0] is the ensemble line.
func (r *Runner) Run(stmts []Stmt, seed *uint64) (Result, error) {
	o := stmts[0].Opts
	if seed != nil {
		o.Seed = *seed
	}
	o.Trace = r.Trace != nil || o.Trace
	// Bug switches before anything runs.
	rest := stmts[1:]
	for len(rest) > 0 && rest[0].Verb == "bug" {
		o.Bugs = o.Bugs.With(rest[0].Bug, rest[0].BugOn && !r.BugsOff)
		r.printf("%s:%d: %s\n", r.File, rest[0].Line, rest[0].Text)
		rest = rest[1:]
	}
	if err := r.start(o); err != nil {
		return Result{}, r.errAt(stmts[0], err)
	}
	for _, st := range rest {
		if err := r.exec(st); err != nil {
			return r.res, r.errAt(st, err)
		}
	}
	r.finish()
	if r.enc != nil {
		if err := r.enc.flush(); err != nil {
			return r.res, fmt.Errorf("writing trace: %w", err)
		}
	}
	return r.res, nil
}

// start builds the checker and the cluster for a run with options o.
func (r *Runner) start(o Options) error {
	r.Checker, r.names = check.New(), map[string]core.NodeID{}
	r.pick = rand.New(rand.NewPCG(o.Seed, 0x6e616d6573))
	r.res = Result{Seed: o.Seed}
	if r.Trace != nil {
		r.enc = newTraceEncoder(r.Trace)
	}
	c, err := newWithSink(o, r.observe)
	if err != nil {
		return err
	}
	r.Cluster = c
	return nil
}

// newWithSink builds a cluster whose very first events reach the sink.
func newWithSink(o Options, sink func(core.Event)) (*Cluster, error) {
	c, err := newCluster(o)
	if err != nil {
		return nil, err
	}
	c.sink = sink
	c.boot()
	return c, nil
}

func (r *Runner) observe(e core.Event) {
	r.Checker.Observe(e)
	if r.onEvent != nil {
		r.onEvent(e)
	}
	if r.enc != nil {
		r.enc.write(e)
	}
}

func (r *Runner) errAt(st Stmt, err error) error {
	return fmt.Errorf("%s:%d: %q: %w", r.File, st.Line, st.Text, err)
}

func (r *Runner) printf(format string, a ...any) {
	if r.Out != nil {
		fmt.Fprintf(r.Out, format, a...)
	}
}

func (r *Runner) expect(st Stmt, ok bool, got string) {
	if ok {
		r.res.Passed++
		r.printf("%s:%d: PASS %s\n", r.File, st.Line, st.Text)
		return
	}
	r.res.Failed++
	r.printf("%s:%d: FAIL %s (got %s at %dms)\n", r.File, st.Line, st.Text, got, r.Cluster.Now())
}

// resolve turns a reference (leader, follower, observer, sN or a bound name)
// into a server.
func (r *Runner) resolve(ref string) (core.NodeID, error) {
	c := r.Cluster
	if id, ok := r.names[ref]; ok {
		return id, nil
	}
	switch ref {
	case "leader":
		if l := c.Leader(); l != 0 {
			return l, nil
		}
		return 0, fmt.Errorf("there is no established leader at %dms", c.Now())
	case "follower", "observer":
		want := core.Following
		if ref == "observer" {
			want = core.Observing
		}
		var ids []core.NodeID
		for i := 1; i <= c.Size(); i++ {
			if st := c.Status(core.NodeID(i)); st.Role == want {
				ids = append(ids, core.NodeID(i))
			}
		}
		if len(ids) == 0 {
			return 0, fmt.Errorf("no server is %v at %dms", want, c.Now())
		}
		return ids[r.pick.IntN(len(ids))], nil
	}
	if strings.HasPrefix(ref, "s") {
		if n, err := strconv.Atoi(ref[1:]); err == nil {
			if n < 1 || n > c.Size() {
				return 0, fmt.Errorf("no server %s (the ensemble has s1..s%d)", ref, c.Size())
			}
			return core.NodeID(n), nil
		}
	}
	return 0, fmt.Errorf("unknown server %q (not s1..s%d, leader, follower, observer, or a name bound by let)", ref, c.Size())
}

func (r *Runner) exec(st Stmt) error {
	c := r.Cluster
	switch st.Verb {
	case "run":
		c.RunUntil(c.Now()+st.Ms, nil)
	case "wait":
		cond := func() bool { return c.Leader() != 0 }
		if st.What == "synced" {
			cond = c.Synced
		}
		if !cond() && !c.RunUntil(c.Now()+st.Ms, cond) {
			r.res.Failed++
			why := c.Pending()
			r.printf("%s:%d: FAIL %s (not within %dms: %s)\n", r.File, st.Line, st.Text, st.Ms, why)
		} else {
			r.printf("%s:%d: ok   %s (at %dms)\n", r.File, st.Line, st.Text, c.Now())
		}
	case "let":
		id, err := r.resolve(st.What)
		if err != nil {
			return err
		}
		r.names[st.Name] = id
		r.printf("%s:%d: %s = %v\n", r.File, st.Line, st.Name, id)
	case "crash", "restart", "isolate", "pause":
		id, err := r.resolve(st.Refs[0])
		if err != nil {
			return err
		}
		switch st.Verb {
		case "pause":
			r.record(fmt.Sprintf("pause %v for %dms", id, st.Ms))
		default:
			r.record(fmt.Sprintf("%s %v", st.Verb, id))
		}
		switch st.Verb {
		case "crash":
			return c.Crash(id)
		case "restart":
			return c.Restart(id)
		case "pause":
			return c.Pause(id, st.Ms)
		default:
			return c.Partition([][]core.NodeID{{id}})
		}
	case "partition":
		return r.partition(st)
	case "cut":
		a, err := r.resolve(st.Refs[0])
		if err != nil {
			return err
		}
		b, err := r.resolve(st.Refs[1])
		if err != nil {
			return err
		}
		if st.OneWay {
			r.record(fmt.Sprintf("cut %v->%v", a, b))
		} else {
			r.record(fmt.Sprintf("cut %v-%v", a, b))
		}
		return c.Cut(a, b, !st.OneWay)
	case "heal":
		r.record("heal")
		c.Heal()
	case "create", "set", "delete", "get", "sync", "load":
		return r.client(st)
	case "expect":
		return r.expectStmt(st)
	case "bug":
		return fmt.Errorf("bug switches go right after the ensemble line (they apply from the start)")
	}
	return nil
}

func (r *Runner) partition(st Stmt) error {
	named := map[core.NodeID]bool{}
	var groups [][]core.NodeID
	restAt := -1
	for gi, g := range st.Groups {
		var ids []core.NodeID
		for _, ref := range g {
			if ref == "rest" {
				restAt = gi
				continue
			}
			id, err := r.resolve(ref)
			if err != nil {
				return err
			}
			named[id] = true
			ids = append(ids, id)
		}
		groups = append(groups, ids)
	}
	if restAt >= 0 {
		for i := 1; i <= r.Cluster.Size(); i++ {
			if !named[core.NodeID(i)] {
				groups[restAt] = append(groups[restAt], core.NodeID(i))
			}
		}
	}
	if r.onAction != nil {
		var b strings.Builder
		b.WriteString("partition")
		for i, g := range groups {
			if i > 0 {
				b.WriteString(" |")
			}
			for _, id := range g {
				fmt.Fprintf(&b, " %v", id)
			}
		}
		r.record(b.String())
	}
	return r.Cluster.Partition(groups)
}

// record tells onAction about a statement that changes the run.
func (r *Runner) record(text string) {
	if r.onAction != nil {
		r.onAction(text)
	}
}

// submit sends a client request and records it as an async statement.
func (r *Runner) submit(via core.NodeID, req ztree.Request) (*ClientOp, error) {
	c := r.Cluster
	// Without via the cluster picks the server (maybe with its random source),
	// so the statement keeps no via: its replay picks the same way.
	r.record(requestText(req, via))
	return c.Submit(sessionScenario, via, req)
}

// requestText writes a request as an async scenario statement.
func requestText(req ztree.Request, via core.NodeID) string {
	var b strings.Builder
	switch req.Op {
	case ztree.OpCreate:
		fmt.Fprintf(&b, "create %s %s", req.Path, req.Data)
	case ztree.OpSetData:
		fmt.Fprintf(&b, "set %s %s", req.Path, req.Data)
	case ztree.OpDelete:
		fmt.Fprintf(&b, "delete %s", req.Path)
	case ztree.OpGetData:
		fmt.Fprintf(&b, "get %s", req.Path)
	case ztree.OpSync:
		b.WriteString("sync")
	}
	if via != 0 {
		fmt.Fprintf(&b, " via %v", via)
	}
	if (req.Op == ztree.OpSetData || req.Op == ztree.OpDelete) && req.Version != -1 {
		fmt.Fprintf(&b, " version %d", req.Version)
	}
	b.WriteString(" async")
	return b.String()
}

func (r *Runner) client(st Stmt) error {
	c := r.Cluster
	var via core.NodeID
	if len(st.Refs) == 1 {
		id, err := r.resolve(st.Refs[0])
		if err != nil {
			return err
		}
		via = id
	}
	var req ztree.Request
	switch st.Op {
	case "create":
		req = ztree.Request{Op: ztree.OpCreate, Path: st.Path, Data: st.Data}
	case "set":
		req = ztree.Request{Op: ztree.OpSetData, Path: st.Path, Data: st.Data, Version: st.Version}
	case "delete":
		req = ztree.Request{Op: ztree.OpDelete, Path: st.Path, Version: st.Version}
	case "get":
		req = ztree.Request{Op: ztree.OpGetData, Path: st.Path}
	case "sync":
		req = ztree.Request{Op: ztree.OpSync, Path: "/"}
	case "load":
		return r.load(st, via)
	}
	op, err := r.submit(via, req)
	if err != nil {
		return err
	}
	r.last = op
	if st.Async {
		r.printf("%s:%d: sent %s to %v\n", r.File, st.Line, st.Text, op.Server)
		return nil
	}
	c.RunUntil(c.Now()+10000, func() bool { return op.Done })
	r.printf("%s:%d: %s -> %s\n", r.File, st.Line, st.Text, describeReply(op))
	return nil
}

func describeReply(op *ClientOp) string {
	if !op.Done {
		return "no reply within 10s"
	}
	rep := op.Reply
	s := fmt.Sprintf("%v from %v zxid=%v", rep.Err, rep.Server, rep.Zxid)
	if op.Req.Op == ztree.OpGetData && rep.Err == ztree.OK {
		s += fmt.Sprintf(" data=%q version=%d", rep.Data, rep.Version)
	}
	return s
}

// load makes /load and sends N setData writes to it, pipelined, then waits for
// all of them (at most 60s).
func (r *Runner) load(st Stmt, via core.NodeID) error {
	c := r.Cluster
	mk, err := r.submit(via, ztree.Request{Op: ztree.OpCreate, Path: "/load", Data: "0"})
	if err != nil {
		return err
	}
	ops := []*ClientOp{mk}
	for i := 0; i < st.Count; i++ {
		op, err := r.submit(mk.Server, ztree.Request{Op: ztree.OpSetData, Path: "/load", Data: strconv.Itoa(i + 1), Version: -1})
		if err != nil {
			return err
		}
		ops = append(ops, op)
	}
	r.last = ops[len(ops)-1]
	c.RunUntil(c.Now()+60000, func() bool { return r.last.Done })
	okN := 0
	for _, op := range ops[1:] {
		if op.Done && op.Reply.Err == ztree.OK {
			okN++
		}
	}
	r.printf("%s:%d: %s -> %d/%d ok via %v\n", r.File, st.Line, st.Text, okN, st.Count, mk.Server)
	return nil
}

func (r *Runner) expectStmt(st Stmt) error {
	c := r.Cluster
	switch st.What {
	case "ok":
		r.expect(st, r.Checker.OK() && r.lin() == nil, r.violationText())
	case "no-leader":
		l := c.Leader()
		r.expect(st, l == 0, l.String())
	case "leader":
		l := c.Leader()
		ok, err := r.matchIDs(l, st.Cmp, st.Want)
		if err != nil {
			return err
		}
		r.expect(st, ok, l.String())
	case "role":
		id, err := r.resolve(st.Refs[0])
		if err != nil {
			return err
		}
		got := c.Status(id).Role
		ok := st.Cmp == "!="
		for _, w := range st.Want {
			s, _ := core.ParseServerState(w)
			if s == got {
				ok = !ok
				break
			}
		}
		r.expect(st, ok, got.String())
	case "epoch", "zxid":
		id, err := r.resolve(st.Refs[0])
		if err != nil {
			return err
		}
		get := func(id core.NodeID) uint64 {
			s := c.Status(id)
			if st.What == "epoch" {
				return uint64(s.CurrentEpoch)
			}
			return uint64(s.LastTxn)
		}
		got := get(id)
		var want uint64
		if len(st.Want) == 2 {
			other, err := r.resolve(st.Want[1])
			if err != nil {
				return err
			}
			want = get(other)
		} else if st.What == "epoch" {
			w, err := strconv.ParseUint(st.Want[0], 0, 32)
			if err != nil {
				return fmt.Errorf("epoch %q: want a number", st.Want[0])
			}
			want = w
		} else {
			z, err := core.ParseZxid(st.Want[0])
			if err != nil {
				return fmt.Errorf("zxid %q: want 0x... or epoch/counter", st.Want[0])
			}
			want = uint64(z)
		}
		gotS := strconv.FormatUint(got, 10)
		if st.What == "zxid" {
			gotS = core.Zxid(got).String()
		}
		r.expect(st, (got == want) == (st.Cmp == "=="), gotS)
	case "sync":
		id, err := r.resolve(st.Refs[0])
		if err != nil {
			return err
		}
		got := c.LastSync(id)
		ok := st.Cmp == "!="
		for _, w := range st.Want {
			if w == got {
				ok = !ok
				break
			}
		}
		if got == "" {
			got = "no sync yet"
		}
		r.expect(st, ok, got)
	case "reply":
		if r.last == nil {
			return fmt.Errorf("no client request has been sent yet")
		}
		got := "no reply"
		if r.last.Done {
			got = r.last.Reply.Err.String()
		}
		r.expect(st, (got == st.Want[0]) == (st.Cmp == "=="), got)
	case "data":
		return r.expectData(st)
	}
	return nil
}

func (r *Runner) matchIDs(got core.NodeID, cmp string, want []string) (bool, error) {
	in := false
	for _, w := range want {
		id, err := r.resolve(w)
		if err != nil {
			return false, err
		}
		if id == got {
			in = true
		}
	}
	if cmp == "!=" {
		return !in, nil
	}
	return in, nil
}

func (r *Runner) expectData(st Stmt) error {
	c := r.Cluster
	var ids []core.NodeID
	if st.On[0] == "all" {
		for i := 1; i <= c.Size(); i++ {
			if c.Up(core.NodeID(i)) {
				ids = append(ids, core.NodeID(i))
			}
		}
	} else {
		id, err := r.resolve(st.On[0])
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	ok := true
	var got []string
	for _, id := range ids {
		n := c.Node(id)
		if n == nil {
			ok = false
			got = append(got, id.String()+" is down")
			continue
		}
		data, _, err := n.Tree().Get(st.Path)
		switch {
		case st.Cmp == "missing":
			if err != ztree.NoNode {
				ok = false
				got = append(got, fmt.Sprintf("%v has %q", id, data))
			}
		case err != ztree.OK:
			ok = ok && st.Cmp == "!="
			got = append(got, fmt.Sprintf("%v: %v", id, err))
		case (data == st.Want[0]) != (st.Cmp == "=="):
			ok = false
			got = append(got, fmt.Sprintf("%v has %q", id, data))
		}
	}
	r.expect(st, ok, strings.Join(got, ", "))
	return nil
}

// lin runs the linearizability check over the scenario's client writes.
func (r *Runner) lin() *check.Violation {
	return check.Linearizable(r.Cluster.WriteHistory(), 10*time.Second)
}

type writeKey struct {
	session int64
	cxid    uint32
}

// WriteHistory turns the cluster's client operations into the checker's write
// history (writes on paths directly under "/" that are not sequential). A
// write whose client got no answer is resolved from the trace: if no leader
// proposed it, it never happened; if one committed it, it took effect by then;
// otherwise it may take effect at any time after its call.
func (c *Cluster) WriteHistory() []check.WriteOp {
	ops := c.History()
	var out []check.WriteOp
	for _, op := range ops {
		q := op.Req
		if q.Op != ztree.OpCreate && q.Op != ztree.OpSetData && q.Op != ztree.OpDelete {
			continue
		}
		if q.Sequential || strings.Count(q.Path, "/") != 1 || ztree.ValidatePath(q.Path) != nil {
			continue
		}
		w := check.WriteOp{Client: op.Session, Op: q.Op, Path: q.Path, Data: q.Data, Version: q.Version, Call: op.Call}
		if q.Op == ztree.OpCreate {
			w.Version = -1
		}
		if op.Done {
			w.Return = op.Return
			w.Err = op.Reply.Err
			w.NewVer = op.Reply.Version
			w.Unknown = op.Reply.Err == ztree.ConnectionLoss
		}
		if !op.Done || w.Unknown {
			k := writeKey{op.Session, q.Cxid}
			if !c.proposed[k] {
				continue
			}
			w.Unknown, w.Return = true, c.commits[k]
		}
		out = append(out, w)
	}
	return out
}

func (r *Runner) violationText() string {
	vs := r.Checker.Violations()
	if len(vs) == 0 {
		if v := r.lin(); v != nil {
			return v.String()
		}
		return "ok"
	}
	return vs[0].String()
}

// finish checks the whole run at the end: the checker's violations and the
// linearizability of writes.
func (r *Runner) finish() {
	r.res.Violations = append(r.res.Violations, r.Checker.Violations()...)
	if v := r.lin(); v != nil {
		v.At = r.Cluster.Now()
		r.res.Violations = append(r.res.Violations, *v)
	}
	if len(r.res.Violations) > 0 {
		r.printf("%s", check.Report(r.res.Violations, r.res.Seed))
	}
}
