package sim

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/zabplay/zabplay/core"
)

// TraceEncoder writes events as JSON lines (the trace format the browser and
// `sim --trace` use). encoding/json writes struct fields in order, so the
// bytes depend only on the events.
type TraceEncoder struct {
	w   *bufio.Writer
	enc *json.Encoder
	err error
}

// NewTraceEncoder writes to w, buffered: call Flush at the end.
func NewTraceEncoder(w io.Writer) *TraceEncoder {
	bw := bufio.NewWriterSize(w, 1<<16)
	return &TraceEncoder{w: bw, enc: json.NewEncoder(bw)}
}

// Write encodes one event; the first error sticks and Flush returns it.
func (t *TraceEncoder) Write(e core.Event) {
	if t.err == nil {
		t.err = t.enc.Encode(e)
	}
}

// Flush writes out what is buffered, or returns the first error.
func (t *TraceEncoder) Flush() error {
	if t.err != nil {
		return t.err
	}
	return t.w.Flush()
}
