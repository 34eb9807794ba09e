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
	"github.com/zabplay/zabplay/core/view"
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
// The checker gets each event without its values (checkerEvent): about 2 KB
// a write on 3 servers, so this bounds it to about 10 MB (some 4,500 writes
// on 3 servers, 7 minutes at the default rate limit). NB: a core/check that
// could forget settled history would let it watch a whole run.
const checkMax = 100_000

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

// stream merges the servers' event streams into one, in an order that
// respects causality (a deliver-msg after its send), tracks what State needs
// from the events and no server's view holds (messages in flight, the sync
// mode each leader chose, the latest established leader), runs the checker
// over it, and fans it out to the viewers.
type stream struct {
	start  time.Time
	in     chan input
	done   chan struct{}
	closed chan struct{}

	// Owned by the merger goroutine.
	sources []*source
	// fed counts the inputs sent (or about to be sent) to in, processed those
	// the merger has taken and emitted what it could of; subs are the hub
	// channels being read (all for settle).
	fed, processed atomic.Int64
	subsMu         sync.Mutex
	subs           map[<-chan []byte]struct{}

	// mu is the merger's: it emits under it. Hold it briefly (copy, do not
	// compute): every event of every server waits for it.
	mu        sync.Mutex
	seq       uint64 // events emitted
	lastAt    int64
	inflight  map[uint64]view.Inflight
	down      map[core.NodeID]bool // crashed, not restarted: what is sent to it never arrives
	lastSync  map[core.NodeID]string
	leader    core.NodeID // the server of the latest established event (highest epoch)
	leaderEp  core.Epoch
	checker   *check.Checker
	checked   int
	violation *view.Violation
	// pending are the events (and merger losses) emitted since the last
	// fan-out (fanout.go).
	pending []pendingItem
	// gaps counts events the merger's own hub subscriptions lost.
	gaps int
	// onEvent, if set, sees every emitted event (under mu; tests).
	onEvent func(core.Event)

	// The fan-out (fanout.go): flushes are one at a time (fmu), viewers
	// under vmu, never under mu.
	flushReq chan struct{}
	fanned   chan struct{} // closed when the fan-out goroutine returns
	fmu      sync.Mutex
	vmu      sync.Mutex
	viewers  map[*viewer]struct{}
	reason   string // why it stopped (under vmu), for a viewer that comes late
}

func newStream(start time.Time) *stream {
	s := &stream{
		start: start, in: make(chan input, 4096), done: make(chan struct{}), closed: make(chan struct{}),
		inflight: map[uint64]view.Inflight{}, down: map[core.NodeID]bool{}, lastSync: map[core.NodeID]string{},
		checker: check.New(), viewers: map[*viewer]struct{}{},
		subs: map[<-chan []byte]struct{}{}, flushReq: make(chan struct{}, 1), fanned: make(chan struct{}),
	}
	go s.merge()
	go s.fanout()
	return s
}

// position is the number of events emitted so far (the seq of the next).
func (s *stream) position() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

// now is the ensemble's clock: ms since it started.
func (s *stream) now() int64 { return time.Since(s.start).Milliseconds() }

// addSource starts reading one server incarnation's events. C yields a
// node.Hub's JSON events and is closed when the server stops; first, if set,
// is emitted before them (a restart); last, if set, is called when C closes
// and returns the event to emit after them (a crash).
func (s *stream) addSource(id core.NodeID, offset int64, c <-chan []byte, first *core.Event, last func() *core.Event) {
	src := &source{node: id, offset: offset}
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
			if !s.send(input{src: src, ev: e}) {
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
			if !s.send(in) {
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
		s.send(in)
	}()
}

// send hands the merger one input, counted for settle.
func (s *stream) send(in input) bool {
	s.fed.Add(1)
	select {
	case s.in <- in:
		return true
	case <-s.done:
		s.fed.Add(-1)
		return false
	}
}

// inject emits an event of the ensemble itself (partition, heal, cut, ...)
// through its own source, in order with the servers' events.
func (s *stream) inject(e core.Event) {
	src := &source{}
	e.At = s.now()
	if s.send(input{src: src, ev: e}) {
		s.send(input{src: src, end: true})
	}
}

// merge is the merger goroutine.
func (s *stream) merge() {
	defer close(s.closed)
	tick := time.NewTicker(causalWait / 4)
	defer tick.Stop()
	known := map[*source]bool{}
	taken := int64(0)
	take := func(in input) {
		taken++
		src := in.src
		if !known[src] {
			known[src] = true
			s.sources = append(s.sources, src)
		}
		if in.gap > 0 {
			// NB: the lost events have no seq: without this marker every
			// viewer would have a hole no seq check can see.
			s.mu.Lock()
			s.gaps += in.gap
			s.pending = append(s.pending, pendingItem{lost: in.gap})
			s.mu.Unlock()
			s.wakeFanout()
		}
		if in.ev.Kind != core.EvNone {
			e := in.ev
			e.At += src.offset
			if e.Arrive != 0 {
				e.Arrive += src.offset
			}
			src.queue = append(src.queue, e)
			src.last = e.At
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
		s.processed.Store(taken)
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
// updates what State derives from events, checks it and queues it for the
// fan-out (which encodes it once for every viewer, without mu).
func (s *stream) emitLocked(e core.Event) {
	if e.At < s.lastAt {
		e.At = s.lastAt
	}
	s.lastAt = e.At
	s.seq++
	s.track(e)
	if s.checked < checkMax {
		s.checked++
		s.checker.Observe(checkerEvent(e))
		if s.violation == nil && !s.checker.OK() {
			v := s.checker.Violations()[0]
			s.violation = &view.Violation{Property: v.Property, Text: v.Text, At: v.At}
		}
	}
	if s.onEvent != nil {
		s.onEvent(e)
	}
	s.pending = append(s.pending, pendingItem{ev: e})
	s.wakeFanout()
}

// track updates the messages in flight, sync modes and the leader. (The
// servers' logs and trees come from their views, never from events.)
func (s *stream) track(e core.Event) {
	switch e.Kind {
	case core.EvSend:
		// A message to a server that is down is neither delivered nor
		// reported dropped (its connection is gone): not in flight, or
		// every state would draw it again (the NOTIFICATIONs a LOOKING
		// server sends to a crashed peer).
		if !s.down[e.Peer] {
			s.inflight[e.ID] = view.Inflight{ID: e.ID, From: e.Node, To: e.Peer, Msg: e.Msg, Text: e.Text, Sent: e.At, Arrive: max(e.Arrive, e.At)}
		}
	case core.EvDeliverMsg, core.EvDrop:
		delete(s.inflight, e.ID)
	case core.EvRestart:
		delete(s.down, e.Node)
	case core.EvCrash:
		s.down[e.Node] = true
		for id, m := range s.inflight {
			if m.From == e.Node || m.To == e.Node {
				delete(s.inflight, id)
			}
		}
	case core.EvSyncMode:
		s.lastSync[e.Peer] = e.Mode.String()
	case core.EvEstablished:
		if e.Epoch >= s.leaderEp {
			s.leader, s.leaderEp = e.Node, e.Epoch
		}
	}
}

// checkerEvent is e as the checker needs it: it compares hashes and digests,
// never values, so the texts (which hold a write's value) are cut short and
// the requests' and replies' data dropped; a 4 KB write then costs the
// checker's trace a few hundred bytes per event, not several KB.
func checkerEvent(e core.Event) core.Event {
	e.Text = clip(e.Text, 64)
	if e.Req != nil && e.Req.Data != "" {
		r := *e.Req
		r.Data = ""
		e.Req = &r
	}
	if e.Reply != nil && e.Reply.Data != "" {
		r := *e.Reply
		r.Data = ""
		e.Reply = &r
	}
	return e
}

// lastLeader is the server of the latest established event.
func (s *stream) lastLeader() core.NodeID {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leader
}

// settle waits (at most max) until the events the servers had published
// when it was called are emitted, so a State built next agrees with the
// servers' statuses (a message a server already received is no longer in
// flight). It waits for those events only, not for the stream to go idle
// (under load it never does).
func (s *stream) settle(max time.Duration) {
	deadline := time.Now().Add(max)
	s.subsMu.Lock()
	subs := make([]<-chan []byte, 0, len(s.subs))
	for c := range s.subs {
		subs = append(subs, c)
	}
	s.subsMu.Unlock()
	for _, c := range subs {
		// Once seen empty, what it held is with its reader (and counted in
		// fed once the reader sends it).
		for len(c) > 0 {
			if time.Now().After(deadline) {
				return
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	want := s.fed.Load()
	for s.processed.Load() < want {
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// close stops the merger, hands the viewers its last events and tells them
// why.
func (s *stream) close(reason string) {
	select {
	case <-s.done:
		return
	default:
	}
	s.vmu.Lock()
	s.reason = reason
	s.vmu.Unlock()
	close(s.done)
	<-s.closed
	<-s.fanned
	s.flush()
	s.vmu.Lock()
	defer s.vmu.Unlock()
	for v := range s.viewers {
		v.end(reason)
		delete(s.viewers, v)
	}
}

// derived is what State takes from the stream, copied under its lock.
type derived struct {
	seq       uint64
	inflight  []view.Inflight
	lastSync  map[core.NodeID]string
	violation *view.Violation
}

// snapshotLocked copies what State needs; s.mu is held.
func (s *stream) snapshotLocked() derived {
	d := derived{seq: s.seq, lastSync: make(map[core.NodeID]string, len(s.lastSync)), violation: s.violation,
		inflight: make([]view.Inflight, 0, len(s.inflight))}
	for _, m := range s.inflight {
		d.inflight = append(d.inflight, m)
	}
	for k, v := range s.lastSync {
		d.lastSync[k] = v
	}
	return d
}

func (s *stream) snapshot() derived {
	s.mu.Lock()
	d := s.snapshotLocked()
	s.mu.Unlock()
	sortInflight(d.inflight)
	return d
}

func sortInflight(ms []view.Inflight) {
	sort.Slice(ms, func(i, j int) bool {
		return ms[i].Sent < ms[j].Sent || ms[i].Sent == ms[j].Sent && ms[i].ID < ms[j].ID
	})
}

// Violations is what the checker found so far.
func (s *stream) violations() []check.Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]check.Violation(nil), s.checker.Violations()...)
}
