// Package check is the ZAB checker. It runs outside the servers, over a trace
// of core.Events (from the simulator or a live ensemble), and flags the
// properties of the ZAB paper and ZooKeeper's client guarantees:
//
//   - Integrity: every delivered txn was broadcast (proposed) with that zxid.
//   - Agreement and PrefixConsistency: deliveries carry a chain digest of the
//     delivered history, so two servers that delivered the same zxid must
//     have delivered the same history up to it.
//   - TotalOrder and GlobalPrimaryOrder: each server delivers in increasing
//     zxid order, so epochs never go back.
//   - LocalPrimaryOrder and PrimaryIntegrity: a leader commits on top of every
//     txn committed before it; nothing is skipped.
//   - OneLeaderPerEpoch: at most one server establishes itself per epoch.
//   - CommittedNeverLost: an established leader holds every committed txn, and
//     no TRUNC removes one (leaderLogCompleteness, committedLogDurability).
//   - Over messages and disks (protocol.go; on when the driver calls
//     Ensemble, as the simulator does): AckDurable (an ACK only for what is
//     fsynced), EpochMonotonic (acceptedEpoch and currentEpoch never go
//     down, across restarts too; currentEpoch ≤ acceptedEpoch), EpochPromise
//     (no ACK below a promised epoch; a promise only once durable),
//     LeaderMostRecent (a leader's history is at least that of every voter of
//     its establishing quorum), VoterQuorum (establishing, UPTODATE and every
//     commit need a quorum of voters; observers never count), DurableLog (a
//     restart keeps what was fsynced) and NoFatal (no server finds the
//     leader's packet stream inconsistent).
//   - Client guarantees: FIFO client order, reads never go back in time for a
//     client, sync then read is up to date (Observe), and linearizable writes
//     (Linearizable, with porcupine). NB: sync is checked against the writes
//     of the epoch it was served in: ZooKeeper's sync is not a quorum
//     operation, and a deposed leader that has not yet stepped down answers
//     it (the simulator finds this, seed 387 of the 5+1 campaign).
//
// The ghost committed log G (zxid → digest) is built from the deliveries of
// leaders, as in the TLA+ specifications (Zab.tla, ZkV3_7_0.tla, Remix).
package check
