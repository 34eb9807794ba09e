package ztree

import (
	"encoding/binary"
	"sort"
	"strconv"
)

// encodingVersion is the first byte of every encoded tree: 2 since znodes
// carry ctime and mtime; version 1 (without them) is still read.
const encodingVersion = 2

// AppendBinary appends the tree's binary encoding to b (encoding.BinaryAppender).
// It is what a snapshot file holds, ZooKeeper's serialized DataTree plus the
// session table: a version byte, the znodes in sorted path order (path, data,
// czxid, mzxid, pzxid, version, cversion, ephemeralOwner, ctime, mtime;
// numChildren and dataLength are left out, as they follow from the paths
// and the data), then the sessions in id order with
// their timeouts. Integers are varints. The output depends only on the
// content, never on map order, so equal trees encode to equal bytes.
func (t *Tree) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, encodingVersion)
	paths := t.Paths()
	b = binary.AppendUvarint(b, uint64(len(paths)))
	for _, p := range paths {
		n := t.nodes[p]
		b = appendString(b, p)
		b = appendString(b, n.Data)
		s := &n.Stat
		b = binary.AppendUvarint(b, s.Czxid)
		b = binary.AppendUvarint(b, s.Mzxid)
		b = binary.AppendUvarint(b, s.Pzxid)
		b = binary.AppendVarint(b, int64(s.Version))
		b = binary.AppendVarint(b, int64(s.Cversion))
		b = binary.AppendVarint(b, s.EphemeralOwner)
		b = binary.AppendVarint(b, s.Ctime)
		b = binary.AppendVarint(b, s.Mtime)
	}
	ids := make([]int64, 0, len(t.sessions))
	for id := range t.sessions {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		b = binary.AppendVarint(b, id)
		b = binary.AppendVarint(b, int64(t.sessions[id]))
	}
	return b, nil
}

// MarshalBinary returns the encoding AppendBinary describes.
func (t *Tree) MarshalBinary() ([]byte, error) { return t.AppendBinary(make([]byte, 0, t.size+16)) }

// UnmarshalBinary replaces the tree with the one encoded in b. It never
// panics, and on any error (text starting "zab: ztree:") leaves t unchanged.
// It refuses what no sequence of Apply calls can build: a missing root,
// unsorted or duplicate paths, an invalid path, a node without its parent, a
// child under an ephemeral node, a duplicate session, and trailing bytes.
// The decoded tree is equal (reflect.DeepEqual) to a Clone of the encoded one.
func (t *Tree) UnmarshalBinary(b []byte) error {
	d := Decoder{b: b}
	v := d.Byte()
	if d.err == nil && v != encodingVersion && v != 1 {
		return decodeError("unknown encoding version " + strconv.Itoa(int(v)))
	}
	count := d.Count(9) // a node takes at least 9 bytes
	nt := &Tree{
		nodes:      make(map[string]*Znode, count),
		sessions:   map[int64]int32{},
		ephemerals: map[int64]map[string]struct{}{},
	}
	prev := ""
	for i := 0; i < count && d.err == nil; i++ {
		p, data := d.String(), d.String()
		var s Stat
		s.Czxid, s.Mzxid, s.Pzxid = d.Uvarint(), d.Uvarint(), d.Uvarint()
		s.Version, s.Cversion = d.Int32(), d.Int32()
		s.EphemeralOwner = d.Varint()
		if v >= 2 {
			s.Ctime, s.Mtime = d.Varint(), d.Varint()
		}
		s.DataLength = int32(len(data))
		if d.err != nil {
			break
		}
		if err := nt.addDecoded(i, prev, p, data, s); err != nil {
			return err
		}
		prev = p
	}
	nsess := d.Count(2)
	for i := 0; i < nsess && d.err == nil; i++ {
		id, to := d.Varint(), d.Int32()
		if _, dup := nt.sessions[id]; dup && d.err == nil {
			return decodeError("session " + strconv.FormatInt(id, 10) + " listed twice")
		}
		nt.sessions[id] = to
	}
	if d.err != nil {
		return d.err
	}
	if len(d.b) != 0 {
		return decodeError(strconv.Itoa(len(d.b)) + " trailing bytes")
	}
	if count == 0 {
		return decodeError("no root node")
	}
	*t = *nt
	return nil
}

// addDecoded adds the i-th decoded node; prev is the path before it.
func (t *Tree) addDecoded(i int, prev, p, data string, s Stat) error {
	if i == 0 {
		if p != "/" {
			return decodeError("first node is " + strconv.Quote(p) + ", not the root")
		}
	} else {
		if p <= prev {
			return decodeError("path " + strconv.Quote(p) + " out of order")
		}
		if err := ValidatePath(p); err != nil || p == "/" {
			return decodeError("invalid path " + strconv.Quote(p))
		}
		parentPath, name := splitPath(p)
		pn := t.nodes[parentPath]
		if pn == nil {
			return decodeError("node " + strconv.Quote(p) + " has no parent")
		}
		if pn.Stat.EphemeralOwner != 0 {
			return decodeError("node " + strconv.Quote(p) + " is under an ephemeral node")
		}
		if pn.children == nil {
			pn.children = make(map[string]struct{})
		}
		pn.children[name] = struct{}{}
		pn.Stat.NumChildren++ // not part of nodeDigest: the sum stays right
	}
	n := &Znode{Data: data, Stat: s, pd: hashPathData(p, data)}
	n.Stat.NumChildren = 0
	t.nodes[p] = n
	t.digest += nodeDigest(n)
	t.size += nodeSize(p, data)
	if o := s.EphemeralOwner; o != 0 {
		set := t.ephemerals[o]
		if set == nil {
			set = make(map[string]struct{})
			t.ephemerals[o] = set
		}
		set[p] = struct{}{}
	}
	return nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// AppendBinary appends the txn's binary encoding to b
// (encoding.BinaryAppender): op, path, data, version, ephemeral owner, parent
// cversion, err, session, timeout, time, then the count of a multi's txns and
// each of them; integers as varints, strings as a uvarint length and the
// bytes. It is the one encoding of a txn: the txn log on disk
// and the quorum packets both use it, as ZooKeeper serializes a txn with the
// same jute records for its log and its PROPOSALs.
func (t *Txn) AppendBinary(b []byte) ([]byte, error) {
	b = binary.AppendVarint(b, int64(t.Op))
	b = appendString(b, t.Path)
	b = appendString(b, t.Data)
	b = binary.AppendVarint(b, int64(t.Version))
	b = binary.AppendVarint(b, t.EphemeralOwner)
	b = binary.AppendVarint(b, int64(t.ParentCVersion))
	b = binary.AppendVarint(b, int64(t.Err))
	b = binary.AppendVarint(b, t.Session)
	b = binary.AppendVarint(b, int64(t.Timeout))
	b = binary.AppendVarint(b, t.Time)
	b = binary.AppendUvarint(b, uint64(len(t.Txns)))
	for i := range t.Txns {
		b, _ = t.Txns[i].AppendBinary(b)
	}
	return b, nil
}

// maxMultiDepth bounds the nesting of multis a decoder accepts (a leader
// makes none: a multi's ops are never multis).
const maxMultiDepth = 1

// DecodeTxn reads a txn encoded by Txn.AppendBinary.
func (d *Decoder) DecodeTxn(t *Txn) { d.decodeTxn(t, 0) }

func (d *Decoder) decodeTxn(t *Txn, depth int) {
	t.Op = Op(d.Int8())
	t.Path, t.Data = d.String(), d.String()
	t.Version = d.Int32()
	t.EphemeralOwner = d.Varint()
	t.ParentCVersion = d.Int32()
	t.Err = Err(d.Int32())
	t.Session = d.Varint()
	t.Timeout = d.Int32()
	t.Time = d.Varint()
	k := d.Count(11) // a txn takes at least 11 bytes
	if k > 0 && depth >= maxMultiDepth {
		d.Failf("multi inside a multi")
		return
	}
	if k > 0 {
		t.Txns = make([]Txn, k)
		for i := range t.Txns {
			d.decodeTxn(&t.Txns[i], depth+1)
		}
	}
}

// DecodeError is every decoding error of a Decoder; Why says what was wrong.
type DecodeError struct{ Why string }

func (e *DecodeError) Error() string { return "zab: ztree: " + e.Why }

func decodeError(why string) error { return &DecodeError{Why: why} }

// Decoder reads the varint encodings of this package (a tree, a txn) and the
// formats built on them (the quorum packets of server/transport, the log
// records of server/storage). The first error sticks: every later read returns
// zero, so a caller reads a whole record and checks Err once. It never panics
// and never allocates more than the input holds.
type Decoder struct {
	b   []byte
	err error
}

// NewDecoder reads b.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b} }

// Err is the first error, or nil.
func (d *Decoder) Err() error { return d.err }

// Len is how many bytes are left.
func (d *Decoder) Len() int { return len(d.b) }

// Fail records err unless an error is already recorded.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// Failf records a DecodeError saying why.
func (d *Decoder) Failf(why string) { d.Fail(decodeError(why)) }

func (d *Decoder) short() { d.Failf("unexpected end of data") }

// Byte reads one byte.
func (d *Decoder) Byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.short()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

// Uvarint reads an unsigned varint.
func (d *Decoder) Uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.Failf("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// Varint reads a signed varint.
func (d *Decoder) Varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.Failf("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// Uint32 reads an unsigned varint that must fit 32 bits.
func (d *Decoder) Uint32() uint32 {
	v := d.Uvarint()
	if v > 1<<32-1 {
		d.Failf("uint32 out of range")
		return 0
	}
	return uint32(v)
}

// Int32 reads a signed varint that must fit 32 bits.
func (d *Decoder) Int32() int32 {
	v := d.Varint()
	if int64(int32(v)) != v {
		d.Failf("int32 out of range")
		return 0
	}
	return int32(v)
}

// Int8 reads a signed varint that must fit 8 bits.
func (d *Decoder) Int8() int8 {
	v := d.Varint()
	if int64(int8(v)) != v {
		d.Failf("int8 out of range")
		return 0
	}
	return int8(v)
}

// Uint64BE reads 8 bytes, big endian.
func (d *Decoder) Uint64BE() uint64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.short()
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

// Count reads a length and checks it against the bytes left, at least
// minBytes for each item, so that garbage cannot make us allocate much.
func (d *Decoder) Count(minBytes int) int {
	v := d.Uvarint()
	if d.err == nil && v > uint64(len(d.b)/minBytes) {
		d.Failf("count " + strconv.FormatUint(v, 10) + " exceeds the data")
		return 0
	}
	return int(v)
}

// Bytes reads a uvarint length and that many bytes (a sub-slice of the input).
func (d *Decoder) Bytes() []byte {
	n := d.Uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.short()
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}

// String reads what appendString wrote.
func (d *Decoder) String() string { return string(d.Bytes()) }
