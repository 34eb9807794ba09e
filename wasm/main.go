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
	"github.com/zabplay/zabplay/core/sim"
	"github.com/zabplay/zabplay/core/view"
)

// maxPlayers bounds the players one page may hold.
const maxPlayers = 64

var (
	players = map[int]*sim.Player{}
	nextID  = 1
)

type frame struct {
	Events []core.Event     `json:"events"`
	State  *sim.PlayerState `json:"state,omitempty"`
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
		"version": "1",
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
	var cfg sim.PlayerConfig
	if err := json.Unmarshal([]byte(text), &cfg); err != nil {
		return errorJSON(fmt.Errorf("create: config: %w", err))
	}
	if len(players) >= maxPlayers {
		return errorJSON(fmt.Errorf("create: %d simulations are running on this page; destroy one first", maxPlayers))
	}
	p, err := sim.NewPlayer(cfg)
	if err != nil {
		return errorJSON(err)
	}
	id := nextID
	nextID++
	players[id] = p
	st := p.State()
	return reply(struct {
		ID     int              `json:"id"`
		Events []core.Event     `json:"events"`
		State  *sim.PlayerState `json:"state"`
	}{id, p.Take(), &st})
}

func withPlayer(f func(p *sim.Player, args []js.Value) any) func(js.Value, []js.Value) any {
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

func now(p *sim.Player) any {
	st := p.State()
	return reply(frame{Events: p.Take(), State: &st})
}

func doFrame(p *sim.Player, args []js.Value) any {
	t, err := num(args, 0, "toMs")
	if err != nil {
		return errorJSON(err)
	}
	p.AdvanceTo(int64(t))
	return now(p)
}

func doStep(p *sim.Player, _ []js.Value) any {
	p.StepOne()
	return now(p)
}

func doAct(p *sim.Player, args []js.Value) any {
	if len(args) < 1 || args[0].Type() != js.TypeString {
		return errorJSON(fmt.Errorf("act(id, text): text must be a string"))
	}
	if err := p.Act(args[0].String()); err != nil {
		return errorJSON(err)
	}
	return now(p)
}

// window returns the events with t in [from, to].
func window(p *sim.Player, from, to int64) []core.Event {
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

func doSeek(p *sim.Player, args []js.Value) any {
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
	if err := p.SeekTo(int64(t)); err != nil {
		return errorJSON(err)
	}
	st := p.State()
	return reply(frame{Events: window(p, st.At-int64(w), st.At), State: &st})
}

func doSetBug(p *sim.Player, args []js.Value) any {
	if len(args) < 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeBoolean {
		return errorJSON(fmt.Errorf("setBug(id, name, on): want a name and true/false"))
	}
	if err := p.SetBug(args[0].String(), args[1].Bool()); err != nil {
		return errorJSON(err)
	}
	st := p.State()
	return reply(frame{Events: window(p, st.At-5000, st.At), State: &st})
}

func doExport(p *sim.Player, _ []js.Value) any {
	st := p.State()
	return reply(struct {
		Config  view.Config  `json:"config"`
		Bugs    []string     `json:"bugs"`
		Actions []sim.Action `json:"actions"`
		Dropped int          `json:"dropped"` // the run's first events, no longer kept
		Events  []core.Event `json:"events"`
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
	}
	var out []bug
	for _, b := range core.AllBugs() {
		out = append(out, bug{b.String(), b.Title()})
	}
	return reply(out)
}
