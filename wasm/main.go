//go:build js && wasm

// Command wasm binds core/sim's Player to JavaScript as globalThis.zabplay
// (the calls and their JSON are in README.md). Every call returns one JSON
// string, so a frame crosses the JS boundary once.
package main

import (
	"encoding/json"
	"fmt"
	"syscall/js"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/narrate"
	"github.com/zabplay/zabplay/core/sim"
	"github.com/zabplay/zabplay/core/sim/player"
	"github.com/zabplay/zabplay/core/view"
)

// maxPlayers bounds the players one page may hold.
const maxPlayers = 64

var (
	players    = map[int]*entry{}
	narrators  = map[int]*narrate.Narrator{}
	nextID     = 1
	maxNarrate = 64
)

// entry is one simulation: the Player and its narration.
type entry struct {
	p *player.Player
	x *player.Narration
}

type frame struct {
	Events   []core.Event      `json:"events"`
	Captions []narrate.Caption `json:"captions"`
	// Quiet (step only): no caption came within the step's bounds; only
	// heartbeats until someone acts.
	Quiet bool                `json:"quiet,omitempty"`
	State *player.PlayerState `json:"state,omitempty"`
}

func main() {
	api := map[string]any{
		"create":  js.FuncOf(create),
		"frame":   js.FuncOf(withPlayer(doFrame)),
		"step":    js.FuncOf(withPlayer(doStep)),
		"act":     js.FuncOf(withPlayer(doAct)),
		"seek":    js.FuncOf(withPlayer(doSeek)),
		"setBug":  js.FuncOf(withPlayer(doSetBug)),
		"export":  js.FuncOf(withPlayer(doExport)),
		"destroy": js.FuncOf(destroy),
		"bugs":    js.FuncOf(bugs),
		// A narrator for events that do not come from a Player here (a live
		// ensemble's websocket): narrator(config) -> {"id"}, narrate(id,
		// eventsJSON) -> {"captions"}, destroyNarrator(id).
		"narrator":        js.FuncOf(newNarrator),
		"narrate":         js.FuncOf(doNarrate),
		"destroyNarrator": js.FuncOf(destroyNarrator),
		"version":         "1",
	}
	js.Global().Set("zabplay", js.ValueOf(api))
	if ready := js.Global().Get("zabplayReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {}
}

func reply(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return errorJSON(err)
	}
	return string(b)
}

func errorJSON(err error) any {
	b, _ := json.Marshal(map[string]string{"error": err.Error()})
	return string(b)
}

// create(config): config is a JS object (or a JSON string) as PlayerConfig.
func create(_ js.Value, args []js.Value) any {
	if len(args) < 1 {
		return errorJSON(fmt.Errorf("create(config): config is missing"))
	}
	raw := args[0]
	text := raw.String()
	if raw.Type() == js.TypeObject {
		text = js.Global().Get("JSON").Call("stringify", raw).String()
	}
	var cfg player.PlayerConfig
	if err := json.Unmarshal([]byte(text), &cfg); err != nil {
		return errorJSON(fmt.Errorf("create: config: %w", err))
	}
	var extra struct {
		Lang string `json:"lang"`
	}
	_ = json.Unmarshal([]byte(text), &extra) // the same JSON parsed above

	if len(players) >= maxPlayers {
		return errorJSON(fmt.Errorf("create: %d simulations are running on this page; destroy one first", maxPlayers))
	}
	p, err := player.NewPlayer(cfg)
	if err != nil {
		return errorJSON(err)
	}
	id := nextID
	nextID++
	e := &entry{p: p, x: player.NewNarration(p, narrate.ParseLang(extra.Lang))}
	players[id] = e
	st := p.State()
	script := p.Script()
	if script == nil {
		script = []player.ScriptLine{}
	}
	return reply(struct {
		ID       int                 `json:"id"`
		Events   []core.Event        `json:"events"`
		Captions []narrate.Caption   `json:"captions"`
		Script   []player.ScriptLine `json:"script"`
		State    *player.PlayerState `json:"state"`
	}{id, p.Take(), nonNil(e.x.Take()), script, &st})
}

func nonNil(cs []narrate.Caption) []narrate.Caption {
	if cs == nil {
		return []narrate.Caption{}
	}
	return cs
}

func withPlayer(f func(e *entry, args []js.Value) any) func(js.Value, []js.Value) any {
	return func(_ js.Value, args []js.Value) any {
		if len(args) < 1 || args[0].Type() != js.TypeNumber {
			return errorJSON(fmt.Errorf("the first argument must be a simulation id"))
		}
		p := players[args[0].Int()]
		if p == nil {
			return errorJSON(fmt.Errorf("no simulation %d (destroyed?)", args[0].Int()))
		}
		return f(p, args[1:])
	}
}

func num(args []js.Value, i int, name string) (float64, error) {
	if len(args) <= i || args[i].Type() != js.TypeNumber {
		return 0, fmt.Errorf("%s must be a number", name)
	}
	return args[i].Float(), nil
}

func now(e *entry) any {
	st := e.p.State()
	return reply(frame{Events: e.p.Take(), Captions: nonNil(e.x.Take()), State: &st})
}

func doFrame(e *entry, args []js.Value) any {
	t, err := num(args, 0, "toMs")
	if err != nil {
		return errorJSON(err)
	}
	e.p.AdvanceTo(int64(t))
	return now(e)
}

// doStep runs to the next caption: a learner's step is one narrated event,
// however many simulator events it takes.
func doStep(e *entry, _ []js.Value) any {
	c, ok := e.x.Step()
	captions := []narrate.Caption{}
	if ok {
		captions = append(captions, c)
	}
	st := e.p.State()
	return reply(frame{Events: e.p.Take(), Captions: captions, Quiet: !ok, State: &st})
}

func doAct(e *entry, args []js.Value) any {
	if len(args) < 1 || args[0].Type() != js.TypeString {
		return errorJSON(fmt.Errorf("act(id, text): text must be a string"))
	}
	if err := e.p.Act(args[0].String()); err != nil {
		return errorJSON(err)
	}
	return now(e)
}

// window returns the events with t in [from, to].
func window(p *player.Player, from, to int64) []core.Event {
	evs := p.Events()
	lo := 0
	for lo < len(evs) && evs[lo].At < from {
		lo++
	}
	hi := lo
	for hi < len(evs) && evs[hi].At <= to {
		hi++
	}
	p.Take()
	return evs[lo:hi]
}

// replayed answers after the Player replayed its run to its current time:
// the events and captions of the last windowMs.
func replayed(e *entry, windowMs int64) any {
	e.x.Reset()
	st := e.p.State()
	return reply(frame{Events: window(e.p, st.At-windowMs, st.At), Captions: nonNil(e.x.Window(st.At-windowMs, st.At)), State: &st})
}

func doSeek(e *entry, args []js.Value) any {
	t, err := num(args, 0, "toMs")
	if err != nil {
		return errorJSON(err)
	}
	w := 5000.0
	if len(args) > 1 {
		if w, err = num(args, 1, "windowMs"); err != nil {
			return errorJSON(err)
		}
	}
	if err := e.p.SeekTo(int64(t)); err != nil {
		return errorJSON(err)
	}
	return replayed(e, int64(w))
}

func doSetBug(e *entry, args []js.Value) any {
	if len(args) < 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeBoolean {
		return errorJSON(fmt.Errorf("setBug(id, name, on): want a name and true/false"))
	}
	if err := e.p.SetBug(args[0].String(), args[1].Bool()); err != nil {
		return errorJSON(err)
	}
	return replayed(e, 5000)
}

func doExport(e *entry, _ []js.Value) any {
	p := e.p
	st := p.State()
	return reply(struct {
		Config  view.Config   `json:"config"`
		Bugs    []string      `json:"bugs"`
		Actions []view.Action `json:"actions"`
		Dropped int           `json:"dropped"` // the run's first events, no longer kept
		Events  []core.Event  `json:"events"`
	}{st.Config, st.Bugs, st.Actions, p.Dropped(), p.Events()})
}

func destroy(_ js.Value, args []js.Value) any {
	if len(args) > 0 && args[0].Type() == js.TypeNumber {
		delete(players, args[0].Int())
	}
	return "{}"
}

func bugs(js.Value, []js.Value) any {
	type bug struct {
		Name  string `json:"name"`
		Title string `json:"title"`
		// Scenario makes the bug happen (core/sim BugScenario), if there is one.
		Scenario string `json:"scenario,omitempty"`
	}
	var out []bug
	for _, b := range core.AllBugs() {
		src, _ := sim.BugScenario(b)
		out = append(out, bug{b.String(), b.Title(), src})
	}
	return reply(out)
}

// newNarrator(config): config is {"voters": 3, "observers": 0, "tickMs": 100,
// "syncLimit": 5, "initLimit": 10, "lang": "zh"}.
func newNarrator(_ js.Value, args []js.Value) any {
	if len(args) < 1 || args[0].Type() != js.TypeString {
		return errorJSON(fmt.Errorf("narrator(configJSON): config must be a JSON string"))
	}
	var c struct {
		Voters, Observers, TickMs, SyncLimit, InitLimit int
		Lang                                            string
	}
	if err := json.Unmarshal([]byte(args[0].String()), &c); err != nil {
		return errorJSON(fmt.Errorf("narrator: config: %w", err))
	}
	if c.Voters < 1 || c.Voters > core.MaxVoters || c.Observers < 0 || c.Observers > core.MaxObservers {
		return errorJSON(fmt.Errorf("narrator: want 1-%d voters and 0-%d observers", core.MaxVoters, core.MaxObservers))
	}
	if len(narrators) >= maxNarrate {
		return errorJSON(fmt.Errorf("narrator: %d narrators on this page; destroy one first", maxNarrate))
	}
	var voters, observers []core.NodeID
	for i := 1; i <= c.Voters+c.Observers; i++ {
		if i <= c.Voters {
			voters = append(voters, core.NodeID(i))
		} else {
			observers = append(observers, core.NodeID(i))
		}
	}
	id := nextID
	nextID++
	narrators[id] = narrate.New(narrate.Config{Voters: voters, Observers: observers, TickMs: c.TickMs,
		SyncLimit: c.SyncLimit, InitLimit: c.InitLimit, Lang: narrate.ParseLang(c.Lang)})
	return reply(map[string]int{"id": id})
}

// doNarrate(id, eventsJSON): the captions of these events, in order.
func doNarrate(_ js.Value, args []js.Value) any {
	if len(args) < 2 || args[0].Type() != js.TypeNumber || args[1].Type() != js.TypeString {
		return errorJSON(fmt.Errorf("narrate(id, eventsJSON): want a narrator id and a JSON array"))
	}
	n := narrators[args[0].Int()]
	if n == nil {
		return errorJSON(fmt.Errorf("no narrator %d (destroyed?)", args[0].Int()))
	}
	var evs []core.Event
	if err := json.Unmarshal([]byte(args[1].String()), &evs); err != nil {
		return errorJSON(fmt.Errorf("narrate: events: %w", err))
	}
	out := []narrate.Caption{}
	for _, e := range evs {
		out = append(out, n.Observe(e)...)
	}
	out = append(out, n.Flush()...)
	return reply(map[string]any{"captions": out})
}

func destroyNarrator(_ js.Value, args []js.Value) any {
	if len(args) > 0 && args[0].Type() == js.TypeNumber {
		delete(narrators, args[0].Int())
	}
	return "{}"
}
