package sim

import (
	"fmt"
	"strings"

	"github.com/zabplay/zabplay/core"
)

func (c *Cluster) valid(id core.NodeID) bool { return id >= 1 && int(id) < len(c.servers) }

func (c *Cluster) checkID(id core.NodeID) error {
	if !c.valid(id) {
		return fmt.Errorf("sim: no server %v (the ensemble has s1..s%d)", id, c.Size())
	}
	return nil
}

// Crash stops a server at once: what it had not fsynced is lost and its
// connections reset.
func (c *Cluster) Crash(id core.NodeID) error {
	if err := c.checkID(id); err != nil {
		return err
	}
	s := c.servers[id]
	if s.node == nil {
		return nil
	}
	s.node = nil
	s.gen++
	s.paused = false
	s.backlog = nil
	s.fsyncing = false
	s.disk.pending = nil
	if c.opts.LoseFsynced && len(s.disk.durable.Log) > 0 {
		d := &s.disk.durable
		d.Log = d.Log[: len(d.Log)-1 : len(d.Log)-1]
	}
	c.emit(core.Event{Kind: core.EvCrash, Node: id})
	for j := 1; j < len(c.servers); j++ {
		c.breakConn(int(id), j, "crash of "+id.String(), true)
	}
	c.clients.serverDown(c, id)
	return nil
}

// Restart boots a crashed server from its disk.
func (c *Cluster) Restart(id core.NodeID) error {
	if err := c.checkID(id); err != nil {
		return err
	}
	if c.servers[id].node != nil {
		return nil
	}
	c.emit(core.Event{Kind: core.EvRestart, Node: id, Zxid: lastOnDisk(c.servers[id].disk.durable)})
	c.start(int(id))
	return nil
}

// Pause stops a server for d milliseconds, like a long GC or SIGSTOP: it
// handles nothing meanwhile and resumes with everything that queued up.
func (c *Cluster) Pause(id core.NodeID, ms int64) error {
	if err := c.checkID(id); err != nil {
		return err
	}
	s := c.servers[id]
	if s.node == nil {
		return fmt.Errorf("sim: %v is down", id)
	}
	s.paused = true
	if until := c.now + ms; until > s.pauseUntil {
		s.pauseUntil = until
	}
	c.emit(core.Event{Kind: core.EvPause, Node: id, Text: fmt.Sprintf("for %dms", ms)})
	c.schedule(qev{at: s.pauseUntil, kind: evResume, node: int(id), gen: s.gen})
	return nil
}

// Partition splits the servers into groups that cannot talk to each other;
// servers not in any group form one more group.
func (c *Cluster) Partition(groups [][]core.NodeID) error {
	group := make([]int, len(c.servers))
	for g, ids := range groups {
		for _, id := range ids {
			if err := c.checkID(id); err != nil {
				return err
			}
			if group[id] != 0 {
				return fmt.Errorf("sim: %v is in two groups", id)
			}
			group[id] = g + 1
		}
	}
	var desc []string
	sides := make([][]core.NodeID, 0, len(groups)+1)
	for _, ids := range groups {
		var names []string
		for _, id := range ids {
			names = append(names, id.String())
		}
		desc = append(desc, strings.Join(names, " "))
		sides = append(sides, append([]core.NodeID(nil), ids...))
	}
	var rest []core.NodeID
	for id := 1; id < len(c.servers); id++ {
		if group[id] == 0 {
			rest = append(rest, core.NodeID(id))
		}
	}
	if len(rest) > 0 {
		sides = append(sides, rest)
	}
	c.emit(core.Event{Kind: core.EvPartition, Text: strings.Join(desc, " | "), Groups: sides})
	for a := 1; a < len(c.servers); a++ {
		for b := 1; b < len(c.servers); b++ {
			if a != b && group[a] != group[b] {
				c.links[a][b].cut = true
			}
		}
	}
	for a := 1; a < len(c.servers); a++ {
		for b := a + 1; b < len(c.servers); b++ {
			if group[a] != group[b] {
				c.breakConn(a, b, "partition", false)
			}
		}
	}
	return nil
}

// Cut cuts one link (from→to), or both directions.
func (c *Cluster) Cut(from, to core.NodeID, bothWays bool) error {
	if err := c.checkID(from); err != nil {
		return err
	}
	if err := c.checkID(to); err != nil {
		return err
	}
	if from == to {
		return fmt.Errorf("sim: cannot cut %v from itself", from)
	}
	arrow := "->"
	c.links[from][to].cut = true
	if bothWays {
		arrow = "-"
		c.links[to][from].cut = true
	}
	c.emit(core.Event{Kind: core.EvCut, Text: from.String() + arrow + to.String()})
	c.breakConn(int(from), int(to), "cut", false)
	return nil
}

// Heal removes every partition and cut.
func (c *Cluster) Heal() {
	for a := range c.links {
		for b := range c.links[a] {
			c.links[a][b].cut = false
		}
	}
	c.emit(core.Event{Kind: core.EvHeal})
}

// Isolated reports whether any link is cut.
func (c *Cluster) cutAny() bool {
	for a := range c.links {
		for b := range c.links[a] {
			if c.links[a][b].cut {
				return true
			}
		}
	}
	return false
}

// Up reports whether a server is running (paused counts as running).
func (c *Cluster) Up(id core.NodeID) bool { return c.valid(id) && c.servers[id].node != nil }

// Paused reports whether a server is paused.
func (c *Cluster) Paused(id core.NodeID) bool { return c.valid(id) && c.servers[id].paused }

// Node returns a running server's core (nil when down).
func (c *Cluster) Node(id core.NodeID) *core.Node {
	if !c.valid(id) {
		return nil
	}
	return c.servers[id].node
}

// Status returns a server's status; a down server reports Role Down.
func (c *Cluster) Status(id core.NodeID) core.Status {
	if !c.valid(id) || c.servers[id].node == nil {
		return core.Status{ID: id, Role: core.Down}
	}
	return c.servers[id].node.Status()
}

// Durable returns what a server's disk holds durably.
func (c *Cluster) Durable(id core.NodeID) core.Durable { return c.servers[id].disk.durable }

// Leader returns the established leader with the highest epoch, or 0.
func (c *Cluster) Leader() core.NodeID {
	var best core.NodeID
	var bestEpoch core.Epoch
	for i := 1; i < len(c.servers); i++ {
		s := c.servers[i]
		if s.node == nil || s.paused {
			continue
		}
		st := s.node.Status()
		if st.Role == core.Leading && st.Established && st.Phase == core.PhaseBroadcast && (best == 0 || st.CurrentEpoch > bestEpoch) {
			best, bestEpoch = s.id, st.CurrentEpoch
		}
	}
	return best
}

// LastSync is the last sync mode a leader chose for a server ("" if none).
func (c *Cluster) LastSync(id core.NodeID) string {
	if !c.valid(id) {
		return ""
	}
	return c.lastSync[id]
}

// Synced reports whether every running, unpaused server is in broadcast with
// the leader and has its last zxid.
func (c *Cluster) Synced() bool {
	l := c.Leader()
	if l == 0 {
		return false
	}
	want := c.servers[l].node.Status().LastTxn
	for i := 1; i < len(c.servers); i++ {
		s := c.servers[i]
		if s.node == nil || s.paused {
			continue
		}
		st := s.node.Status()
		if st.Phase != core.PhaseBroadcast || st.Leader != l || st.LastTxn != want {
			return false
		}
	}
	return true
}

// Pending explains why the ensemble is not yet live and in sync, or "" when
// it is (the liveness check after faults heal).
func (c *Cluster) Pending() string {
	for i := 1; i < len(c.servers); i++ {
		s := c.servers[i]
		if s.node == nil {
			return s.id.String() + " is down"
		}
		if s.paused {
			return s.id.String() + " is paused"
		}
	}
	l := c.Leader()
	if l == 0 {
		return "no established leader"
	}
	want := c.servers[l].node.Status().LastTxn
	for i := 1; i < len(c.servers); i++ {
		st := c.servers[i].node.Status()
		switch {
		case st.Phase != core.PhaseBroadcast:
			return fmt.Sprintf("%v is in %v", st.ID, st.Phase)
		case st.Leader != l:
			return fmt.Sprintf("%v follows %v, not %v", st.ID, st.Leader, l)
		case st.LastTxn != want:
			return fmt.Sprintf("%v is at %v, leader %v at %v", st.ID, st.LastTxn, l, want)
		}
	}
	if n := c.clients.outstanding(); n > 0 {
		return fmt.Sprintf("%d client requests outstanding", n)
	}
	return ""
}

// lastOnDisk is the last txn a durable image holds: its log's last entry, or
// its snapshot's last txn.
func lastOnDisk(d core.Durable) core.Zxid {
	if len(d.Log) > 0 {
		return d.Log[len(d.Log)-1].Zxid
	}
	if d.Snap != nil {
		return d.Snap.TxnZxid
	}
	return 0
}
