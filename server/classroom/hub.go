package classroom

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options are a Hub's caps and clock. Zero values take the defaults.
type Options struct {
	Log                   *slog.Logger
	MaxRooms              int           // rooms open at once, in all (default 50)
	MaxRoomsPerClient     int           // rooms one client owns at once (default 5)
	MaxFollowers          int           // followers of one room (default 300)
	MaxFollowersPerClient int           // follower websockets from one client, over all rooms (default 60: a class behind one NAT address)
	Idle                  time.Duration // a room with no teacher connected for this long is closed (default 30m)
	Lifetime              time.Duration // a room is closed this long after it opened (default 6h)
	Queue                 int           // messages queued per follower before it is given the latest state instead (default 64)
	WriteTimeout          time.Duration // a follower that cannot take one write in this time is dropped (default 10s)
	AllowedOrigins        []string      // more host[:port] patterns whose pages may use the API (the page's own host always may)
	TrustedProxies        []netip.Prefix
	// TeacherRate is how many messages a second a teacher may send (bursts of
	// twice that); over it the message is refused with an error (default 50).
	TeacherRate float64
	// MissRate is how many unknown codes a second one client may ask about
	// (bursts of 20); over it 429 (default 0.5): codes cannot be enumerated.
	MissRate float64
	Now      func() time.Time
}

func (o *Options) defaults() {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxRooms, 50)
	def(&o.MaxRoomsPerClient, 5)
	def(&o.MaxFollowers, 300)
	def(&o.MaxFollowersPerClient, 60)
	def(&o.Queue, 64)
	if o.Idle <= 0 {
		o.Idle = 30 * time.Minute
	}
	if o.Lifetime <= 0 {
		o.Lifetime = 6 * time.Hour
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.TeacherRate <= 0 {
		o.TeacherRate = 50
	}
	if o.MissRate <= 0 {
		o.MissRate = 0.5
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Hub holds the rooms.
type Hub struct {
	opts      Options
	mu        sync.Mutex
	rooms     map[string]*room
	owned     map[string]int     // rooms per client
	following map[string]int     // follower websockets per client
	misses    map[string]*bucket // unknown-code lookups per client
	done      chan struct{}
	reaped    chan struct{}
	closeOnce sync.Once
}

// New starts a hub and its idle reaper; Close stops both.
func New(opts Options) *Hub {
	opts.defaults()
	h := &Hub{opts: opts, rooms: map[string]*room{}, owned: map[string]int{}, following: map[string]int{},
		misses: map[string]*bucket{}, done: make(chan struct{}), reaped: make(chan struct{})}
	go h.reaper()
	return h
}

// Close closes every room (its followers are told the server is stopping)
// and stops the reaper.
func (h *Hub) Close() {
	h.closeOnce.Do(func() {
		close(h.done)
		<-h.reaped
		h.mu.Lock()
		rooms := make([]*room, 0, len(h.rooms))
		for _, r := range h.rooms {
			rooms = append(rooms, r)
		}
		h.mu.Unlock()
		for _, r := range rooms {
			h.closeRoom(r, "the server is stopping")
		}
	})
}

// ErrCap is a request refused by a cap (429).
var ErrCap = errors.New("over a cap")

// codeAlphabet has no 0/O, 1/I/L: a code read aloud or off a projector is
// typed right.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// newCode draws 8 characters (about 40 bits), uniformly.
func newCode() string {
	var b [8]byte
	out := make([]byte, 0, 8)
	for len(out) < 8 {
		rand.Read(b[:])
		for _, c := range b {
			if c < 248 && len(out) < 8 { // 248 = 8 × 31: no modulo bias
				out = append(out, codeAlphabet[int(c)%len(codeAlphabet)])
			}
		}
	}
	return string(out)
}

// NormalizeCode is a code as typed (any case, with or without its dash or
// spaces) in its stored form, or "" when it cannot be a code.
func NormalizeCode(s string) string {
	s = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(s))
	if len(s) != 8 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(codeAlphabet, rune(s[i])) {
			return ""
		}
	}
	return s
}

// ShowCode is a code as people read it: K7QM-XP2D.
func ShowCode(code string) string {
	if len(code) != 8 {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// Room is what GET /api/rooms/{code} answers.
type Room struct {
	Code      string `json:"code"`
	Page      string `json:"page"`
	Widget    int    `json:"widget"`
	Followers int    `json:"followers"`
	Teacher   bool   `json:"teacher"` // a teacher is connected now
}

// open makes a room for client, or refuses it over a cap.
func (h *Hub) open(client, page string, widget int) (*room, string, error) {
	var tok [32]byte
	rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	now := h.opts.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case len(h.rooms) >= h.opts.MaxRooms:
		return nil, "", fmt.Errorf("%w: the server has %d class rooms open, the most it allows: try again later", ErrCap, len(h.rooms))
	case h.owned[client] >= h.opts.MaxRoomsPerClient:
		return nil, "", fmt.Errorf("%w: your address has %d class rooms open, the most per client: stop sharing one first", ErrCap, h.owned[client])
	}
	code := newCode()
	for h.rooms[code] != nil {
		code = newCode()
	}
	r := &room{hub: h, code: code, page: page, widget: widget, owner: client, tokenHash: sha256.Sum256([]byte(token)),
		opened: now, lastTeacher: now, followers: map[*follower]struct{}{}, ended: make(chan struct{})}
	h.rooms[code] = r
	h.owned[client]++
	h.opts.Log.Info("class room opened", slog.String("room", ShowCode(code)), slog.String("page", page))
	return r, token, nil
}

// lookup finds a room by its code; a client asking about too many unknown
// codes is refused (ErrCap) before the lookup.
func (h *Hub) lookup(client, code string) (*room, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b := h.misses[client]
	if b != nil && !b.peek(h.opts.Now()) {
		return nil, fmt.Errorf("%w: too many unknown class codes from your address: wait a minute", ErrCap)
	}
	if r := h.rooms[NormalizeCode(code)]; r != nil {
		return r, nil
	}
	if b == nil {
		b = newBucket(h.opts.MissRate, 20, h.opts.Now())
		h.misses[client] = b
	}
	b.take(h.opts.Now())
	return nil, nil
}

// addFollower counts a follower websocket of client on r, or refuses it.
func (h *Hub) addFollower(r *room, f *follower) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return errors.New("this class room has closed")
	case len(r.followers) >= h.opts.MaxFollowers:
		return fmt.Errorf("%w: this class room has %d followers, the most it may have", ErrCap, len(r.followers))
	case h.following[f.client] >= h.opts.MaxFollowersPerClient:
		return fmt.Errorf("%w: your address follows %d times already, the most per client", ErrCap, h.following[f.client])
	}
	h.following[f.client]++
	r.followers[f] = struct{}{}
	// The first message is the room's whole state; every later one is queued
	// after it, in order (r.mu is held).
	f.push(r.snapshotLocked())
	r.teacherNote()
	return nil
}

// removeFollower undoes addFollower.
func (h *Hub) removeFollower(r *room, f *follower) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.followers[f]; !ok {
		return
	}
	delete(r.followers, f)
	if h.following[f.client]--; h.following[f.client] <= 0 {
		delete(h.following, f.client)
	}
	r.teacherNote()
}

// closeRoom closes r: its followers and its teacher are told why.
func (h *Hub) closeRoom(r *room, reason string) {
	h.mu.Lock()
	if h.rooms[r.code] == r {
		delete(h.rooms, r.code)
		if h.owned[r.owner]--; h.owned[r.owner] <= 0 {
			delete(h.owned, r.owner)
		}
	}
	h.mu.Unlock()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	r.reason = reason
	close(r.ended)
	r.mu.Unlock()
	h.opts.Log.Info("class room closed", slog.String("room", ShowCode(r.code)), slog.String("why", reason))
}

// reaper closes idle and old rooms, and forgets old miss counts.
func (h *Hub) reaper() {
	defer close(h.reaped)
	every := min(h.opts.Idle/4, time.Minute)
	t := time.NewTicker(max(every, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-h.done:
			return
		case <-t.C:
		}
		now := h.opts.Now()
		type doomed struct {
			r   *room
			why string
		}
		var out []doomed
		h.mu.Lock()
		for _, r := range h.rooms {
			r.mu.Lock()
			switch {
			case now.Sub(r.opened) >= h.opts.Lifetime:
				out = append(out, doomed{r, fmt.Sprintf("it was open for %v, the longest a class room lasts", h.opts.Lifetime)})
			case r.teacher == nil && now.Sub(r.lastTeacher) >= h.opts.Idle:
				out = append(out, doomed{r, fmt.Sprintf("its teacher was away for %v", h.opts.Idle)})
			}
			r.mu.Unlock()
		}
		for c, b := range h.misses {
			if b.full(now) {
				delete(h.misses, c)
			}
		}
		h.mu.Unlock()
		for _, d := range out {
			h.closeRoom(d.r, d.why)
		}
	}
}

// room is one shared session.
type room struct {
	hub       *Hub
	code      string
	page      string
	widget    int
	owner     string
	tokenHash [32]byte
	opened    time.Time
	ended     chan struct{} // closed with the room

	mu          sync.Mutex
	closed      bool
	reason      string
	lastTeacher time.Time // last time a teacher was connected or spoke
	teacher     *teacherConn
	followers   map[*follower]struct{}
	seq         uint64 // of the last message relayed
	started     bool   // a reset came: there is a run to follow
	config      Config
	actions     []Action
	clock       Clock
	live        string
	snap        []byte // the encoded state at seq, built lazily
}

// authorized checks a teacher token in constant time.
func (r *room) authorized(token string) bool {
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], r.tokenHash[:]) == 1
}

func (r *room) info() Room {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Room{Code: ShowCode(r.code), Page: r.page, Widget: r.widget, Followers: len(r.followers), Teacher: r.teacher != nil}
}

// stateMsg is the room's whole state, the first message a follower gets and
// what replaces the messages it could not take in time.
type stateMsg struct {
	Type    string   `json:"type"` // "state"
	Seq     uint64   `json:"seq"`
	Room    string   `json:"room"`
	Started bool     `json:"started"`
	Config  Config   `json:"config"`
	Actions []Action `json:"actions"`
	Clock   Clock    `json:"clock"`
	Live    string   `json:"live"`
	Teacher bool     `json:"teacher"`
}

// snapshotLocked is the encoded state message (r.mu held).
func (r *room) snapshotLocked() item {
	if r.snap == nil {
		acts := r.actions
		if acts == nil {
			acts = []Action{}
		}
		r.snap, _ = json.Marshal(stateMsg{Type: "state", Seq: r.seq, Room: ShowCode(r.code), Started: r.started,
			Config: r.config, Actions: acts, Clock: r.clock, Live: r.live, Teacher: r.teacher != nil})
	}
	return item{seq: r.seq, b: r.snap}
}

// apply changes the room's state by one teacher message and relays it to
// every follower, encoded once. It never blocks on a follower.
func (r *room) apply(m *teacherMsg) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errors.New("this class room has closed")
	}
	r.lastTeacher = r.hub.opts.Now()
	var out any
	switch m.Type {
	case "reset":
		r.started = true
		r.config = *m.Config
		r.actions = append([]Action(nil), m.Actions...)
		r.clock = *m.Clock
		r.live = ""
		r.seq++
		r.snap = nil
		r.broadcastLocked(r.snapshotLocked())
		return nil
	case "act":
		if !r.started {
			return errors.New(`"act" before the first "reset"`)
		}
		k := *m.Index
		if k > len(r.actions) {
			return fmt.Errorf("index %d: the run has %d actions, so at most %d", k, len(r.actions), len(r.actions))
		}
		if k > 0 && m.Action.Step < r.actions[k-1].Step {
			return fmt.Errorf("action at step %d: before the action it follows (step %d)", m.Action.Step, r.actions[k-1].Step)
		}
		r.actions = append(r.actions[:k], *m.Action)
		out = struct {
			Type   string `json:"type"`
			Seq    uint64 `json:"seq"`
			Index  int    `json:"index"`
			Action Action `json:"action"`
		}{"act", r.seq + 1, k, *m.Action}
	case "clock":
		r.clock = *m.Clock
		out = struct {
			Type  string `json:"type"`
			Seq   uint64 `json:"seq"`
			Clock Clock  `json:"clock"`
		}{"clock", r.seq + 1, *m.Clock}
	case "live":
		r.live = *m.Ensemble
		out = struct {
			Type string `json:"type"`
			Seq  uint64 `json:"seq"`
			Live string `json:"live"`
		}{"live", r.seq + 1, r.live}
	default:
		return fmt.Errorf("%q is not a message for now", m.Type)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	r.seq++
	r.snap = nil
	r.broadcastLocked(item{seq: r.seq, b: b})
	return nil
}

// broadcastLocked queues one message for every follower (r.mu held).
func (r *room) broadcastLocked(it item) {
	for f := range r.followers {
		f.push(it)
	}
}

// teacherNote tells the connected teacher how many follow (r.mu held).
func (r *room) teacherNote() {
	if r.teacher != nil {
		r.teacher.note(len(r.followers))
	}
}

// presence relays whether a teacher is connected (r.mu held).
func (r *room) presenceLocked() {
	b, _ := json.Marshal(struct {
		Type    string `json:"type"`
		Seq     uint64 `json:"seq"`
		Teacher bool   `json:"teacher"`
	}{"teacher", r.seq + 1, r.teacher != nil})
	r.seq++
	r.snap = nil
	r.broadcastLocked(item{seq: r.seq, b: b})
}

// item is one encoded message for followers with the room seq it brings a
// follower to.
type item struct {
	seq uint64
	b   []byte
}

// follower is one follower websocket's queue. push never blocks: when the
// queue is full the follower is marked stale, and its writer sends the
// room's latest state instead of what it missed.
type follower struct {
	client string
	q      chan item
	stale  atomic.Bool // set by push (r.mu held), cleared with a snapshot (r.mu held)
	wake   chan struct{}
}

func newFollower(client string, n int) *follower {
	return &follower{client: client, q: make(chan item, n), wake: make(chan struct{}, 1)}
}

// push queues it (the room's mu held).
func (f *follower) push(it item) {
	if f.stale.Load() {
		return
	}
	select {
	case f.q <- it:
	default:
		f.stale.Store(true)
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
}

func (f *follower) staleNow() bool  { return f.stale.Load() }
func (f *follower) setStale(v bool) { f.stale.Store(v) }

// bucket is a token bucket.
type bucket struct {
	rate, burst, tokens float64
	at                  time.Time
}

func newBucket(rate, burst float64, now time.Time) *bucket {
	return &bucket{rate: rate, burst: burst, tokens: burst, at: now}
}

func (b *bucket) refill(now time.Time) {
	b.tokens = min(b.burst, b.tokens+now.Sub(b.at).Seconds()*b.rate)
	b.at = now
}

// peek reports whether a token is left, taking none.
func (b *bucket) peek(now time.Time) bool { b.refill(now); return b.tokens >= 1 }

// take takes a token if one is left.
func (b *bucket) take(now time.Time) bool {
	b.refill(now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (b *bucket) full(now time.Time) bool { b.refill(now); return b.tokens >= b.burst }
