package node

import (
	"encoding/json"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/zabplay/zabplay/core"
)

// Hub fans a node's trace events out to subscribers as JSON. Publish never
// blocks: a subscriber whose buffer is full loses events, and gets a gap
// marker {"kind":"gap","dropped":N,"t":T} before the next event it receives.
type Hub struct {
	start  time.Time
	mu     sync.Mutex
	subs   map[*Sub]struct{}
	closed bool
	sink   io.Writer // Config.EventSink: every event, synchronously
}

// Sub is one subscription. C yields one JSON object per event and is closed
// when the subscription or the hub closes.
type Sub struct {
	C       <-chan []byte
	c       chan []byte
	hub     *Hub
	dropped int
}

// NewHub makes a hub whose clock starts now.
func NewHub(start time.Time) *Hub { return &Hub{start: start, subs: map[*Sub]struct{}{}} }

// Now is the hub's clock: milliseconds since start.
func (h *Hub) Now() int64 { return time.Since(h.start).Milliseconds() }

// Subscribe returns a subscription buffering up to buf events.
func (h *Hub) Subscribe(buf int) *Sub {
	if buf < 1 {
		buf = 1
	}
	s := &Sub{c: make(chan []byte, buf), hub: h}
	s.C = s.c
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(s.c)
		return s
	}
	h.subs[s] = struct{}{}
	return s
}

// Close ends the subscription.
func (s *Sub) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.c)
	}
}

// Publish stamps e.At with the hub's clock and sends it to every subscriber.
func (h *Hub) Publish(e core.Event) {
	e.At = h.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) == 0 && h.sink == nil {
		return
	}
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	if h.sink != nil {
		if _, err := h.sink.Write(append(b, '\n')); err != nil {
			h.sink = nil
		}
	}
	for s := range h.subs {
		if s.dropped > 0 {
			gap := []byte(`{"kind":"gap","dropped":` + strconv.Itoa(s.dropped) + `,"t":` + strconv.FormatInt(e.At, 10) + `}`)
			select {
			case s.c <- gap:
				s.dropped = 0
			default:
				s.dropped++
				continue
			}
		}
		select {
		case s.c <- b:
		default:
			s.dropped++
		}
	}
}

// Close ends every subscription; later ones are closed at once.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		delete(h.subs, s)
		close(s.c)
	}
}
