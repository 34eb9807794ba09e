package core

import (
	"strconv"

	"github.com/zabplay/zabplay/core/ztree"
)

// leader is Leader.java's state plus one handler per learner (LearnerHandler).
type leader struct {
	epoch            Epoch
	epochDecided     bool
	epochDurable     bool
	maxAccepted      Epoch
	connecting       nodeSet
	electing         nodeSet
	electionFinished bool
	newLeaderAcks    nodeSet
	established      bool
	waitDeadline     int64
	summary          stateSummary

	handlers [MaxNodes + 1]*handler

	lastProposed  Zxid
	nextZxid      Zxid // the last zxid handed out (ZooKeeperServer.hzxid)
	lastCommitted Zxid
	outstanding   []*proposal
	future        *ztree.Tree
	pendingSyncs  []pendingSync
	sessions      *sessionTracker

	tick         int64 // Leader's self.tick, counted in broadcast
	nextHalfTick int64
	tickSkip     bool
}

type stateSummary struct {
	epoch Epoch
	zxid  Zxid
}

func (a stateSummary) moreRecentThan(b stateSummary) bool {
	return a.epoch > b.epoch || (a.epoch == b.epoch && a.zxid > b.zxid)
}

type handlerStage uint8

const (
	hsInfo        handlerStage = iota // FOLLOWERINFO received
	hsLeaderInfo                      // LEADERINFO sent
	hsAckEpoch                        // ACKEPOCH received, waiting for electionFinished
	hsNewLeader                       // sync queued and NEWLEADER sent; next ACK is the NEWLEADER ack
	hsWaitStartup                     // NEWLEADER acked; UPTODATE when the leader starts
	hsUpToDate                        // UPTODATE sent
)

// handler is a LearnerHandler.
type handler struct {
	id           NodeID
	observer     bool
	stage        handlerStage
	acceptedEp   Epoch
	ss           stateSummary
	forwarding   bool
	ackDeadline  int64 // tickOfNextAckDeadline
	pinging      bool
	unacked      []unackedProposal // SyncLimitCheck
	lastSyncMode string
	wantSnap     bool // its ACKEPOCH asked for a SNAP
}

type unackedProposal struct {
	zxid Zxid
	at   int64
}

type proposal struct {
	txn  *Txn
	acks nodeSet
}

type pendingSync struct {
	zxid Zxid
	req  Request
}

func (n *Node) initMs() int64 { return int64(n.cfg.InitLimit * n.cfg.TickMs) }
func (n *Node) syncMs() int64 { return int64(n.cfg.SyncLimit * n.cfg.TickMs) }

// becomeLeader is the start of Leader.lead().
func (n *Node) becomeLeader(why string) {
	n.leaveRole()
	n.lead = &leader{
		maxAccepted:  n.acceptedEpoch,
		waitDeadline: n.now + n.initMs(),
		summary:      stateSummary{n.currentEpoch, n.lastProcessed},
		sessions:     newSessionTracker(n.cfg.TickMs, n.now),
	}
	n.lead.connecting.add(n.id)
	n.stepFn, n.tickFn = (*Node).stepLeading, (*Node).tickLeading
	n.setRole(Leading, n.id, why)
	n.setPhase(PhaseDiscovery)
	n.maybeDecideEpoch()
}

// maybeDecideEpoch is the quorum test of getEpochToPropose.
func (n *Node) maybeDecideEpoch() {
	l := n.lead
	if l.epochDecided || !n.isQuorum(l.connecting) {
		return
	}
	if l.maxAccepted >= MaxEpoch {
		// getEpochToPropose would wrap: refuse to lead rather than persist
		// NoEpoch or go back to epoch 0.
		l.epochDecided = true
		n.fatalBecause(FatalEpochExhausted, "no epoch left to propose: the highest accepted epoch is "+strconv.FormatUint(uint64(l.maxAccepted), 10))
		return
	}
	l.epochDecided = true
	l.epoch = l.maxAccepted + 1
	if n.cfg.Mutant == MutEpochNoIncrement && l.maxAccepted > 0 {
		l.epoch = l.maxAccepted
	}
	l.waitDeadline = n.now + n.initMs()
	n.setAcceptedEpoch(l.epoch)
	if n.cfg.Mutant == MutLeaderInfoBeforePersist {
		n.leaderEpochDurable()
		return
	}
	n.afterDurable(gated{act: gateLeaderEpoch})
}

// leaderEpochDurable runs once acceptedEpoch is on disk: getEpochToPropose
// returns to every waiter.
func (n *Node) leaderEpochDurable() {
	l := n.lead
	l.epochDurable = true
	// ZOOKEEPER-1319: lastProposed starts at (epoch, 0).
	start := MakeZxid(l.epoch, n.cfg.InitialCounter)
	if !n.cfg.Bugs.Has(BugZK1319) {
		l.lastProposed = start
	}
	for _, id := range n.allList {
		if h := l.handlers[id]; h != nil && h.stage == hsInfo {
			n.sendLeaderInfo(h)
		}
	}
	// The leader's own waitForEpochAck.
	l.electing.add(n.id)
	n.maybeFinishElection()
}

func (n *Node) sendLeaderInfo(h *handler) {
	h.stage = hsLeaderInfo
	n.send(Message{Type: MsgLeaderInfo, To: h.id, Zxid: MakeZxid(n.lead.epoch, 0)})
}

func (n *Node) maybeFinishElection() {
	l := n.lead
	if l.electionFinished || !n.isQuorum(l.electing) {
		return
	}
	l.electionFinished = true
	l.waitDeadline = n.now + n.initMs()
	n.setCurrentEpoch(l.epoch)
	n.setPhase(PhaseSync)
	n.afterDurable(gated{act: gateLeaderCurrentEpoch})
	for _, id := range n.allList {
		if h := l.handlers[id]; h != nil && h.stage == hsAckEpoch {
			n.syncLearner(h)
		}
	}
}

// leaderCurrentEpochDurable: the leader's own waitForNewLeaderAck.
func (n *Node) leaderCurrentEpochDurable() {
	n.lead.newLeaderAcks.add(n.id)
	n.maybeEstablish()
}

func (n *Node) maybeEstablish() {
	l := n.lead
	quorum := n.isQuorum(l.newLeaderAcks)
	if n.cfg.Mutant == MutObserverInQuorum {
		quorum = 2*l.newLeaderAcks.count() > len(n.voterList)
	}
	if l.established || !quorum {
		return
	}
	// startZkServer.
	l.established = true
	start := MakeZxid(l.epoch, n.cfg.InitialCounter)
	l.lastCommitted = start
	l.nextZxid = start
	if !n.cfg.Bugs.Has(BugZK1319) {
		l.lastProposed = start
	}
	n.updateElectionVote(l.epoch)
	// The leader's initial history becomes the agreed history.
	n.emit(Event{Kind: EvEstablished, Epoch: l.epoch, Zxid: n.lastTxnZxid, Digest: n.digest})
	n.emitInitialHistory()
	n.lastProcessed = start
	l.future = n.tree.Clone()
	// LeaderZooKeeperServer.createSessionTracker: every session of the
	// database is tracked, as if touched now.
	l.sessions = newSessionTracker(n.cfg.TickMs, n.now)
	sess := n.tree.Sessions()
	for _, id := range sortedSessions(sess) {
		l.sessions.add(id, sess[id], n.now)
	}
	l.tick = 0
	l.nextHalfTick = n.now + int64(n.cfg.TickMs/2)
	n.setPhase(PhaseBroadcast)
	for _, id := range n.allList {
		if h := l.handlers[id]; h != nil {
			h.ackDeadline = l.tick + int64(n.cfg.InitLimit+n.cfg.SyncLimit)
			if h.stage == hsWaitStartup {
				n.sendUpToDate(h)
			}
		}
	}
}

// emitInitialHistory reports the txns of the new leader's history that it
// does not know to be committed: establishing the leader commits them.
func (n *Node) emitInitialHistory() {
	var pz Zxid
	var pd uint64
	if n.snap != nil {
		pz, pd = n.snap.TxnZxid, n.snap.Digest
		if pz > n.knownCommitted && (len(n.log) == 0 || n.log[0].Zxid > pz) {
			// History that arrived by SNAP lives in the snapshot.
			n.emit(n.snapshotDelivered(pz, pd))
		}
	}
	for _, e := range n.log {
		if e.Zxid > n.knownCommitted && e.Zxid <= n.lastTxnZxid {
			n.emit(n.deliverEvent(&e.Txn, e.Digest, pz, pd))
		}
		pz, pd = e.Zxid, e.Digest
	}
	if n.lastTxnZxid > n.knownCommitted {
		n.knownCommitted = n.lastTxnZxid
	}
}

func (n *Node) sendUpToDate(h *handler) {
	h.stage = hsUpToDate
	n.send(Message{Type: MsgUpToDate, To: h.id})
}

func (n *Node) stepDown(why string) {
	n.startLooking(why)
}

func (n *Node) dropLearner(id NodeID, why string) {
	l := n.lead
	if l.handlers[id] == nil {
		return
	}
	l.handlers[id] = nil
	n.closeConn(id)
	n.warn("closing connection to " + id.String() + ": " + why)
}

func (n *Node) stepLeading(m Message) {
	l := n.lead
	if m.Type == MsgConnLost {
		if l.handlers[m.From] != nil {
			l.handlers[m.From] = nil
		}
		return
	}
	if !n.all.has(m.From) {
		return
	}
	h := l.handlers[m.From]
	if m.Type == MsgFollowerInfo || m.Type == MsgObserverInfo {
		n.onLearnerInfo(m)
		return
	}
	if h == nil {
		return // nothing from a learner without a connection
	}
	if l.established {
		h.ackDeadline = l.tick + int64(n.cfg.SyncLimit)
	}
	switch m.Type {
	case MsgAckEpoch:
		n.onAckEpoch(h, m)
	case MsgAck:
		if h.stage == hsNewLeader {
			n.onNewLeaderAck(h, m)
			return
		}
		if h.observer {
			n.warn("received ACK from observer " + h.id.String())
			return
		}
		n.clearUnacked(h, m.Zxid)
		n.processAck(h.id, m.Zxid)
	case MsgPing:
		// The learner's reply (the deadline is already pushed back), with
		// its session touch table.
		if l.established && m.Touches != nil {
			for _, t := range *m.Touches {
				l.sessions.touch(t.Session, t.TimeoutMs, n.now)
			}
		}
	case MsgRevalidate:
		if l.established {
			n.onRevalidate(m.From, m.Connect)
		}
	case MsgRequest:
		if m.Req != nil && l.established {
			n.leaderRequest(*m.Req)
		}
	default:
		n.warn("leader ignores " + m.Type.String() + " from " + m.From.String())
	}
}

// onLearnerInfo is the start of LearnerHandler.run.
func (n *Node) onLearnerInfo(m Message) {
	l := n.lead
	observer := m.Type == MsgObserverInfo
	if observer == n.voters.has(m.From) {
		n.warn("learner " + m.From.String() + " sent " + m.Type.String() + " against its role; closing")
		n.closeConn(m.From)
		return
	}
	if l.handlers[m.From] != nil {
		// A retried connection attempt that crossed LEADERINFO; a real
		// reconnection always follows a close, which removed the handler.
		return
	}
	if !ValidEpoch(m.Zxid.Epoch()) {
		n.closeConn(m.From)
		n.warn(m.From.String() + " claims acceptedEpoch " + strconv.FormatUint(uint64(m.Zxid.Epoch()), 10) + ", above the highest valid epoch: connection closed")
		return
	}
	h := &handler{id: m.From, observer: observer, acceptedEp: m.Zxid.Epoch()}
	h.ackDeadline = l.tick + int64(n.cfg.InitLimit+n.cfg.SyncLimit)
	l.handlers[m.From] = h
	if !l.epochDecided {
		if h.acceptedEp > l.maxAccepted {
			l.maxAccepted = h.acceptedEp
		}
		if !observer {
			l.connecting.add(m.From)
		}
		n.maybeDecideEpoch()
		return
	}
	if l.epochDurable {
		n.sendLeaderInfo(h)
	}
}

func (n *Node) onAckEpoch(h *handler, m Message) {
	l := n.lead
	if h.stage != hsLeaderInfo {
		n.warn("unexpected ACKEPOCH from " + h.id.String())
		return
	}
	h.ss = stateSummary{m.Epoch, m.Zxid}
	h.wantSnap = m.WantSnap
	h.stage = hsAckEpoch
	if l.electionFinished {
		n.syncLearner(h)
		return
	}
	if m.Epoch != NoEpoch {
		if h.ss.moreRecentThan(l.summary) && n.cfg.Mutant != MutNoAheadCheck {
			n.dropLearner(h.id, "follower is ahead of the leader")
			return
		}
		if !h.observer {
			l.electing.add(h.id)
		}
	}
	n.maybeFinishElection()
}

// syncLearner runs syncFollower, startForwarding and queues NEWLEADER, as one
// atomic step (the leader lock in LearnerHandler.run).
func (n *Node) syncLearner(h *handler) {
	l := n.lead
	minC, maxC, logStart := n.syncRange()
	mode, current := n.syncFollower(h, h.ss.zxid)
	h.lastSyncMode = mode.String()
	ev := Event{Kind: EvSyncMode, Peer: h.id, Mode: mode, Zxid: current,
		PeerZxid: h.ss.zxid, MinCommitted: minC, MaxCommitted: maxC, LogStart: logStart}
	if h.wantSnap && mode == ModeSnap {
		ev.Reason = SnapAsked
	}
	n.emit(ev)
	// startForwarding.
	if l.lastProposed > current && !h.observer {
		for _, p := range l.outstanding {
			if p.txn.Zxid > current {
				// The learner's disk after this sync holds nothing above
				// current (a TRUNC or SNAP may have removed what it acked):
				// its ACK counts again only once it logs the txn again.
				if !n.cfg.Bugs.Has(BugStaleAck) {
					p.acks.remove(h.id)
				}
				n.send(Message{Type: MsgProposal, To: h.id, Zxid: p.txn.Zxid, Txn: p.txn})
				h.unacked = append(h.unacked, unackedProposal{p.txn.Zxid, n.now})
			}
		}
	}
	h.forwarding = true
	n.send(Message{Type: MsgNewLeader, To: h.id, Zxid: MakeZxid(l.epoch, 0)})
	h.stage = hsNewLeader
	h.pinging = true
}

func (n *Node) onNewLeaderAck(h *handler, m Message) {
	l := n.lead
	h.stage = hsWaitStartup
	if m.Zxid != MakeZxid(l.epoch, 0) {
		// The ZOOKEEPER-4685 trap: an ACK from a different epoch is ignored.
		n.warn("NEWLEADER ACK from " + h.id.String() + " is from a different epoch " + m.Zxid.String())
	} else if (!h.observer || n.cfg.Mutant == MutObserverInQuorum) && !l.established {
		l.newLeaderAcks.add(h.id)
		n.maybeEstablish()
	}
	if (l.established || n.cfg.Mutant == MutUpToDateBeforeQuorum) && h.stage == hsWaitStartup {
		n.sendUpToDate(h)
	}
}

func (n *Node) tickLeading() {
	l := n.lead
	if !l.established {
		if n.now > l.waitDeadline {
			switch {
			case !l.epochDecided:
				n.stepDown("timeout while waiting for epoch from quorum")
			case !l.electionFinished:
				n.stepDown("timeout while waiting for epoch ack from quorum")
			default:
				n.stepDown("timeout while waiting for NEWLEADER acks from quorum")
			}
		}
		return
	}
	if n.now < l.nextHalfTick {
		return
	}
	l.nextHalfTick += int64(n.cfg.TickMs / 2)
	l.tickSkip = !l.tickSkip
	if !l.tickSkip {
		l.tick++
		synced := nodeSet(0)
		synced.add(n.id)
		for _, id := range n.voterList {
			if h := l.handlers[id]; h != nil && l.tick <= h.ackDeadline {
				synced.add(id)
			}
		}
		if !n.isQuorum(synced) {
			n.stepDown("not sufficient followers synced")
			return
		}
	}
	n.expireSessions()
	if n.lead == nil {
		return
	}
	for _, id := range n.allList {
		h := l.handlers[id]
		if h == nil || !h.pinging {
			continue
		}
		if len(h.unacked) > 0 && n.now-h.unacked[0].at > n.syncMs() {
			n.dropLearner(id, "transaction timeout (syncLimit)")
			continue
		}
		n.send(Message{Type: MsgPing, To: id, Zxid: l.lastProposed})
	}
}

func (n *Node) clearUnacked(h *handler, z Zxid) {
	i := 0
	for i < len(h.unacked) && h.unacked[i].zxid <= z {
		i++
	}
	h.unacked = h.unacked[i:]
}

// ---- broadcast ----

// leaderRequest is PrepRequestProcessor + ProposalRequestProcessor.
func (n *Node) leaderRequest(r Request) {
	l := n.lead
	if r.Op == ztree.OpSync {
		if len(l.outstanding) == 0 {
			n.completeSync(r)
		} else {
			l.pendingSyncs = append(l.pendingSyncs, pendingSync{l.lastProposed, r})
		}
		return
	}
	zxid := l.nextZxid + 1
	if zxid.Counter() == 0xffffffff && !n.cfg.Bugs.Has(BugZK1277) {
		// ZOOKEEPER-1277: refuse and force a new election, hence a new epoch.
		n.stepDown("zxid lower 32 bits have rolled over, forcing re-election")
		return
	}
	req := r.Request
	req.Session = r.Session
	var tx ztree.Txn
	refused := ""
	switch {
	case r.Connected && r.Op != ztree.OpCloseSession && !l.sessions.open(r.Session):
		// checkSession: a session the leader does not know, or is closing.
		tx = ztree.Txn{Op: ztree.OpError, Err: ztree.SessionExpired, Path: r.Path, Session: r.Session}
		refused = "session expired"
	case r.Connected && r.Op != ztree.OpCloseSession && !l.sessions.checkOwner(r.Session, r.Origin) && n.cfg.Mutant != MutSessionMovedUnchecked:
		// checkSession: the client has moved to another server since this
		// one forwarded the request (ZOOKEEPER-710).
		tx = ztree.Txn{Op: ztree.OpError, Err: ztree.SessionMoved, Path: r.Path, Session: r.Session}
		refused = "session moved"
	default:
		tx = l.future.Prep(req)
	}
	switch tx.Op {
	case ztree.OpCreateSession:
		l.sessions.add(tx.Session, tx.Timeout, n.now)
		l.sessions.setOwner(tx.Session, r.Origin)
	case ztree.OpCloseSession:
		l.sessions.setClosing(tx.Session)
	}
	tx.Time = n.now
	t := &Txn{Zxid: zxid, Origin: r.Origin, Cxid: r.Cxid, Txn: tx}
	l.future.Apply(uint64(zxid), t.Txn)
	l.lastProposed, l.nextZxid = zxid, zxid
	l.outstanding = append(l.outstanding, &proposal{txn: t})
	pe := Event{Kind: EvPropose, Zxid: zxid, Epoch: l.epoch, Hash: t.Txn.Hash(), Text: n.txnText(t), Client: t.Session, Seq: uint64(t.Cxid)}
	pe.Reason = refused
	n.emit(pe)
	for _, id := range n.allList {
		if h := l.handlers[id]; h != nil && h.forwarding && !h.observer {
			n.send(Message{Type: MsgProposal, To: id, Zxid: zxid, Txn: t})
			h.unacked = append(h.unacked, unackedProposal{zxid, n.now})
		}
	}
	n.appendLog(*t)
	if n.cfg.Mutant == MutCommitBeforeLeaderLog {
		n.processAck(n.id, zxid)
		return
	}
	n.afterDurable(gated{act: gateSelfAck, zxid: zxid})
}

// processAck is Leader.processAck + tryToCommit.
func (n *Node) processAck(from NodeID, z Zxid) {
	l := n.lead
	if z.Counter() == 0 || len(l.outstanding) == 0 || z <= l.lastCommitted {
		return
	}
	first := l.outstanding[0].txn.Zxid
	if z < first {
		return
	}
	var p *proposal
	for _, q := range l.outstanding {
		if q.txn.Zxid == z {
			p = q
			break
		}
	}
	if p == nil {
		n.warn("trying to commit future proposal " + z.String())
		return
	}
	if n.voters.has(from) {
		p.acks.add(from)
	}
	for len(l.outstanding) > 0 {
		p := l.outstanding[0]
		quorum := n.isQuorum(p.acks)
		if n.cfg.Mutant == MutQuorumHalf {
			quorum = p.acks.intersect(n.voters).count() >= len(n.voterList)/2
		}
		if !quorum && !(n.cfg.Bugs.Has(BugCommitBeforeQuorum) && p.acks != 0) {
			return
		}
		l.outstanding[0] = nil
		l.outstanding = l.outstanding[1:]
		n.commit(p.txn)
	}
}

func (n *Node) commit(t *Txn) {
	l := n.lead
	l.lastCommitted = t.Zxid
	for _, id := range n.allList {
		h := l.handlers[id]
		if h == nil || !h.forwarding {
			continue
		}
		if h.observer {
			n.send(Message{Type: MsgInform, To: id, Zxid: t.Zxid, Txn: t})
		} else {
			n.send(Message{Type: MsgCommit, To: id, Zxid: t.Zxid})
		}
	}
	n.deliver(t)
	for len(l.pendingSyncs) > 0 && l.pendingSyncs[0].zxid <= t.Zxid {
		n.completeSync(l.pendingSyncs[0].req)
		l.pendingSyncs = l.pendingSyncs[1:]
	}
}

// completeSync answers a sync: locally, or with a SYNC packet to the learner
// the client talks to.
func (n *Node) completeSync(r Request) {
	if r.Origin == n.id || r.Origin == 0 {
		n.syncDone(r)
		return
	}
	if h := n.lead.handlers[r.Origin]; h != nil {
		rr := r
		n.send(Message{Type: MsgSync, To: r.Origin, Req: &rr})
	}
}
