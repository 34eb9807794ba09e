package sim

import (
	"fmt"

	"github.com/zabplay/zabplay/core/script"
)

// Stmt is one parsed scenario statement (core/script is the language).
type Stmt = script.Stmt

// ParseError is a malformed scenario line.
type ParseError = script.ParseError

// Parse reads a scenario script (core/script.Parse) and checks its ensemble
// line against the simulator's limits. The first statement is "ensemble".
func Parse(file, src string) ([]Stmt, error) {
	stmts, err := script.Parse(file, src)
	if err != nil {
		return nil, err
	}
	if _, err := OptionsOf(stmts[0]); err != nil {
		return nil, &ParseError{File: file, Line: stmts[0].Line, Text: stmts[0].Text, Msg: err.Error()}
	}
	return stmts, nil
}

// OptionsOf is the options an ensemble statement asks for: its settings
// over DefaultOptions, validated.
func OptionsOf(st Stmt) (Options, error) {
	o := DefaultOptions()
	if st.Verb != script.Ensemble {
		return o, fmt.Errorf("want an ensemble statement, not %v", st.Verb)
	}
	for _, s := range st.Settings {
		n := int(s.N)
		switch s.Key {
		case script.KeyVoters:
			o.Voters = n
		case script.KeyObservers:
			o.Observers = n
		case script.KeySeed:
			o.Seed = s.N
		case script.KeyTick:
			o.TickMs = n
		case script.KeyInit:
			o.InitLimit = n
		case script.KeySync:
			o.SyncLimit = n
		case script.KeyLatency:
			o.LatencyMinMs, o.LatencyMaxMs = int(s.Lo), int(s.Hi)
		case script.KeyFsync:
			o.FsyncMinMs, o.FsyncMaxMs = int(s.Lo), int(s.Hi)
		case script.KeyCommitLog:
			o.CommitLogCount = n
		case script.KeySnapCount:
			o.SnapCount = n
		case script.KeyCounter:
			o.InitialCounter = uint32(s.N)
		case script.KeyReorder:
			o.ReorderPct = n
		case script.KeyDuplicate:
			o.DuplicatePct = n
		case script.KeyLoseFsynced:
			o.LoseFsynced = s.On
		}
	}
	return o, o.validate()
}
