package sim

import (
	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/view"
)

// NextAt is the virtual time of the next queued event, and false when
// nothing is queued.
func (c *Cluster) NextAt() (int64, bool) {
	if len(c.q) == 0 {
		return 0, false
	}
	return c.q[0].at, true
}

// AdvanceClock moves virtual time forward to t without handling an event
// (a replayed action due at t, an idle stretch); it never goes back.
func (c *Cluster) AdvanceClock(t int64) {
	if t > c.now {
		c.now = t
	}
}

// Observer reports whether server id is an observer.
func (c *Cluster) Observer(id core.NodeID) bool { return c.valid(id) && c.servers[id].observer }

// Links is every directed link, whether it is cut, and the messages on it
// that will still arrive, for the viewer.
func (c *Cluster) Links() (links []view.Link, inflight []view.Inflight) {
	n := c.Size()
	for a := 1; a <= n; a++ {
		for b := 1; b <= n; b++ {
			if a == b {
				continue
			}
			l := &c.links[a][b]
			links = append(links, view.Link{From: core.NodeID(a), To: core.NodeID(b), Cut: l.cut})
			for _, f := range l.inflight {
				if f.dead {
					continue
				}
				inflight = append(inflight, view.Inflight{ID: f.id, From: f.msg.From, To: f.msg.To, Msg: f.msg.Type,
					Text: core.Describe(f.msg), Sent: f.sent, Arrive: f.arrive})
			}
		}
	}
	if inflight == nil {
		inflight = []view.Inflight{}
	}
	return links, inflight
}
