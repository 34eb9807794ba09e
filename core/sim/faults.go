package sim

import (
	"fmt"
	"slices"
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
// it is (the liveness check after faults heal): every server up, one
// established leader, every other server following it in broadcast at its
// last txn, no client request outstanding.
//
// A server Stranded by the leader's epoch is the one exception, as long as a
// quorum of voters is in sync without it.
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
	stranded := c.Stranded()
	for i := 1; i < len(c.servers); i++ {
		st := c.servers[i].node.Status()
		switch {
		case slices.Contains(stranded, st.ID):
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
	voters := 0
	for _, id := range stranded {
		if !c.servers[id].node.Status().Observer {
			voters++
		}
	}
	if c.opts.Voters-voters < c.opts.Voters/2+1 {
		return fmt.Sprintf("%v stranded: no quorum of voters in sync", stranded)
	}
	return ""
}

// Coverage keys of the ways seeds 5400 and 15304 recover.
const (
	CoverSnapAsked = "sync: SNAP asked for (a TRUNC below the learner's snapshot)"
	CoverStranded  = "live: a server stranded by the leader's epoch"
)

// Stranded lists the servers, up and not leading, whose acceptedEpoch is
// above the established leader's epoch. Such a server refuses the leader's
// LEADERINFO ("leaders epoch is less than accepted epoch", as ZooKeeper's
// Learner.registerWithLeader does: it promised a later epoch) and looks for
// a leader again, and again, until that leader goes: ZAB leaves it out by
// design, and a quorum serves without it. (It gets there when discoveries
// of later epochs time out after it accepted their LEADERINFO, and a
// leader is then elected by a quorum without it; seed 15304.)
func (c *Cluster) Stranded() []core.NodeID {
	l := c.Leader()
	if l == 0 {
		return nil
	}
	epoch := c.servers[l].node.Status().CurrentEpoch
	var out []core.NodeID
	for i := 1; i < len(c.servers); i++ {
		s := c.servers[i]
		if s.node == nil || s.paused || s.id == l {
			continue
		}
		if st := s.node.Status(); st.AcceptedEpoch > epoch && st.Phase != core.PhaseBroadcast {
			out = append(out, s.id)
		}
	}
	return out
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

// Fault kinds a campaign can inject.
const (
	FaultCrash     = "crash"
	FaultPartition = "partition"
	FaultCut       = "cut"
	FaultPause     = "pause"
	FaultBreak     = "break"
	// FaultSync arms a trap: when the next sync packet of a kind chosen now
	// (DIFF, TRUNC, SNAP, NEWLEADER or UPTODATE) reaches a learner, the learner or its leader crashes a few
	// milliseconds later, in the middle of the sync, and restarts later.
	FaultSync = "sync"
)

// AllFaults lists every fault kind inside ZAB's model.
var AllFaults = []string{FaultCrash, FaultPartition, FaultCut, FaultPause, FaultBreak, FaultSync}

// Break-the-assumption faults: outside ZAB's model, never in "all". Asked of
// a campaign they hold for the whole run (Options.ReorderPct, DuplicatePct,
// LoseFsynced), and the checker is expected to find violations.
const (
	FaultReorder     = "reorder"      // a message may overtake earlier ones on its link (10%)
	FaultDuplicate   = "duplicate"    // a quorum packet may arrive twice (10%)
	FaultLoseFsynced = "lose-fsynced" // a crash also loses the last fsynced log record
)

// BreakFaults lists the break-the-assumption faults.
var BreakFaults = []string{FaultReorder, FaultDuplicate, FaultLoseFsynced}

func isBreakFault(f string) bool {
	for _, b := range BreakFaults {
		if b == f {
			return true
		}
	}
	return false
}

// ParseFaults reads "all", "none" or a comma list of fault kinds; "all" may
// be followed by break-the-assumption faults ("all,reorder").
func ParseFaults(s string) ([]string, error) {
	switch s {
	case "all":
		return AllFaults, nil
	case "none", "":
		return nil, nil
	}
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "all" {
			out = append(out, AllFaults...)
			continue
		}
		known := isBreakFault(f)
		for _, k := range AllFaults {
			known = known || k == f
		}
		if !known {
			return nil, fmt.Errorf("unknown fault %q (want all, none, or a list of %s, and of the break-the-assumption faults %s)",
				f, strings.Join(AllFaults, ","), strings.Join(BreakFaults, ","))
		}
		out = append(out, f)
	}
	return out, nil
}

// StartRandomFaults starts a campaign's run: a client workload, and, when
// faults are asked for, now and then a late joiner (a server that starts
// with an empty disk while the others already run: ZOOKEEPER-1319's learner
// at zxid 0) and one fault of the asked kinds every 0.2-2 s from 0.5-1.5 s
// on. Coverage counts what happened.
func (c *Cluster) StartRandomFaults(faults []string, durationMs int64) {
	c.faults = faults
	c.Coverage = map[string]int{}
	if len(faults) > 0 && c.rng.IntN(5) == 0 {
		id := 1 + c.rng.IntN(c.Size())
		c.Crash(core.NodeID(id))
		c.count("fault: late joiner")
		c.schedule(qev{at: c.between(1000, int(max(2000, durationMs/2))), kind: evRestart, node: id})
	}
	if c.opts.InitialCounter != 0 {
		c.count("fault: counter rollover")
	}
	c.StartWorkload(3, 100)
	if len(faults) > 0 {
		c.schedule(qev{at: 500 + c.between(0, 1000), kind: evFault})
	}
}

// StopRandomFaults ends the faults and the workload, heals every link and
// restarts every server that is down: what a campaign does before it waits
// for the ensemble to recover (liveness).
//
// A slow disk is one of the faults and ends too: if a discovery round (the
// leader's acceptedEpoch write, LEADERINFO, the learner's write, ACKEPOCH)
// could not fit in initLimit at the slowest fsync, fsyncs get fast enough for
// it. (Seed 18507 of the 20,000 drew initLimit 200 ms and fsyncs up to
// 378 ms and elected some 200 times in vain; a ZooKeeper ensemble whose
// initLimit is too short for its disk never recovers either.)
func (c *Cluster) StopRandomFaults() {
	c.faults = nil
	c.stopWorkload = true
	o := &c.opts
	if room := o.InitLimit*o.TickMs - 2*o.LatencyMaxMs - o.TickMs; 2*o.FsyncMaxMs > room {
		o.FsyncMaxMs = max(o.FsyncMinMs, room/2)
	}
	c.Heal()
	for i := 1; i <= c.Size(); i++ {
		c.Restart(core.NodeID(i))
	}
}

// randomFault injects one fault from the enabled kinds and schedules the next.
func (c *Cluster) randomFault() {
	if len(c.faults) == 0 {
		return
	}
	n := c.Size()
	pick := func() core.NodeID { return core.NodeID(1 + c.rng.IntN(n)) }
	kind := c.faults[c.rng.IntN(len(c.faults))]
	c.count("fault: " + kind)
	switch kind {
	case FaultCrash:
		id := pick()
		if c.Up(id) {
			c.Crash(id)
			c.schedule(qev{at: c.now + c.between(200, 5000), kind: evRestart, node: int(id)})
		}
	case FaultPartition:
		var a, b []core.NodeID
		for i := 1; i <= n; i++ {
			if c.rng.IntN(2) == 0 {
				a = append(a, core.NodeID(i))
			} else {
				b = append(b, core.NodeID(i))
			}
		}
		if len(a) > 0 && len(b) > 0 {
			c.Partition([][]core.NodeID{a, b})
			c.schedule(qev{at: c.now + c.between(300, 5000), kind: evHeal})
		}
	case FaultCut:
		a, b := pick(), pick()
		if a != b {
			c.Cut(a, b, c.rng.IntN(2) == 0)
			c.schedule(qev{at: c.now + c.between(300, 5000), kind: evHeal})
		}
	case FaultPause:
		if id := pick(); c.Up(id) {
			c.Pause(id, c.between(100, 3000))
		}
	case FaultBreak:
		a, b := pick(), pick()
		if a != b {
			c.breakConn(int(a), int(b), "fault", false)
		}
	case FaultSync:
		c.syncTrap = syncPackets[c.rng.IntN(len(syncPackets))]
	}
	c.schedule(qev{at: c.now + c.between(200, 2000), kind: evFault})
}

// SetRandomFaults turns random faults of every kind inside ZAB's model on or
// off, in the middle of a run (the playground's switch).
func (c *Cluster) SetRandomFaults(on bool) {
	if on == (len(c.faults) > 0) {
		return
	}
	if on {
		c.faults = AllFaults
		c.schedule(qev{at: c.now + c.between(100, 1000), kind: evFault})
	} else {
		c.faults = nil
	}
}

// RandomFaults reports whether random faults are being injected.
func (c *Cluster) RandomFaults() bool { return len(c.faults) > 0 }
