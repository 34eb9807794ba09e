package sim

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/zabplay/zabplay/core"
)

// Stmt is one parsed scenario line.
type Stmt struct {
	Line int
	Text string
	Verb string
	// Arguments, by verb (see the scenario language in README.md).
	Opts    Options  // ensemble
	Ms      int64    // run, wait, pause
	What    string   // wait: leader|synced; expect: leader|no-leader|role|epoch|zxid|sync|data|ok|reply; let: the target
	Name    string   // let
	Refs    []string // servers named (crash, restart, pause, isolate, cut, via, expect ...)
	Groups  [][]string
	OneWay  bool
	Op      string // create|set|delete|get|sync|load
	Path    string
	Data    string
	Version int32
	Async   bool
	Count   int
	Cmp     string   // == != in missing
	Want    []string // right-hand side tokens
	On      []string // expect data ... on
	Bug     core.Bug
	BugOn   bool
}

// ParseError is a malformed scenario line.
type ParseError struct {
	File string
	Line int
	Text string
	Msg  string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %q: %s", e.File, e.Line, e.Text, e.Msg)
}

// Parse reads a scenario script. The first statement must be "ensemble".
func Parse(file, src string) ([]Stmt, error) {
	var out []Stmt
	for i, raw := range strings.Split(src, "\n") {
		line := raw
		if k := strings.Index(line, "#"); k >= 0 {
			line = line[:k]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		st, err := parseLine(strings.Fields(line))
		if err != nil {
			return nil, &ParseError{File: file, Line: i + 1, Text: strings.TrimSpace(raw), Msg: err.Error()}
		}
		st.Line, st.Text = i+1, line
		if len(out) == 0 && st.Verb != "ensemble" {
			return nil, &ParseError{File: file, Line: i + 1, Text: line, Msg: "the first line must be: ensemble voters=N ..."}
		}
		if len(out) > 0 && st.Verb == "ensemble" {
			return nil, &ParseError{File: file, Line: i + 1, Text: line, Msg: "only one ensemble line per scenario"}
		}
		out = append(out, st)
	}
	if len(out) == 0 {
		return nil, &ParseError{File: file, Line: 1, Msg: "empty scenario: want at least an ensemble line"}
	}
	return out, nil
}

// ParseDuration reads "250ms", "2s", "1.5s" or "2m" into milliseconds.
func ParseDuration(s string) (int64, error) {
	mult := 1.0
	num := s
	switch {
	case strings.HasSuffix(s, "ms"):
		num = s[:len(s)-2]
	case strings.HasSuffix(s, "s"):
		num, mult = s[:len(s)-1], 1000
	case strings.HasSuffix(s, "m"):
		num, mult = s[:len(s)-1], 60000
	default:
		return 0, fmt.Errorf("duration %q: want a unit (ms, s or m), e.g. 2s", s)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || f > 1e9 {
		return 0, fmt.Errorf("duration %q: want a non-negative number with a unit, e.g. 500ms", s)
	}
	return int64(f * mult), nil
}

func isRef(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func needRef(s string) (string, error) {
	if !isRef(s) {
		return "", fmt.Errorf("%q is not a server (want s1..sN, leader, follower, observer or a name bound by let)", s)
	}
	return s, nil
}

func parseLine(f []string) (Stmt, error) {
	st := Stmt{Verb: f[0], Version: -1}
	args := f[1:]
	want := func(n int, usage string) error {
		if len(args) != n {
			return fmt.Errorf("want: %s", usage)
		}
		return nil
	}
	switch st.Verb {
	case "ensemble":
		o, err := parseEnsemble(args)
		st.Opts = o
		return st, err
	case "run":
		if err := want(1, "run DURATION (e.g. run 2s)"); err != nil {
			return st, err
		}
		ms, err := ParseDuration(args[0])
		st.Ms = ms
		return st, err
	case "wait":
		if len(args) != 1 && !(len(args) == 3 && args[1] == "within") {
			return st, fmt.Errorf("want: wait leader|synced [within DURATION]")
		}
		if args[0] != "leader" && args[0] != "synced" {
			return st, fmt.Errorf("want: wait leader|synced [within DURATION], not wait %s", args[0])
		}
		st.What, st.Ms = args[0], 10000
		if len(args) == 3 {
			ms, err := ParseDuration(args[2])
			if err != nil {
				return st, err
			}
			st.Ms = ms
		}
		return st, nil
	case "let":
		if len(args) != 3 || args[1] != "=" {
			return st, fmt.Errorf("want: let NAME = leader|follower|observer|sN")
		}
		if !isRef(args[0]) || args[0] == "leader" || args[0] == "follower" || args[0] == "observer" || args[0] == "rest" {
			return st, fmt.Errorf("%q cannot be a name", args[0])
		}
		st.Name = args[0]
		t, err := needRef(args[2])
		st.What = t
		return st, err
	case "crash", "restart", "isolate":
		if err := want(1, st.Verb+" SERVER"); err != nil {
			return st, err
		}
		r, err := needRef(args[0])
		st.Refs = []string{r}
		return st, err
	case "pause":
		if len(args) != 3 || args[1] != "for" {
			return st, fmt.Errorf("want: pause SERVER for DURATION")
		}
		r, err := needRef(args[0])
		if err != nil {
			return st, err
		}
		st.Refs = []string{r}
		st.Ms, err = ParseDuration(args[2])
		return st, err
	case "partition":
		groups := [][]string{{}}
		for _, a := range args {
			if a == "|" {
				groups = append(groups, []string{})
				continue
			}
			if a != "rest" {
				if _, err := needRef(a); err != nil {
					return st, err
				}
			}
			groups[len(groups)-1] = append(groups[len(groups)-1], a)
		}
		if len(groups) < 2 {
			return st, fmt.Errorf("want: partition A B | C D (at least two groups split by '|')")
		}
		for _, g := range groups {
			if len(g) == 0 {
				return st, fmt.Errorf("want: partition A B | C D (an empty group)")
			}
		}
		st.Groups = groups
		return st, nil
	case "cut":
		if err := want(1, "cut A-B | cut A->B"); err != nil {
			return st, err
		}
		sep := "-"
		if strings.Contains(args[0], "->") {
			sep, st.OneWay = "->", true
		}
		parts := strings.Split(args[0], sep)
		if len(parts) != 2 || !isRef(parts[0]) || !isRef(parts[1]) {
			return st, fmt.Errorf("want: cut A-B (both ways) or cut A->B (one way)")
		}
		st.Refs = parts
		return st, nil
	case "heal":
		return st, want(0, "heal")
	case "create", "set", "delete", "get", "sync", "load":
		return parseClient(st, args)
	case "expect":
		return parseExpect(st, args)
	case "bug":
		if len(args) != 2 || (args[1] != "on" && args[1] != "off") {
			return st, fmt.Errorf("want: bug ZOOKEEPER-NNNN on|off")
		}
		b, err := core.ParseBug(args[0])
		st.Bug, st.BugOn = b, args[1] == "on"
		return st, err
	}
	return st, fmt.Errorf("unknown verb %q (want ensemble, run, wait, let, crash, restart, pause, partition, isolate, cut, heal, create, set, delete, get, sync, load, expect or bug)", st.Verb)
}

func parseEnsemble(args []string) (Options, error) {
	o := DefaultOptions()
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return o, fmt.Errorf("%q: want key=value (voters=3 observers=0 seed=1 tick=100ms init=10 sync=5 latency=2ms..10ms fsync=1ms..5ms)", a)
		}
		num := func() (int, error) {
			n, err := strconv.Atoi(v)
			if err != nil {
				return 0, fmt.Errorf("%s=%q: want a whole number", k, v)
			}
			return n, nil
		}
		rng := func() (int, int, error) {
			lo, hi, found := strings.Cut(v, "..")
			if !found {
				hi = lo
			}
			a, err := ParseDuration(lo)
			if err != nil {
				return 0, 0, err
			}
			b, err := ParseDuration(hi)
			return int(a), int(b), err
		}
		var err error
		switch k {
		case "voters":
			o.Voters, err = num()
		case "observers":
			o.Observers, err = num()
		case "seed":
			o.Seed, err = strconv.ParseUint(v, 10, 64)
		case "tick":
			var ms int64
			ms, err = ParseDuration(v)
			o.TickMs = int(ms)
		case "init":
			o.InitLimit, err = num()
		case "sync":
			o.SyncLimit, err = num()
		case "latency":
			o.LatencyMinMs, o.LatencyMaxMs, err = rng()
		case "fsync":
			o.FsyncMinMs, o.FsyncMaxMs, err = rng()
		case "commitlog":
			o.CommitLogCount, err = num()
		case "snapcount":
			o.SnapCount, err = num()
		case "counter":
			var c uint64
			c, err = strconv.ParseUint(v, 0, 32)
			o.InitialCounter = uint32(c)
		case "reorder":
			o.ReorderPct, err = num()
		case "duplicate":
			o.DuplicatePct, err = num()
		case "lose-fsynced":
			o.LoseFsynced = v == "on" || v == "true"
		default:
			return o, fmt.Errorf("unknown ensemble key %q (want voters, observers, seed, tick, init, sync, latency, fsync, commitlog, snapcount, counter, reorder, duplicate, lose-fsynced)", k)
		}
		if err != nil {
			return o, err
		}
	}
	return o, o.validate()
}

func parseClient(st Stmt, args []string) (Stmt, error) {
	st.Op = st.Verb
	// Trailing options: via X, async, version N.
	for len(args) >= 1 {
		n := len(args)
		switch {
		case n >= 2 && args[n-2] == "via":
			r, err := needRef(args[n-1])
			if err != nil {
				return st, err
			}
			st.Refs = []string{r}
			args = args[:n-2]
			continue
		case n >= 2 && args[n-2] == "version":
			v, err := strconv.ParseInt(args[n-1], 10, 32)
			if err != nil {
				return st, fmt.Errorf("version %q: want a number", args[n-1])
			}
			st.Version = int32(v)
			args = args[:n-2]
			continue
		case args[n-1] == "async":
			st.Async = true
			args = args[:n-1]
			continue
		}
		break
	}
	switch st.Verb {
	case "sync":
		if len(args) != 0 {
			return st, fmt.Errorf("want: sync [via SERVER]")
		}
		return st, nil
	case "load":
		if len(args) != 1 {
			return st, fmt.Errorf("want: load N [via SERVER]")
		}
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 1 || n > 1000000 {
			return st, fmt.Errorf("load %q: want a count from 1 to 1000000", args[0])
		}
		st.Count = n
		return st, nil
	case "create", "set":
		if len(args) < 1 || len(args) > 2 || (st.Verb == "set" && len(args) != 2) {
			return st, fmt.Errorf("want: %s PATH VALUE [via SERVER] [async]", st.Verb)
		}
	default:
		if len(args) != 1 {
			return st, fmt.Errorf("want: %s PATH [via SERVER] [async]", st.Verb)
		}
	}
	st.Path = args[0]
	if !strings.HasPrefix(st.Path, "/") {
		return st, fmt.Errorf("path %q must start with /", st.Path)
	}
	if len(args) == 2 {
		st.Data = args[1]
	}
	return st, nil
}

func parseExpect(st Stmt, args []string) (Stmt, error) {
	usage := fmt.Errorf("want one of: expect ok | expect leader ==|!=|in ... | expect no leader | expect role S == R | expect epoch S == N | expect zxid S == Z | expect sync S ==|in MODE... | expect data PATH ==|missing ... on all|S | expect reply == CODE")
	if len(args) == 0 {
		return st, usage
	}
	st.What = args[0]
	switch st.What {
	case "ok":
		if len(args) != 1 {
			return st, usage
		}
		return st, nil
	case "no":
		if len(args) != 2 || args[1] != "leader" {
			return st, usage
		}
		st.What = "no-leader"
		return st, nil
	case "leader":
		if len(args) < 3 {
			return st, usage
		}
		st.Cmp, st.Want = args[1], args[2:]
	case "role", "epoch", "zxid", "sync":
		if len(args) < 4 {
			return st, usage
		}
		r, err := needRef(args[1])
		if err != nil {
			return st, err
		}
		st.Refs = []string{r}
		st.Cmp, st.Want = args[2], args[3:]
		if st.What == "role" {
			for _, w := range st.Want {
				if _, ok := core.ParseServerState(w); !ok {
					return st, fmt.Errorf("role %q: want looking, following, leading, observing or down", w)
				}
			}
		}
	case "reply":
		if len(args) != 3 {
			return st, usage
		}
		st.Cmp, st.Want = args[1], args[2:]
	case "data":
		if len(args) < 4 {
			return st, usage
		}
		st.Path = args[1]
		rest := args[2:]
		if rest[0] == "missing" {
			st.Cmp, rest = "missing", rest[1:]
		} else {
			if len(rest) < 2 {
				return st, usage
			}
			st.Cmp, st.Want, rest = rest[0], rest[1:2], rest[2:]
		}
		if len(rest) != 2 || rest[0] != "on" {
			return st, fmt.Errorf("want: expect data PATH == VALUE on all|SERVER")
		}
		st.On = rest[1:]
		if rest[1] != "all" {
			if _, err := needRef(rest[1]); err != nil {
				return st, err
			}
		}
	default:
		return st, usage
	}
	switch st.Cmp {
	case "==", "!=", "missing":
	case "in":
		if st.What == "epoch" || st.What == "zxid" {
			return st, fmt.Errorf("expect %s takes == or !=", st.What)
		}
	default:
		return st, fmt.Errorf("comparison %q: want ==, != or in", st.Cmp)
	}
	if st.Cmp != "in" && st.Cmp != "missing" && len(st.Want) != 1 && !(len(st.Want) == 2 && (st.Want[0] == "epoch" || st.Want[0] == "zxid")) {
		return st, usage
	}
	return st, nil
}
