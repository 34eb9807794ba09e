package ensemble

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/view"
)

// actionsMax is how many of the latest actions State lists (ActionsTotal
// counts them all): every answer carries a State.
const actionsMax = 100

// viewWait bounds how long a State build waits for one server's view.
const viewWait = 2 * time.Second

// State is what the browser's live mode draws, with the simulator's JSON
// (wasm/README.md): each server is its own view (core/view), as the server
// published it (server/node's Inspect, or GET /status of a child); the rest
// is what the ensemble alone knows: the links and their delays, the
// messages in flight (from the event stream), each leader's sync mode, the
// checker's verdict, the actions. Seq is the stream position it is as of
// (the first event a viewer gets after this snapshot has that seq),
// ActionsTotal the number of actions applied (Actions lists the last
// actionsMax).
type State struct {
	At           int64           `json:"t"`
	Steps        uint64          `json:"steps"`
	Leader       core.NodeID     `json:"leader"`
	Faults       bool            `json:"faults"`
	Bugs         []string        `json:"bugs"`
	Violation    *view.Violation `json:"violation"`
	Config       view.Config     `json:"config"`
	Servers      []view.Server   `json:"servers"`
	Links        []Link          `json:"links"`
	Inflight     []view.Inflight `json:"inflight"`
	Actions      []view.Action   `json:"actions"`
	Live         bool            `json:"live"`
	Seq          uint64          `json:"seq"`
	ActionsTotal int             `json:"actionsTotal"`
	// Clients are the servers' client ports (ZooKeeper's protocol, on
	// loopback): a local learner points zkCli.sh or any ZooKeeper client
	// at one and watches its requests in the view.
	Clients []ClientPort `json:"clients"`
}

// ClientPort is one server's client port.
type ClientPort struct {
	ID   core.NodeID `json:"id"`
	Addr string      `json:"addr"` // "127.0.0.1:PORT"
	// ZkCli is the command that opens a session on it.
	ZkCli string `json:"zkCli"`
}

// Link is one direction between two servers.
type Link struct {
	view.Link
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

// stateFrom builds the State from the stream's part d and the servers'
// views now.
func (e *Ensemble) stateFrom(d derived) State {
	o := e.opts
	e.mu.Lock()
	members := make([]member, len(e.members))
	for i, m := range e.members {
		members[i] = *m
	}
	st := State{Live: true, Seq: d.seq, At: e.stream.now(), Steps: d.seq, Bugs: []string{}, Violation: d.violation,
		Config: view.Config{Voters: e.spec.Voters, Observers: e.spec.Observers, TickMs: o.TickMs,
			InitLimit: o.InitLimit, SyncLimit: o.SyncLimit, LatencyMs: [2]int{e.spec.LinkDelayMs, e.spec.LinkDelayMs}},
		Actions: append([]view.Action{}, e.actions[max(len(e.actions)-actionsMax, 0):]...), Inflight: d.inflight,
		ActionsTotal: e.actionsTotal, Clients: []ClientPort{}}
	for _, m := range e.members {
		if m.client != "" {
			st.Clients = append(st.Clients, ClientPort{ID: m.id, Addr: m.client, ZkCli: "zkCli.sh -server " + m.client})
		}
	}
	for _, a := range e.members {
		for _, b := range e.members {
			if a != b {
				st.Links = append(st.Links, Link{Link: view.Link{From: a.id, To: b.id, Cut: e.cutNow(a.id, b.id)},
					DelayMs: e.delay[a.id-1][b.id-1]})
			}
		}
	}
	e.mu.Unlock()
	st.Servers = make([]view.Server, len(members))
	var wg sync.WaitGroup
	for i := range members {
		wg.Add(1)
		go func() { // process mode: one GET /status per child, at once
			defer wg.Done()
			st.Servers[i] = serverView(&members[i])
		}()
	}
	wg.Wait()
	var bestEpoch core.Epoch
	for i := range st.Servers {
		s := &st.Servers[i]
		s.LastSync = d.lastSync[s.ID]
		if s.Up && s.Role == core.Leading && s.Established && s.CurrentEpoch >= bestEpoch {
			st.Leader, bestEpoch = s.ID, s.CurrentEpoch
		}
	}
	if st.Inflight == nil {
		st.Inflight = []view.Inflight{}
	}
	return st
}

// serverView is member m's view (a copy of m taken under e.mu): the one its
// server publishes; for a running server that did not answer this time,
// what it said last; for a server that is down, who it is and the epochs
// its disk held when it went down, as it last said.
func serverView(m *member) view.Server {
	ns, up := m.last, false
	if m.n != nil {
		ctx, cancel := context.WithTimeout(context.Background(), viewWait)
		ns, _ = m.n.Inspect(ctx, view.Default)
		cancel()
		up = ns.Running
	}
	var v view.Server
	switch {
	case up && ns.View != nil:
		v = *ns.View
	case up:
		v = view.FromStatus(ns.Status)
	default:
		v = view.Down(m.id, m.observer, core.Durable{AcceptedEpoch: ns.AcceptedEpoch, CurrentEpoch: ns.CurrentEpoch})
	}
	v.Paused = m.paused
	return v
}
