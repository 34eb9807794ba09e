package player

import (
	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/narrate"
)

// MaxCaptions bounds the captions a Narration keeps, as MaxPlayerEvents
// bounds the events.
const MaxCaptions = 20_000

// Narration follows a Player's events with a narrate.Narrator: the captions
// the playground shows beside the ring, and a Step that moves from one
// caption to the next (never stopping on an event nobody would read).
type Narration struct {
	p        *Player
	lang     narrate.Lang
	n        *narrate.Narrator
	fed      int // events fed so far, counted from the start of the run
	captions []narrate.Caption
	sent     int
}

// NewNarration narrates p in lang from the start of its run.
func NewNarration(p *Player, lang narrate.Lang) *Narration {
	x := &Narration{p: p, lang: lang}
	x.Reset()
	return x
}

// Reset starts over from the Player's kept events: call it after the Player
// replayed its run (SeekTo, SetBug).
func (x *Narration) Reset() {
	o := x.p.Options()
	var voters, observers []core.NodeID
	for i := 1; i <= o.Voters+o.Observers; i++ {
		if i <= o.Voters {
			voters = append(voters, core.NodeID(i))
		} else {
			observers = append(observers, core.NodeID(i))
		}
	}
	x.n = narrate.New(narrate.Config{Voters: voters, Observers: observers, TickMs: o.TickMs,
		SyncLimit: o.SyncLimit, InitLimit: o.InitLimit, Lang: x.lang})
	x.fed = x.p.Dropped()
	x.captions, x.sent = x.captions[:0], 0
	x.catchUp()
}

// catchUp feeds the events the Player kept since the last call, then ends
// any pending group of sends (the Player stops only between steps, and one
// step sends all it sends at once).
func (x *Narration) catchUp() {
	evs := x.p.Events()
	start := x.fed - x.p.Dropped()
	if start < 0 {
		start = 0 // dropped before they were fed: only a huge frame does that
	}
	for _, e := range evs[start:] {
		x.keep(x.n.Observe(e))
	}
	x.fed = x.p.Dropped() + len(evs)
	x.keep(x.n.Flush())
}

func (x *Narration) keep(cs []narrate.Caption) {
	for _, c := range cs {
		if len(x.captions) == MaxCaptions {
			half := MaxCaptions / 2
			k := copy(x.captions, x.captions[half:])
			x.captions = x.captions[:k]
			x.sent = max(x.sent-half, 0)
		}
		x.captions = append(x.captions, c)
	}
}

// Take returns the captions since the last Take, catching up with the
// Player first.
func (x *Narration) Take() []narrate.Caption {
	x.catchUp()
	out := x.captions[x.sent:]
	x.sent = len(x.captions)
	return out
}

// Window returns the kept captions with t in [from, to] and marks every
// caption as handed out.
func (x *Narration) Window(from, to int64) []narrate.Caption {
	x.catchUp()
	lo := 0
	for lo < len(x.captions) && x.captions[lo].At < from {
		lo++
	}
	hi := lo
	for hi < len(x.captions) && x.captions[hi].At <= to {
		hi++
	}
	x.sent = len(x.captions)
	return x.captions[lo:hi]
}

// Step bounds: how far Step runs looking for the next caption. Past them the
// ensemble is quiet (only heartbeats) until someone acts.
const (
	MaxStepEvents = 20_000
	MaxStepMs     = 10_000
)

// Step hands out the next caption not yet handed out, running the Player
// one event at a time until there is one (or a violation, or MaxStepEvents
// events, or MaxStepMs of virtual time). One event can bring several captions
// (a leader that chooses a sync mode for three learners at once); each is
// its own step, and the Player waits at that moment until they are told.
func (x *Narration) Step() (narrate.Caption, bool) {
	x.catchUp()
	until := x.p.Now() + MaxStepMs
	for n := 0; x.sent >= len(x.captions); n++ {
		if n == MaxStepEvents || x.p.Violation() != nil || x.p.Now() > until {
			return narrate.Caption{}, false
		}
		x.p.StepOne()
		x.catchUp()
	}
	c := x.captions[x.sent]
	x.sent++
	return c, true
}
