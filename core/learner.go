package core

import "strconv"

// learner is Learner/Follower/Observer state.
type learner struct {
	leader     NodeID
	observer   bool
	newEpoch   Epoch
	stage      learnerStage
	lastHeard  int64
	timeoutMs  int64
	syncMode   SyncMode // DIFF, TRUNC or SNAP until NEWLEADER, then none
	writeToLog bool
	snapNeeded bool
	newLeader  bool // NEWLEADER processed

	packetsNotLogged []*Txn
	packetsCommitted []Zxid
	lastQueued       Zxid
	pending          []*Txn // pendingTxns: logged, waiting for COMMIT
	syncDelivered    []Event
	info             MsgType
	nextRetry        int64
}

type learnerStage uint8

const (
	lsRegistering learnerStage = iota // FOLLOWERINFO sent
	lsSyncing                         // ACKEPOCH sent or sync packets arriving
	lsBroadcast                       // UPTODATE received
)

// becomeLearner is Follower.followLeader / Observer.observeLeader up to
// registerWithLeader.
func (n *Node) becomeLearner(leaderID NodeID, observer bool, why string) {
	n.leaveRole()
	n.learn = &learner{leader: leaderID, observer: observer, lastHeard: n.now, timeoutMs: n.initMs()}
	n.stepFn, n.tickFn = (*Node).stepLearning, (*Node).tickLearning
	role := Following
	info := MsgFollowerInfo
	if observer {
		role, info = Observing, MsgObserverInfo
	}
	n.setRole(role, leaderID, why)
	n.setPhase(PhaseDiscovery)
	n.learn.info = info
	n.sendLearnerInfo()
}

// sendLearnerInfo sends FOLLOWERINFO/OBSERVERINFO. Until LEADERINFO arrives
// it is sent again every LearnerRetryMs, as Learner.connectToLeader retries
// the connection while the leader is not yet listening (it may still be in
// its finalize wait).
func (n *Node) sendLearnerInfo() {
	lr := n.learn
	lr.nextRetry = n.now + int64(n.cfg.LearnerRetryMs)
	n.send(Message{Type: lr.info, To: lr.leader, Zxid: MakeZxid(n.acceptedEpoch, 0)})
}

func (n *Node) learnerFail(why string) { n.startLooking(why) }

func (n *Node) tickLearning() {
	lr := n.learn
	if n.now-lr.lastHeard > lr.timeoutMs {
		n.learnerFail("read timeout: nothing from leader " + lr.leader.String())
		return
	}
	if lr.stage == lsRegistering && n.now >= lr.nextRetry {
		n.sendLearnerInfo()
	}
}

func (n *Node) stepLearning(m Message) {
	lr := n.learn
	if m.From != lr.leader {
		if m.Type != MsgConnLost {
			n.warn("learner ignores " + m.Type.String() + " from non-leader " + m.From.String())
		}
		return
	}
	if m.Type == MsgConnLost {
		n.learnerFail("connection to leader " + lr.leader.String() + " lost")
		return
	}
	lr.lastHeard = n.now
	switch lr.stage {
	case lsRegistering:
		if m.Type != MsgLeaderInfo {
			n.learnerFail("expected LEADERINFO, got " + m.Type.String())
			return
		}
		n.onLeaderInfo(m)
	case lsSyncing:
		n.syncWithLeader(m)
	case lsBroadcast:
		n.learnerBroadcast(m)
	}
}

// onLeaderInfo is the end of Learner.registerWithLeader.
func (n *Node) onLeaderInfo(m Message) {
	lr := n.learn
	e := m.Zxid.Epoch()
	lr.newEpoch = e
	lr.stage = lsSyncing
	lastLogged := n.lastProcessed
	switch {
	case !ValidEpoch(e):
		// Never persisted: a leader cannot propose NoEpoch (maxAccepted+1 stops
		// at MaxEpoch), so this LEADERINFO is forged or corrupt.
		n.learnerFail("leader " + lr.leader.String() + " proposed epoch " + strconv.FormatUint(uint64(e), 10) + ", above the highest valid epoch " + strconv.FormatUint(uint64(MaxEpoch), 10) + ": refused, not persisted")
	case e > n.acceptedEpoch || (e < n.acceptedEpoch && n.cfg.Mutant == MutLeaderInfoBelowAccepted):
		n.setAcceptedEpoch(e)
		if n.cfg.Mutant == MutAckEpochBeforePersist {
			n.send(Message{Type: MsgAckEpoch, To: lr.leader, Zxid: lastLogged, Epoch: n.currentEpoch, WantSnap: n.wantSnap})
			return
		}
		n.sendAfterDurable(Message{Type: MsgAckEpoch, To: lr.leader, Zxid: lastLogged, Epoch: n.currentEpoch, WantSnap: n.wantSnap})
	case e == n.acceptedEpoch:
		// Also after the write: a learner that timed out while its
		// acceptedEpoch was still being written retries with it in memory
		// only (ZooKeeper writes the file synchronously, so its in-memory
		// acceptedEpoch is always on disk).
		n.sendAfterDurable(Message{Type: MsgAckEpoch, To: lr.leader, Zxid: lastLogged, Epoch: NoEpoch, WantSnap: n.wantSnap})
	default:
		n.learnerFail("leaders epoch " + strconv.Itoa(int(e)) + " is less than accepted epoch " + strconv.Itoa(int(n.acceptedEpoch)))
	}
}

// syncWithLeader is Learner.syncWithLeader, one packet at a time.
func (n *Node) syncWithLeader(m Message) {
	lr := n.learn
	if lr.syncMode == ModeNone && !lr.newLeader {
		n.setPhase(PhaseSync)
		switch m.Type {
		case MsgDiff:
			lr.syncMode = ModeDiff
			lr.writeToLog = true
			if n.cfg.Bugs.Has(BugZK1264) {
				// Zab 1.0 as of 3.4.0: every sync snapshots at NEWLEADER.
				lr.writeToLog, lr.snapNeeded = false, true
			}
			if n.cfg.Bugs.Has(BugZK2355) {
				n.lastProcessed = m.Zxid
			}
		case MsgTrunc:
			lr.syncMode = ModeTrunc
			// ZKDatabase.truncateLog can keep the snapshot when its last txn
			// is at or below the target; the snapshot's own zxid may be an
			// epoch start (e, 0) above it, which is no reason to refuse.
			if n.snap != nil && n.snap.TxnZxid > m.Zxid {
				// Reachable inside ZAB's model: the learner snapshotted at
				// NEWLEADER a SNAP holding an uncommitted txn of a leader
				// that never established, and this leader lacks it.
				// ZooKeeper's truncateLog cannot remove what the snapshot
				// holds: it reloads the snapshot and goes on with the txn
				// the leader truncated (divergent), or exits and meets the
				// same TRUNC after its restart. zabplay keeps its disk as it
				// is and asks the next sync for a SNAP (what ZooKeeper's
				// forceSnapSync sends), which replaces the snapshot at
				// NEWLEADER; nothing is lost if it crashes in between.
				n.wantSnap = true
				n.learnerFail("TRUNC to " + m.Zxid.String() + " is below the snapshot's last txn " + n.snap.TxnZxid.String() + ": asks the leader for a SNAP")
				return
			}
			removed := n.truncateLog(m.Zxid)
			n.emit(Event{Kind: EvTruncate, Zxid: m.Zxid, Removed: removed})
			if n.cfg.Mutant != MutTruncNoReload {
				n.reload()
			}
			n.lastProcessed = m.Zxid
			lr.snapNeeded = true
		case MsgSnap:
			lr.syncMode = ModeSnap
			n.wantSnap = false
			s := m.Snap
			n.tree = s.Tree.Clone()
			n.lastProcessed, n.lastTxnZxid, n.digest = s.Zxid, s.TxnZxid, s.Digest
			n.committedLog = n.committedLog[:0]
			lr.snapNeeded = true
			if s.TxnZxid != 0 {
				lr.syncDelivered = append(lr.syncDelivered, n.snapshotDelivered(s.TxnZxid, s.Digest))
			}
		default:
			n.learnerFail("expected DIFF, TRUNC or SNAP, got " + m.Type.String())
		}
		return
	}
	switch m.Type {
	case MsgProposal:
		if m.Txn == nil {
			return
		}
		if lr.lastQueued != 0 && m.Zxid != lr.lastQueued+1 && m.Zxid.Epoch() == lr.lastQueued.Epoch() {
			// ZOOKEEPER-4925 enforceContinuousProposal.
			n.fatal("non-continuous proposal " + m.Zxid.String() + " after " + lr.lastQueued.String())
			return
		}
		lr.lastQueued = m.Zxid
		lr.packetsNotLogged = append(lr.packetsNotLogged, m.Txn)
	case MsgCommit:
		if !lr.writeToLog || (lr.newLeader && n.cfg.Bugs.Has(BugZK1264)) {
			if len(lr.packetsNotLogged) == 0 || lr.packetsNotLogged[0].Zxid != m.Zxid {
				n.fatal("COMMIT " + m.Zxid.String() + " does not match the pending proposal")
				return
			}
			t := lr.packetsNotLogged[0]
			lr.packetsNotLogged = lr.packetsNotLogged[1:]
			n.syncApply(t)
			return
		}
		lr.packetsCommitted = append(lr.packetsCommitted, m.Zxid)
	case MsgInform:
		if m.Txn == nil {
			return
		}
		if !lr.writeToLog {
			n.syncApply(m.Txn)
			return
		}
		lr.packetsNotLogged = append(lr.packetsNotLogged, m.Txn)
		lr.packetsCommitted = append(lr.packetsCommitted, m.Zxid)
	case MsgNewLeader:
		n.onNewLeader(m)
	case MsgUpToDate:
		if !lr.newLeader {
			n.learnerFail("UPTODATE before NEWLEADER")
			return
		}
		n.onUpToDate()
	case MsgPing:
		n.send(Message{Type: MsgPing, To: lr.leader, Zxid: m.Zxid})
	default:
		n.warn("unexpected " + m.Type.String() + " during sync")
	}
}

// syncApply applies a txn committed during sync; it counts as delivered once
// UPTODATE arrives (the leader is established by then).
func (n *Node) syncApply(t *Txn) {
	_, pz, pd := n.apply(t)
	n.learn.syncDelivered = append(n.learn.syncDelivered, n.deliverEvent(t, n.digest, pz, pd))
}

// onNewLeader: persist the committed sync txns, fsync, write currentEpoch,
// then ACK (ZOOKEEPER-4394 as in 3.9.3+); the bug switches put older orders back.
func (n *Node) onNewLeader(m Message) {
	lr := n.learn
	if m.Zxid.Epoch() != lr.newEpoch {
		n.learnerFail("NEWLEADER for epoch " + strconv.Itoa(int(m.Zxid.Epoch())) + " after LEADERINFO " + strconv.Itoa(int(lr.newEpoch)))
		return
	}
	if lr.snapNeeded {
		n.takeSnapshot()
	}
	lr.writeToLog = true
	lr.newLeader = true
	lr.syncMode = ModeNone
	lr.timeoutMs = n.syncMs()
	ack := Message{Type: MsgAck, To: lr.leader, Zxid: MakeZxid(lr.newEpoch, 0)}
	bugs := n.cfg.Bugs
	switch {
	case lr.observer:
		n.setCurrentEpoch(lr.newEpoch)
		n.sendAfterDurable(ack)
	case bugs.Has(BugZK3911) || bugs.Has(BugZK1264):
		// Sync txns are logged only after UPTODATE.
		n.setCurrentEpoch(lr.newEpoch)
		n.sendAfterDurable(ack)
	case bugs.Has(BugZK4643):
		// currentEpoch first; the txns reach the disk after the ACK.
		n.setCurrentEpoch(lr.newEpoch)
		n.sendAfterDurable(ack)
		n.afterDurable(gated{act: gateLearnerAppend})
	case bugs.Has(BugZK4646):
		if !n.learnerPersistCommitted() {
			return
		}
		n.setCurrentEpoch(lr.newEpoch)
		n.send(ack)
	case n.cfg.Mutant == MutNewLeaderNoCurrentEpoch:
		if n.learnerPersistCommitted() {
			n.sendAfterDurable(ack)
		}
	default:
		if !n.learnerPersistCommitted() {
			return
		}
		n.setCurrentEpoch(lr.newEpoch)
		n.sendAfterDurable(ack)
	}
}

// learnerPersistCommitted logs and applies the txns committed during sync.
// It reports false when that went fatal: the learner is gone.
func (n *Node) learnerPersistCommitted() bool {
	lr := n.learn
	if n.cfg.Mutant == MutNewLeaderPre4394 {
		// Every queued proposal is taken as committed, and cleared.
		lr.packetsCommitted = lr.packetsCommitted[:0]
		for _, t := range lr.packetsNotLogged {
			lr.packetsCommitted = append(lr.packetsCommitted, t.Zxid)
		}
	}
	for _, z := range lr.packetsCommitted {
		if len(lr.packetsNotLogged) == 0 || lr.packetsNotLogged[0].Zxid != z {
			n.fatal("committed sync txn " + z.String() + " is not the head of the pending proposals")
			return false
		}
		t := lr.packetsNotLogged[0]
		lr.packetsNotLogged = lr.packetsNotLogged[1:]
		n.appendLog(*t)
		n.syncApply(t)
	}
	lr.packetsCommitted = lr.packetsCommitted[:0]
	return true
}

func (n *Node) onUpToDate() {
	lr := n.learn
	lr.stage = lsBroadcast
	n.send(Message{Type: MsgAck, To: lr.leader, Zxid: MakeZxid(lr.newEpoch, 0)})
	n.updateElectionVote(lr.newEpoch)
	n.setPhase(PhaseBroadcast)
	for _, e := range lr.syncDelivered {
		if e.Zxid > n.knownCommitted {
			n.knownCommitted = e.Zxid
		}
		n.rd.Events = append(n.rd.Events, e)
	}
	lr.syncDelivered = nil
	if lr.observer {
		committed := lr.packetsCommitted
		for _, t := range lr.packetsNotLogged {
			if len(committed) > 0 && committed[0] == t.Zxid {
				committed = committed[1:]
				n.appendLog(*t)
				n.deliver(t)
			}
		}
	} else {
		for _, t := range lr.packetsNotLogged {
			n.logProposal(t)
		}
		for _, z := range lr.packetsCommitted {
			n.followerCommit(z)
			if n.learn != lr {
				// The commit went fatal: the learner is gone, and so is
				// the rest of this sync.
				return
			}
		}
	}
	lr.packetsNotLogged, lr.packetsCommitted = nil, nil
}

// logProposal is FollowerZooKeeperServer.logRequest: log, fsync, then ACK.
func (n *Node) logProposal(t *Txn) {
	lr := n.learn
	lr.pending = append(lr.pending, t)
	n.appendLog(*t)
	if n.cfg.Mutant == MutAckBeforeFsync {
		n.send(Message{Type: MsgAck, To: lr.leader, Zxid: t.Zxid})
		return
	}
	n.sendAfterDurable(Message{Type: MsgAck, To: lr.leader, Zxid: t.Zxid})
}

// followerCommit is FollowerZooKeeperServer.commit.
func (n *Node) followerCommit(z Zxid) {
	lr := n.learn
	if len(lr.pending) == 0 {
		n.warn("committing " + z.String() + " without seeing txn")
		return
	}
	if lr.pending[0].Zxid != z {
		n.fatal("UNMATCHED_TXN_COMMIT: committing " + z.String() + " but next pending is " + lr.pending[0].Zxid.String())
		return
	}
	t := lr.pending[0]
	lr.pending[0] = nil
	lr.pending = lr.pending[1:]
	n.deliver(t)
}

// learnerBroadcast is Follower.processPacket / Observer.processPacket.
func (n *Node) learnerBroadcast(m Message) {
	lr := n.learn
	switch m.Type {
	case MsgProposal:
		if lr.observer || m.Txn == nil {
			return
		}
		if m.Zxid != lr.lastQueued+1 && lr.lastQueued != 0 {
			n.warn("got zxid " + m.Zxid.String() + " expected " + (lr.lastQueued + 1).String())
		}
		lr.lastQueued = m.Zxid
		n.logProposal(m.Txn)
		if n.cfg.Mutant == MutApplyBeforeCommit {
			n.followerCommit(m.Zxid)
		}
	case MsgCommit:
		if !lr.observer && n.cfg.Mutant != MutApplyBeforeCommit {
			n.followerCommit(m.Zxid)
		}
	case MsgInform:
		if lr.observer && m.Txn != nil {
			n.appendLog(*m.Txn)
			n.deliver(m.Txn)
		}
	case MsgPing:
		n.send(Message{Type: MsgPing, To: lr.leader, Zxid: m.Zxid, Touches: n.touchTable()})
	case MsgRevalidate:
		n.onRevalidate(m.From, m.Connect)
	case MsgSync:
		if m.Req != nil {
			n.syncDone(*m.Req)
		}
	case MsgUpToDate:
		n.warn("UPTODATE received while in broadcast")
	default:
		n.warn("unexpected " + m.Type.String() + " in broadcast")
	}
}

// fatal is where ZooKeeper exits the process (and a supervisor restarts it):
// the core reloads its database from disk and looks for a leader again.
func (n *Node) fatal(why string) { n.fatalBecause("", why) }

// Reasons of fatal events that are not an inconsistent packet stream.
const (
	// FatalEpochExhausted: no epoch is left to propose (only a forged or
	// corrupt acceptedEpoch gets there).
	FatalEpochExhausted = "epoch-exhausted"
)

// SnapAsked is a sync-mode event's Reason when the learner asked for the
// SNAP (Node.wantSnap).
const SnapAsked = "snap-asked"

// fatalBecause is fatal with a reason (Event.Reason) other than a packet
// stream the server cannot follow.
func (n *Node) fatalBecause(reason, why string) {
	n.emit(Event{Kind: EvFatal, Reason: reason, Text: why})
	n.leaveRole()
	n.reload()
	n.knownCommitted = 0
	n.startLooking("fatal: " + why)
}
