package sim

import (
	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/view"
)

// PlayerState is what the playground draws: every server, link and message
// in flight at this moment. Its JSON is the wasm binding's "state". Each
// server is its core's view (core/view); the rest is what the simulator
// alone knows.
type PlayerState struct {
	At        int64           `json:"t"`
	Steps     uint64          `json:"steps"`
	Leader    core.NodeID     `json:"leader"`
	Faults    bool            `json:"faults"`
	Bugs      []string        `json:"bugs"`
	Violation *view.Violation `json:"violation"`
	Config    view.Config     `json:"config"`
	Servers   []view.Server   `json:"servers"`
	Links     []view.Link     `json:"links"`
	Inflight  []view.Inflight `json:"inflight"`
	Actions   []Action        `json:"actions"`
}

// State reports the ensemble now.
func (p *Player) State() PlayerState {
	c := p.r.Cluster
	o := p.opts
	st := PlayerState{
		At: c.Now(), Steps: c.Steps(), Leader: c.Leader(), Faults: p.faults, Bugs: p.Bugs(),
		Config: view.Config{Voters: o.Voters, Observers: o.Observers, Seed: o.Seed, TickMs: o.TickMs,
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
		st.Violation = &view.Violation{Property: v.Property, Text: v.Text, At: v.At}
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
			st.Links = append(st.Links, view.Link{From: core.NodeID(a), To: core.NodeID(b), Cut: l.cut})
			for _, f := range l.inflight {
				if f.dead {
					continue
				}
				st.Inflight = append(st.Inflight, view.Inflight{ID: f.id, From: f.msg.From, To: f.msg.To, Msg: f.msg.Type,
					Text: core.Describe(f.msg), Sent: f.sent, Arrive: f.arrive})
			}
		}
	}
	if st.Inflight == nil {
		st.Inflight = []view.Inflight{}
	}
	return st
}

// serverState is server id's view: its core's, or for a down server what
// its disk holds; with what the simulator alone knows (paused, the last
// sync mode its leader chose).
func (p *Player) serverState(id core.NodeID) view.Server {
	c := p.r.Cluster
	var s view.Server
	if n := c.Node(id); n != nil {
		s = view.Of(n, view.Default)
	} else {
		s = view.Down(id, c.servers[id].observer, c.Durable(id))
	}
	s.Paused, s.LastSync = c.Paused(id), c.LastSync(id)
	return s
}
