package ensemble

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/sim"
	"github.com/zabplay/zabplay/server/node"
)

// State is what the browser's live mode draws: the simulator's PlayerState
// (core/sim) built from the servers' statuses and the event stream, with
// live set, each link's delay, and Seq, the stream position it is as of
// (the first event a viewer gets after this snapshot has that seq).
type State struct {
	sim.PlayerState
	Live  bool   `json:"live"`
	Links []Link `json:"links"`
	Seq   uint64 `json:"seq"`
}

// Link is one direction between two servers.
type Link struct {
	sim.LinkState
	DelayMs int `json:"delayMs"`
}

// State reports the ensemble now.
func (e *Ensemble) State() State {
	e.stream.settle(50 * time.Millisecond)
	e.stream.mu.Lock()
	d := e.stream.snapshotLocked()
	e.stream.mu.Unlock()
	return e.stateFrom(d)
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
		Actions: append([]sim.Action{}, e.actions...), Inflight: d.inflight,
	}}
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
			s.Log = logTail(d, ns.LastLogged, ns.LastZxid)
			s.Tree = treeAt(d.history, ns.LastZxid)
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
func logTail(d derived, lastLogged, lastZxid core.Zxid) []sim.LogEntry {
	var zs []core.Zxid
	for z := range d.proposals {
		if z <= lastLogged {
			zs = append(zs, z)
		}
	}
	sort.Slice(zs, func(i, j int) bool { return zs[i] < zs[j] })
	if len(zs) > sim.StateLogTail {
		zs = zs[len(zs)-sim.StateLogTail:]
	}
	out := make([]sim.LogEntry, 0, len(zs))
	for _, z := range zs {
		out = append(out, sim.LogEntry{Zxid: z, Text: d.proposals[z], Committed: z <= lastZxid})
	}
	return out
}

// treeAt replays the committed txns up to zxid (texts as ztree.Txn.String
// writes them) into the tree a server that applied them holds.
func treeAt(history []txnText, upTo core.Zxid) []sim.ZNode {
	tree := map[string]sim.ZNode{}
	for _, t := range history {
		if t.zxid > upTo {
			break
		}
		op, rest, _ := strings.Cut(t.text, " ")
		switch op {
		case "create", "setData":
			path, q, _ := strings.Cut(rest, " ")
			data, err := strconv.QuotedPrefix(q)
			if err != nil {
				continue
			}
			val, _ := strconv.Unquote(data)
			n := sim.ZNode{Path: path, Data: val}
			if op == "setData" {
				if _, v, ok := strings.Cut(q[len(data):], " v="); ok {
					x, _ := strconv.Atoi(v)
					n.Version = int32(x)
				}
			}
			tree[path] = n
		case "delete":
			delete(tree, rest)
		}
	}
	out := make([]sim.ZNode, 0, len(tree))
	for _, n := range tree {
		if n.Path == "/zookeeper" || strings.HasPrefix(n.Path, "/zookeeper/") {
			continue
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	if len(out) > sim.StateTreeMax {
		out = out[:sim.StateTreeMax]
	}
	return out
}
