package script

import (
	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// Stmt is one parsed statement.
type Stmt struct {
	Line int    // in its file (0 for one statement)
	Text string // the statement's words joined by single spaces
	Verb Verb
	// Arguments, by verb (see the scenario language in README.md).
	Settings []Setting // ensemble
	Ms       int64     // run, wait (the bound), pause (0: until resume), delay
	Wait     WaitFor   // wait
	Expect   What      // expect
	Name     string    // let: the name bound
	// Refs are the servers named: crash, restart, pause, resume, isolate,
	// let: [S]; cut, delay: [A B] (delay: none for every link); a request,
	// load: [via] or none; expect role/epoch/zxid/sync: [S].
	Refs   []string
	Groups [][]string // partition; "rest" is a member
	OneWay bool       // cut A->B
	// Req is a request's op, path, data and version (-1: any).
	Req   ztree.Request
	Async bool
	Count int      // load
	Cmp   Cmp      // expect
	Want  []string // expect: the right-hand side
	On    string   // expect data ... on all|S
	Bug   core.Bug // bug
	// Switch is bug ... on, faults on.
	Switch bool
	// Client is the session client a statement names: client, watch,
	// close, expect session|watch, and a request's via when it names a
	// client.
	Client string
}

// WaitFor is what wait waits for.
type WaitFor uint8

// What wait waits for.
const (
	WaitLeader WaitFor = iota + 1 // an established leader
	WaitSynced                    // every running server in broadcast with the leader's last txn
)

// What is what an expect checks.
type What uint8

// What an expect checks.
const (
	ExpectOK What = iota + 1
	ExpectNoLeader
	ExpectLeader
	ExpectRole
	ExpectEpoch
	ExpectZxid
	ExpectSync
	ExpectData
	ExpectReply
	ExpectSession // expect session CLIENT expired|open
	ExpectWatch   // expect watch CLIENT fired TYPE PATH
)

var whatNames = [...]string{ExpectOK: "ok", ExpectNoLeader: "no leader", ExpectLeader: "leader", ExpectRole: "role",
	ExpectEpoch: "epoch", ExpectZxid: "zxid", ExpectSync: "sync", ExpectData: "data", ExpectReply: "reply",
	ExpectSession: "session", ExpectWatch: "watch"}

func (w What) String() string {
	if int(w) < len(whatNames) {
		return whatNames[w]
	}
	return "?"
}

// Cmp is an expect's comparison.
type Cmp uint8

// The comparisons.
const (
	Eq Cmp = iota + 1
	Ne
	In
	Missing
)

var cmpNames = [...]string{Eq: "==", Ne: "!=", In: "in", Missing: "missing"}

func (c Cmp) String() string {
	if int(c) < len(cmpNames) {
		return cmpNames[c]
	}
	return "?"
}

func parseCmp(s string) (Cmp, bool) {
	for c := Eq; int(c) < len(cmpNames); c++ {
		if cmpNames[c] == s {
			return c, true
		}
	}
	return 0, false
}

// Key is a key of the ensemble line.
type Key uint8

// The ensemble line's keys.
const (
	KeyVoters Key = iota + 1
	KeyObservers
	KeySeed
	KeyTick
	KeyInit
	KeySync
	KeyLatency
	KeyFsync
	KeyCommitLog
	KeySnapCount
	KeyCounter
	KeyReorder
	KeyDuplicate
	KeyLoseFsynced
	keyCount
)

var keyNames = [keyCount]string{KeyVoters: "voters", KeyObservers: "observers", KeySeed: "seed", KeyTick: "tick",
	KeyInit: "init", KeySync: "sync", KeyLatency: "latency", KeyFsync: "fsync", KeyCommitLog: "commitlog",
	KeySnapCount: "snapcount", KeyCounter: "counter", KeyReorder: "reorder", KeyDuplicate: "duplicate",
	KeyLoseFsynced: "lose-fsynced"}

func (k Key) String() string {
	if k < keyCount {
		return keyNames[k]
	}
	return "?"
}

// Setting is one key=value of the ensemble line. The simulator applies
// them over its defaults (core/sim.Options).
type Setting struct {
	Key Key
	// N is the value of a number (voters, seed, counter ...), or of a
	// duration in ms (tick); Lo and Hi are a range in ms (latency, fsync);
	// On is a switch (lose-fsynced).
	N      uint64
	Lo, Hi int64
	On     bool
}
