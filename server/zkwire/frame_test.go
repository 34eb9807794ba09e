package zkwire

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

func TestFrameReader(t *testing.T) {
	var stream []byte
	stream = AppendFrame(stream, []byte("one"))
	stream = AppendFrame(stream, nil)
	stream = AppendRequest(stream, RequestHeader{Xid: XidPing, Type: OpPing}, nil)
	big := bytes.Repeat([]byte{0xab}, 300_000) // over readChunk: read in growing buffers
	stream = AppendFrame(stream, big)
	// iotest.OneByteReader-like: the frames arrive a byte at a time.
	fr := NewFrameReader(&oneByte{r: bytes.NewReader(stream)}, 0)
	if fr.Max() != DefaultMaxFrame {
		t.Errorf("Max = %d, want %d", fr.Max(), DefaultMaxFrame)
	}
	for i, want := range [][]byte{[]byte("one"), {}, unhex(t, "fffffffe 0000000b"), big} {
		got, err := fr.ReadFrame()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("frame %d: %d bytes, %v; want %d bytes", i, len(got), err, len(want))
		}
	}
	if _, err := fr.ReadFrame(); err != io.EOF {
		t.Errorf("at the end: %v, want io.EOF", err)
	}
}

type oneByte struct{ r io.Reader }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func TestFrameReaderRefuses(t *testing.T) {
	cases := []struct {
		name, input, want string
		max               int
	}{
		{"over jute.maxbuffer", "00100000", "frame length 1048576 is either malformed or too large (jute.maxbuffer=1048575)", 0},
		{"over a configured max", "00000011" + strings.Repeat("00", 17), "frame length 17 is either malformed or too large (jute.maxbuffer=16)", 16},
		{"negative", "fffffff0", "frame length -16", 0},
		{"telnet's close sequence", "fff4fffd", "frame length -720899", 0},
		{"truncated prefix", "0000", "inside a length prefix: unexpected EOF", 0},
		{"truncated body", "00000008 0102", "frame of 8 bytes, connection ended after 2: unexpected EOF", 0},
	}
	for _, c := range cases {
		fr := NewFrameReader(bytes.NewReader(unhex(t, c.input)), c.max)
		_, err := fr.ReadFrame()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	_, err := NewFrameReader(bytes.NewReader(unhex(t, "00100000")), 0).ReadFrame()
	var le *FrameLengthError
	if !errors.As(err, &le) || le.Len != 0x100000 || le.Max != DefaultMaxFrame {
		t.Errorf("%v is not the FrameLengthError it should be", err)
	}
}

// TestFrameReaderSlowLoris: a peer that claims a frame of jute.maxbuffer
// and sends 10 bytes costs a 64 KiB buffer, not the megabyte it claims.
func TestFrameReaderSlowLoris(t *testing.T) {
	input := append(unhex(t, "000fffff"), make([]byte, 10)...)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 20 {
		fr := NewFrameReader(bytes.NewReader(input), 0)
		if _, err := fr.ReadFrame(); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("%v, want unexpected EOF", err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / 20; per > readChunk+4096 {
		t.Errorf("%d bytes allocated for a 1 MiB claim with 10 bytes sent, want at most %d", per, readChunk+4096)
	}
}

func TestReadFirst(t *testing.T) {
	for w := range fourLetterWords {
		fr := NewFrameReader(strings.NewReader(w+"\n"), 0)
		frame, word, err := fr.ReadFirst()
		if err != nil || word != w || frame != nil {
			t.Errorf("%q: %q %q %v", w, frame, word, err)
		}
	}
	connect := Marshal(&ConnectRequest{TimeOut: 30000, Passwd: make([]byte, 16), HasReadOnly: true})
	frame, word, err := NewFrameReader(bytes.NewReader(AppendFrame(nil, connect)), 0).ReadFirst()
	if err != nil || word != "" || !bytes.Equal(frame, connect) {
		t.Errorf("connect: %x %q %v", frame, word, err)
	}
	// Not a word ZooKeeper knows: a length, and far too large.
	_, _, err = NewFrameReader(strings.NewReader("abcd"), 0).ReadFirst()
	var le *FrameLengthError
	if !errors.As(err, &le) {
		t.Errorf("abcd: %v, want a FrameLengthError", err)
	}
	if _, ok := FourLetterWord([4]byte{'r', 'u', 'o', 'k'}); !ok {
		t.Error("ruok not recognized")
	}
	if w, ok := FourLetterWord([4]byte{'R', 'U', 'O', 'K'}); ok {
		t.Errorf("RUOK recognized as %q: ZooKeeper's words are lower case", w)
	}
	if _, _, err := NewFrameReader(strings.NewReader(""), 0).ReadFirst(); err != io.EOF {
		t.Errorf("empty connection: %v, want io.EOF", err)
	}
}
