package script

import "strings"

// Verb is a statement's first word.
type Verb uint8

// The verbs of the scenario language.
const (
	VerbNone Verb = iota
	Ensemble
	Bug
	Run
	Wait
	Let
	Crash
	Restart
	Pause
	Resume
	Isolate
	Partition
	Cut
	Heal
	Delay
	Create
	Set
	Delete
	Get
	Sync
	Load
	Expect
	Faults // the Player's random faults switch (faults on|off)
	Client // client NAME connect SERVER [timeout DURATION]
	Watch  // watch [data|exists|children] PATH via CLIENT
	Close  // close CLIENT
	verbCount
)

// verbNames is the name table of Verb.
var verbNames = [verbCount]string{
	VerbNone: "", Ensemble: "ensemble", Bug: "bug", Run: "run", Wait: "wait", Let: "let",
	Crash: "crash", Restart: "restart", Pause: "pause", Resume: "resume", Isolate: "isolate",
	Partition: "partition", Cut: "cut", Heal: "heal", Delay: "delay",
	Create: "create", Set: "set", Delete: "delete", Get: "get", Sync: "sync", Load: "load",
	Expect: "expect", Faults: "faults", Client: "client", Watch: "watch", Close: "close",
}

func (v Verb) String() string {
	if v < verbCount {
		return verbNames[v]
	}
	return "verb(?)"
}

// ParseVerb reads a verb's name.
func ParseVerb(s string) (Verb, bool) {
	for v := Ensemble; v < verbCount; v++ {
		if verbNames[v] == s {
			return v, true
		}
	}
	return VerbNone, false
}

// IsRequest reports whether v sends one client request.
func (v Verb) IsRequest() bool { return v >= Create && v <= Sync }

// VerbSet is a set of verbs: what a place accepts.
type VerbSet uint32

// Has reports whether s holds v.
func (s VerbSet) Has(v Verb) bool { return s&(1<<v) != 0 }

// Verbs builds a set.
func Verbs(vs ...Verb) VerbSet {
	var s VerbSet
	for _, v := range vs {
		s |= 1 << v
	}
	return s
}

// With adds verbs.
func (s VerbSet) With(vs ...Verb) VerbSet { return s | Verbs(vs...) }

// String lists the set's verbs in table order: "crash, restart or sync".
func (s VerbSet) String() string {
	var names []string
	for v := Ensemble; v < verbCount; v++ {
		if s.Has(v) {
			names = append(names, v.String())
		}
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Actions are the statements that change a running ensemble at the moment
// they are applied, the same for the browser's Player and a live ensemble
// (POST /api/ensembles/{id}/actions). The Player also takes Faults.
var Actions = Verbs(Crash, Restart, Pause, Resume, Isolate, Partition, Cut, Heal, Delay, Create, Set, Delete, Get, Sync,
	Client, Watch, Close)

// All is every verb a scenario file may hold.
var All = Actions.With(Ensemble, Bug, Run, Wait, Let, Load, Expect)
