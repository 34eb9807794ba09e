package ensemble

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/script"
	"github.com/zabplay/zabplay/core/ztree"
	"github.com/zabplay/zabplay/server/node"
)

// live is a live ensemble as core/script's interpreter drives it. Faults
// run with e.act held (Exec); client requests beside them.
type live struct{ e *Ensemble }

var _ script.Target = live{}

func (t live) Size() int  { return len(t.e.members) }
func (t live) Now() int64 { return t.e.stream.now() }

func (t live) member(id core.NodeID) *member { return t.e.members[id-1] }

func (t live) Server(id core.NodeID) script.Server {
	m := t.member(id)
	t.e.mu.Lock()
	n, paused := m.n, m.paused
	t.e.mu.Unlock()
	if n == nil {
		return script.Server{Status: core.Status{ID: id, Role: core.Down}}
	}
	return script.Server{Status: n.Status().Status, Paused: paused}
}

// refused turns an error of the ensemble's own checks into a refusal.
func refused(err error) error {
	var ea *ErrAction
	if err == nil || errors.As(err, &ea) {
		return err
	}
	return bad("%v", err)
}

func (t live) Crash(id core.NodeID) error { return refused(t.e.crash(t.member(id))) }

// Restart starts a down server again (the interpreter refused a running
// one, under e.act): an error here is the ensemble's failure.
func (t live) Restart(id core.NodeID) error { return t.e.restart(t.member(id)) }

func (t live) Pause(id core.NodeID, ms int64) error {
	_, err := t.e.pause(t.member(id), true, ms)
	return err
}

func (t live) Resume(id core.NodeID) error {
	_, err := t.e.pause(t.member(id), false, 0)
	return err
}

// Partition cuts the links between groups; the servers in no group form
// one more group.
func (t live) Partition(groups [][]core.NodeID) error {
	var gs [][]*member
	var named []*member
	for _, g := range groups {
		var ms []*member
		for _, id := range g {
			ms = append(ms, t.member(id))
		}
		gs = append(gs, ms)
		named = append(named, ms...)
	}
	if rest := t.e.rest(named); len(rest) > 0 {
		gs = append(gs, rest)
	}
	t.e.partition(gs)
	return nil
}

func (t live) Cut(from, to core.NodeID, bothWays bool) error {
	e := t.e
	e.mu.Lock()
	e.cut[from-1][to-1] = true
	if bothWays {
		e.cut[to-1][from-1] = true
	}
	e.mu.Unlock()
	e.applyFaults(from, to)
	return nil
}

func (t live) Heal() error {
	e := t.e
	e.mu.Lock()
	for i := range e.cut {
		clear(e.cut[i])
	}
	e.mu.Unlock()
	e.applyFaults(e.allIDs()...)
	return nil
}

func (t live) Delay(a, b core.NodeID, ms int64) error {
	var ms2 []*member
	if a != 0 {
		ms2 = []*member{t.member(a), t.member(b)}
	}
	t.e.setDelay(ms2, ms)
	return nil
}

// Submit sends a client request and waits for its answer (RequestWait at
// most): a live request is never async, its answer is the action's.
func (t live) Submit(ctx context.Context, via core.NodeID, req ztree.Request) (script.Call, error) {
	e := t.e
	if via == 0 {
		return nil, script.Refused("there is no established leader at %dms: name a server (via sN)", t.Now())
	}
	m := t.member(via)
	e.mu.Lock()
	n := m.n
	e.mu.Unlock()
	if n == nil {
		return nil, bad("%v is down", m.id)
	}
	ctx, cancel := context.WithTimeout(ctx, RequestWait)
	defer cancel()
	rep, err := n.Request(ctx, core.Request{Request: req})
	switch {
	case errors.Is(err, node.ErrStopped):
		return nil, fmt.Errorf("%v stopped before it answered: %w", m.id, ErrTimeout)
	case err != nil:
		return nil, fmt.Errorf("%v did not answer within %v: %w", m.id, RequestWait, ErrTimeout)
	}
	return answered{rep: rep, server: via, req: req}, nil
}

// Run lets ms of wall-clock time pass.
func (t live) Run(ms int64) { time.Sleep(time.Duration(ms) * time.Millisecond) }

// WaitUntil polls cond every 20ms for at most ms of wall-clock time.
func (t live) WaitUntil(ms int64, cond func() bool) bool {
	deadline := time.Now().Add(time.Duration(ms) * time.Millisecond)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// answered is a live request's call: done when Submit returns it.
type answered struct {
	rep    core.Reply
	server core.NodeID
	req    ztree.Request
}

func (a answered) Done() bool             { return true }
func (a answered) Reply() core.Reply      { return a.rep }
func (a answered) Server() core.NodeID    { return a.server }
func (a answered) Request() ztree.Request { return a.req }
