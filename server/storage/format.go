package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// File formats. Every integer is little endian; every CRC is CRC-32C
// (Castagnoli), as in etcd's WAL and Kafka's record batches.
//
//	log segment  log/log.<first zxid, 16 hex>
//	  header     "ZKLG" | version u32 | seq u64             (16 bytes)
//	  record*    length u32 | crc32c(body) u32 | body
//	  body v2    2 | zxid u64 | digest u64 | origin u8 | cxid uvarint |
//	             txn (ztree.Txn.AppendBinary: the same bytes a PROPOSAL carries)
//
//	snapshot     snap/snapshot.<zxid, 16 hex>
//	             "ZKSN" | version u32 | seq u64 | logSeq u64 | zxid u64 | txnZxid u64 |
//	             digest u64 | tree length u64 | tree (ztree.Tree.AppendBinary) | crc32c u32
//
//	epoch files  acceptedEpoch, currentEpoch: the epoch in decimal, as ZooKeeper's
//	             QuorumPeer.writeLongToFile writes it.
//
// The magic strings are ZooKeeper's (FileTxnLog.TXNLOG_MAGIC, FileSnap.SNAP_MAGIC);
// the layouts are ours.
const (
	logMagic  = "ZKLG"
	snapMagic = "ZKSN"

	// formatVersion 3: the txn in ztree's encoding with the leader's time and
	// a multi's txns (2 had neither; 1 had fixed-width fields of its own); a
	// data dir of an older format is refused with a clear error. Snapshots
	// hold ztree's tree encoding, which reads its own older version.
	formatVersion   = 3
	segHeaderSize   = 16
	recHeaderSize   = 8
	recFixedSize    = 1 + 8 + 8 + 1
	recMinBodySize  = recFixedSize + 1 + 9 // cxid, then a txn of nine one-byte fields
	snapHeaderSize  = 4 + 4 + 8*6
	snapTrailerSize = 4
)

// maxRecordBytes bounds a record body: a length above it is garbage, not a
// reason to allocate (ZooKeeper's jute.maxbuffer plays this part).
const maxRecordBytes = 64 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// appendSegHeader appends a log segment header.
func appendSegHeader(b []byte, seq uint64) []byte {
	b = append(b, logMagic...)
	b = binary.LittleEndian.AppendUint32(b, formatVersion)
	return binary.LittleEndian.AppendUint64(b, seq)
}

// parseSegHeader returns the seq of a segment from its first bytes.
func parseSegHeader(b []byte) (uint64, error) {
	if len(b) < segHeaderSize {
		return 0, fmt.Errorf("header is %d bytes, want %d", len(b), segHeaderSize)
	}
	if string(b[:4]) != logMagic {
		return 0, fmt.Errorf("bad magic %q", b[:4])
	}
	if v := binary.LittleEndian.Uint32(b[4:]); v != formatVersion {
		if v < formatVersion {
			return 0, fmt.Errorf("format %d, written by an older zabplay (this one reads %d)", v, formatVersion)
		}
		return 0, fmt.Errorf("unknown version %d", v)
	}
	return binary.LittleEndian.Uint64(b[8:]), nil
}

// appendRecord appends one framed log record.
func appendRecord(b []byte, e *core.Entry) []byte {
	start := len(b)
	b = append(b, make([]byte, recHeaderSize)...)
	b = append(b, formatVersion)
	b = binary.LittleEndian.AppendUint64(b, uint64(e.Zxid))
	b = binary.LittleEndian.AppendUint64(b, e.Digest)
	b = append(b, byte(e.Origin))
	b = binary.AppendUvarint(b, uint64(e.Cxid))
	b, _ = e.Txn.Txn.AppendBinary(b)
	body := b[start+recHeaderSize:]
	binary.LittleEndian.PutUint32(b[start:], uint32(len(body)))
	binary.LittleEndian.PutUint32(b[start+4:], crc(body))
	return b
}

// errTorn says the bytes end inside a record: a write the crash cut short.
var errTorn = errors.New("torn record")

// decodeRecord reads the record at the start of b and returns it with its
// size on disk. It never panics; errTorn means b ends inside the record. An
// error with a size > 0 means the CRC holds but the body does not decode.
func decodeRecord(b []byte) (core.Entry, int, error) {
	if len(b) < recHeaderSize {
		return core.Entry{}, 0, errTorn
	}
	n := binary.LittleEndian.Uint32(b)
	if n < recMinBodySize || n > maxRecordBytes {
		return core.Entry{}, 0, fmt.Errorf("bad record length %d", n)
	}
	if uint64(len(b)-recHeaderSize) < uint64(n) {
		return core.Entry{}, 0, errTorn
	}
	body := b[recHeaderSize : recHeaderSize+int(n)]
	if got, want := crc(body), binary.LittleEndian.Uint32(b[4:]); got != want {
		return core.Entry{}, 0, fmt.Errorf("crc %08x, want %08x", got, want)
	}
	e, err := decodeBody(body)
	return e, recHeaderSize + int(n), err
}

func decodeBody(b []byte) (core.Entry, error) {
	var e core.Entry
	if b[0] != formatVersion {
		return e, fmt.Errorf("unknown record version %d", b[0])
	}
	le := binary.LittleEndian
	e.Zxid = core.Zxid(le.Uint64(b[1:]))
	e.Digest = le.Uint64(b[9:])
	e.Origin = core.NodeID(b[17])
	d := ztree.NewDecoder(b[recFixedSize:])
	e.Cxid = d.Uint32()
	d.DecodeTxn(&e.Txn.Txn)
	if err := d.Err(); err != nil {
		return core.Entry{}, fmt.Errorf("bad record body: %w", err)
	}
	if d.Len() != 0 {
		return core.Entry{}, fmt.Errorf("%d bytes after the record body", d.Len())
	}
	return e, nil
}

// snapFile is a snapshot as it lies on disk: the core's snapshot plus the
// snapshot's place in the order of snapshots (seq) and the first log
// segment whose records follow it (logSeq).
type snapFile struct {
	seq, logSeq uint64
	snap        core.Snapshot
}

// encodeSnap returns the whole snapshot file.
func encodeSnap(f *snapFile) ([]byte, error) {
	if f.snap.Tree == nil {
		return nil, errors.New("zab: storage: snapshot without a tree")
	}
	le := binary.LittleEndian
	b := make([]byte, 0, snapHeaderSize+f.snap.Tree.Size()+snapTrailerSize+64)
	b = append(b, snapMagic...)
	b = le.AppendUint32(b, formatVersion)
	b = le.AppendUint64(b, f.seq)
	b = le.AppendUint64(b, f.logSeq)
	b = le.AppendUint64(b, uint64(f.snap.Zxid))
	b = le.AppendUint64(b, uint64(f.snap.TxnZxid))
	b = le.AppendUint64(b, f.snap.Digest)
	lenAt := len(b)
	b = le.AppendUint64(b, 0)
	b, err := f.snap.Tree.AppendBinary(b)
	if err != nil {
		return nil, err
	}
	le.PutUint64(b[lenAt:], uint64(len(b)-lenAt-8))
	return le.AppendUint32(b, crc(b)), nil
}

// decodeSnap parses a whole snapshot file. It never panics.
func decodeSnap(b []byte) (*snapFile, error) {
	if len(b) < snapHeaderSize+snapTrailerSize {
		return nil, fmt.Errorf("%d bytes, too short", len(b))
	}
	le := binary.LittleEndian
	if string(b[:4]) != snapMagic {
		return nil, fmt.Errorf("bad magic %q", b[:4])
	}
	end := len(b) - snapTrailerSize
	if got, want := crc(b[:end]), le.Uint32(b[end:]); got != want {
		return nil, fmt.Errorf("crc %08x, want %08x", got, want)
	}
	if v := le.Uint32(b[4:]); v != formatVersion {
		return nil, fmt.Errorf("unknown version %d", v)
	}
	f := &snapFile{seq: le.Uint64(b[8:]), logSeq: le.Uint64(b[16:])}
	f.snap.Zxid = core.Zxid(le.Uint64(b[24:]))
	f.snap.TxnZxid = core.Zxid(le.Uint64(b[32:]))
	f.snap.Digest = le.Uint64(b[40:])
	if n := le.Uint64(b[48:]); n != uint64(end-snapHeaderSize) {
		return nil, fmt.Errorf("tree length %d, file holds %d", n, end-snapHeaderSize)
	}
	f.snap.Tree = ztree.New()
	if err := f.snap.Tree.UnmarshalBinary(b[snapHeaderSize:end]); err != nil {
		return nil, err
	}
	return f, nil
}

// parseEpoch reads an epoch file's content: a decimal number, with at most
// one trailing newline.
func parseEpoch(b []byte) (core.Epoch, error) {
	s := string(b)
	if n := len(s); n > 0 && s[n-1] == '\n' {
		s = s[:n-1]
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("not an epoch: %q", truncateForLog(b))
	}
	return core.Epoch(v), nil
}

func formatEpoch(e core.Epoch) []byte { return strconv.AppendUint(nil, uint64(e), 10) }

func truncateForLog(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}
