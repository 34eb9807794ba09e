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
	hasTxn     = 1 << 0
	hasSnap    = 1 << 1
	hasReq     = 1 << 2
	hasTouches = 1 << 3
	hasConnect = 1 << 4
	wantSnap   = 1 << 5 // not a part: Message.WantSnap
	allParts   = hasTxn | hasSnap | hasReq | hasTouches | hasConnect | wantSnap
)

// Bits of a request's flags byte.
const (
	reqSequential = 1 << 0
	reqEphemeral  = 1 << 1
	reqWatch      = 1 << 2
	reqConnected  = 1 << 3
	reqOps        = 1 << 4 // a multi's ops follow
	allReqBits    = reqSequential | reqEphemeral | reqWatch | reqConnected | reqOps
)

// AppendMessage appends the binary encoding of m to b:
//
//	type, from, to (1 byte each) | zxid, epoch (uvarint) | state (1 byte) |
//	vote: leader (1 byte), zxid, round, peerEpoch (uvarint) | seq (uvarint) |
//	presence (1 byte: 1 txn, 2 snap, 4 req, 8 touches, 16 connect; 32 WantSnap) | txn | snap | req |
//	touches | connect
//
// txn is zxid, origin, cxid and the txn in ztree's one encoding of a txn
// (ztree.Txn.AppendBinary, the same bytes the txn log holds); snap is zxid, txnZxid,
// digest (8 bytes) and the tree's own encoding (ztree.Tree.AppendBinary) with
// a uvarint length; req is session, cxid, minZxid, origin and the
// ztree.Request fields (a flags byte: 1 sequential, 2 ephemeral, 4 watch, 8
// connected, 16 a multi's ops follow: their count, then each op's op, path,
// data, version and flags); touches (a PING reply's session touch table) is
// a count, then session and timeout for each; connect (REVALIDATE) is conn,
// session, timeout and valid. Integers are varints, strings are uvarint
// length and bytes. Only quorum packets (NOTIFICATION..SYNC, REVALIDATE)
// travel; the driver's local inputs (PERSISTED, CONNLOST, CLIENT, CONNECT,
// DISCONNECT) never do.
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
	if m.Touches != nil {
		flags |= hasTouches
	}
	if m.Connect != nil {
		flags |= hasConnect
	}
	if m.WantSnap {
		flags |= wantSnap
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
		b = appendReqOp(b, q, r.Connected)
		b = binary.AppendVarint(b, q.Session)
		if len(q.Ops) > 0 {
			b = binary.AppendUvarint(b, uint64(len(q.Ops)))
			for i := range q.Ops {
				b = appendReqOp(b, &q.Ops[i], false)
			}
		}
	}
	if m.Touches != nil {
		b = binary.AppendUvarint(b, uint64(len(*m.Touches)))
		for _, t := range *m.Touches {
			b = binary.AppendVarint(b, t.Session)
			b = binary.AppendVarint(b, int64(t.TimeoutMs))
		}
	}
	if c := m.Connect; c != nil {
		b = binary.AppendUvarint(b, c.Conn)
		b = binary.AppendVarint(b, c.Session)
		b = binary.AppendVarint(b, int64(c.TimeoutMs))
		valid := byte(0)
		if c.Valid {
			valid = 1
		}
		b = append(b, valid)
	}
	return b, nil
}

// appendReqOp appends a request's op, path, data, version and flags.
func appendReqOp(b []byte, q *ztree.Request, connected bool) []byte {
	b = binary.AppendVarint(b, int64(q.Op))
	b = appendBytes(b, []byte(q.Path))
	b = appendBytes(b, []byte(q.Data))
	b = binary.AppendVarint(b, int64(q.Version))
	var bits byte
	if q.Sequential {
		bits |= reqSequential
	}
	if q.Ephemeral {
		bits |= reqEphemeral
	}
	if q.Watch {
		bits |= reqWatch
	}
	if connected {
		bits |= reqConnected
	}
	if len(q.Ops) > 0 {
		bits |= reqOps
	}
	return append(b, bits)
}

// decodeReqOp reads what appendReqOp wrote; it returns the flags.
func (d decoder) decodeReqOp(q *ztree.Request) byte {
	q.Op = ztree.Op(d.Int8())
	q.Path, q.Data = d.String(), d.String()
	q.Version = d.Int32()
	bits := d.Byte()
	if d.Err() == nil && bits&^allReqBits != 0 {
		d.Failf("request flags " + strconv.Itoa(int(bits)))
	}
	q.Sequential, q.Ephemeral, q.Watch = bits&reqSequential != 0, bits&reqEphemeral != 0, bits&reqWatch != 0
	return bits
}

func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// wireType reports whether t is a quorum packet (the only types on the wire).
func wireType(t core.MsgType) bool {
	return t >= core.MsgNotification && t <= core.MsgSync || t == core.MsgRevalidate
}

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
	if d.Err() == nil && flags&^allParts != 0 {
		return m, badMessage("presence bits " + strconv.Itoa(int(flags)))
	}
	m.WantSnap = flags&wantSnap != 0
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
		bits := d.decodeReqOp(q)
		r.Connected = bits&reqConnected != 0
		q.Session = d.Varint()
		if bits&reqOps != 0 {
			k := d.Count(5) // an op takes at least 5 bytes
			if d.Err() == nil && k == 0 {
				d.Failf("a multi's op count of 0 with its flag set")
			}
			q.Ops = make([]ztree.Request, k)
			for i := range q.Ops {
				if sub := d.decodeReqOp(&q.Ops[i]); d.Err() == nil && sub&(reqOps|reqConnected) != 0 {
					d.Failf("a multi's op flagged as a multi or connected")
				}
			}
		}
		m.Req = r
	}
	if flags&hasTouches != 0 {
		k := d.Count(2)
		ts := make([]core.Touch, k)
		for i := range ts {
			ts[i].Session, ts[i].TimeoutMs = d.Varint(), d.Int32()
		}
		m.Touches = &ts
	}
	if flags&hasConnect != 0 {
		c := &core.Connect{}
		c.Conn, c.Session, c.TimeoutMs = d.Uvarint(), d.Varint(), d.Int32()
		switch v := d.Byte(); {
		case d.Err() != nil:
		case v > 1:
			d.Failf("revalidate valid byte " + strconv.Itoa(int(v)))
		default:
			c.Valid = v == 1
		}
		m.Connect = c
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
