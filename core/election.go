package core

import "strconv"

// election is FastLeaderElection's state while LOOKING (lookForLeader's locals
// and fields) plus the vote the server ended up with (QuorumPeer.currentVote).
type election struct {
	logicalclock  uint64
	proposal      Vote // ElectionEpoch unused; the round is logicalclock
	recvset       [MaxNodes + 1]notif
	outofelection [MaxNodes + 1]notif
	notTimeoutMs  int64
	pollDeadline  int64
	finalizing    bool
	finalizeAt    int64
	startAt       int64 // an observer waits before it looks (Observer election delay)
	started       bool
	currentVote   Vote // the elected vote, answered to LOOKING servers
}

// notif is a recorded vote with the sender's state.
type notif struct {
	ok    bool
	vote  Vote
	state ServerState
}

// initVote is the server's own vote (QuorumPeer.startLeaderElection): itself,
// its last logged zxid and its currentEpoch. An observer votes for nobody.
func (n *Node) initVote() Vote {
	if n.isObserver {
		return Vote{}
	}
	return Vote{Leader: n.id, Zxid: n.lastProcessed, PeerEpoch: n.currentEpoch}
}

// totalOrder is FastLeaderElection.totalOrderPredicate: is vote a better than
// vote b? Lexicographic on (peerEpoch, zxid, sid); a non-voter never wins.
func (n *Node) totalOrder(a, b Vote) bool {
	if !n.voters.has(a.Leader) {
		return false
	}
	if n.cfg.Bugs.Has(BugElectWithoutZxid) {
		return a.PeerEpoch > b.PeerEpoch || (a.PeerEpoch == b.PeerEpoch && a.Leader > b.Leader)
	}
	if n.cfg.Mutant == MutFLEZxidFirst {
		return a.Zxid > b.Zxid || (a.Zxid == b.Zxid && (a.PeerEpoch > b.PeerEpoch || (a.PeerEpoch == b.PeerEpoch && a.Leader > b.Leader)))
	}
	return a.PeerEpoch > b.PeerEpoch ||
		(a.PeerEpoch == b.PeerEpoch && (a.Zxid > b.Zxid || (a.Zxid == b.Zxid && a.Leader > b.Leader)))
}

func (n *Node) isQuorum(s nodeSet) bool {
	return 2*s.intersect(n.voters).count() > len(n.voterList)
}

// startLooking enters LOOKING from a role or an election; the election
// itself starts at once, or after a random pause for an observer.
func (n *Node) startLooking(why string) { n.enterLooking(why, false) }

// enterLooking is startLooking, or at boot the server's first election (no
// role to leave, no observer pause).
func (n *Node) enterLooking(why string, boot bool) {
	if n.state != Looking || !boot {
		n.leaveRole()
	}
	n.setRole(Looking, 0, why)
	n.setPhase(PhaseElection)
	n.stepFn, n.tickFn = (*Node).stepLooking, (*Node).tickLooking
	n.el.started = false
	n.el.startAt = n.now
	if n.isObserver && !boot && n.cfg.ObserverElectionDelayMs > 0 {
		n.el.startAt = n.now + int64(n.cfg.Rand.IntN(n.cfg.ObserverElectionDelayMs+1))
	}
	if n.el.startAt <= n.now {
		n.lookForLeader()
	}
}

// lookForLeader starts a round (FastLeaderElection.lookForLeader).
func (n *Node) lookForLeader() {
	e := &n.el
	e.started = true
	e.logicalclock++
	e.proposal = n.initVote()
	e.recvset = [MaxNodes + 1]notif{}
	e.outofelection = [MaxNodes + 1]notif{}
	e.finalizing = false
	e.notTimeoutMs = int64(n.cfg.MinNotifyMs)
	e.pollDeadline = n.now + e.notTimeoutMs
	n.emitVote(0, "own vote")
	n.sendNotifications()
}

func (n *Node) sendNotifications() {
	v := n.el.proposal
	v.ElectionEpoch = n.el.logicalclock
	for _, id := range n.voterList {
		n.send(Message{Type: MsgNotification, To: id, Vote: v, State: Looking})
	}
}

func (n *Node) emitVote(from NodeID, why string) {
	if n.quiet {
		return
	}
	v := n.el.proposal
	v.ElectionEpoch = n.el.logicalclock
	n.emit(Event{Kind: EvVote, Peer: from, Vote: &v, Text: why})
}

// replyVote answers a notification with this server's current vote.
func (n *Node) replyVote(to NodeID) {
	if n.state == Looking {
		v := n.el.proposal
		v.ElectionEpoch = n.el.logicalclock
		n.send(Message{Type: MsgNotification, To: to, Vote: v, State: Looking})
		return
	}
	n.send(Message{Type: MsgNotification, To: to, Vote: n.el.currentVote, State: n.state})
}

// onNotification is FastLeaderElection.Messenger.WorkerReceiver, which runs in
// every state, followed (while LOOKING) by the main loop of lookForLeader.
func (n *Node) onNotification(m Message) {
	if !n.all.has(m.From) {
		return
	}
	if !ValidEpoch(m.Vote.PeerEpoch) || !ValidEpoch(m.Vote.Zxid.Epoch()) {
		// A vote no honest server can cast: its epoch is past MaxEpoch.
		n.warn("notification from " + m.From.String() + " with an epoch above the highest valid epoch: ignored")
		return
	}
	if !n.voters.has(m.From) {
		// An observer asks: answer with the current vote, never record it.
		n.replyVote(m.From)
		return
	}
	if n.state != Looking {
		if m.State == Looking {
			n.replyVote(m.From)
		}
		return
	}
	if !n.el.started {
		return
	}
	olderRound := m.State == Looking && m.Vote.ElectionEpoch < n.el.logicalclock
	n.lookingRecv(m)
	if olderRound && n.state == Looking {
		n.replyVote(m.From)
	}
}

// lookingRecv is one iteration of lookForLeader's loop with notification m.
func (n *Node) lookingRecv(m Message) {
	e := &n.el
	if m.Vote.Leader != 0 && !n.voters.has(m.Vote.Leader) {
		return
	}
	cur := e.proposal
	if e.finalizing {
		// The finalize wait: a better vote reopens the election; anything else
		// is consumed and the wait starts over.
		if !n.totalOrder(m.Vote, cur) {
			e.finalizeAt = n.now + int64(n.cfg.FinalizeWaitMs)
			return
		}
		e.finalizing = false
	}
	e.pollDeadline = n.now + e.notTimeoutMs
	switch m.State {
	case Looking:
		r := m.Vote.ElectionEpoch
		switch {
		case r > e.logicalclock:
			e.logicalclock = r
			e.recvset = [MaxNodes + 1]notif{}
			init := n.initVote()
			if n.totalOrder(m.Vote, init) {
				e.proposal = m.Vote
			} else {
				e.proposal = init
			}
			n.emitVote(m.From, "newer round "+strconv.FormatUint(r, 10)+": "+n.compare(m.Vote, init))
			n.sendNotifications()
		case r < e.logicalclock && n.cfg.Mutant == MutStaleVote:
			m.Vote.ElectionEpoch = e.logicalclock // counted as if cast in this round
		case r < e.logicalclock:
			return
		case n.totalOrder(m.Vote, cur):
			e.proposal = m.Vote
			n.emitVote(m.From, n.compare(m.Vote, cur))
			n.sendNotifications()
		}
		e.recvset[m.From] = notif{ok: true, vote: m.Vote, state: Looking}
		want := e.proposal
		want.ElectionEpoch = e.logicalclock
		if n.countEqual(&e.recvset, want, Looking) {
			e.finalizing = true
			e.finalizeAt = n.now + int64(n.cfg.FinalizeWaitMs)
		}
	case Following, Leading:
		if m.Vote.ElectionEpoch == e.logicalclock {
			e.recvset[m.From] = notif{ok: true, vote: m.Vote, state: m.State}
			if n.countEqual(&e.recvset, m.Vote, m.State) && n.checkLeader(&e.recvset, m.Vote.Leader, m.Vote.ElectionEpoch) {
				n.decide(m.Vote, "joined the ensemble of "+m.Vote.Leader.String())
				return
			}
		}
		e.outofelection[m.From] = notif{ok: true, vote: m.Vote, state: m.State}
		if n.countEqual(&e.outofelection, m.Vote, m.State) && n.checkLeader(&e.outofelection, m.Vote.Leader, m.Vote.ElectionEpoch) {
			e.logicalclock = m.Vote.ElectionEpoch
			n.decide(m.Vote, "joined the established leader "+m.Vote.Leader.String())
		}
	}
}

// compare explains why vote a beat vote b, for the phase lanes of the UI.
func (n *Node) compare(a, b Vote) string {
	switch {
	case a.PeerEpoch != b.PeerEpoch:
		return "peerEpoch " + strconv.Itoa(int(a.PeerEpoch)) + " > " + strconv.Itoa(int(b.PeerEpoch))
	case a.Zxid != b.Zxid && !n.cfg.Bugs.Has(BugElectWithoutZxid):
		return "zxid " + a.Zxid.String() + " > " + b.Zxid.String()
	default:
		return "sid " + a.Leader.String() + " > " + b.Leader.String()
	}
}

// countEqual reports whether a quorum of recorded votes equal v
// (FastLeaderElection.getVoteTracker with Vote.equals).
func (n *Node) countEqual(votes *[MaxNodes + 1]notif, v Vote, state ServerState) bool {
	var s nodeSet
	for _, id := range n.voterList {
		r := &votes[id]
		if !r.ok {
			continue
		}
		if r.state == Looking || state == Looking {
			if r.vote == v {
				s.add(id)
			}
		} else if r.vote.Leader == v.Leader && r.vote.PeerEpoch == v.PeerEpoch {
			s.add(id)
		}
	}
	return n.isQuorum(s)
}

// checkLeader stops servers from electing a leader that is not there
// (FastLeaderElection.checkLeader).
func (n *Node) checkLeader(votes *[MaxNodes + 1]notif, leader NodeID, round uint64) bool {
	if leader != n.id {
		r := &votes[leader]
		return r.ok && r.state == Leading
	}
	return n.el.logicalclock == round
}

func (n *Node) decide(v Vote, why string) {
	v.ElectionEpoch = n.el.logicalclock
	n.el.currentVote = v
	n.el.finalizing = false
	switch {
	case v.Leader == n.id:
		n.becomeLeader(why)
	case n.isObserver:
		n.becomeLearner(v.Leader, true, why)
	default:
		n.becomeLearner(v.Leader, false, why)
	}
}

func (n *Node) stepLooking(m Message) {
	// Quorum packets reach a LOOKING server only from a stale connection.
	if m.Type == MsgConnLost {
		return
	}
}

func (n *Node) tickLooking() {
	e := &n.el
	if !e.started {
		if n.now >= e.startAt {
			n.lookForLeader()
		}
		return
	}
	if e.finalizing {
		if n.now >= e.finalizeAt {
			n.decide(e.proposal, "a quorum agreed on "+e.proposal.Leader.String())
		}
		return
	}
	if n.now >= e.pollDeadline {
		// No notification within notTimeout: send again and back off.
		n.sendNotifications()
		e.notTimeoutMs *= 2
		if mx := int64(n.cfg.MaxNotifyMs); e.notTimeoutMs > mx {
			e.notTimeoutMs = mx
		}
		e.pollDeadline = n.now + e.notTimeoutMs
	}
}

// updateElectionVote sets the peerEpoch of the current vote after sync
// (QuorumPeer.updateElectionVote, ZOOKEEPER-1732).
func (n *Node) updateElectionVote(e Epoch) {
	n.el.currentVote.PeerEpoch = e
}
