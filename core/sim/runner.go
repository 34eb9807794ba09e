package sim

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/check"
	"github.com/zabplay/zabplay/core/script"
	"github.com/zabplay/zabplay/core/ztree"
)

// Result is what running a scenario found.
type Result struct {
	Passed, Failed int
	Violations     []check.Violation
	Seed           uint64
	// FirstFailed is the first failed expect, "line: statement".
	FirstFailed string
}

// OK reports whether every expect passed and the checker found nothing.
func (r Result) OK() bool { return r.Failed == 0 && len(r.Violations) == 0 }

// Runner runs a parsed scenario against a fresh cluster: it builds the
// cluster and the checker, and core/script's interpreter runs the
// statements against the cluster (target.go).
type Runner struct {
	File    string
	Out     io.Writer   // expect lines go here (nil: discard)
	Trace   io.Writer   // every event as a JSON line (nil: none)
	BugsOff bool        // ignore "bug ... on" lines (to show a bug scenario is clean without the bug)
	Mutant  core.Mutant // plant this mutant in every server (mutation testing)
	Cluster *Cluster
	Checker *check.Checker
	// Interp is the interpreter of the run's statements.
	Interp *script.Interp
	// OnOutcome, if set, hears each statement after it ran, with how the
	// interpreter resolved it (core/script.Outcome).
	OnOutcome func(Stmt, script.Outcome)
	onEvent   func(core.Event) // sees every event after the checker
	res       Result
	enc       *TraceEncoder
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
	o, err := OptionsOf(stmts[0])
	if err != nil {
		return Result{}, r.errAt(stmts[0], err)
	}
	if seed != nil {
		o.Seed = *seed
	}
	o.Trace = r.Trace != nil || o.Trace
	o.Mutant = r.Mutant
	// Bug switches before anything runs.
	rest := stmts[1:]
	for len(rest) > 0 && rest[0].Verb == script.Bug {
		o.Bugs = o.Bugs.With(rest[0].Bug, rest[0].Switch && !r.BugsOff)
		r.printf("%s:%d: %s\n", r.File, rest[0].Line, rest[0].Text)
		rest = rest[1:]
	}
	if err := r.start(o); err != nil {
		return Result{}, r.errAt(stmts[0], err)
	}
	for _, st := range rest {
		out, err := r.Interp.Exec(st)
		if err != nil {
			r.count()
			return r.res, r.errAt(st, err)
		}
		if r.OnOutcome != nil {
			r.OnOutcome(st, out)
		}
	}
	r.count()
	r.finish()
	if r.enc != nil {
		if err := r.enc.Flush(); err != nil {
			return r.res, fmt.Errorf("writing trace: %w", err)
		}
	}
	return r.res, nil
}

// count copies the interpreter's counts of expects into the result.
func (r *Runner) count() {
	r.res.Passed, r.res.Failed, r.res.FirstFailed = r.Interp.Counts()
}

// start builds the checker, the cluster and the interpreter for a run with
// options o.
func (r *Runner) start(o Options) error {
	r.Checker = NewChecker(o)
	r.res = Result{Seed: o.Seed}
	if r.Trace != nil {
		r.enc = NewTraceEncoder(r.Trace)
	}
	c, err := NewWithSink(o, r.observe)
	if err != nil {
		return err
	}
	r.Cluster = c
	r.Interp = script.New(target{r}, o.Seed)
	r.Interp.File, r.Interp.Out = r.File, r.Out
	return nil
}

// NewRunner starts a run with options o for a caller that drives the
// interpreter itself, statement by statement (the browser's Player): every
// event reaches onEvent too, after the checker. file names the run in
// errors.
func NewRunner(file string, o Options, onEvent func(core.Event)) (*Runner, error) {
	r := &Runner{File: file, onEvent: onEvent}
	if err := r.start(o); err != nil {
		return nil, err
	}
	return r, nil
}

// ErrAt says where a statement failed: the file, its line and its text.
func (r *Runner) ErrAt(st Stmt, err error) error { return r.errAt(st, err) }

// NewWithSink builds a cluster whose very first events reach the sink.
func NewWithSink(o Options, sink func(core.Event)) (*Cluster, error) {
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
		r.enc.Write(e)
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

// lin runs the linearizability check over the scenario's client writes.
func (r *Runner) lin() *check.Violation {
	return check.Linearizable(r.Cluster.WriteHistory(), 10*time.Second)
}

type writeKey struct {
	session int64
	cxid    uint32
}

// WriteHistory turns the cluster's client operations into the checker's write
// history: creates, setData, deletes and multis (of those and check) on
// znodes directly under "/". A znode that an operation the model cannot
// follow touches (a sequential or ephemeral create: an ephemeral goes away
// with its session, with no write of its own) is left out with every
// operation on it. A write whose client got no answer is resolved from the
// trace: if no leader proposed it, it never happened; if one committed it, it
// took effect by then; otherwise it may take effect at any time after its
// call.
func (c *Cluster) WriteHistory() []check.WriteOp {
	ops := c.History()
	modelable := func(q ztree.Request) bool {
		switch q.Op {
		case ztree.OpCreate, ztree.OpSetData, ztree.OpDelete, ztree.OpCheck:
		default:
			return false
		}
		return !q.Sequential && !q.Ephemeral && strings.Count(q.Path, "/") == 1 && ztree.ValidatePath(q.Path) == nil
	}
	tainted := map[string]bool{}
	taint := func(q ztree.Request, op *ClientOp) {
		if q.Sequential || q.Ephemeral {
			tainted[q.Path] = true
			if op != nil && op.Done && op.Reply.Path != "" {
				tainted[op.Reply.Path] = true
			}
		}
	}
	for _, op := range ops {
		q := op.Req.Request
		switch {
		case q.Op == ztree.OpMulti:
			all := true
			for _, sub := range q.Ops {
				all = all && modelable(sub)
			}
			if !all {
				for _, sub := range q.Ops {
					tainted[sub.Path] = true
				}
			}
		case q.Op == ztree.OpCreate:
			taint(q, op)
		}
	}
	var out []check.WriteOp
	for _, op := range ops {
		q := op.Req
		var w check.WriteOp
		switch {
		case q.Op == ztree.OpMulti:
			if len(q.Ops) == 0 {
				continue
			}
			skip := false
			w = check.WriteOp{Client: op.Session, Op: q.Op, Call: op.Call}
			for _, sub := range q.Ops {
				if !modelable(sub) || tainted[sub.Path] {
					skip = true
				}
				v := sub.Version
				if sub.Op == ztree.OpCreate {
					v = -1
				}
				w.Ops = append(w.Ops, check.WriteOp{Op: sub.Op, Path: sub.Path, Data: sub.Data, Version: v})
			}
			if skip {
				continue
			}
			if op.Done && op.Reply.Err != ztree.ConnectionLoss {
				for _, r := range op.Reply.Results {
					w.Errs = append(w.Errs, r.Err)
				}
			}
		case q.Op == ztree.OpCreate, q.Op == ztree.OpSetData, q.Op == ztree.OpDelete:
			if !modelable(q.Request) || tainted[q.Path] {
				continue
			}
			w = check.WriteOp{Client: op.Session, Op: q.Op, Path: q.Path, Data: q.Data, Version: q.Version, Call: op.Call}
			if q.Op == ztree.OpCreate {
				w.Version = -1
			}
		default:
			continue
		}
		if (op.Done && op.Reply.Err == ztree.SessionExpired) || c.refused[writeKey{op.Session, q.Cxid}] {
			continue // refused by the session check: no effect
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
