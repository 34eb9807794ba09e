package player

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
	Actions   []view.Action   `json:"actions"`
}

// State reports the ensemble now.
func (p *Player) State() PlayerState {
	c := p.r.Cluster
	o := p.opts
	st := PlayerState{
		At: c.Now(), Steps: c.Steps(), Leader: c.Leader(), Faults: c.RandomFaults(), Bugs: p.Bugs(),
		Config: view.Config{Voters: o.Voters, Observers: o.Observers, Seed: o.Seed, TickMs: o.TickMs,
			InitLimit: o.InitLimit, SyncLimit: o.SyncLimit,
			LatencyMs: [2]int{o.LatencyMinMs, o.LatencyMaxMs}, FsyncMs: [2]int{o.FsyncMinMs, o.FsyncMaxMs}},
		Actions: p.actions,
	}
	if st.Bugs == nil {
		st.Bugs = []string{}
	}
	if st.Actions == nil {
		st.Actions = []view.Action{}
	}
	if v := p.halted; v != nil {
		st.Violation = &view.Violation{Property: v.Property, Text: v.Text, At: v.At}
	}
	n := c.Size()
	for i := 1; i <= n; i++ {
		st.Servers = append(st.Servers, p.serverState(core.NodeID(i)))
	}
	st.Links, st.Inflight = c.Links()
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
		s = view.Down(id, c.Observer(id), c.Durable(id))
	}
	s.Paused, s.LastSync = c.Paused(id), c.LastSync(id)
	return s
}
