package storage

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/zabplay/zabplay/core"
)

// CorruptError is damage that recovery refuses to repair, because repairing
// it could drop txns this server acknowledged: a log record that fails its
// CRC or format check with valid records after it, damage in a log segment
// that is not the last one, a log segment missing from the middle of the
// live log, a snapshot that fails its check when no older snapshot and log
// replay as far, a bad segment header. ZooKeeper refuses to start on a CRC
// error in its txn log for the same reason (FileTxnLog's "CRC check
// failed"); only a torn tail, the damage a crash in the middle of an append
// leaves, is cut (see OpenWith).
//
// Open returns it with every file left where it was, so that each later
// start refuses again until the operator acts: a damaged file moved aside
// would let the next start recover a shorter history without a word. The
// way out is the one ZooKeeper's operators take: move the data directory
// aside and start the server empty; the leader sends it the whole state
// (SNAP).
type CorruptError struct {
	// Dir is the data directory, File the damaged file in it.
	Dir, File string
	// Offset is the byte offset of the damage in File, -1 when it is the
	// whole file (a snapshot, a missing segment).
	Offset int64
	// LastGood is the last zxid read intact from the log before the damage
	// (0: none, or not a log file).
	// Zxid is the zxid the damaged record claims, if its bytes hold one
	// (unverified: its CRC failed), or a snapshot's zxid from its name; 0
	// if unreadable.
	LastGood, Zxid core.Zxid
	// Reason says what is wrong, and why it is not a torn tail.
	Reason string
}

// Error names the file, the offset and the zxids, and says how to recover.
func (e *CorruptError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "zab: storage: %s is corrupt", e.File)
	if e.Offset >= 0 {
		fmt.Fprintf(&b, " at byte offset %d", e.Offset)
	}
	fmt.Fprintf(&b, ": %s", e.Reason)
	if e.Zxid != 0 {
		if e.Offset >= 0 {
			fmt.Fprintf(&b, "; the damaged record claims zxid %v (unverified)", e.Zxid)
		} else {
			fmt.Fprintf(&b, "; zxid %v", e.Zxid)
		}
	}
	if e.LastGood != 0 {
		fmt.Fprintf(&b, "; the last good zxid before it is %v", e.LastGood)
	} else if e.Offset >= 0 {
		b.WriteString("; no good txn before it")
	}
	fmt.Fprintf(&b, ". This server refuses to start: repairing this could drop txns it acknowledged. "+
		"Every file is left in place, so it refuses again until you act. To recover: move the data directory %s "+
		"aside (keep it to inspect), start the server with an empty one, and the leader sends it the whole state "+
		"(SNAP). Do it on one server at a time, while a quorum of the others is up and in sync; if a quorum of "+
		"the servers is damaged, no server may hold every committed txn, so restore from a backup instead", e.Dir)
	return b.String()
}

// tailScanBudget bounds the bytes scanTail checksums (a pathological tail
// could otherwise make it quadratic); past it the tail counts as unproven.
var tailScanBudget = 256 << 20

// tailScan is what scanTail found after a bad record.
type tailScan struct {
	found      bool // a valid record follows the bad one
	off        int  // its offset, relative to the bad record
	zxid       core.Zxid
	exhausted  bool // the budget ran out before the end: not proven torn
	claimsZxid core.Zxid
}

// scanTail looks for a valid record anywhere after the start of the bad
// record at b[0]: at every byte offset, since the bad record's length may be
// the damaged field. A valid record there means the damage does not run to
// the end of the file, so it is not a torn tail. It also reads the zxid the
// bad record claims, if its bytes hold one.
func scanTail(b []byte) tailScan {
	var r tailScan
	if len(b) >= recHeaderSize+9 && b[recHeaderSize] == formatVersion {
		r.claimsZxid = core.Zxid(binary.LittleEndian.Uint64(b[recHeaderSize+1:]))
	}
	budget := tailScanBudget
	for p := 1; p+recHeaderSize+recMinBodySize <= len(b); p++ {
		n := binary.LittleEndian.Uint32(b[p:])
		if n < recMinBodySize || n > maxRecordBytes || uint64(n) > uint64(len(b)-p-recHeaderSize) ||
			b[p+recHeaderSize] != formatVersion {
			continue
		}
		if budget -= int(n); budget < 0 {
			r.exhausted = true
			return r
		}
		if e, k, err := decodeRecord(b[p:]); err == nil || k > 0 { // k > 0: the CRC holds
			r.found, r.off, r.zxid = true, p, e.Zxid
			return r
		}
	}
	return r
}

// allZero reports whether b holds only zero bytes: what a file whose size
// reached the disk before its data leaves after a crash.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
