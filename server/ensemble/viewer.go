package ensemble

import (
	"bytes"
	"strconv"
	"sync"
)

// batchMax bounds the events of one websocket message.
const batchMax = 1000

// viewer is one websocket watching an ensemble: a bounded queue of event
// JSON the merger fills (never blocking) and the viewer's writer drains.
type viewer struct {
	mu      sync.Mutex
	q       [][]byte
	max     int
	next    uint64 // stream seq of the event after the last queued one
	dropped int
	reason  string // set when the ensemble stopped
	ended   bool
	wake    chan struct{}
}

func newViewer(max int) *viewer {
	return &viewer{max: max, wake: make(chan struct{}, 1)}
}

func (v *viewer) signal() {
	select {
	case v.wake <- struct{}{}:
	default:
	}
}

// push queues one event (called by the merger with the stream's lock held).
// A full queue drops it: the viewer will get a gap marker and a fresh
// snapshot instead of everything it missed.
func (v *viewer) push(b []byte) {
	v.mu.Lock()
	if v.dropped > 0 || len(v.q) >= v.max {
		if v.dropped == 0 {
			v.dropped = len(v.q) // the queued events go too: the snapshot replaces them
			clear(v.q)
			v.q = v.q[:0]
		}
		v.dropped++
	} else {
		v.q = append(v.q, b)
	}
	v.next++
	v.mu.Unlock()
	v.signal()
}

// reset empties the queue at stream seq next (with the stream's lock held,
// when the viewer is sent a snapshot as of that seq).
func (v *viewer) reset(next uint64) {
	v.mu.Lock()
	clear(v.q)
	v.q, v.next, v.dropped = v.q[:0], next, 0
	v.mu.Unlock()
}

func (v *viewer) end(reason string) {
	v.mu.Lock()
	v.ended, v.reason = true, reason
	v.mu.Unlock()
	v.signal()
}

// take returns what the writer should send next: a batch of events (with the
// seq of the first), or the number of events dropped, or the reason the
// ensemble stopped.
func (v *viewer) take() (msg []byte, dropped int, ended bool, reason string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.ended {
		return nil, 0, true, v.reason
	}
	if v.dropped > 0 {
		return nil, v.dropped, false, ""
	}
	if len(v.q) == 0 {
		return nil, 0, false, ""
	}
	n := min(len(v.q), batchMax)
	first := v.next - uint64(len(v.q))
	var b bytes.Buffer
	b.WriteString(`{"type":"events","seq":`)
	b.WriteString(strconv.FormatUint(first, 10))
	b.WriteString(`,"events":[`)
	for i, e := range v.q[:n] {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(e)
	}
	b.WriteString("]}")
	k := copy(v.q, v.q[n:])
	clear(v.q[k:])
	v.q = v.q[:k]
	if k > 0 {
		v.signal()
	}
	return b.Bytes(), 0, false, ""
}
