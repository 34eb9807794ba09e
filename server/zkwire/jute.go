package zkwire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrShort is wrapped by every error a Decoder returns when a field runs
// past the end of its input (ZooKeeper's BinaryInputArchive throws an
// EOFException there).
var ErrShort = errors.New("zkwire: input ends inside a field")

// DecodeError is the error a Decoder keeps: what it was reading, at which
// offset of its input, and why it stopped.
type DecodeError struct {
	Field  string // the field or record being read, e.g. "CreateRequest.acl"
	Offset int    // the offset of that field in the input
	Err    error  // ErrShort, or a description of the bad value
}

// Error says what was read, where, and why it failed.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("zkwire: %s at offset %d: %v", e.Field, e.Offset, e.Err)
}

// Unwrap returns the cause (ErrShort, for one).
func (e *DecodeError) Unwrap() error { return e.Err }

// A Decoder reads jute's binary encoding (org.apache.jute.BinaryInputArchive)
// from a byte slice. Its errors are sticky: after the first one every read
// returns a zero value and Err reports that first error, so a record's
// Decode reads all its fields and checks once. It never panics, and it never
// allocates more than its input can back: a buffer or string of length n is
// allocated only once n bytes are known to remain, and a vector's count is
// checked against the remaining bytes (each element takes at least its
// minimum encoded size) before anything is made for it.
//
// Stricter than BinaryInputArchive, so that every input a Decoder accepts
// re-encodes to the same bytes: a boolean is the byte 0 or 1 (Java's
// readBoolean takes any non-zero byte as true), a vector's count is -1 (null)
// or at least 0 (Java takes any negative count as empty), a ustring is never
// null (-1), and the lengths of buffers and strings are bounded by the input
// rather than by jute.maxbuffer (the frame's own bound, checked by the
// FrameReader, comes first). No client sends any of these.
type Decoder struct {
	buf []byte
	off int
	err error
}

// NewDecoder returns a Decoder reading b. Buffers and strings it returns are
// copies: b may be reused once decoding is done.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

// Err returns the first error the Decoder met, or nil.
func (d *Decoder) Err() error { return d.err }

// Offset returns how many bytes the Decoder has consumed.
func (d *Decoder) Offset() int { return d.off }

// Remaining returns how many bytes are left to read.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Fail records err (as a DecodeError on field at the current offset) unless
// an error is already recorded. Records call it for values jute can carry but
// ZooKeeper refuses (an unknown op type inside a multi, for instance).
func (d *Decoder) Fail(field string, err error) {
	if d.err == nil {
		d.err = &DecodeError{Field: field, Offset: d.off, Err: err}
	}
}

// End fails with an error naming record if bytes remain after it.
// ZooKeeper ignores trailing bytes after a request's record; the Decoder
// refuses them so that an accepted frame has exactly one encoding.
func (d *Decoder) End(record string) {
	if d.err == nil && d.off != len(d.buf) {
		d.Fail(record, fmt.Errorf("%d bytes after the record", len(d.buf)-d.off))
	}
}

func (d *Decoder) take(field string, n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.buf)-d.off {
		d.Fail(field, fmt.Errorf("%w: need %d bytes, %d left", ErrShort, n, len(d.buf)-d.off))
		return nil
	}
	b := d.buf[d.off : d.off+n]
	d.off += n
	return b
}

// Int reads a jute int: 4 bytes, big endian, signed.
func (d *Decoder) Int(field string) int32 {
	b := d.take(field, 4)
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

// Long reads a jute long: 8 bytes, big endian, signed.
func (d *Decoder) Long(field string) int64 {
	b := d.take(field, 8)
	if b == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

// Bool reads a jute boolean: one byte, 0 or 1.
func (d *Decoder) Bool(field string) bool {
	start := d.off
	b := d.take(field, 1)
	if b == nil {
		return false
	}
	switch b[0] {
	case 0:
		return false
	case 1:
		return true
	}
	d.off = start
	d.Fail(field, fmt.Errorf("boolean byte %#02x, want 0 or 1", b[0]))
	return false
}

// length reads a length or count field: -1 (null) or a count whose
// elements, each at least minElem (>= 1) bytes, fit in what remains.
func (d *Decoder) length(field string, minElem int) (n int, null bool) {
	start := d.off
	v := d.Int(field)
	if d.err != nil {
		return 0, false
	}
	if v == -1 {
		return 0, true
	}
	if v < 0 {
		d.off = start
		d.Fail(field, fmt.Errorf("negative length %d", v))
		return 0, false
	}
	if rem := d.Remaining(); int64(v)*int64(minElem) > int64(rem) {
		d.off = start
		if minElem == 1 {
			d.Fail(field, fmt.Errorf("%w: length %d, %d bytes left", ErrShort, v, rem))
		} else {
			d.Fail(field, fmt.Errorf("%w: %d elements of at least %d bytes, %d bytes left", ErrShort, v, minElem, rem))
		}
		return 0, false
	}
	return int(v), false
}

// Buffer reads a jute buffer: an int length, then that many bytes; -1 is
// null and decodes as nil, 0 as a non-nil empty slice. The result is a copy.
func (d *Decoder) Buffer(field string) []byte {
	n, null := d.length(field, 1)
	if d.err != nil || null {
		return nil
	}
	b := d.take(field, n)
	if d.err != nil {
		return nil
	}
	return append(make([]byte, 0, n), b...)
}

// String reads a jute ustring: an int length, then that many bytes of UTF-8
// (not checked: ZooKeeper's paths are validated where they are used). A null
// string (-1) is refused.
func (d *Decoder) String(field string) string {
	start := d.off
	n, null := d.length(field, 1)
	if d.err != nil {
		return ""
	}
	if null {
		d.off = start
		d.Fail(field, errors.New("null string"))
		return ""
	}
	return string(d.take(field, n))
}

// VectorLen reads a vector's count: -1 (null) or a count whose elements,
// each at least minElem bytes, fit in what remains.
func (d *Decoder) VectorLen(field string, minElem int) (n int, null bool) {
	if minElem < 1 {
		minElem = 1
	}
	return d.length(field, minElem)
}

// Strings reads a vector<ustring>: nil when null, a non-nil slice otherwise.
func (d *Decoder) Strings(field string) []string {
	n, null := d.VectorLen(field, 4)
	if d.err != nil || null {
		return nil
	}
	out := make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.String(field))
	}
	if d.err != nil {
		return nil
	}
	return out
}

// An Encoder appends jute's binary encoding (BinaryOutputArchive) to a byte
// slice. It cannot fail.
type Encoder struct {
	buf []byte
}

// NewEncoder returns an Encoder appending to buf (which may be nil).
func NewEncoder(buf []byte) *Encoder { return &Encoder{buf: buf} }

// Bytes returns everything encoded so far.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len returns how many bytes the Encoder holds.
func (e *Encoder) Len() int { return len(e.buf) }

// Int appends a jute int.
func (e *Encoder) Int(v int32) { e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(v)) }

// Long appends a jute long.
func (e *Encoder) Long(v int64) { e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v)) }

// Bool appends a jute boolean: 1 or 0.
func (e *Encoder) Bool(v bool) {
	if v {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}

// Buffer appends a jute buffer; nil is null (-1), as Java writes a null
// byte[].
func (e *Encoder) Buffer(b []byte) {
	if b == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(b)))
	e.buf = append(e.buf, b...)
}

// String appends a jute ustring.
func (e *Encoder) String(s string) {
	e.Int(int32(len(s)))
	e.buf = append(e.buf, s...)
}

// VectorLen appends a vector's count: -1 when null.
func (e *Encoder) VectorLen(n int, null bool) {
	if null {
		e.Int(-1)
		return
	}
	e.Int(int32(n))
}

// Strings appends a vector<ustring>; nil is null (-1).
func (e *Encoder) Strings(ss []string) {
	e.VectorLen(len(ss), ss == nil)
	for _, s := range ss {
		e.String(s)
	}
}

// StringsNonNull appends a vector<ustring>, nil as an empty vector: for the
// responses ZooKeeper never sends null (a znode's children, for instance).
func (e *Encoder) StringsNonNull(ss []string) {
	e.Int(int32(len(ss)))
	for _, s := range ss {
		e.String(s)
	}
}
