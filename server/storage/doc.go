// Package storage is the on-disk state of one live ZAB server, laid out and
// recovered as ZooKeeper does it (FileTxnSnapLog, FileTxnLog, FileSnap,
// QuorumPeer's epoch files):
//
//	dir/acceptedEpoch, dir/currentEpoch   atomic replace: .tmp, fsync, rename, fsync dir
//	dir/log/log.<first zxid hex>          txn log segments, a CRC-32C per record
//	dir/snap/snapshot.<zxid hex>          snapshots of the znode tree, a CRC-32C at the end
//
// The runtime hands a Disk every Ready's writes (core.Write) as one batch:
// Persist appends the records, cuts the log for TRUNC, writes snapshots and
// epoch files, and makes the batch durable with one fsync (group commit);
// then it steps the node with MsgPersisted. Open recovers a directory into
// the core.Durable that core.Config.Restore takes: the newest valid snapshot
// plus the log after it. A torn or corrupt log tail is cut, a corrupt
// snapshot falls back to the previous one, and every such repair is logged;
// no bytes on disk can make it panic.
//
// Every file's order comes from a seq number in its header, not from the zxid
// in its name: after TRUNC, or a SNAP from a leader, a newer file can hold
// lower zxids than an older one. A snapshot records the seq of the first log
// segment that follows it, so replay needs no guess about where its log
// starts, and a snapshot that empties the log skips a seq so that no replay
// from an older snapshot can run on into the new history.
//
// The file formats are described in format.go.
package storage
