package ensemble

import (
	"strconv"
	"sync"
)

// batchMax bounds the events of one websocket message.
const batchMax = 1000

// viewer is one websocket watching an ensemble: a bounded queue of the
// stream's frames (encoded once, shared by every viewer) that the fan-out
// fills (never blocking) and the viewer's writer drains.
type viewer struct {
	mu      sync.Mutex
	q       []queued
	n       int // events queued
	max     int
	next    uint64 // stream seq of the event after the last queued one
	dropped int
	reason  string // set when the ensemble stopped
	ended   bool
	wake    chan struct{}
}

// queued is a frame from its skip-th event (the viewer's snapshot had the
// ones before).
type queued struct {
	f    *frame
	skip int
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

// push queues the frames' events from v.next on (frames come in seq order;
// the events before v.next are in the viewer's snapshot). A full queue drops
// them: the viewer will get a gap marker and a fresh snapshot instead of
// everything it missed. So does a marker of events the merger lost.
func (v *viewer) push(fs []*frame) {
	v.mu.Lock()
	for _, f := range fs {
		if f.lost > 0 {
			if f.seq >= v.next {
				v.drop(f.lost)
			}
			continue
		}
		end := f.seq + uint64(f.n())
		if end <= v.next {
			continue
		}
		if f.seq > v.next {
			v.drop(int(f.seq - v.next)) // NB: not expected; never a silent hole
			v.next = f.seq
		}
		skip := int(v.next - f.seq)
		n := f.n() - skip
		if v.dropped > 0 || v.n+n > v.max {
			v.drop(n)
		} else {
			v.q = append(v.q, queued{f, skip})
			v.n += n
		}
		v.next = end
	}
	v.mu.Unlock()
	v.signal()
}

// drop turns the queue into a gap of n more events; v.mu is held.
func (v *viewer) drop(n int) {
	if v.dropped == 0 {
		v.dropped = v.n // the queued events go too: the snapshot replaces them
		clear(v.q)
		v.q, v.n = v.q[:0], 0
	}
	v.dropped += n
}

// queueLen is the number of events queued.
func (v *viewer) queueLen() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.n
}

// reset empties the queue at stream seq next (with the stream's lock held,
// when the viewer is sent a snapshot as of that seq).
func (v *viewer) reset(next uint64) {
	v.mu.Lock()
	clear(v.q)
	v.q, v.n, v.next, v.dropped = v.q[:0], 0, next, 0
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
// ensemble stopped. One whole frame is sent as the fan-out encoded it;
// several (a viewer that fell behind) or a part of one are joined into one
// message of at most batchMax events.
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
	k, n, size := 0, 0, 0
	for k < len(v.q) {
		c := v.q[k].f.n() - v.q[k].skip
		if k > 0 && n+c > batchMax {
			break
		}
		n += c
		size += len(v.q[k].f.events(v.q[k].skip)) + 1
		k++
	}
	if q := v.q[0]; k == 1 && q.skip == 0 {
		msg = q.f.b
	} else {
		first := q.f.seq + uint64(q.skip)
		b := make([]byte, 0, len(eventsMsgHead)+24+size)
		b = append(b, eventsMsgHead...)
		b = strconv.AppendUint(b, first, 10)
		b = append(b, `,"events":[`...)
		for i, q := range v.q[:k] {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, q.f.events(q.skip)...)
		}
		msg = append(b, "]}"...)
	}
	m := copy(v.q, v.q[k:])
	clear(v.q[m:])
	v.q, v.n = v.q[:m], v.n-n
	if m > 0 {
		v.signal()
	}
	return msg, 0, false, ""
}
