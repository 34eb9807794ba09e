package sim

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/zabplay/zabplay/core"
)

// traceEncoder writes events as JSON lines (the trace format the browser and
// `sim --trace` use). encoding/json writes struct fields in order, so the
// bytes depend only on the events.
type traceEncoder struct {
	w   *bufio.Writer
	enc *json.Encoder
	err error
}

func newTraceEncoder(w io.Writer) *traceEncoder {
	bw := bufio.NewWriterSize(w, 1<<16)
	return &traceEncoder{w: bw, enc: json.NewEncoder(bw)}
}

func (t *traceEncoder) write(e core.Event) {
	if t.err == nil {
		t.err = t.enc.Encode(e)
	}
}

func (t *traceEncoder) flush() error {
	if t.err != nil {
		return t.err
	}
	return t.w.Flush()
}
