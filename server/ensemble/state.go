package ensemble

import (
	"encoding/json"
	"sort"
	"sync"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/sim"
	"github.com/zabplay/zabplay/server/node"
)

// actionsMax is how many of the latest actions State lists (ActionsTotal
// counts them all): every answer carries a State.
const actionsMax = 100

// State is what the browser's live mode draws: the simulator's PlayerState
// (core/sim) built from the servers' statuses and the event stream, with
// live set, each link's delay, Seq, the stream position it is as of (the
// first event a viewer gets after this snapshot has that seq), and
// ActionsTotal, the number of actions applied (Actions lists the last
// actionsMax).
type State struct {
	sim.PlayerState
	Live         bool   `json:"live"`
	Links        []Link `json:"links"`
	Seq          uint64 `json:"seq"`
	ActionsTotal int    `json:"actionsTotal"`
}

// Link is one direction between two servers.
type Link struct {
	sim.LinkState
	DelayMs int `json:"delayMs"`
}

// stateBuilds shares one State build (and its JSON) among every caller that
// asked before it started: each caller gets a State built after it asked
// (an action's answer shows the action), and the answers of 128 writes in
// flight cost a build or two, not 128.
type stateBuilds struct {
	mu      sync.Mutex
	next    *stateBuild // not started yet: callers join it
	running bool
}

type stateBuild struct {
	done chan struct{}
	st   State
	js   []byte
}

// State reports the ensemble now. Its slices are shared with other callers:
// read them only.
func (e *Ensemble) State() State { return e.fresh().st }

// stateJSON is State encoded.
func (e *Ensemble) stateJSON() []byte { return e.fresh().js }

// fresh waits for a build that starts after it was called.
func (e *Ensemble) fresh() *stateBuild {
	c := &e.states
	c.mu.Lock()
	b := c.next
	if b == nil {
		b = &stateBuild{done: make(chan struct{})}
		c.next = b
	}
	if !c.running {
		c.running = true
		go e.buildStates()
	}
	c.mu.Unlock()
	<-b.done
	return b
}

// buildStates runs the builds callers wait for, one at a time.
func (e *Ensemble) buildStates() {
	c := &e.states
	for {
		c.mu.Lock()
		b := c.next
		c.next = nil
		c.running = b != nil
		c.mu.Unlock()
		if b == nil {
			return
		}
		e.stream.settle(50 * time.Millisecond)
		b.st = e.stateFrom(e.stream.snapshot())
		var err error
		if b.js, err = json.Marshal(b.st); err != nil {
			b.js = []byte("null")
		}
		close(b.done)
	}
}

// stateFrom builds the State from the stream's part d and the servers now.
func (e *Ensemble) stateFrom(d derived) State {
	o := e.opts
	e.mu.Lock()
	type view struct {
		m  *member
		n  server
		up bool
	}
	views := make([]view, len(e.members))
	for i, m := range e.members {
		views[i] = view{m: m, n: m.n}
	}
	st := State{Live: true, Seq: d.seq, PlayerState: sim.PlayerState{
		At: e.stream.now(), Steps: d.seq, Bugs: []string{}, Violation: d.violation,
		Config: sim.StateConfig{Voters: e.spec.Voters, Observers: e.spec.Observers, TickMs: o.TickMs,
			InitLimit: o.InitLimit, SyncLimit: o.SyncLimit, LatencyMs: [2]int{e.spec.LinkDelayMs, e.spec.LinkDelayMs}},
		Actions: append([]sim.Action{}, e.actions[max(len(e.actions)-actionsMax, 0):]...), Inflight: d.inflight,
	}, ActionsTotal: e.actionsTotal}
	for _, a := range e.members {
		for _, b := range e.members {
			if a != b {
				st.Links = append(st.Links, Link{LinkState: sim.LinkState{From: a.id, To: b.id, Cut: e.cutNow(a.id, b.id)},
					DelayMs: e.delay[a.id-1][b.id-1]})
			}
		}
	}
	lasts := make([]node.Status, len(e.members))
	paused := make([]bool, len(e.members))
	for i, m := range e.members {
		lasts[i], paused[i] = m.last, m.paused
	}
	e.mu.Unlock()
	st.PlayerState.Links = nil
	var bestEpoch core.Epoch
	for i, v := range views {
		s := sim.ServerState{ID: v.m.id, Name: v.m.id.String(), Observer: v.m.observer, Role: core.Down,
			Paused: paused[i], LastSync: d.lastSync[v.m.id], Log: []sim.LogEntry{}, Tree: []sim.ZNode{}}
		ns := lasts[i]
		if v.n != nil {
			ns = v.n.Status()
			s.Up = ns.Running
		}
		if s.Up {
			s.Role, s.Phase, s.Leader = ns.Role, ns.Phase, ns.Leader
			s.LastZxid, s.Committed, s.LastLogged = ns.LastZxid, ns.Committed, ns.LastLogged
			s.Vote, s.Round = ns.Vote, ns.Round
			if ns.Role == core.Leading && ns.Established && ns.CurrentEpoch >= bestEpoch {
				st.Leader, bestEpoch = v.m.id, ns.CurrentEpoch
			}
		}
		// A down server shows what its disk held when it went down.
		s.AcceptedEpoch, s.CurrentEpoch = ns.AcceptedEpoch, ns.CurrentEpoch
		if s.Up {
			s.Log = logTail(d.proposals, ns.LastLogged, ns.LastZxid)
			s.Tree = treeAt(d.history, d.top, d.more, ns.LastZxid)
		}
		st.Servers = append(st.Servers, s)
	}
	if st.Inflight == nil {
		st.Inflight = []sim.InflightMsg{}
	}
	return st
}

// logTail is the last sim.StateLogTail txns up to lastLogged, from the txns
// the stream saw proposed or delivered (an approximation: the node does not
// expose its log; what it restored from disk before it was watched is not
// shown unless it was delivered in this ensemble's stream).
func logTail(proposals []txnText, lastLogged, lastZxid core.Zxid) []sim.LogEntry {
	i := sort.Search(len(proposals), func(i int) bool { return proposals[i].zxid > lastLogged })
	tail := proposals[max(i-sim.StateLogTail, 0):i]
	out := make([]sim.LogEntry, 0, len(tail))
	for _, t := range tail {
		out = append(out, sim.LogEntry{Zxid: t.zxid, Text: t.text, Committed: t.zxid <= lastZxid})
	}
	return out
}
