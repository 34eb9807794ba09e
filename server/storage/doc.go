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
// plus the log after it. It repairs only what a crash leaves (a torn log
// tail is cut; a corrupt snapshot falls back to an older one when that one
// and the log after it reach as far), and logs every repair. Any other
// damage, such as a bad record with valid records after it, is a
// *CorruptError naming the file, the offset and the zxids, with every file
// left in place: repairing it could drop txns the server acknowledged, so
// the server must not start (ZooKeeper refuses to start on a CRC error in
// its log too). No bytes on disk can make it panic.
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
