package sim

import (
	"fmt"
	"math"

	"github.com/zabplay/zabplay/core"
)

// PauseUntilResumed pauses a server until Resume (a SIGSTOP without its
// SIGCONT yet).
func (c *Cluster) PauseUntilResumed(id core.NodeID) error {
	if err := c.checkID(id); err != nil {
		return err
	}
	s := c.servers[id]
	if s.node == nil {
		return fmt.Errorf("sim: %v is down", id)
	}
	s.paused = true
	s.pauseUntil = math.MaxInt64
	c.emit(core.Event{Kind: core.EvPause, Node: id})
	return nil
}

// Resume ends a server's pause now: what queued up while it was paused runs
// in the order it arrived.
func (c *Cluster) Resume(id core.NodeID) error {
	if err := c.checkID(id); err != nil {
		return err
	}
	s := c.servers[id]
	switch {
	case s.node == nil:
		return fmt.Errorf("sim: %v is down", id)
	case !s.paused:
		return fmt.Errorf("sim: %v is not paused", id)
	}
	s.pauseUntil = c.now
	c.dispatch(qev{at: c.now, kind: evResume, node: int(id), gen: s.gen})
	return nil
}

// Delay sets the latency of the links a→b and b→a (both 0: every link) to
// ms; 0 gives them back the ensemble's latency range. Messages on a link
// keep their order.
func (c *Cluster) Delay(a, b core.NodeID, ms int64) error {
	if ms < 0 {
		return fmt.Errorf("sim: delay %dms: want 0 or more", ms)
	}
	if a == 0 && b == 0 {
		for i := range c.links {
			for j := range c.links[i] {
				c.links[i][j].delayMs = ms
			}
		}
		return nil
	}
	if err := c.checkID(a); err != nil {
		return err
	}
	if err := c.checkID(b); err != nil {
		return err
	}
	c.links[a][b].delayMs, c.links[b][a].delayMs = ms, ms
	return nil
}
