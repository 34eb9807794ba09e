package zkwire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxFrame is jute.maxbuffer's default, 0xfffff (1 MiB minus 1):
// the largest frame length ZooKeeper's server accepts
// (BinaryInputArchive.maxBuffer, checked in NIOServerCnxn.readLength), and
// what its clients accept from a server (ZKClientConfig's
// jute.maxbuffer): a server must not answer with more.
const DefaultMaxFrame = 0xfffff

// readChunk bounds what a FrameReader allocates before the bytes arrive: a
// frame is read in buffers that at most double, each filled before the next
// is made.
const readChunk = 64 << 10

// FrameLengthError is the error for a length prefix that is negative or
// over the reader's maximum. NIOServerCnxn closes the connection with "Len
// error" then.
type FrameLengthError struct {
	Len int32
	Max int
}

// Error is NIOServerCnxn's "Len error" in short.
func (e *FrameLengthError) Error() string {
	return fmt.Sprintf("zkwire: frame length %d is either malformed or too large (jute.maxbuffer=%d)", e.Len, e.Max)
}

// A FrameReader reads frames, each a 4-byte big-endian length and that many
// bytes, from a connection. The length is checked against Max before
// anything is allocated for it, and the body is read as it arrives (in
// buffers that at most double, starting from 64 KiB), so a peer that claims
// a large frame and sends little costs little.
type FrameReader struct {
	r   io.Reader
	max int
	buf []byte
	hdr [4]byte
}

// NewFrameReader returns a FrameReader on r that refuses frames longer than
// max bytes (DefaultMaxFrame if max <= 0).
func NewFrameReader(r io.Reader, max int) *FrameReader {
	if max <= 0 {
		max = DefaultMaxFrame
	}
	return &FrameReader{r: r, max: max}
}

// Max returns the largest frame the reader accepts.
func (f *FrameReader) Max() int { return f.max }

// ReadFrame reads one frame and returns its body, valid until the next call.
// It returns io.EOF when the connection ends cleanly between frames, an
// error wrapping io.ErrUnexpectedEOF when it ends inside one, and a
// *FrameLengthError for a bad length.
func (f *FrameReader) ReadFrame() ([]byte, error) {
	n, err := f.readLength()
	if err != nil {
		return nil, err
	}
	return f.readBody(n)
}

// ReadFirst reads the first frame of a connection. ZooKeeper reads a length
// that spells a four-letter word ("ruok" is 0x72756f6b) before the
// handshake as that command, not as a length (NIOServerCnxn.readLength,
// checkFourLetterWord); ReadFirst does the same: for a known word it
// returns the word and no frame, and reads nothing more (stmk's 8-byte
// argument is the caller's to read).
func (f *FrameReader) ReadFirst() (frame []byte, word string, err error) {
	if _, err := io.ReadFull(f.r, f.hdr[:]); err != nil {
		return nil, "", lengthErr(err)
	}
	if w, ok := FourLetterWord(f.hdr); ok {
		return nil, w, nil
	}
	n, err := f.checkLength(int32(binary.BigEndian.Uint32(f.hdr[:])))
	if err != nil {
		return nil, "", err
	}
	frame, err = f.readBody(n)
	return frame, "", err
}

func lengthErr(err error) error {
	if err == io.EOF {
		return io.EOF
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("zkwire: connection ended inside a length prefix: %w", io.ErrUnexpectedEOF)
	}
	return err
}

func (f *FrameReader) readLength() (int, error) {
	if _, err := io.ReadFull(f.r, f.hdr[:]); err != nil {
		return 0, lengthErr(err)
	}
	return f.checkLength(int32(binary.BigEndian.Uint32(f.hdr[:])))
}

func (f *FrameReader) checkLength(n int32) (int, error) {
	if n < 0 || int64(n) > int64(f.max) {
		return 0, &FrameLengthError{Len: n, Max: f.max}
	}
	return int(n), nil
}

func (f *FrameReader) readBody(n int) ([]byte, error) {
	if cap(f.buf) > readChunk {
		f.buf = nil // do not keep a large frame's buffer for the next one
	}
	buf := f.buf[:0]
	for len(buf) < n {
		if len(buf) == cap(buf) {
			grow := max(cap(buf), readChunk)
			grow = min(grow, n-len(buf))
			nb := make([]byte, len(buf), len(buf)+grow)
			copy(nb, buf)
			buf = nb
		}
		m, err := f.r.Read(buf[len(buf):min(cap(buf), n)])
		buf = buf[:len(buf)+m]
		if err != nil && len(buf) < n {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("zkwire: frame of %d bytes, connection ended after %d: %w", n, len(buf), err)
		}
	}
	f.buf = buf
	return buf, nil
}

// AppendFrame appends a length prefix and body.
func AppendFrame(dst, body []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
	return append(dst, body...)
}
