package ensemble

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/zabplay/zabplay/core"
)

// pendingItem is an emitted event, or (lost > 0) the merger's own loss of
// that many events before the next one.
type pendingItem struct {
	ev   core.Event
	lost int
}

// frame is one {"type":"events"} message, encoded once and shared by every
// viewer's queue; or (lost > 0) a marker of events the merger lost before
// seq, which puts every viewer that had not passed seq into a gap.
type frame struct {
	seq  uint64 // the seq of its first event (a marker: of the next event)
	b    []byte
	offs []int // where each event starts in b, and (last) where the array ends
	lost int
}

// n is the number of events of the frame.
func (f *frame) n() int { return max(len(f.offs)-1, 0) }

// events is the frame's array elements from its k-th event, comma-separated.
func (f *frame) events(k int) []byte { return f.b[f.offs[k]:f.offs[len(f.offs)-1]] }

const eventsMsgHead = `{"type":"events","seq":`

// encodeFrames encodes items, the first event of which has seq first, into
// frames of at most batchMax events.
func encodeFrames(first uint64, items []pendingItem) []*frame {
	var out []*frame
	var f *frame
	seq := first
	for _, it := range items {
		if it.lost > 0 {
			f = nil
			out = append(out, &frame{seq: seq, lost: it.lost})
			continue
		}
		eb, err := json.Marshal(it.ev)
		if err != nil {
			eb = []byte(`{}`) // NB: keeps the seqs: a core.Event always encodes
		}
		if f == nil || f.n() == batchMax {
			f = &frame{seq: seq, b: make([]byte, 0, 64+len(eb)*min(len(items), batchMax))}
			f.b = append(f.b, eventsMsgHead...)
			f.b = strconv.AppendUint(f.b, seq, 10)
			f.b = append(f.b, `,"events":[`...)
			out = append(out, f)
		} else {
			f.b = append(f.b, ',')
			f.offs = f.offs[:len(f.offs)-1]
		}
		f.offs = append(f.offs, len(f.b))
		f.b = append(f.b, eb...)
		f.offs = append(f.offs, len(f.b))
		seq++
	}
	for _, f := range out {
		if f.lost == 0 {
			f.b = append(f.b, "]}"...)
		}
	}
	return out
}

// wakeFanout asks the fan-out goroutine for a flush.
func (s *stream) wakeFanout() {
	select {
	case s.flushReq <- struct{}{}:
	default:
	}
}

// fanout is the fan-out goroutine: at most one flush per batchEvery, so each
// viewer gets at most 20 messages a second, and the merger never encodes.
func (s *stream) fanout() {
	defer close(s.fanned)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var last time.Time
	for {
		select {
		case <-s.flushReq:
		case <-s.done:
			return
		}
		if wait := batchEvery - time.Since(last); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-s.done:
				timer.Stop()
				return
			}
		}
		last = time.Now()
		s.flush()
	}
}

// flush takes the pending events (mu held only for that), encodes them once
// and queues the same frames for every viewer (never blocking: a viewer
// whose queue is full gets a gap).
func (s *stream) flush() {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.mu.Lock()
	items := s.pending
	s.pending = nil
	first := s.seq
	s.mu.Unlock()
	for _, it := range items {
		if it.lost == 0 {
			first--
		}
	}
	if len(items) == 0 {
		return
	}
	s.vmu.Lock()
	vs := make([]*viewer, 0, len(s.viewers))
	for v := range s.viewers {
		vs = append(vs, v)
	}
	s.vmu.Unlock()
	if len(vs) == 0 {
		return // a viewer that comes starts from a snapshot past them
	}
	frames := encodeFrames(first, items)
	for _, v := range vs {
		v.push(frames)
	}
}
