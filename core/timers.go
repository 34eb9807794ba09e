package core

// Timers are the clocks behind failure detection, as a viewer draws them (the
// playground's arcs and meters, after RaftScope's election timers). Every
// time is in the node's own clock (Status.Now, ms), so a paused node's timers
// stand still while the others' run. They are read from the roles' state and
// change nothing; they are not part of the trace.
type Timers struct {
	// HeardAt is when a learner last heard its leader; HeardTimeoutMs how
	// long it waits before it gives up on it (Learner's socket read timeout:
	// initLimit until UPTODATE, then syncLimit); HeardLimit names it
	// ("initLimit" or "syncLimit").
	HeardAt        int64  `json:"heardAt,omitempty"`
	HeardTimeoutMs int64  `json:"heardTimeoutMs,omitempty"`
	HeardLimit     string `json:"heardLimit,omitempty"`

	// InitDeadline is when a leader that no quorum has acknowledged yet
	// steps down (initLimit from its last step: epoch, ACKEPOCHs, NEWLEADER
	// acks); InitWaiting says which of them it waits for.
	InitDeadline int64  `json:"initDeadline,omitempty"`
	InitWaiting  string `json:"initWaiting,omitempty"`

	// Tick is an established leader's tick counter (Leader.self.tick) and
	// NextPingAt when it next pings its learners (every half tick).
	Tick       int64 `json:"tick,omitempty"`
	NextPingAt int64 `json:"nextPingAt,omitempty"`
	// Synced counts the voters, the leader included, it still hears from
	// (an ACK or PING reply within syncLimit ticks); Quorum is how many it
	// needs: below it, at its next tick, it steps down.
	Synced int `json:"synced,omitempty"`
	Quorum int `json:"quorum,omitempty"`
	// Learners is the leader's view of each connected learner.
	Learners []LearnerTimer `json:"learners,omitempty"`
	// Proposals are the leader's proposals waiting for a quorum of ACKs.
	Proposals []ProposalAcks `json:"proposals,omitempty"`
	// MinCommitted and MaxCommitted bound the leader's committed log
	// (minCommittedLog, maxCommittedLog): a learner's last zxid inside it
	// gets a DIFF, above it a TRUNC, below it the txn log or a SNAP.
	MinCommitted Zxid `json:"minCommitted,omitempty"`
	MaxCommitted Zxid `json:"maxCommitted,omitempty"`

	// FinalizeAt is when a LOOKING server that has a quorum for its vote
	// decides (finalizeWait after the quorum); PollAt when it next sends its
	// notifications again for want of an answer.
	FinalizeAt int64 `json:"finalizeAt,omitempty"`
	PollAt     int64 `json:"pollAt,omitempty"`
}

// LearnerTimer is a leader's LearnerHandler as a viewer sees it.
type LearnerTimer struct {
	ID       NodeID `json:"id"`
	Observer bool   `json:"observer,omitempty"`
	// Stage: "info", "leaderinfo", "ackepoch", "newleader", "waitstartup",
	// "uptodate".
	Stage string `json:"stage"`
	// AckDeadline is the leader tick up to which it counts as synced (its
	// last ACK or PING reply plus syncLimit; plus initLimit during sync).
	AckDeadline int64 `json:"ackDeadline"`
	Synced      bool  `json:"synced"`
	// LastZxid is the last zxid the learner reported (ACKEPOCH), which the
	// sync decision compared; SyncMode is what the leader chose for it.
	LastZxid Zxid   `json:"lastZxid"`
	SyncMode string `json:"syncMode,omitempty"`
}

// ProposalAcks is one proposal in flight, the ids of the voters that logged
// it (ints: a []NodeID would be JSON's base64 of bytes) and how many it needs.
type ProposalAcks struct {
	Zxid Zxid  `json:"zxid"`
	Acks []int `json:"acks"`
	Need int   `json:"need"`
}

var handlerStageNames = [...]string{"info", "leaderinfo", "ackepoch", "newleader", "waitstartup", "uptodate"}

// timers reads the node's timers from its role's state.
func (n *Node) timers() Timers {
	var t Timers
	need := len(n.voterList)/2 + 1
	switch {
	case n.lead != nil:
		l := n.lead
		t.Quorum = need
		if !l.established {
			t.InitDeadline = l.waitDeadline
			switch {
			case !l.epochDecided:
				t.InitWaiting = "epoch"
			case !l.electionFinished:
				t.InitWaiting = "ackepoch"
			default:
				t.InitWaiting = "newleader"
			}
		} else {
			t.Tick, t.NextPingAt = l.tick, l.nextHalfTick
		}
		synced := nodeSet(0)
		synced.add(n.id)
		for _, id := range n.allList {
			h := l.handlers[id]
			if h == nil {
				continue
			}
			lt := LearnerTimer{ID: id, Observer: h.observer, AckDeadline: h.ackDeadline, Synced: l.tick <= h.ackDeadline,
				LastZxid: h.ss.zxid, SyncMode: h.lastSyncMode}
			if int(h.stage) < len(handlerStageNames) {
				lt.Stage = handlerStageNames[h.stage]
			}
			if lt.Synced && n.voters.has(id) {
				synced.add(id)
			}
			t.Learners = append(t.Learners, lt)
		}
		t.Synced = synced.intersect(n.voters).count()
		for _, p := range l.outstanding {
			pa := ProposalAcks{Zxid: p.txn.Zxid, Need: need, Acks: []int{}}
			for _, id := range n.voterList {
				if p.acks.has(id) {
					pa.Acks = append(pa.Acks, int(id))
				}
			}
			t.Proposals = append(t.Proposals, pa)
		}
		if w := n.commitWindow(); len(w) > 0 {
			t.MinCommitted, t.MaxCommitted = w[0].Zxid, w[len(w)-1].Zxid
		}
	case n.learn != nil:
		lr := n.learn
		t.HeardAt, t.HeardTimeoutMs = lr.lastHeard, lr.timeoutMs
		t.HeardLimit = "initLimit"
		if lr.timeoutMs == n.syncMs() && lr.stage == lsBroadcast {
			t.HeardLimit = "syncLimit"
		}
	case n.state == Looking && n.el.started:
		if n.el.finalizing {
			t.FinalizeAt = n.el.finalizeAt
		} else {
			t.PollAt = n.el.pollDeadline
		}
	}
	return t
}
