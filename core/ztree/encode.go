package ztree

import (
	"encoding/binary"
	"errors"
	"sort"
	"strconv"
)

// encodingVersion is the first byte of every encoded tree.
const encodingVersion = 1

// AppendBinary appends the tree's binary encoding to b (encoding.BinaryAppender).
// It is what a snapshot file holds, ZooKeeper's serialized DataTree plus the
// session table: a version byte, the znodes in sorted path order (path, data,
// czxid, mzxid, pzxid, version, cversion, ephemeralOwner; numChildren is left
// out, as it follows from the paths), then the sessions in id order with
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
	d := decoder{b: b}
	if v := d.byte(); d.err == nil && v != encodingVersion {
		return decodeError("unknown encoding version " + strconv.Itoa(int(v)))
	}
	count := d.count(9) // a node takes at least 9 bytes
	nt := &Tree{
		nodes:      make(map[string]*Znode, count),
		sessions:   map[int64]int32{},
		ephemerals: map[int64]map[string]struct{}{},
	}
	prev := ""
	for i := 0; i < count && d.err == nil; i++ {
		p, data := d.string(), d.string()
		var s Stat
		s.Czxid, s.Mzxid, s.Pzxid = d.uvarint(), d.uvarint(), d.uvarint()
		s.Version, s.Cversion = d.int32(), d.int32()
		s.EphemeralOwner = d.varint()
		if d.err != nil {
			break
		}
		if err := nt.addDecoded(i, prev, p, data, s); err != nil {
			return err
		}
		prev = p
	}
	nsess := d.count(2)
	for i := 0; i < nsess && d.err == nil; i++ {
		id, to := d.varint(), d.int32()
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

func decodeError(why string) error { return errors.New("zab: ztree: " + why) }

var errShort = decodeError("unexpected end of data")

// decoder reads varints and strings; the first error sticks and every later
// read returns zero.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.err = errShort
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = decodeError("bad varint")
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
		d.err = decodeError("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int32() int32 {
	v := d.varint()
	if int64(int32(v)) != v && d.err == nil {
		d.err = decodeError("int32 out of range")
		return 0
	}
	return int32(v)
}

// count reads a length and checks it against the bytes left, at least
// minBytes for each item, so that garbage cannot make us allocate much.
func (d *decoder) count(minBytes int) int {
	v := d.uvarint()
	if d.err == nil && v > uint64(len(d.b)/minBytes) {
		d.err = decodeError("count " + strconv.FormatUint(v, 10) + " exceeds the data")
		return 0
	}
	return int(v)
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = errShort
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
