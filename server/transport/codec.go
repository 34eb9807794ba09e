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
// txn is zxid, origin, cxid and the txn in ztree's one encoding of a txn
// (ztree.Txn.AppendBinary, the same bytes the txn log holds); snap is zxid, txnZxid,
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
		b, _ = t.Txn.AppendBinary(b)
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

func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// wireType reports whether t is a quorum packet (the only types on the wire).
func wireType(t core.MsgType) bool { return t >= core.MsgNotification && t <= core.MsgSync }

// DecodeMessage is the inverse of AppendMessage. It never panics; on malformed
// input it returns an error starting "transport: bad message".
func DecodeMessage(b []byte) (core.Message, error) {
	d := decoder{ztree.NewDecoder(b)}
	var m core.Message
	m.Type = core.MsgType(d.Byte())
	if d.Err() == nil && !wireType(m.Type) {
		return m, badMessage("type " + strconv.Itoa(int(m.Type)) + " is not a quorum packet")
	}
	m.From, m.To = d.node(), d.node()
	m.Zxid = core.Zxid(d.Uvarint())
	m.Epoch = core.Epoch(d.Uint32())
	m.State = core.ServerState(d.Byte())
	if d.Err() == nil && m.State > core.Observing {
		return m, badMessage("state " + strconv.Itoa(int(m.State)))
	}
	m.Vote.Leader = d.node()
	m.Vote.Zxid = core.Zxid(d.Uvarint())
	m.Vote.ElectionEpoch = d.Uvarint()
	m.Vote.PeerEpoch = core.Epoch(d.Uint32())
	m.Seq = d.Uvarint()
	flags := d.Byte()
	if d.Err() == nil && flags&^(hasTxn|hasSnap|hasReq) != 0 {
		return m, badMessage("presence bits " + strconv.Itoa(int(flags)))
	}
	if flags&hasTxn != 0 {
		t := &core.Txn{}
		t.Zxid = core.Zxid(d.Uvarint())
		t.Origin = d.node()
		t.Cxid = d.Uint32()
		d.DecodeTxn(&t.Txn)
		m.Txn = t
	}
	if flags&hasSnap != 0 {
		s := &core.Snapshot{}
		s.Zxid, s.TxnZxid = core.Zxid(d.Uvarint()), core.Zxid(d.Uvarint())
		s.Digest = d.Uint64BE()
		enc := d.Bytes()
		if d.Err() == nil {
			s.Tree = ztree.New()
			if err := s.Tree.UnmarshalBinary(enc); err != nil {
				return m, badMessage("snapshot tree: " + err.Error())
			}
		}
		m.Snap = s
	}
	if flags&hasReq != 0 {
		r := &core.Request{}
		r.Session = d.Varint()
		r.Cxid = d.Uint32()
		r.MinZxid = core.Zxid(d.Uvarint())
		r.Origin = d.node()
		q := &r.Request
		q.Op = ztree.Op(d.Int8())
		q.Path, q.Data = d.String(), d.String()
		q.Version = d.Int32()
		bits := d.Byte()
		if d.Err() == nil && bits&^3 != 0 {
			return m, badMessage("request flags " + strconv.Itoa(int(bits)))
		}
		q.Sequential, q.Ephemeral = bits&1 != 0, bits&2 != 0
		q.Session = d.Varint()
		m.Req = r
	}
	if err := d.Err(); err != nil {
		var de *ztree.DecodeError
		if errors.As(err, &de) {
			return m, badMessage(de.Why)
		}
		return m, err
	}
	if d.Len() != 0 {
		return m, badMessage(strconv.Itoa(d.Len()) + " trailing bytes")
	}
	return m, nil
}

func badMessage(why string) error { return errors.New("transport: bad message: " + why) }

// decoder is ztree's Decoder plus server ids.
type decoder struct{ *ztree.Decoder }

func (d decoder) node() core.NodeID {
	v := d.Byte()
	if v > core.MaxNodes {
		d.Failf("server id " + strconv.Itoa(int(v)) + " out of range")
		return 0
	}
	return core.NodeID(v)
}
