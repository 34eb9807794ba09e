package sim

import (
	"strings"

	"github.com/zabplay/zabplay/core"
)

// PlayerState is what the playground draws: every server, link and message
// in flight at this moment. Its JSON is the wasm binding's "state".
type PlayerState struct {
	At        int64           `json:"t"`
	Steps     uint64          `json:"steps"`
	Leader    core.NodeID     `json:"leader"`
	Faults    bool            `json:"faults"`
	Bugs      []string        `json:"bugs"`
	Violation *StateViolation `json:"violation"`
	Config    StateConfig     `json:"config"`
	Servers   []ServerState   `json:"servers"`
	Links     []LinkState     `json:"links"`
	Inflight  []InflightMsg   `json:"inflight"`
	Actions   []Action        `json:"actions"`
}

// StateViolation is the checker's first finding.
type StateViolation struct {
	Property string `json:"property"`
	Text     string `json:"text"`
	At       int64  `json:"t"`
}

// StateConfig is the ensemble's shape and timing.
type StateConfig struct {
	Voters    int    `json:"voters"`
	Observers int    `json:"observers"`
	Seed      uint64 `json:"seed"`
	TickMs    int    `json:"tickMs"`
	InitLimit int    `json:"initLimit"`
	SyncLimit int    `json:"syncLimit"`
	LatencyMs [2]int `json:"latencyMs"`
	FsyncMs   [2]int `json:"fsyncMs"`
}

// ServerState is one server as the playground shows it.
type ServerState struct {
	ID            core.NodeID      `json:"id"`
	Name          string           `json:"name"`
	Observer      bool             `json:"observer"`
	Up            bool             `json:"up"`
	Paused        bool             `json:"paused"`
	Role          core.ServerState `json:"role"`
	Phase         core.Phase       `json:"phase"`
	Leader        core.NodeID      `json:"leader,omitempty"`
	AcceptedEpoch core.Epoch       `json:"acceptedEpoch"`
	CurrentEpoch  core.Epoch       `json:"currentEpoch"`
	LastZxid      core.Zxid        `json:"lastZxid"`
	Committed     core.Zxid        `json:"committed"`
	LastLogged    core.Zxid        `json:"lastLogged"`
	Vote          core.Vote        `json:"vote"`
	Round         uint64           `json:"round"`
	LastSync      string           `json:"lastSync,omitempty"`
	Log           []LogEntry       `json:"log"`
	Tree          []ZNode          `json:"tree"`
}

// LogEntry is one txn of a server's log tail.
type LogEntry struct {
	Zxid      core.Zxid `json:"zxid"`
	Text      string    `json:"text"`
	Committed bool      `json:"committed"`
}

// ZNode is one node of a server's tree.
type ZNode struct {
	Path    string `json:"path"`
	Data    string `json:"data"`
	Version int32  `json:"version"`
}

// LinkState is one direction between two servers.
type LinkState struct {
	From core.NodeID `json:"from"`
	To   core.NodeID `json:"to"`
	Cut  bool        `json:"cut"`
}

// InflightMsg is a message on a link.
type InflightMsg struct {
	ID     uint64       `json:"id"`
	From   core.NodeID  `json:"from"`
	To     core.NodeID  `json:"to"`
	Msg    core.MsgType `json:"msg"`
	Text   string       `json:"text"`
	Sent   int64        `json:"sent"`
	Arrive int64        `json:"arrive"`
}

// Limits of what State reports per server.
const (
	StateLogTail  = 24
	StateTreeMax  = 64
	stateHidePath = "/zookeeper"
)

// State reports the ensemble now.
func (p *Player) State() PlayerState {
	c := p.r.Cluster
	o := p.opts
	st := PlayerState{
		At: c.Now(), Steps: c.Steps(), Leader: c.Leader(), Faults: p.faults, Bugs: p.Bugs(),
		Config: StateConfig{Voters: o.Voters, Observers: o.Observers, Seed: o.Seed, TickMs: o.TickMs,
			InitLimit: o.InitLimit, SyncLimit: o.SyncLimit,
			LatencyMs: [2]int{o.LatencyMinMs, o.LatencyMaxMs}, FsyncMs: [2]int{o.FsyncMinMs, o.FsyncMaxMs}},
		Actions: p.actions,
	}
	if st.Bugs == nil {
		st.Bugs = []string{}
	}
	if st.Actions == nil {
		st.Actions = []Action{}
	}
	if v := p.halted; v != nil {
		st.Violation = &StateViolation{Property: v.Property, Text: v.Text, At: v.At}
	}
	n := c.Size()
	for i := 1; i <= n; i++ {
		st.Servers = append(st.Servers, p.serverState(core.NodeID(i)))
	}
	for a := 1; a <= n; a++ {
		for b := 1; b <= n; b++ {
			if a == b {
				continue
			}
			l := &c.links[a][b]
			st.Links = append(st.Links, LinkState{From: core.NodeID(a), To: core.NodeID(b), Cut: l.cut})
			for _, f := range l.inflight {
				if f.dead {
					continue
				}
				st.Inflight = append(st.Inflight, InflightMsg{ID: f.id, From: f.msg.From, To: f.msg.To, Msg: f.msg.Type,
					Text: core.Describe(f.msg), Sent: f.sent, Arrive: f.arrive})
			}
		}
	}
	if st.Inflight == nil {
		st.Inflight = []InflightMsg{}
	}
	return st
}

func (p *Player) serverState(id core.NodeID) ServerState {
	c := p.r.Cluster
	s := ServerState{ID: id, Name: id.String(), Observer: c.servers[id].observer, Up: c.Up(id), Paused: c.Paused(id),
		Role: core.Down, LastSync: c.LastSync(id), Log: []LogEntry{}, Tree: []ZNode{}}
	n := c.Node(id)
	if n == nil {
		// A down server shows what its disk holds.
		d := c.Durable(id)
		s.AcceptedEpoch, s.CurrentEpoch = d.AcceptedEpoch, d.CurrentEpoch
		return s
	}
	ns := n.Status()
	s.Role, s.Phase, s.Leader = ns.Role, ns.Phase, ns.Leader
	s.AcceptedEpoch, s.CurrentEpoch = ns.AcceptedEpoch, ns.CurrentEpoch
	s.LastZxid, s.Committed, s.LastLogged = ns.LastZxid, ns.Committed, ns.LastLogged
	s.Vote, s.Round = ns.Vote, ns.Round
	log := n.Log()
	if len(log) > StateLogTail {
		log = log[len(log)-StateLogTail:]
	}
	for i := range log {
		e := &log[i]
		s.Log = append(s.Log, LogEntry{Zxid: e.Zxid, Text: e.Txn.Txn.String(), Committed: e.Zxid <= ns.LastZxid})
	}
	t := n.Tree()
	for _, path := range t.Paths() {
		if path == "/" || path == stateHidePath || strings.HasPrefix(path, stateHidePath+"/") {
			continue
		}
		if len(s.Tree) == StateTreeMax {
			break
		}
		data, stat, _ := t.Get(path)
		s.Tree = append(s.Tree, ZNode{Path: path, Data: data, Version: stat.Version})
	}
	return s
}
