package transport

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zabplay/zabplay/core"
)

// Version is the protocol version: the first byte of every frame. A server
// refuses frames of any other version. Version 2 added the authenticated
// handshake (a target id and a nonce in Hello, then Auth frames).
const Version = 2

// FrameType is the second byte of a frame.
type FrameType uint8

// Frame types.
const (
	// FrameHello opens a connection both ways: flags (1 byte: 1 = the sender
	// has a secret), uvarint sender id, uvarint the id it expects at the far
	// end, and a fresh NonceLen-byte nonce.
	FrameHello FrameType = 1
	// FrameReject says why a connection is refused (UTF-8 text); the sender
	// then closes it.
	FrameReject FrameType = 2
	// FrameMsg carries one message: uvarint trace id, then AppendMessage.
	FrameMsg FrameType = 3
	// FrameAuth proves knowledge of the shared secret: an HMAC-SHA256 over
	// both ids and both nonces of the handshake (see authMAC). The dialer
	// sends its Auth first; the acceptor answers with its own.
	FrameAuth FrameType = 4
)

// String names the frame type.
func (t FrameType) String() string {
	switch t {
	case FrameHello:
		return "hello"
	case FrameReject:
		return "reject"
	case FrameMsg:
		return "msg"
	case FrameAuth:
		return "auth"
	}
	return "frame(" + strconv.Itoa(int(t)) + ")"
}

// HeaderLen is the size of a frame header: version, type, 4-byte length.
const HeaderLen = 6

// MaxFrame bounds a Msg frame body (a SNAP carries the whole tree).
const MaxFrame = 64 << 20

// NonceLen is the size of a Hello's nonce.
const NonceLen = 32

// Bounds of the handshake frames: their real sizes, so nothing a stranger
// sends before it is authenticated costs more than a few dozen bytes.
const (
	maxHello  = 1 + 2*binary.MaxVarintLen16 + NonceLen
	maxAuth   = sha256.Size
	maxReject = 1024
)

// MaxBody is the largest body a frame of type t may carry.
func MaxBody(t FrameType) int {
	switch t {
	case FrameHello:
		return maxHello
	case FrameAuth:
		return maxAuth
	case FrameReject:
		return maxReject
	case FrameMsg:
		return MaxFrame
	}
	return 0
}

// Frame is one decoded frame.
type Frame struct {
	Type FrameType
	Body []byte
}

// AppendFrame appends a frame with the given type and body to b.
func AppendFrame(b []byte, t FrameType, body []byte) []byte {
	return append(appendHeader(b, t, len(body)), body...)
}

func appendHeader(b []byte, t FrameType, n int) []byte {
	b = append(b, Version, byte(t))
	return binary.BigEndian.AppendUint32(b, uint32(n))
}

// ErrFrame wraps every malformed-frame error.
var ErrFrame = errors.New("transport: bad frame")

// readChunk is the most ReadFrame allocates ahead of the bytes that arrived.
const readChunk = 64 << 10

// ReadFrame reads one frame of any type. A wrong version, an unknown type or
// a body over the type's MaxBody is an error wrapping ErrFrame (the caller
// closes the connection); I/O errors are returned as they are. A body larger
// than 64 KiB is read in chunks, its buffer growing only as bytes arrive: a
// header claiming 64 MiB costs nothing until 64 MiB come.
func ReadFrame(r io.Reader) (Frame, error) { return readFrame(r) }

// readFrame is ReadFrame accepting only the given types (all if none): any
// other is refused from its header, before its body is read.
func readFrame(r io.Reader, want ...FrameType) (Frame, error) {
	var h [HeaderLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return Frame{}, err
	}
	f, n, err := parseHeader(h[:])
	if err != nil {
		return Frame{}, err
	}
	if len(want) > 0 && !slices.Contains(want, f.Type) {
		return Frame{}, fmt.Errorf("%w: expected %s, got a %s frame", ErrFrame, typeList(want), f.Type)
	}
	if f.Body, err = readBody(r, n); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, err
	}
	return f, nil
}

func typeList(ts []FrameType) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.String()
	}
	return strings.Join(s, " or ")
}

// readBody reads n bytes; past readChunk it grows its buffer as they arrive.
func readBody(r io.Reader, n int) ([]byte, error) {
	if n <= readChunk {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, err
	}
	var buf bytes.Buffer
	buf.Grow(readChunk)
	got, err := io.CopyN(&buf, r, int64(n))
	if err == nil && got != int64(n) {
		err = io.ErrUnexpectedEOF
	}
	return buf.Bytes(), err
}

func parseHeader(h []byte) (Frame, int, error) {
	if h[0] != Version {
		return Frame{}, 0, fmt.Errorf("%w: protocol version %d, want %d", ErrFrame, h[0], Version)
	}
	t := FrameType(h[1])
	max := MaxBody(t)
	if max == 0 {
		return Frame{}, 0, fmt.Errorf("%w: unknown frame type %d", ErrFrame, h[1])
	}
	n := binary.BigEndian.Uint32(h[2:])
	if n > uint32(max) {
		return Frame{}, 0, fmt.Errorf("%w: %s frame of %d bytes (max %d)", ErrFrame, t, n, max)
	}
	return Frame{Type: t}, int(n), nil
}

// DecodeFrames splits b into frames; it is the in-memory form of ReadFrame
// (used by the fuzz test). It returns the frames before the first error.
func DecodeFrames(b []byte) ([]Frame, error) {
	var out []Frame
	for len(b) > 0 {
		if len(b) < HeaderLen {
			return out, fmt.Errorf("%w: %d bytes of header", ErrFrame, len(b))
		}
		f, n, err := parseHeader(b[:HeaderLen])
		if err != nil {
			return out, err
		}
		b = b[HeaderLen:]
		if n > len(b) {
			return out, fmt.Errorf("%w: body of %d bytes, %d present", ErrFrame, n, len(b))
		}
		f.Body = b[:n:n]
		b = b[n:]
		out = append(out, f)
	}
	return out, nil
}

// MsgBody encodes a Msg frame body: the trace id, then the message.
func MsgBody(b []byte, id uint64, m core.Message) ([]byte, error) {
	b = binary.AppendUvarint(b, id)
	return AppendMessage(b, m)
}

// ParseMsg decodes a Msg frame body.
func ParseMsg(b []byte) (uint64, core.Message, error) {
	id, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, core.Message{}, badMessage("bad trace id")
	}
	m, err := DecodeMessage(b[n:])
	return id, m, err
}

// rejectText makes a Reject body printable.
func rejectText(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	if !utf8.Valid(b) {
		return fmt.Sprintf("%q", b)
	}
	return string(b)
}
