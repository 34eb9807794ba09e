package transport

import (
	"encoding/binary"
	"errors"
	"strconv"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// Presence bits of the optional parts of a message.
const (
	hasTxn  = 1 << 0
	hasSnap = 1 << 1
	hasReq  = 1 << 2
)

// AppendMessage appends the binary encoding of m to b:
//
//	type, from, to (1 byte each) | zxid, epoch (uvarint) | state (1 byte) |
//	vote: leader (1 byte), zxid, round, peerEpoch (uvarint) | seq (uvarint) |
//	presence (1 byte: 1 txn, 2 snap, 4 req) | txn | snap | req
//
// txn is zxid, origin, cxid and the ztree.Txn fields (op, path, data, version,
// owner, parent cversion, err, session, timeout); snap is zxid, txnZxid,
// digest (8 bytes) and the tree's own encoding (ztree.Tree.AppendBinary) with
// a uvarint length; req is session, cxid, minZxid, origin and the
// ztree.Request fields. Integers are varints, strings are uvarint length and
// bytes. Only quorum packets (NOTIFICATION..SYNC) travel; the driver's local
// inputs (PERSISTED, CONNLOST, CLIENT) never do.
func AppendMessage(b []byte, m core.Message) ([]byte, error) {
	if !wireType(m.Type) {
		return b, errors.New("transport: " + m.Type.String() + " is not a quorum packet")
	}
	b = append(b, byte(m.Type), byte(m.From), byte(m.To))
	b = binary.AppendUvarint(b, uint64(m.Zxid))
	b = binary.AppendUvarint(b, uint64(m.Epoch))
	b = append(b, byte(m.State), byte(m.Vote.Leader))
	b = binary.AppendUvarint(b, uint64(m.Vote.Zxid))
	b = binary.AppendUvarint(b, m.Vote.ElectionEpoch)
	b = binary.AppendUvarint(b, uint64(m.Vote.PeerEpoch))
	b = binary.AppendUvarint(b, m.Seq)
	var flags byte
	if m.Txn != nil {
		flags |= hasTxn
	}
	if m.Snap != nil {
		flags |= hasSnap
	}
	if m.Req != nil {
		flags |= hasReq
	}
	b = append(b, flags)
	if t := m.Txn; t != nil {
		b = binary.AppendUvarint(b, uint64(t.Zxid))
		b = append(b, byte(t.Origin))
		b = binary.AppendUvarint(b, uint64(t.Cxid))
		b = appendZTxn(b, &t.Txn)
	}
	if s := m.Snap; s != nil {
		b = binary.AppendUvarint(b, uint64(s.Zxid))
		b = binary.AppendUvarint(b, uint64(s.TxnZxid))
		b = binary.BigEndian.AppendUint64(b, s.Digest)
		tree := s.Tree
		if tree == nil {
			tree = ztree.New()
		}
		enc, err := tree.MarshalBinary()
		if err != nil {
			return b, err
		}
		b = appendBytes(b, enc)
	}
	if r := m.Req; r != nil {
		b = binary.AppendVarint(b, r.Session)
		b = binary.AppendUvarint(b, uint64(r.Cxid))
		b = binary.AppendUvarint(b, uint64(r.MinZxid))
		b = append(b, byte(r.Origin))
		q := &r.Request
		b = binary.AppendVarint(b, int64(q.Op))
		b = appendBytes(b, []byte(q.Path))
		b = appendBytes(b, []byte(q.Data))
		b = binary.AppendVarint(b, int64(q.Version))
		var bits byte
		if q.Sequential {
			bits |= 1
		}
		if q.Ephemeral {
			bits |= 2
		}
		b = append(b, bits)
		b = binary.AppendVarint(b, q.Session)
	}
	return b, nil
}

func appendZTxn(b []byte, t *ztree.Txn) []byte {
	b = binary.AppendVarint(b, int64(t.Op))
	b = appendBytes(b, []byte(t.Path))
	b = appendBytes(b, []byte(t.Data))
	b = binary.AppendVarint(b, int64(t.Version))
	b = binary.AppendVarint(b, t.EphemeralOwner)
	b = binary.AppendVarint(b, int64(t.ParentCVersion))
	b = binary.AppendVarint(b, int64(t.Err))
	b = binary.AppendVarint(b, t.Session)
	return binary.AppendVarint(b, int64(t.Timeout))
}

func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// wireType reports whether t is a quorum packet (the only types on the wire).
func wireType(t core.MsgType) bool { return t >= core.MsgNotification && t <= core.MsgSync }

// DecodeMessage is the inverse of AppendMessage. It never panics; on malformed
// input it returns an error starting "transport: bad message".
func DecodeMessage(b []byte) (core.Message, error) {
	d := decoder{b: b}
	var m core.Message
	m.Type = core.MsgType(d.byte())
	if d.err == nil && !wireType(m.Type) {
		return m, badMessage("type " + strconv.Itoa(int(m.Type)) + " is not a quorum packet")
	}
	m.From, m.To = d.node(), d.node()
	m.Zxid = core.Zxid(d.uvarint())
	m.Epoch = core.Epoch(d.uint32())
	m.State = core.ServerState(d.byte())
	if d.err == nil && m.State > core.Observing {
		return m, badMessage("state " + strconv.Itoa(int(m.State)))
	}
	m.Vote.Leader = d.node()
	m.Vote.Zxid = core.Zxid(d.uvarint())
	m.Vote.ElectionEpoch = d.uvarint()
	m.Vote.PeerEpoch = core.Epoch(d.uint32())
	m.Seq = d.uvarint()
	flags := d.byte()
	if d.err == nil && flags&^(hasTxn|hasSnap|hasReq) != 0 {
		return m, badMessage("presence bits " + strconv.Itoa(int(flags)))
	}
	if flags&hasTxn != 0 {
		t := &core.Txn{}
		t.Zxid = core.Zxid(d.uvarint())
		t.Origin = d.node()
		t.Cxid = d.uint32()
		d.ztxn(&t.Txn)
		m.Txn = t
	}
	if flags&hasSnap != 0 {
		s := &core.Snapshot{}
		s.Zxid, s.TxnZxid = core.Zxid(d.uvarint()), core.Zxid(d.uvarint())
		s.Digest = d.uint64()
		enc := d.bytes()
		if d.err == nil {
			s.Tree = ztree.New()
			if err := s.Tree.UnmarshalBinary(enc); err != nil {
				return m, badMessage("snapshot tree: " + err.Error())
			}
		}
		m.Snap = s
	}
	if flags&hasReq != 0 {
		r := &core.Request{}
		r.Session = d.varint()
		r.Cxid = d.uint32()
		r.MinZxid = core.Zxid(d.uvarint())
		r.Origin = d.node()
		q := &r.Request
		q.Op = ztree.Op(d.int8())
		q.Path, q.Data = string(d.bytes()), string(d.bytes())
		q.Version = d.int32()
		bits := d.byte()
		if d.err == nil && bits&^3 != 0 {
			return m, badMessage("request flags " + strconv.Itoa(int(bits)))
		}
		q.Sequential, q.Ephemeral = bits&1 != 0, bits&2 != 0
		q.Session = d.varint()
		m.Req = r
	}
	if d.err != nil {
		return m, d.err
	}
	if len(d.b) != 0 {
		return m, badMessage(strconv.Itoa(len(d.b)) + " trailing bytes")
	}
	return m, nil
}

func badMessage(why string) error { return errors.New("transport: bad message: " + why) }

var errShort = badMessage("unexpected end")

// decoder reads the encoding; the first error sticks and later reads return 0.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail(errShort)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) node() core.NodeID {
	v := d.byte()
	if v > core.MaxNodes {
		d.fail(badMessage("server id " + strconv.Itoa(int(v)) + " out of range"))
		return 0
	}
	return core.NodeID(v)
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(badMessage("bad varint"))
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(badMessage("bad varint"))
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uint32() uint32 {
	v := d.uvarint()
	if v > 1<<32-1 {
		d.fail(badMessage("uint32 out of range"))
		return 0
	}
	return uint32(v)
}

func (d *decoder) int32() int32 {
	v := d.varint()
	if int64(int32(v)) != v {
		d.fail(badMessage("int32 out of range"))
		return 0
	}
	return int32(v)
}

func (d *decoder) int8() int8 {
	v := d.varint()
	if int64(int8(v)) != v {
		d.fail(badMessage("int8 out of range"))
		return 0
	}
	return int8(v)
}

func (d *decoder) uint64() uint64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.fail(errShort)
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) ztxn(t *ztree.Txn) {
	t.Op = ztree.Op(d.int8())
	t.Path, t.Data = string(d.bytes()), string(d.bytes())
	t.Version = d.int32()
	t.EphemeralOwner = d.varint()
	t.ParentCVersion = d.int32()
	t.Err = ztree.Err(d.int32())
	t.Session = d.varint()
	t.Timeout = d.int32()
}
