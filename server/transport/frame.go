package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/zabplay/zabplay/core"
)

// Version is the protocol version: the first byte of every frame. A server
// refuses frames of any other version.
const Version = 1

// FrameType is the second byte of a frame.
type FrameType uint8

// Frame types.
const (
	// FrameHello opens a connection both ways: uvarint server id.
	FrameHello FrameType = 1
	// FrameReject says why a connection is refused (UTF-8 text); the sender
	// then closes it.
	FrameReject FrameType = 2
	// FrameMsg carries one message: uvarint trace id, then AppendMessage.
	FrameMsg FrameType = 3
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
	}
	return "frame(" + strconv.Itoa(int(t)) + ")"
}

// HeaderLen is the size of a frame header: version, type, 4-byte length.
const HeaderLen = 6

// MaxFrame bounds a frame body (a SNAP carries the whole tree).
const MaxFrame = 64 << 20

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

// ReadFrame reads one frame. A wrong version, an unknown type or a body over
// MaxFrame is an error wrapping ErrFrame (the caller closes the connection);
// I/O errors are returned as they are.
func ReadFrame(r io.Reader) (Frame, error) {
	var h [HeaderLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return Frame{}, err
	}
	f, n, err := parseHeader(h[:])
	if err != nil {
		return Frame{}, err
	}
	f.Body = make([]byte, n)
	if _, err := io.ReadFull(r, f.Body); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, err
	}
	return f, nil
}

func parseHeader(h []byte) (Frame, int, error) {
	if h[0] != Version {
		return Frame{}, 0, fmt.Errorf("%w: protocol version %d, want %d", ErrFrame, h[0], Version)
	}
	t := FrameType(h[1])
	if t < FrameHello || t > FrameMsg {
		return Frame{}, 0, fmt.Errorf("%w: unknown frame type %d", ErrFrame, h[1])
	}
	n := binary.BigEndian.Uint32(h[2:])
	if n > MaxFrame {
		return Frame{}, 0, fmt.Errorf("%w: %s frame of %d bytes (max %d)", ErrFrame, t, n, MaxFrame)
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

// helloBody is the body of a Hello frame.
func helloBody(id core.NodeID) []byte { return binary.AppendUvarint(nil, uint64(id)) }

// parseHello reads a Hello body.
func parseHello(b []byte) (core.NodeID, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 || n != len(b) || v == 0 || v > core.MaxNodes {
		return 0, fmt.Errorf("%w: hello body %x", ErrFrame, b)
	}
	return core.NodeID(v), nil
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
