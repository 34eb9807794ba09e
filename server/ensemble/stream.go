package ensemble

import (
	"bytes"
	"encoding/json"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/check"
	"github.com/zabplay/zabplay/core/sim"
)

// causalWait bounds how long the merger holds back a server's events behind a
// deliver-msg whose send it has not seen (the send may have been lost: a node
// publishes its first events before anyone can subscribe to its hub).
const causalWait = 200 * time.Millisecond

// causalWaitMax bounds the wait while the sender's own events lag behind the
// delivery (its send is then most likely still on its way to the merger).
const causalWaitMax = 2 * time.Second

// clockSlackMs covers the rounding of the sources' offsets to whole ms.
const clockSlackMs = 5

// checkMax is how many events the ensemble's checker observes before it stops
// (its trace grows with the run; a long session must not grow without end).
const checkMax = 500_000

// historyMax bounds the committed txns kept to draw each server's tree.
const historyMax = 50_000

// input is what a source's reader hands the merger: one event of a server's
// hub, or the end of that source.
type input struct {
	src *source
	ev  core.Event
	gap int  // the hub dropped this many events before ev
	end bool // the hub closed; ev is the crash event to emit last (Kind 0: none)
}

// source is one incarnation of one server: its hub's events in order.
type source struct {
	node    core.NodeID
	offset  int64 // ms from the ensemble's start to the incarnation's clock zero
	queue   []core.Event
	ended   bool
	blocked time.Time // when its head started waiting for a send
	last    int64     // the time of the last event taken in
}

// txnText is a committed txn as the tree and log tail need it.
type txnText struct {
	zxid core.Zxid
	text string
}

// stream merges the servers' event streams into one, in an order that
// respects causality (a deliver-msg after its send), tracks what State needs
// from the events (messages in flight, sync modes, committed txns), runs the
// checker over it, and fans it out to the viewers.
type stream struct {
	start  time.Time
	in     chan input
	done   chan struct{}
	closed chan struct{}

	// Owned by the merger goroutine.
	sources []*source
	// queued counts events taken in but not yet emitted; subs are the hub
	// channels being read (both for settle).
	queued atomic.Int64
	subsMu sync.Mutex
	subs   map[<-chan []byte]struct{}

	mu        sync.Mutex
	seq       uint64 // events emitted
	lastAt    int64
	inflight  map[uint64]sim.InflightMsg
	lastSync  map[core.NodeID]string
	proposals map[core.Zxid]string // proposed or delivered txn texts
	history   []txnText            // committed txns, by zxid
	checker   *check.Checker
	checked   int
	violation *sim.StateViolation
	viewers   map[*viewer]struct{}
	// gaps counts events the merger's own hub subscriptions lost.
	gaps int
	// onEvent, if set, sees every emitted event (under mu; tests).
	onEvent func(core.Event)
}

func newStream(start time.Time) *stream {
	s := &stream{
		start: start, in: make(chan input, 4096), done: make(chan struct{}), closed: make(chan struct{}),
		inflight: map[uint64]sim.InflightMsg{}, lastSync: map[core.NodeID]string{},
		proposals: map[core.Zxid]string{}, checker: check.New(), viewers: map[*viewer]struct{}{},
		subs: map[<-chan []byte]struct{}{},
	}
	go s.merge()
	return s
}

// now is the ensemble's clock: ms since it started.
func (s *stream) now() int64 { return time.Since(s.start).Milliseconds() }

// addSource starts reading one server incarnation's events. C yields a
// node.Hub's JSON events and is closed when the server stops; first, if set,
// is emitted before them (a restart); last, if set, is called when C closes
// and returns the event to emit after them (a crash).
func (s *stream) addSource(id core.NodeID, offset int64, c <-chan []byte, first *core.Event, last func() *core.Event) {
	src := &source{node: id, offset: offset}
	send := func(in input) bool {
		select {
		case s.in <- in:
			return true
		case <-s.done:
			return false
		}
	}
	s.subsMu.Lock()
	s.subs[c] = struct{}{}
	s.subsMu.Unlock()
	go func() {
		defer func() {
			s.subsMu.Lock()
			delete(s.subs, c)
			s.subsMu.Unlock()
		}()
		if first != nil {
			e := *first
			e.At -= offset // rebased back below
			if !send(input{src: src, ev: e}) {
				return
			}
		}
		for b := range c {
			in := input{src: src}
			if bytes.Contains(b, []byte(`"kind":"gap"`)) {
				var g struct {
					Dropped int `json:"dropped"`
				}
				json.Unmarshal(b, &g)
				in.gap = g.Dropped
			} else if err := json.Unmarshal(b, &in.ev); err != nil {
				continue
			}
			if !send(in) {
				return
			}
		}
		in := input{src: src, end: true}
		if last != nil {
			if e := last(); e != nil {
				in.ev = *e
				in.ev.At -= offset
			}
		}
		send(in)
	}()
}

// inject emits an event of the ensemble itself (partition, heal, cut, ...)
// through its own source, in order with the servers' events.
func (s *stream) inject(e core.Event) {
	src := &source{}
	e.At = s.now()
	select {
	case s.in <- input{src: src, ev: e}:
	case <-s.done:
	}
	select {
	case s.in <- input{src: src, end: true}:
	case <-s.done:
	}
}

// merge is the merger goroutine.
func (s *stream) merge() {
	defer close(s.closed)
	tick := time.NewTicker(causalWait / 4)
	defer tick.Stop()
	known := map[*source]bool{}
	take := func(in input) {
		src := in.src
		if !known[src] {
			known[src] = true
			s.sources = append(s.sources, src)
		}
		if in.gap > 0 {
			s.mu.Lock()
			s.gaps += in.gap
			s.mu.Unlock()
		}
		if in.ev.Kind != core.EvNone {
			e := in.ev
			e.At += src.offset
			if e.Arrive != 0 {
				e.Arrive += src.offset
			}
			src.queue = append(src.queue, e)
			src.last = e.At
			s.queued.Add(1)
		}
		if in.end {
			src.ended = true
		}
	}
	for {
		select {
		case <-s.done:
			return
		case in := <-s.in:
			take(in)
		drain:
			for {
				select {
				case in := <-s.in:
					take(in)
				default:
					break drain
				}
			}
		case <-tick.C:
		}
		s.emitReady()
		kept := s.sources[:0]
		for _, src := range s.sources {
			if src.ended && len(src.queue) == 0 {
				delete(known, src)
				continue
			}
			kept = append(kept, src)
		}
		clear(s.sources[len(kept):])
		s.sources = kept
	}
}

// emitReady emits queued events while some source's head may go: the one
// with the earliest time among the heads that wait for nothing.
func (s *stream) emitReady() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for {
		var best *source
		for _, src := range s.sources {
			if len(src.queue) == 0 {
				continue
			}
			if s.waits(src, now) {
				continue
			}
			if best == nil || src.queue[0].At < best.queue[0].At {
				best = src
			}
		}
		if best == nil {
			return
		}
		e := best.queue[0]
		best.queue[0] = core.Event{}
		best.queue = best.queue[1:]
		best.blocked = time.Time{}
		s.queued.Add(-1)
		s.emitLocked(e)
	}
}

// waits reports whether src's head must wait for another server's send: a
// message delivered (or dropped on arrival) before its send was seen.
func (s *stream) waits(src *source, now time.Time) bool {
	e := &src.queue[0]
	receiver := e.Kind == core.EvDeliverMsg || (e.Kind == core.EvDrop && e.Node != src.node && src.node != 0)
	if !receiver || e.ID == 0 {
		return false
	}
	if _, ok := s.inflight[e.ID]; ok {
		return false
	}
	if src.blocked.IsZero() {
		src.blocked = now
	}
	waited := now.Sub(src.blocked)
	if waited >= causalWaitMax {
		return false
	}
	// NB: under load the merger may take the sender's events in well after
	// the receiver's; giving up then emitted the deliver before its send (and
	// the checker flagged a txn delivered before its leader committed it).
	// Keep waiting while the sender's running incarnation has not reached
	// this event's time (its send may still be on the way here), or has it
	// queued and not blocked (it goes out next).
	sender := e.Peer
	if e.Kind == core.EvDrop {
		sender = e.Node
	}
	for _, o := range s.sources {
		if o.node != sender {
			continue
		}
		behind := !o.ended && o.last <= e.At+clockSlackMs
		queued := len(o.queue) > 0 && o.blocked.IsZero() && o.queue[0].At <= e.At+clockSlackMs
		if behind || queued {
			return true
		}
	}
	return waited < causalWait
}

// emitLocked stamps the event with the stream's clock (never going back),
// updates what State derives from events, checks it and fans it out.
func (s *stream) emitLocked(e core.Event) {
	if e.At < s.lastAt {
		e.At = s.lastAt
	}
	s.lastAt = e.At
	s.seq++
	s.track(e)
	if s.checked < checkMax {
		s.checked++
		s.checker.Observe(e)
		if s.violation == nil && !s.checker.OK() {
			v := s.checker.Violations()[0]
			s.violation = &sim.StateViolation{Property: v.Property, Text: v.Text, At: v.At}
		}
	}
	if s.onEvent != nil {
		s.onEvent(e)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	for v := range s.viewers {
		v.push(b)
	}
}

// track updates the messages in flight, sync modes and txn texts.
func (s *stream) track(e core.Event) {
	switch e.Kind {
	case core.EvSend:
		s.inflight[e.ID] = sim.InflightMsg{ID: e.ID, From: e.Node, To: e.Peer, Msg: e.Msg, Text: e.Text, Sent: e.At, Arrive: max(e.Arrive, e.At)}
	case core.EvDeliverMsg, core.EvDrop:
		delete(s.inflight, e.ID)
	case core.EvCrash:
		for id, m := range s.inflight {
			if m.From == e.Node || m.To == e.Node {
				delete(s.inflight, id)
			}
		}
	case core.EvSyncMode:
		s.lastSync[e.Peer] = e.Mode
	case core.EvPropose:
		s.proposals[e.Zxid] = e.Text
	case core.EvTruncate:
		for _, r := range e.Removed {
			if n := len(s.history); n == 0 || s.history[n-1].zxid < r.Zxid {
				delete(s.proposals, r.Zxid)
			}
		}
	case core.EvDeliver:
		if e.Snapshot {
			return
		}
		s.proposals[e.Zxid] = e.Text
		n := len(s.history)
		if n > 0 && s.history[n-1].zxid >= e.Zxid {
			return // delivered before, by another server
		}
		s.history = append(s.history, txnText{e.Zxid, e.Text})
		if len(s.history) > historyMax {
			s.history = append(s.history[:0], s.history[len(s.history)-historyMax/2:]...)
		}
	}
}

// settle waits (at most max) until the events the servers have published so
// far are emitted, so a State built next agrees with the servers' statuses
// (a message a server already received is no longer in flight).
func (s *stream) settle(max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		busy := len(s.in) > 0 || s.queued.Load() > 0
		s.subsMu.Lock()
		for c := range s.subs {
			busy = busy || len(c) > 0
		}
		s.subsMu.Unlock()
		if !busy {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// close stops the merger and tells every viewer why.
func (s *stream) close(reason string) {
	select {
	case <-s.done:
		return
	default:
	}
	close(s.done)
	<-s.closed
	s.mu.Lock()
	defer s.mu.Unlock()
	for v := range s.viewers {
		v.end(reason)
		delete(s.viewers, v)
	}
}

// derived is what State takes from the stream, copied under its lock.
type derived struct {
	seq       uint64
	inflight  []sim.InflightMsg
	lastSync  map[core.NodeID]string
	history   []txnText
	proposals map[core.Zxid]string
	violation *sim.StateViolation
}

// snapshotLocked copies what State needs; s.mu is held.
func (s *stream) snapshotLocked() derived {
	d := derived{seq: s.seq, lastSync: map[core.NodeID]string{}, proposals: map[core.Zxid]string{}, violation: s.violation,
		inflight: make([]sim.InflightMsg, 0, len(s.inflight))}
	for _, m := range s.inflight {
		d.inflight = append(d.inflight, m)
	}
	sort.Slice(d.inflight, func(i, j int) bool {
		return d.inflight[i].Sent < d.inflight[j].Sent ||
			d.inflight[i].Sent == d.inflight[j].Sent && d.inflight[i].ID < d.inflight[j].ID
	})
	for k, v := range s.lastSync {
		d.lastSync[k] = v
	}
	for k, v := range s.proposals {
		d.proposals[k] = v
	}
	d.history = append([]txnText(nil), s.history...)
	return d
}

func (s *stream) snapshot() derived {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshotLocked()
}

// Violations is what the checker found so far.
func (s *stream) violations() []check.Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]check.Violation(nil), s.checker.Violations()...)
}
