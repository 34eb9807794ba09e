package core

import "github.com/zabplay/zabplay/core/enum"

// SyncMode is how a leader syncs a learner (and how scenarios name it in
// "expect sync").
type SyncMode uint8

// Sync modes. ModeNone: not syncing (a learner before DIFF/TRUNC/SNAP, or
// after NEWLEADER).
const (
	ModeNone SyncMode = iota
	ModeEmptyDiff
	ModeDiff
	ModeTrunc
	ModeTruncDiff
	ModeSnap
)

var syncModeNames = enum.New[SyncMode]("sync mode", "", "EMPTY-DIFF", "DIFF", "TRUNC", "TRUNC+DIFF", "SNAP")

// String returns ZooKeeper's name, e.g. "TRUNC+DIFF".
func (m SyncMode) String() string {
	if m == ModeNone {
		return ""
	}
	return syncModeNames.Name(m)
}

// MarshalText writes the name.
func (m SyncMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads the name.
func (m *SyncMode) UnmarshalText(b []byte) error { return syncModeNames.Unmarshal(b, m) }

// ParseSyncMode is the inverse of String.
func ParseSyncMode(s string) (SyncMode, bool) { return syncModeNames.Parse(s) }

// syncQueue collects the packets of one sync before they are sent.
type syncQueue struct {
	msgs     []Message
	op       MsgType // DIFF or TRUNC once chosen
	txns     int
	queuedTo Zxid
}

// syncFollower is LearnerHandler.syncFollower: it decides between an empty
// DIFF, DIFF, TRUNC, TRUNC+DIFF and SNAP, sends the packets, and returns the
// mode and the zxid from which live broadcast takes over (currentZxid).
func (n *Node) syncFollower(h *handler, peerLast Zxid) (SyncMode, Zxid) {
	l := n.lead
	lastProcessed := n.lastProcessed
	window := n.commitWindow()
	minC, maxC, _ := n.syncRange()
	newEpochPeer := peerLast.Counter() == 0
	q := &syncQueue{queuedTo: peerLast}
	current := peerLast
	switch {
	case h.wantSnap:
		// The learner asked for one (Node.wantSnap); q.op stays 0: SNAP.
	case n.cfg.Bugs.Has(BugZK1319) && peerLast == l.lastProposed:
		// 3.4.0: lastProposed was never set, so a fresh server (zxid 0) was told
		// it is in sync.
		q.add(Message{Type: MsgDiff, Zxid: peerLast})
		q.op = MsgDiff
	case lastProcessed == peerLast:
		q.add(Message{Type: MsgDiff, Zxid: peerLast})
		q.op = MsgDiff
	case peerLast > maxC && !newEpochPeer && n.cfg.Mutant == MutNoTruncAhead:
		q.add(Message{Type: MsgDiff, Zxid: peerLast})
		q.op = MsgDiff
	case peerLast > maxC && !newEpochPeer && n.cfg.Mutant == MutTruncOffByOne:
		q.add(Message{Type: MsgTrunc, Zxid: maxC - 1})
		q.op = MsgTrunc
		current = maxC
	case peerLast > maxC && !newEpochPeer:
		q.add(Message{Type: MsgTrunc, Zxid: maxC})
		q.op = MsgTrunc
		current = maxC
	case minC <= peerLast && peerLast <= maxC:
		current = n.queueCommitted(q, window, peerLast, 0, maxC)
	case peerLast < minC && n.cfg.SnapshotSizeFactor >= 0:
		// Txn-log sync: read the on-disk log from peerLast, if it starts there
		// and is small enough next to a snapshot.
		// The log part stops at minCommittedLog: the leader's log also holds
		// proposals that are not committed yet, which must never go out with a
		// COMMIT. The committed log continues from there; a gap means SNAP.
		if n.logCanSync(peerLast, minC) {
			upTo := minC
			if n.cfg.Mutant == MutSyncCommitsUncommitted {
				upTo = 0 // to the end of the log
			}
			current = n.queueCommitted(q, n.log, peerLast, upTo, maxC)
			if current < minC {
				q.msgs, q.op = q.msgs[:0], 0
			} else {
				current = n.queueCommitted(q, window, current, 0, maxC)
			}
		}
	}
	if q.op == 0 {
		// SNAP: the whole database, then live broadcast from lastProcessed.
		q.msgs = q.msgs[:0]
		snap := &Snapshot{Zxid: lastProcessed, TxnZxid: n.lastTxnZxid, Digest: n.digest, Tree: n.tree.Clone()}
		n.send(Message{Type: MsgSnap, To: h.id, Zxid: lastProcessed, Snap: snap})
		return ModeSnap, lastProcessed
	}
	for _, m := range q.msgs {
		m.To = h.id
		n.send(m)
	}
	mode := ModeDiff
	switch {
	case q.op == MsgTrunc && q.txns > 0:
		mode = ModeTruncDiff
	case q.op == MsgTrunc:
		mode = ModeTrunc
	case q.txns == 0:
		mode = ModeEmptyDiff
	}
	return mode, current
}

func (q *syncQueue) add(m Message) { q.msgs = append(q.msgs, m) }

// syncRange is what syncFollower compares a learner's last zxid with: the
// leader's committed-log window (minCommittedLog..maxCommittedLog, or its last
// processed zxid when the window is empty) and the first zxid of its txn log
// (0 when the log is empty).
func (n *Node) syncRange() (minC, maxC, logStart Zxid) {
	window := n.commitWindow()
	minC, maxC = n.lastProcessed, n.lastProcessed
	if len(window) > 0 {
		minC, maxC = window[0].Zxid, window[len(window)-1].Zxid
	}
	if len(n.log) > 0 {
		logStart = n.log[0].Zxid
	}
	return minC, maxC, logStart
}

// logCanSync checks LearnerHandler's txn-log path: the log must start at or
// before peerLast, and the bytes to send must stay under SnapshotSizeFactor ×
// the snapshot size. ZKDatabase.getProposalsFromTxnLog reads the log without
// fast-forwarding and gives up when its first txn is above peerLast: the txns
// between them are only in the snapshot, so the leader sends SNAP. That holds
// for a learner at an epoch start (e, 0) too: the leader's log may begin in a
// later epoch while e's committed txns live only in its snapshot.
func (n *Node) logCanSync(peerLast, minC Zxid) bool {
	if len(n.log) == 0 {
		return false
	}
	if n.log[0].Zxid > peerLast {
		return false
	}
	bytes := 0
	for i := len(n.log) - 1; i >= 0 && n.log[i].Zxid > peerLast; i-- {
		bytes += len(n.log[i].Path) + len(n.log[i].Data) + 32
	}
	return float64(bytes) <= float64(n.tree.Size())*n.cfg.SnapshotSizeFactor
}

// queueCommitted is LearnerHandler.queueCommittedProposals over entries in
// zxid order. maxZxid 0 means no limit. It returns the last queued zxid.
func (n *Node) queueCommitted(q *syncQueue, entries []Entry, peerLast, maxZxid, lastCommitted Zxid) Zxid {
	newEpochPeer := peerLast.Counter() == 0
	var prev Zxid
	havePrev := false
	for i := range entries {
		e := &entries[i]
		z := e.Zxid
		if maxZxid != 0 && z > maxZxid {
			break
		}
		if z < peerLast {
			prev, havePrev = z, true
			continue
		}
		if q.op == 0 {
			if z == peerLast {
				q.add(Message{Type: MsgDiff, Zxid: lastCommitted})
				q.op = MsgDiff
				continue
			}
			switch {
			case newEpochPeer:
				q.add(Message{Type: MsgDiff, Zxid: lastCommitted})
				q.op = MsgDiff
			case n.cfg.Bugs.Has(BugZK1154):
				// Before ZOOKEEPER-1154: send the missing tail, never TRUNC.
				q.add(Message{Type: MsgDiff, Zxid: lastCommitted})
				q.op = MsgDiff
			case z.Epoch() != peerLast.Epoch() && n.cfg.Mutant == MutDiffAcrossEpoch:
				q.add(Message{Type: MsgDiff, Zxid: lastCommitted})
				q.op = MsgDiff
			case z.Epoch() != peerLast.Epoch():
				// No TRUNC across an epoch boundary: the learner would crash.
				return q.queuedTo
			default:
				if !havePrev {
					return q.queuedTo
				}
				q.add(Message{Type: MsgTrunc, Zxid: prev})
				q.op = MsgTrunc
			}
		}
		if z <= q.queuedTo && !(n.cfg.Mutant == MutWindowOffByOne && z == q.queuedTo) {
			continue
		}
		t := e.Txn
		q.add(Message{Type: MsgProposal, Zxid: z, Txn: &t})
		q.add(Message{Type: MsgCommit, Zxid: z})
		q.txns++
		q.queuedTo = z
	}
	if q.op == 0 && newEpochPeer {
		q.add(Message{Type: MsgDiff, Zxid: lastCommitted})
		q.op = MsgDiff
	}
	return q.queuedTo
}
