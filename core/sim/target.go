package sim

import (
	"context"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/script"
	"github.com/zabplay/zabplay/core/ztree"
)

// target is a Runner's cluster as core/script drives it. Client requests
// come from one client session (sessionScenario).
type target struct{ r *Runner }

var (
	_ script.Target      = target{}
	_ script.FaultSwitch = target{}
	_ script.Inspector   = target{}
	_ script.Verifier    = target{}
	_ script.Explainer   = target{}
)

func (t target) c() *Cluster { return t.r.Cluster }
func (t target) Size() int   { return t.c().Size() }
func (t target) Now() int64  { return t.c().Now() }
func (t target) Heal() error { t.c().Heal(); return nil }

// SetRandomFaults is the playground's switch; scenario files cannot say
// "faults" (the Player's actions can).
func (t target) SetRandomFaults(on bool) { t.c().SetRandomFaults(on) }
func (t target) Run(ms int64)            { t.c().RunUntil(t.c().Now()+ms, nil) }

func (t target) Server(id core.NodeID) script.Server {
	return script.Server{Status: t.c().Status(id), Paused: t.c().Paused(id)}
}

func (t target) Crash(id core.NodeID) error   { return t.c().Crash(id) }
func (t target) Restart(id core.NodeID) error { return t.c().Restart(id) }
func (t target) Resume(id core.NodeID) error  { return t.c().Resume(id) }

func (t target) Pause(id core.NodeID, ms int64) error {
	if ms == 0 {
		return t.c().PauseUntilResumed(id)
	}
	return t.c().Pause(id, ms)
}

func (t target) Partition(groups [][]core.NodeID) error { return t.c().Partition(groups) }

func (t target) Cut(from, to core.NodeID, bothWays bool) error {
	return t.c().Cut(from, to, bothWays)
}

func (t target) Delay(a, b core.NodeID, ms int64) error { return t.c().Delay(a, b, ms) }

func (t target) Submit(_ context.Context, via core.NodeID, req ztree.Request) (script.Call, error) {
	op, err := t.c().Submit(sessionScenario, via, req)
	if err != nil {
		return nil, err
	}
	return call{op}, nil
}

func (t target) WaitUntil(ms int64, cond func() bool) bool {
	return t.c().RunUntil(t.c().Now()+ms, cond)
}

func (t target) LastSync(id core.NodeID) string { return t.c().LastSync(id) }

func (t target) Data(id core.NodeID, path string) (string, ztree.Err) {
	n := t.c().Node(id)
	if n == nil {
		return "", ztree.ConnectionLoss
	}
	data, _, err := n.Tree().Get(path)
	return data, err
}

func (t target) Verdict() (bool, string) {
	return t.r.Checker.OK() && t.r.lin() == nil, t.r.violationText()
}

func (t target) Pending() string { return t.c().Pending() }

// call is a ClientOp as core/script sees it.
type call struct{ op *ClientOp }

func (c call) Done() bool             { return c.op.Done }
func (c call) Reply() core.Reply      { return c.op.Reply }
func (c call) Server() core.NodeID    { return c.op.Server }
func (c call) Request() ztree.Request { return c.op.Req.Request }

func (t target) Connect(name string, via core.NodeID, timeoutMs int64) error {
	_, err := t.c().Connect(name, via, timeoutMs)
	return err
}

func (t target) SubmitAs(_ context.Context, name string, req ztree.Request) (script.Call, error) {
	op, err := t.c().SubmitAs(name, req)
	if err != nil {
		return nil, err
	}
	return call{op}, nil
}

func (t target) ClientState(name string) (string, []core.WatchEvent, bool) {
	sc := t.c().Client(name)
	if sc == nil {
		return "", nil, false
	}
	return sc.State, sc.Events, true
}

func (t target) SessionOpen(name string) bool {
	c := t.c()
	sc := c.Client(name)
	if sc == nil || sc.Session == 0 {
		return false
	}
	l := c.Leader()
	if l == 0 {
		return false
	}
	return c.Node(l).Tree().HasSession(sc.Session)
}
