package check

import (
	"sort"

	"github.com/zabplay/zabplay/core"
)

// Properties over the messages and the disks of the servers (issue 9). They
// need a trace that reports every write (persist), every fsync, and the sends
// and deliveries of LEADERINFO, ACKEPOCH, NEWLEADER, ACK and UPTODATE with
// their zxid and epoch (core/event.go), and the ensemble's voters: a driver
// that gives all of that turns them on with Ensemble.
const (
	// AckDurable: a server ACKs a txn only once it is logged and fsynced
	// there; it ACKs NEWLEADER or UPTODATE of epoch e only once currentEpoch
	// e and every write it issued before are durable.
	AckDurable = "AckDurable"
	// EpochMonotonic: acceptedEpoch and currentEpoch never go down, within
	// an incarnation or across a restart from disk, and currentEpoch never
	// exceeds acceptedEpoch.
	EpochMonotonic = "EpochMonotonic"
	// EpochPromise: a server never acks an epoch below one it promised in an
	// ACKEPOCH, never leads an epoch at or below one, and promises an epoch
	// (ACKEPOCH, or LEADERINFO as the leader) only once acceptedEpoch ≥ it is
	// durable.
	EpochPromise = "EpochPromise"
	// LeaderMostRecent: a leader's (currentEpoch, last zxid) when it was
	// elected is at least the one every voter of its establishing quorum
	// reported in the ACKEPOCH the leader counted.
	LeaderMostRecent = "LeaderMostRecent"
	// VoterQuorum: a leader is established only by NEWLEADER acks of a quorum
	// of voters, itself included once its currentEpoch is durable; it sends
	// UPTODATE only once established; it commits a txn only once a quorum of
	// voters acked it and still hold it (an ACK is taken back when the
	// acker's log loses the txn to a TRUNC or a SNAP), itself included once
	// the txn is durable in its log,
	// and sends COMMIT or INFORM for a txn of its epoch (in sync too) only
	// once it committed it. Observers never count.
	VoterQuorum = "VoterQuorum"
	// DurableLog: a server restarts with every txn its log had fsynced
	// before the crash (the restart event's Zxid is the last txn on its
	// disk). Only the lose-fsynced fault breaks it.
	DurableLog = "DurableLog"
	// NoFatal: no server finds the leader's packet stream inconsistent (where
	// ZooKeeper exits the process: a non-continuous proposal, a COMMIT that
	// matches no pending txn). Inside ZAB's fault model each is a protocol
	// bug; the break-the-assumption faults trip them. (A fatal with a
	// Reason, core.FatalEpochExhausted, is not a stream the server cannot
	// follow.)
	NoFatal = "NoFatal"
)

// ensemble state of the protocol properties.
type proto struct {
	on     bool
	voters uint16
	nVoter int
	srv    [core.MaxNodes + 1]srvState
}

// srvState is what the checker knows of one server: its disk, which outlives
// incarnations, and its current incarnation.
type srvState struct {
	durAccepted, durCurrent core.Epoch
	promised                core.Epoch // highest epoch acked in an ACKEPOCH, any incarnation
	durLast                 core.Zxid  // the last txn of its durable log (or snapshot)
	inc                     incarnation
}

type incarnation struct {
	writeSeq, durableSeq uint64
	pending              []pendWrite                   // writes not yet fsynced, in seq order
	logged               []loggedTxn                   // appends of this incarnation, in zxid order
	accepted, current    core.Epoch                    // in memory (floors at a restart)
	leaderInfo           [core.MaxNodes + 1]core.Epoch // epoch of the last LEADERINFO delivered from each server
	upToDate             bool                          // the last of NEWLEADER/UPTODATE delivered was UPTODATE
	lead                 *leadership
}

type pendWrite struct {
	seq   uint64
	kind  string // core.WriteKind's name
	zxid  core.Zxid
	epoch core.Epoch
}

type loggedTxn struct {
	zxid core.Zxid
	seq  uint64
}

// leadership is one server's time as leader (from its role event to the next).
type leadership struct {
	summaryEpoch  core.Epoch
	summaryZxid   core.Zxid
	epoch         core.Epoch
	finished      bool // currentEpoch written: the ACKEPOCH quorum is decided
	established   bool
	ackEpoch      [core.MaxNodes + 1]ackEpochRec
	newLeaderAcks map[core.Epoch]uint16
	acks          map[core.Zxid]uint16
	lastCommitted core.Zxid
}

type ackEpochRec struct {
	ok           bool
	epoch        core.Epoch
	zxid         core.Zxid
	beforeFinish bool
}

// Ensemble names the voters (every other server is an observer) and turns on
// the properties over messages and disks: the trace must report what
// core/event.go says the simulator reports (persist, fsync, and the sends and
// deliveries of the discovery, sync and ack messages).
func (c *Checker) Ensemble(voters []core.NodeID) {
	c.p.on = true
	c.p.voters = 0
	for _, v := range voters {
		c.p.voters |= 1 << v
	}
	c.p.nVoter = popcount(c.p.voters)
}

func popcount(x uint16) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

func (c *Checker) quorum(s uint16) bool { return 2*popcount(s&c.p.voters) > c.p.nVoter }

// protoEvent is one event for the protocol properties.
func (c *Checker) protoEvent(e core.Event, idx int) {
	if !c.p.on || e.Node == 0 || int(e.Node) > core.MaxNodes {
		return
	}
	s := &c.p.srv[e.Node]
	switch e.Kind {
	case core.EvCrash, core.EvRestart:
		if e.Kind == core.EvRestart && e.Zxid < s.durLast {
			c.flag(DurableLog, idx, "%v restarted with %v as its last txn, but %v was fsynced before the crash", e.Node, e.Zxid, s.durLast)
		}
		s.inc = incarnation{accepted: max(s.durAccepted, s.durCurrent), current: s.durCurrent}
	case core.EvFatal:
		// Only a stream the server cannot follow is a protocol bug.
		if e.Reason == "" {
			c.flag(NoFatal, idx, "%v: %s", e.Node, e.Text)
		}
	case core.EvPersist:
		c.persisted(s, e)
	case core.EvFsync:
		c.fsynced(s, e)
	case core.EvAcceptedEpoch:
		if e.Epoch < s.inc.accepted {
			c.flag(EpochMonotonic, idx, "%v wrote acceptedEpoch %d below its acceptedEpoch %d", e.Node, e.Epoch, s.inc.accepted)
		}
		s.inc.accepted = e.Epoch
	case core.EvCurrentEpoch:
		switch {
		case e.Epoch < s.inc.current:
			c.flag(EpochMonotonic, idx, "%v wrote currentEpoch %d below its currentEpoch %d", e.Node, e.Epoch, s.inc.current)
		case e.Epoch > s.inc.accepted:
			c.flag(EpochMonotonic, idx, "%v wrote currentEpoch %d above its acceptedEpoch %d", e.Node, e.Epoch, s.inc.accepted)
		}
		s.inc.current = e.Epoch
		if s.inc.lead != nil {
			s.inc.lead.finished = true
		}
	case core.EvRole:
		s.inc.lead = nil
		if e.Role == core.Leading {
			s.inc.lead = &leadership{summaryEpoch: e.Epoch, summaryZxid: e.Zxid,
				newLeaderAcks: map[core.Epoch]uint16{}, acks: map[core.Zxid]uint16{}}
		}
	case core.EvSend:
		c.sent(s, e, idx)
	case core.EvDeliverMsg:
		c.received(s, e)
	case core.EvEstablished:
		c.establishedQuorum(s, e, idx)
	case core.EvDeliver:
		c.committedQuorum(s, e, idx)
	}
}

func (c *Checker) persisted(s *srvState, e core.Event) {
	in := &s.inc
	in.writeSeq = max(in.writeSeq, e.Seq)
	w := pendWrite{seq: e.Seq, kind: e.Text, zxid: e.Zxid, epoch: e.Epoch}
	switch e.Text {
	case core.WriteAppend.String():
		for len(in.logged) > 0 && in.logged[len(in.logged)-1].zxid >= e.Zxid {
			in.logged = in.logged[:len(in.logged)-1]
		}
		in.logged = append(in.logged, loggedTxn{e.Zxid, e.Seq})
	case core.WriteTruncate.String():
		for len(in.logged) > 0 && in.logged[len(in.logged)-1].zxid > e.Zxid {
			in.logged = in.logged[:len(in.logged)-1]
		}
		c.withdrawAcks(e.Node, e.Zxid)
		if e.Zxid.Counter() == 0 {
			// A TRUNC to an epoch start (e, 0) keeps the last txn below it,
			// which is no txn of epoch e: what the log kept is the last
			// txn this incarnation logged below it, or, not knowing the
			// older ones, at most what was durable.
			w.zxid = 0
			if n := len(in.logged); n > 0 {
				w.zxid = in.logged[n-1].zxid
			} else if s.durLast < e.Zxid {
				w.zxid = s.durLast
			}
		}
	}
	if e.Text == core.WriteSnapshot.String() {
		// A snapshot from SNAP replaces the log: nothing above it is kept.
		c.withdrawAcks(e.Node, e.Zxid)
	}
	in.pending = append(in.pending, w)
}

// withdrawAcks takes back v's ACKs of txns above z from every leader: v's log
// no longer holds them (a TRUNC, or a SNAP that replaced it), so they count
// towards a commit again only once v logs and acks them anew (the stale-ack
// bug counts them anyway, campaign seed 9008).
func (c *Checker) withdrawAcks(v core.NodeID, z core.Zxid) {
	for i := range c.p.srv {
		l := c.p.srv[i].inc.lead
		if l == nil {
			continue
		}
		for x, set := range l.acks {
			if x > z {
				l.acks[x] = set &^ (1 << v)
			}
		}
	}
}

func (c *Checker) fsynced(s *srvState, e core.Event) {
	in := &s.inc
	in.durableSeq = max(in.durableSeq, e.Seq)
	k := 0
	for ; k < len(in.pending) && in.pending[k].seq <= e.Seq; k++ {
		w := in.pending[k]
		switch w.kind {
		case core.WriteCurrentEpoch.String():
			s.durCurrent = w.epoch
		case core.WriteAcceptedEpoch.String():
			s.durAccepted = w.epoch
		case core.WriteAppend.String(), core.WriteSnapshotPurge.String():
			s.durLast = max(s.durLast, w.zxid)
		case core.WriteTruncate.String():
			s.durLast = min(s.durLast, w.zxid)
		case core.WriteSnapshot.String():
			s.durLast = w.zxid
		}
	}
	in.pending = in.pending[k:]
}

// durableTxn reports whether server s logged z in this incarnation and that
// write is fsynced.
func (s *srvState) durableTxn(z core.Zxid) bool {
	l := s.inc.logged
	i := sort.Search(len(l), func(i int) bool { return l[i].zxid >= z })
	return i < len(l) && l[i].zxid == z && l[i].seq <= s.inc.durableSeq
}

func (c *Checker) sent(s *srvState, e core.Event, idx int) {
	switch e.Msg {
	case core.MsgAck:
		if e.Zxid.Counter() != 0 {
			if !s.durableTxn(e.Zxid) {
				c.flag(AckDurable, idx, "%v sent ACK %v to %v, but that txn is not durable in its log", e.Node, e.Zxid, e.Peer)
			}
			return
		}
		ep := e.Zxid.Epoch()
		switch {
		case s.durCurrent < ep:
			c.flag(AckDurable, idx, "%v acked epoch %d to %v while its durable currentEpoch is %d", e.Node, ep, e.Peer, s.durCurrent)
		case s.inc.writeSeq > s.inc.durableSeq && !s.inc.upToDate:
			// (The ACK of UPTODATE goes out before the learner logs the
			// proposals queued during sync; those writes share its Ready and
			// come first in the trace.)
			c.flag(AckDurable, idx, "%v acked epoch %d to %v with writes not yet durable (seq %d > fsynced %d)", e.Node, ep, e.Peer, s.inc.writeSeq, s.inc.durableSeq)
		case ep < s.promised:
			c.flag(EpochPromise, idx, "%v acked NEWLEADER of epoch %d after promising epoch %d", e.Node, ep, s.promised)
		}
	case core.MsgAckEpoch:
		// The ACKEPOCH answers the LEADERINFO of the server it goes to (a
		// learner ignores one from another server it does not follow).
		if e.Peer == 0 || int(e.Peer) > core.MaxNodes {
			return
		}
		ep := s.inc.leaderInfo[e.Peer]
		if ep == 0 {
			return
		}
		switch {
		case ep < s.promised:
			c.flag(EpochPromise, idx, "%v acked epoch %d of %v after promising epoch %d", e.Node, ep, e.Peer, s.promised)
		case s.durAccepted < ep:
			c.flag(EpochPromise, idx, "%v sent ACKEPOCH for epoch %d while its durable acceptedEpoch is %d", e.Node, ep, s.durAccepted)
		}
		s.promised = max(s.promised, ep)
	case core.MsgLeaderInfo:
		ep := e.Zxid.Epoch()
		switch {
		case s.durAccepted < ep:
			c.flag(EpochPromise, idx, "%v sent LEADERINFO for epoch %d while its durable acceptedEpoch is %d", e.Node, ep, s.durAccepted)
		case ep <= s.promised:
			c.flag(EpochPromise, idx, "%v leads epoch %d after promising epoch %d to another leader", e.Node, ep, s.promised)
		}
		if s.inc.lead != nil {
			s.inc.lead.epoch = ep
		}
	case core.MsgCommit, core.MsgInform:
		if l := s.inc.lead; l != nil && e.Zxid.Epoch() == l.epoch && e.Zxid > l.lastCommitted {
			c.flag(VoterQuorum, idx, "%v sent %v %v to %v before it committed that txn", e.Node, e.Msg, e.Zxid, e.Peer)
		}
	case core.MsgUpToDate:
		if l := s.inc.lead; l == nil || !l.established {
			c.flag(VoterQuorum, idx, "%v sent UPTODATE to %v before it was established", e.Node, e.Peer)
		}
	}
}

func (c *Checker) received(s *srvState, e core.Event) {
	from := e.Peer
	if from == 0 || int(from) > core.MaxNodes {
		return
	}
	switch e.Msg {
	case core.MsgLeaderInfo:
		s.inc.leaderInfo[from] = e.Zxid.Epoch()
	case core.MsgNewLeader, core.MsgUpToDate:
		s.inc.upToDate = e.Msg == core.MsgUpToDate
	case core.MsgAckEpoch:
		if l := s.inc.lead; l != nil {
			l.ackEpoch[from] = ackEpochRec{ok: true, epoch: e.Epoch, zxid: e.Zxid, beforeFinish: !l.finished}
		}
	case core.MsgAck:
		l := s.inc.lead
		switch {
		case l == nil:
		case e.Zxid.Counter() == 0:
			l.newLeaderAcks[e.Zxid.Epoch()] |= 1 << from
		case e.Zxid > l.lastCommitted:
			l.acks[e.Zxid] |= 1 << from
		}
	}
}

func (c *Checker) establishedQuorum(s *srvState, e core.Event, idx int) {
	l := s.inc.lead
	if l == nil {
		return
	}
	l.established, l.epoch = true, e.Epoch
	set := l.newLeaderAcks[e.Epoch]
	if s.durCurrent >= e.Epoch {
		set |= 1 << e.Node
	}
	if !c.quorum(set) {
		c.flag(VoterQuorum, idx, "%v established epoch %d with NEWLEADER acks of %s only (not a quorum of voters)", e.Node, e.Epoch, members(set&c.p.voters))
	}
	for v := core.NodeID(1); v <= core.MaxNodes; v++ {
		r := l.ackEpoch[v]
		if set&(1<<v) == 0 || c.p.voters&(1<<v) == 0 || v == e.Node || !r.ok || !r.beforeFinish || r.epoch == core.NoEpoch {
			continue
		}
		if r.epoch > l.summaryEpoch || (r.epoch == l.summaryEpoch && r.zxid > l.summaryZxid) {
			c.flag(LeaderMostRecent, idx, "%v established epoch %d with history (%d, %v), but voter %v of its quorum had (%d, %v)",
				e.Node, e.Epoch, l.summaryEpoch, l.summaryZxid, v, r.epoch, r.zxid)
		}
	}
}

func (c *Checker) committedQuorum(s *srvState, e core.Event, idx int) {
	l := s.inc.lead
	if l == nil || !l.established || e.Snapshot || e.Zxid.Epoch() != l.epoch || e.Zxid <= l.lastCommitted {
		return
	}
	set := l.acks[e.Zxid]
	if s.durableTxn(e.Zxid) {
		set |= 1 << e.Node
	}
	if !c.quorum(set) {
		c.flag(VoterQuorum, idx, "%v committed %v with ACKs of %s only (not a quorum of voters)", e.Node, e.Zxid, members(set&c.p.voters))
	}
	l.lastCommitted = e.Zxid
	for z := range l.acks {
		if z <= e.Zxid {
			delete(l.acks, z)
		}
	}
}

func members(s uint16) string {
	out := "{"
	for v := core.NodeID(1); v <= core.MaxNodes; v++ {
		if s&(1<<v) != 0 {
			if len(out) > 1 {
				out += " "
			}
			out += v.String()
		}
	}
	return out + "}"
}
