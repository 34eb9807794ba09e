package classroom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/zabplay/zabplay/core/script"
	"github.com/zabplay/zabplay/server/httpjson"
)

// playerActions are the statements a follower's Player accepts as actions.
var playerActions = script.Actions.With(script.Faults)

// Bounds of what a teacher may put in a room: a room's state stays small
// whatever a client sends.
const (
	MaxActions     = 2000     // actions in a room's run
	MaxActionText  = 256      // bytes of one action's text
	MaxScenario    = 16 << 10 // bytes of a scenario's text
	MaxBugs        = 16
	MaxServers     = 13      // voters + observers, as the simulator allows
	MaxMessage     = 1 << 20 // a reset of MaxActions actions of MaxActionText bytes fits
	maxEnsembleID  = 64
	maxPath        = 200
	maxSpeed       = 1000
	maxWidgetIndex = 64
)

// Action is one action of the run, as the Player records it (view.Action):
// the step it happened at (replay is exact by step), its virtual time and its
// scenario-language text.
type Action struct {
	Step uint64 `json:"step"`
	T    int64  `json:"t"`
	Text string `json:"text"`
}

// Config is the run a follower rebuilds: a scenario's text, or a size and a
// seed; and the bug switches.
type Config struct {
	Scenario  string   `json:"scenario,omitempty"`
	Voters    int      `json:"voters,omitempty"`
	Observers int      `json:"observers,omitempty"`
	Seed      uint64   `json:"seed,omitempty"`
	Bugs      []string `json:"bugs,omitempty"`
}

// Clock is the teacher's time position: virtual ms, whether the run plays,
// and at what speed.
type Clock struct {
	T       float64 `json:"t"`
	Playing bool    `json:"playing"`
	Speed   float64 `json:"speed"`
}

// teacherMsg is any message a teacher sends on its websocket. Type says which
// fields count:
//
//	{"type":"auth","token":"..."}                                  first, within authTimeout
//	{"type":"reset","config":{...},"actions":[...],"clock":{...}}  a whole new run (or the first)
//	{"type":"act","index":k,"action":{...}}                        the action list cut to k, then this one
//	{"type":"clock","clock":{...}}                                 the time position
//	{"type":"live","ensemble":"e-..."}                              Live mode (an ensemble id), "" back to the simulator
type teacherMsg struct {
	Type     string   `json:"type"`
	Token    string   `json:"token,omitempty"`
	Config   *Config  `json:"config,omitempty"`
	Actions  []Action `json:"actions,omitempty"`
	Clock    *Clock   `json:"clock,omitempty"`
	Index    *int     `json:"index,omitempty"`
	Action   *Action  `json:"action,omitempty"`
	Ensemble *string  `json:"ensemble,omitempty"`
}

var (
	bugName    = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,40}$`)
	ensembleID = regexp.MustCompile(`^e-[0-9a-f]{32}$`)
)

// decodeTeacher parses one teacher message strictly: one JSON object, no
// unknown fields, and the fields its type needs, within their bounds. Its
// errors say what was wanted.
func decodeTeacher(b []byte) (*teacherMsg, error) {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] != '{' {
		return nil, errors.New("want a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.DisallowUnknownFields()
	var m teacherMsg
	if err := dec.Decode(&m); err != nil {
		return nil, jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("malformed JSON: trailing data")
	}
	switch m.Type {
	case "auth":
		if m.Token == "" {
			return nil, errors.New(`"auth" needs "token"`)
		}
	case "reset":
		if m.Config == nil || m.Clock == nil {
			return nil, errors.New(`"reset" needs "config" and "clock"`)
		}
		if err := m.Config.check(); err != nil {
			return nil, err
		}
		if len(m.Actions) > MaxActions {
			return nil, fmt.Errorf("%d actions: a room holds at most %d (start a fresh run)", len(m.Actions), MaxActions)
		}
		for i := range m.Actions {
			if err := m.Actions[i].check(); err != nil {
				return nil, fmt.Errorf("action %d: %w", i+1, err)
			}
			if i > 0 && m.Actions[i].Step < m.Actions[i-1].Step {
				return nil, fmt.Errorf("action %d: its step %d is before the one before it (%d)", i+1, m.Actions[i].Step, m.Actions[i-1].Step)
			}
		}
		if err := m.Clock.check(); err != nil {
			return nil, err
		}
	case "act":
		if m.Index == nil || m.Action == nil {
			return nil, errors.New(`"act" needs "index" and "action"`)
		}
		if *m.Index < 0 || *m.Index >= MaxActions {
			return nil, fmt.Errorf("index %d: want 0 to %d", *m.Index, MaxActions-1)
		}
		if err := m.Action.check(); err != nil {
			return nil, err
		}
	case "clock":
		if m.Clock == nil {
			return nil, errors.New(`"clock" needs "clock"`)
		}
		if err := m.Clock.check(); err != nil {
			return nil, err
		}
	case "live":
		if m.Ensemble == nil {
			return nil, errors.New(`"live" needs "ensemble" (an ensemble id, or "" for the simulator)`)
		}
		if *m.Ensemble != "" && !ensembleID.MatchString(*m.Ensemble) {
			return nil, fmt.Errorf("ensemble %q: want e- and 32 hex digits", clip(*m.Ensemble, 40))
		}
	case "":
		return nil, errors.New(`no "type": want auth, reset, act, clock or live`)
	default:
		return nil, fmt.Errorf("type %q: want auth, reset, act, clock or live", clip(m.Type, 20))
	}
	return &m, nil
}

func (c *Config) check() error {
	if len(c.Scenario) > MaxScenario {
		return fmt.Errorf("scenario of %d bytes: at most %d", len(c.Scenario), MaxScenario)
	}
	if !utf8.ValidString(c.Scenario) {
		return errors.New("scenario: not UTF-8")
	}
	if c.Voters < 0 || c.Observers < 0 || c.Voters+c.Observers > MaxServers {
		return fmt.Errorf("%d voters and %d observers: want at most %d servers", c.Voters, c.Observers, MaxServers)
	}
	if c.Scenario == "" && c.Voters == 0 {
		return errors.New(`config: want "scenario" or "voters"`)
	}
	if len(c.Bugs) > MaxBugs {
		return fmt.Errorf("%d bugs: at most %d", len(c.Bugs), MaxBugs)
	}
	for _, b := range c.Bugs {
		if !bugName.MatchString(b) {
			return fmt.Errorf("bug %q: want a name such as ZOOKEEPER-1154", clip(b, 40))
		}
	}
	return nil
}

func (a *Action) check() error {
	switch {
	case a.Text == "" || len(a.Text) > MaxActionText:
		return fmt.Errorf("action text of %d bytes: want 1 to %d", len(a.Text), MaxActionText)
	case !utf8.ValidString(a.Text) || strings.ContainsAny(a.Text, "\n\r\x00"):
		return errors.New("action text: one line of UTF-8")
	case a.T < 0:
		return fmt.Errorf("action time %d: want 0 or more", a.T)
	}
	// The statement a follower's Player will replay (core/sim/player takes
	// the live ensembles' actions and the random faults switch).
	if _, err := script.ParseStatement(a.Text, playerActions, "a class room"); err != nil {
		return fmt.Errorf("action %q: %v", clip(a.Text, 60), err)
	}
	return nil
}

func (c *Clock) check() error {
	if math.IsNaN(c.T) || c.T < 0 || c.T > 1e12 {
		return errors.New("clock t: want virtual ms, 0 or more")
	}
	if math.IsNaN(c.Speed) || c.Speed < 0 || c.Speed > maxSpeed {
		return fmt.Errorf("clock speed: want 0 to %d", maxSpeed)
	}
	return nil
}

// jsonError says what is wrong with a message without Go's type names.
func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Errorf("malformed JSON: %q is a %s, of the wrong type", clip(te.Field, 40), te.Value)
		}
		return fmt.Errorf("malformed JSON: a %s where another type was wanted", te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("malformed JSON: it ends too soon")
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("malformed JSON: unknown field %s", clip(f, 40))
	}
	return errors.New("malformed JSON")
}

// clip is httpjson.Clip.
func clip(s string, n int) string { return httpjson.Clip(s, n) }
