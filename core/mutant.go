package core

import (
	"fmt"
	"strings"

	"github.com/zabplay/zabplay/core/enum"
)

// Mutant is one bug planted on purpose, for mutation testing of the checker
// and the campaign (issue 9): each is a one-line mistake a developer could
// make, guarded by `if n.cfg.Mutant == MutX` at the spot where it would be
// made. Only tests and `zabplay sim --mutants` set Config.Mutant; MutNone is
// the faithful core. Mutants are not the historical bug switches (Bugs): those
// put back what ZooKeeper once shipped; these ask "would the checker notice?".
type Mutant uint8

// The mutants. Each comment says what the mistake is and what should notice it.
const (
	MutNone Mutant = iota
	// MutQuorumHalf: tryToCommit counts acks ≥ n/2 (integer division) instead
	// of > n/2: 2 of 5 voters commit.
	MutQuorumHalf
	// MutDiffAcrossEpoch: queueCommittedProposals sends the missing tail as a
	// DIFF across an epoch boundary where the learner's divergent suffix needs
	// a TRUNC (or SNAP): the learner keeps txns of an epoch that lost them.
	MutDiffAcrossEpoch
	// MutAckBeforeFsync: a follower ACKs a proposal as soon as it is written,
	// before its fsync (SendAckRequestProcessor ahead of SyncRequestProcessor).
	MutAckBeforeFsync
	// MutFLEZxidFirst: FastLeaderElection.totalOrderPredicate compares the
	// zxid before the peerEpoch.
	MutFLEZxidFirst
	// MutNewLeaderPre4394: NEWLEADER in the pre-ZOOKEEPER-4394 order (3.9.0
	// to 3.9.2): every queued proposal is logged and applied at NEWLEADER as if
	// committed, the uncommitted ones included.
	MutNewLeaderPre4394
	// MutLeaderInfoBelowAccepted: a learner takes a LEADERINFO whose epoch is
	// below its acceptedEpoch and ACKs it instead of giving up.
	MutLeaderInfoBelowAccepted
	// MutAckEpochBeforePersist: a learner sends ACKEPOCH before its new
	// acceptedEpoch is on disk.
	MutAckEpochBeforePersist
	// MutCommitBeforeLeaderLog: the leader counts its own ACK when it logs a
	// proposal, not when the log write is fsynced: COMMIT can go out for a
	// txn not yet durable on the leader.
	MutCommitBeforeLeaderLog
	// MutUpToDateBeforeQuorum: the leader sends UPTODATE to a learner that
	// acked NEWLEADER without waiting for a quorum of NEWLEADER acks.
	MutUpToDateBeforeQuorum
	// MutObserverInQuorum: an observer's NEWLEADER ack is counted towards the
	// quorum that establishes the leader.
	MutObserverInQuorum
	// MutStaleVote: a notification from an older election round is counted
	// as if cast in the current round.
	//
	// Equivalent as far as the checker can tell (it survives 2,000 seeds on
	// purpose; TestMutantsKilled lists it): FLE only nominates a leader. ZAB's
	// safety rests on discovery, not on FLE: the new epoch comes from a quorum's
	// acceptedEpochs, and a leader drops a follower whose history is ahead of
	// its own, so a leader elected on a stale vote either holds every
	// committed txn or never gathers a quorum. One that no quorum follows
	// times out after initLimit and the servers elect again, well within the
	// campaign's 60 s recovery bound. What the mistake costs is time (an
	// early or a useless election), which no safety property and no liveness
	// bound can tell from a slow network.
	MutStaleVote
	// MutSnapshotWrongZxid: the periodic snapshot is labelled with the last
	// logged zxid instead of the last applied one, so the log is purged of
	// txns the snapshot does not hold.
	MutSnapshotWrongZxid
	// MutNoTruncAhead: a learner ahead of the leader's last committed txn (an
	// old leader's uncommitted tail) gets an empty DIFF instead of TRUNC.
	MutNoTruncAhead
	// MutApplyBeforeCommit: a follower applies a proposal when it logs it,
	// before COMMIT.
	MutApplyBeforeCommit
	// MutWindowOffByOne: where the txn-log part of a sync meets the committed
	// log, queueCommittedProposals skips with < instead of <= and sends the
	// txn at the seam twice.
	MutWindowOffByOne
	// MutSyncCommitsUncommitted: the txn-log sync reads the leader's log to
	// its end instead of stopping at minCommittedLog, so outstanding proposals
	// go out with a COMMIT.
	MutSyncCommitsUncommitted
	// MutEpochNoIncrement: getEpochToPropose returns maxAccepted instead of
	// maxAccepted+1.
	MutEpochNoIncrement
	// MutNoAheadCheck: the leader does not drop a follower whose ACKEPOCH
	// shows a more recent history than its own ("follower is ahead").
	MutNoAheadCheck
	// MutTruncNoReload: after TRUNC the learner keeps its in-memory database
	// instead of reloading it from the truncated log.
	MutTruncNoReload
	// MutNewLeaderNoCurrentEpoch: a follower acks NEWLEADER without writing
	// its currentEpoch.
	MutNewLeaderNoCurrentEpoch
	// MutLeaderInfoBeforePersist: the leader sends LEADERINFO before its new
	// acceptedEpoch is on disk.
	MutLeaderInfoBeforePersist
	// MutTruncOffByOne: a learner ahead of the leader is truncated to the
	// zxid just below the leader's last committed txn instead of to it.
	MutTruncOffByOne
	// MutNotifyAfterReply: a server answers the client whose write a txn is
	// before it fires the watches the txn triggers (FinalRequestProcessor
	// fires them in processTxn, before the reply).
	MutNotifyAfterReply
	// MutKillSessionLeaderOnly: only the leader deletes a closed session's
	// ephemerals when it applies the closeSession (DataTree.killSession runs
	// on every replica).
	MutKillSessionLeaderOnly
	// MutSessionMovedUnchecked: the leader does not check that a write
	// comes from the session's owner (checkSession's owner test,
	// ZOOKEEPER-710): a write the old server forwards after its client moved
	// away still applies.
	MutSessionMovedUnchecked
	numMutants
)

var mutantNames = enum.New[Mutant]("mutant",
	"none", "quorum-half", "diff-across-epoch", "ack-before-fsync", "fle-zxid-first",
	"newleader-pre-4394", "leaderinfo-below-accepted", "ackepoch-before-persist",
	"commit-before-leader-log", "uptodate-before-quorum", "observer-in-quorum", "stale-vote",
	"snapshot-wrong-zxid", "no-trunc-ahead", "apply-before-commit", "window-off-by-one",
	"sync-commits-uncommitted", "epoch-no-increment", "no-ahead-check", "trunc-no-reload",
	"newleader-no-current-epoch", "leaderinfo-before-persist", "trunc-off-by-one",
	"notify-after-reply", "kill-session-leader-only", "session-moved-unchecked")

// String returns the mutant's name, e.g. "quorum-half".
func (m Mutant) String() string { return mutantNames.Name(m) }

// AllMutants lists every mutant, MutNone excluded, in order.
func AllMutants() []Mutant {
	out := make([]Mutant, 0, numMutants-1)
	for m := Mutant(1); m < numMutants; m++ {
		out = append(out, m)
	}
	return out
}

// ParseMutant finds a mutant by name.
func ParseMutant(s string) (Mutant, error) {
	if m, ok := mutantNames.Parse(s); ok {
		return m, nil
	}
	return 0, fmt.Errorf("zab: unknown mutant %q (known: %s)", s, strings.Join(mutantNames.List()[1:], ", "))
}
