package script

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// Parse reads a scenario file. The first statement must be "ensemble", and
// only the first.
func Parse(file, src string) ([]Stmt, error) {
	var out []Stmt
	for i, raw := range strings.Split(src, "\n") {
		line, words, err := splitStatement(raw)
		if err != nil {
			return nil, &ParseError{File: file, Line: i + 1, Text: strings.TrimSpace(raw), Msg: err.Error()}
		}
		if line == "" {
			continue
		}
		st, err := parseLine(words)
		if err != nil {
			return nil, &ParseError{File: file, Line: i + 1, Text: strings.TrimSpace(raw), Msg: err.Error()}
		}
		st.Line, st.Text = i+1, line
		if len(out) == 0 && st.Verb != Ensemble {
			return nil, &ParseError{File: file, Line: i + 1, Text: line, Msg: "the first line must be: ensemble voters=N ..."}
		}
		if len(out) > 0 && st.Verb == Ensemble {
			return nil, &ParseError{File: file, Line: i + 1, Text: line, Msg: "only one ensemble line per scenario"}
		}
		out = append(out, st)
	}
	if len(out) == 0 {
		return nil, &ParseError{File: file, Line: 1, Msg: "empty scenario: want at least an ensemble line"}
	}
	return out, nil
}

// ParseStatement reads one statement, as a scenario line would hold it (a
// '#' starts a comment), and accepts it only if its verb is in allowed. A
// malformed statement is an *Error of kind ErrSyntax; a verb not allowed,
// ErrNotHere (where names the place in the message: "a live ensemble").
func ParseStatement(text string, allowed VerbSet, where string) (Stmt, error) {
	line, f, err := splitStatement(text)
	if err != nil {
		return Stmt{}, errorf(ErrSyntax, "%v", err)
	}
	if len(f) == 0 {
		return Stmt{}, errorf(ErrSyntax, "empty action: want %v", allowed)
	}
	if _, ok := ParseVerb(f[0]); !ok {
		return Stmt{}, errorf(ErrSyntax, "unknown verb %q (want %v)", f[0], allowed)
	}
	st, err := parseLine(f)
	st.Text = line
	if err != nil {
		return st, &Error{Kind: ErrSyntax, Verb: st.Verb, Msg: err.Error()}
	}
	if !allowed.Has(st.Verb) {
		return st, &Error{Kind: ErrNotHere, Verb: st.Verb, Msg: fmt.Sprintf("%q is not an action of %s: want %v", st.Verb.String(), where, allowed)}
	}
	return st, nil
}

// splitStatement cuts a statement's comment (an unquoted '#' starts one) and
// splits the rest into words at spaces. A word may be a double-quoted string
// in Go's syntax ("你好 世界", "a#b", "\"x\""), for a value with spaces, '#'
// or quotes; it stays quoted in words (so it is never taken for a keyword
// such as async) and Value unquotes it. line is the statement without its
// comment, trimmed.
func splitStatement(raw string) (line string, words []string, err error) {
	rest := raw
	end := len(raw)
	for {
		rest = strings.TrimLeft(rest, " \t\r")
		if rest == "" || rest[0] == '#' {
			end = len(raw) - len(rest)
			break
		}
		if rest[0] == '"' {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil || strings.HasPrefix(q, "`") {
				return "", nil, fmt.Errorf("unterminated or malformed quoted value %s (quote it as in Go: \"a b\", with \\\" for a quote)", rest)
			}
			if len(rest) > len(q) && rest[len(q)] != ' ' && rest[len(q)] != '\t' && rest[len(q)] != '\r' && rest[len(q)] != '#' {
				return "", nil, fmt.Errorf("want a space after the quoted value %s", q)
			}
			words = append(words, q)
			rest = rest[len(q):]
			continue
		}
		k := strings.IndexAny(rest, " \t\r")
		if k < 0 {
			k = len(rest)
		}
		w := rest[:k]
		if j := strings.IndexByte(w, '#'); j >= 0 {
			w, k = w[:j], j
		}
		if strings.ContainsRune(w, '"') {
			return "", nil, fmt.Errorf("a quote inside the word %s: quote the whole value (\"a b\")", w)
		}
		if w != "" {
			words = append(words, w)
		}
		rest = rest[k:]
	}
	return strings.TrimSpace(raw[:end]), words, nil
}

// Value is a word as a value: a quoted word unquoted, any other as it is.
func Value(w string) string {
	if strings.HasPrefix(w, "\"") {
		if v, err := strconv.Unquote(w); err == nil {
			return v
		}
	}
	return w
}

// keywords are the words a statement's tail may hold after a value.
var keywords = map[string]bool{"async": true, "via": true, "version": true, "ephemeral": true, "sequential": true,
	"on": true, "within": true, "for": true, "timeout": true}

// QuoteValue writes a value as a statement word: quoted (Go syntax) when it
// is empty, holds a space, a '#' or a quote, or is a keyword; bare otherwise.
func QuoteValue(v string) string {
	if v == "" || keywords[v] || strings.ContainsAny(v, " \t\r\n#\"\\") || !strconv.CanBackquote(v) {
		return strconv.Quote(v)
	}
	return v
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

// serverName reports whether s is sN, a server's own name.
func serverName(s string) bool {
	if len(s) < 2 || s[0] != 's' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// reserved are the words that cannot be bound by let.
func reserved(s string) bool {
	return s == "leader" || s == "follower" || s == "observer" || s == "rest"
}

func parseLine(f []string) (Stmt, error) {
	v, ok := ParseVerb(f[0])
	st := Stmt{Verb: v, Req: ztree.Request{Version: -1}}
	if !ok {
		return st, fmt.Errorf("unknown verb %q (want %v)", f[0], All)
	}
	args := f[1:]
	if n := len(args); (v == Client || v == Watch || v == Close) && n > 0 && args[n-1] == "async" {
		st.Async, args = true, args[:n-1]
	}
	want := func(n int, usage string) error {
		if len(args) != n {
			return fmt.Errorf("want: %s", usage)
		}
		return nil
	}
	switch v {
	case Ensemble:
		s, err := parseEnsemble(args)
		st.Settings = s
		return st, err
	case Run:
		if err := want(1, "run DURATION (e.g. run 2s)"); err != nil {
			return st, err
		}
		ms, err := ParseDuration(args[0])
		st.Ms = ms
		return st, err
	case Wait:
		if len(args) != 1 && !(len(args) == 3 && args[1] == "within") {
			return st, fmt.Errorf("want: wait leader|synced [within DURATION]")
		}
		switch args[0] {
		case "leader":
			st.Wait = WaitLeader
		case "synced":
			st.Wait = WaitSynced
		default:
			return st, fmt.Errorf("want: wait leader|synced [within DURATION], not wait %s", args[0])
		}
		st.Ms = 10000
		if len(args) == 3 {
			ms, err := ParseDuration(args[2])
			if err != nil {
				return st, err
			}
			st.Ms = ms
		}
		return st, nil
	case Let:
		if len(args) != 3 || args[1] != "=" {
			return st, fmt.Errorf("want: let NAME = leader|follower|observer|sN")
		}
		if !isRef(args[0]) || reserved(args[0]) {
			return st, fmt.Errorf("%q cannot be a name", args[0])
		}
		st.Name = args[0]
		t, err := needRef(args[2])
		st.Refs = []string{t}
		return st, err
	case Crash, Restart, Isolate, Resume:
		if err := want(1, v.String()+" SERVER"); err != nil {
			return st, err
		}
		r, err := needRef(args[0])
		st.Refs = []string{r}
		return st, err
	case Pause:
		if len(args) != 1 && !(len(args) == 3 && args[1] == "for") {
			return st, fmt.Errorf("want: pause SERVER [for DURATION]")
		}
		r, err := needRef(args[0])
		if err != nil {
			return st, err
		}
		st.Refs = []string{r}
		if len(args) == 3 {
			if st.Ms, err = ParseDuration(args[2]); err != nil {
				return st, err
			}
			if st.Ms == 0 {
				return st, fmt.Errorf("pause for %s: want more than 0 (or no for: until resume)", args[2])
			}
		}
		return st, nil
	case Partition:
		return parsePartition(st, args)
	case Cut:
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
	case Delay:
		if len(args) != 1 && len(args) != 2 {
			return st, fmt.Errorf("want: delay A-B DURATION (both ways) or delay DURATION (every link)")
		}
		if len(args) == 2 {
			x, y, ok := strings.Cut(args[0], "-")
			if !ok || !isRef(x) || !isRef(y) {
				return st, fmt.Errorf("delay %s: want delay A-B DURATION (both ways)", args[0])
			}
			st.Refs = []string{x, y}
		}
		ms, err := ParseDuration(args[len(args)-1])
		st.Ms = ms
		return st, err
	case Heal:
		return st, want(0, "heal")
	case Create, Set, Delete, Get, Sync, Load:
		return parseClient(st, args)
	case Client:
		if (len(args) != 3 && len(args) != 5) || args[1] != "connect" || (len(args) == 5 && args[3] != "timeout") {
			return st, fmt.Errorf("want: client NAME connect SERVER [timeout DURATION] [async]")
		}
		if !isRef(args[0]) || reserved(args[0]) || serverName(args[0]) {
			return st, fmt.Errorf("%q cannot be a client's name (s1..sN name servers)", args[0])
		}
		st.Client = args[0]
		r, err := needRef(args[2])
		if err != nil {
			return st, err
		}
		st.Refs = []string{r}
		if len(args) == 5 {
			if st.Ms, err = ParseDuration(args[4]); err != nil {
				return st, err
			}
		}
		return st, nil
	case Watch:
		kind := "data"
		if len(args) == 4 {
			kind, args = args[0], args[1:]
		}
		if len(args) != 3 || args[1] != "via" || !isRef(args[2]) {
			return st, fmt.Errorf("want: watch [data|exists|children] PATH via CLIENT [async]")
		}
		switch kind {
		case "data":
			st.Req.Op = ztree.OpGetData
		case "exists":
			st.Req.Op = ztree.OpExists
		case "children":
			st.Req.Op = ztree.OpGetChildren
		default:
			return st, fmt.Errorf("watch %s: want data, exists or children", kind)
		}
		if !strings.HasPrefix(args[0], "/") {
			return st, fmt.Errorf("path %q must start with /", args[0])
		}
		st.Req.Path, st.Req.Watch, st.Req.Version, st.Client = args[0], true, 0, args[2]
		return st, nil
	case Close:
		if len(args) != 1 || !isRef(args[0]) {
			return st, fmt.Errorf("want: close CLIENT [async]")
		}
		st.Client = args[0]
		st.Req = ztree.Request{Op: ztree.OpCloseSession}
		return st, nil
	case Expect:
		return parseExpect(st, args)
	case Bug:
		if len(args) != 2 || (args[1] != "on" && args[1] != "off") {
			return st, fmt.Errorf("want: bug ZOOKEEPER-NNNN on|off")
		}
		b, err := core.ParseBug(args[0])
		st.Bug, st.Switch = b, args[1] == "on"
		return st, err
	case Faults:
		if len(args) != 1 || (args[0] != "on" && args[0] != "off") {
			return st, fmt.Errorf("want: faults on|off")
		}
		st.Switch = args[0] == "on"
		return st, nil
	}
	return st, fmt.Errorf("unknown verb %q (want %v)", f[0], All)
}

func parsePartition(st Stmt, args []string) (Stmt, error) {
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
	rests := 0
	for _, g := range groups {
		if len(g) == 0 {
			return st, fmt.Errorf("want: partition A B | C D (an empty group)")
		}
		for _, r := range g {
			if r == "rest" {
				rests++
			}
		}
	}
	if rests > 1 {
		return st, fmt.Errorf("partition: rest named twice")
	}
	st.Groups = groups
	return st, nil
}

func parseEnsemble(args []string) ([]Setting, error) {
	var out []Setting
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return out, fmt.Errorf("%q: want key=value (voters=3 observers=0 seed=1 tick=100ms init=10 sync=5 latency=2ms..10ms fsync=1ms..5ms)", a)
		}
		key := Key(0)
		for i := KeyVoters; i < keyCount; i++ {
			if keyNames[i] == k {
				key = i
			}
		}
		s := Setting{Key: key}
		var err error
		num := func() {
			n, e := strconv.Atoi(v)
			if e != nil {
				err = fmt.Errorf("%s=%q: want a whole number", k, v)
			}
			s.N = uint64(int64(n))
		}
		rng := func() {
			lo, hi, found := strings.Cut(v, "..")
			if !found {
				hi = lo
			}
			if s.Lo, err = ParseDuration(lo); err == nil {
				s.Hi, err = ParseDuration(hi)
			}
		}
		switch key {
		case KeyVoters, KeyObservers, KeyInit, KeySync, KeyCommitLog, KeySnapCount, KeyReorder, KeyDuplicate:
			num()
		case KeySeed:
			s.N, err = strconv.ParseUint(v, 10, 64)
		case KeyTick:
			var ms int64
			ms, err = ParseDuration(v)
			s.N = uint64(ms)
		case KeyLatency, KeyFsync:
			rng()
		case KeyCounter:
			s.N, err = strconv.ParseUint(v, 0, 32)
		case KeyLoseFsynced:
			s.On = v == "on" || v == "true"
		default:
			return out, fmt.Errorf("unknown ensemble key %q (want voters, observers, seed, tick, init, sync, latency, fsync, commitlog, snapcount, counter, reorder, duplicate, lose-fsynced)", k)
		}
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
	return out, nil
}

func parseClient(st Stmt, args []string) (Stmt, error) {
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
			st.Req.Version = int32(v)
			args = args[:n-2]
			continue
		case args[n-1] == "async":
			st.Async = true
			args = args[:n-1]
			continue
		case st.Verb == Create && args[n-1] == "ephemeral":
			st.Req.Ephemeral = true
			args = args[:n-1]
			continue
		case st.Verb == Create && args[n-1] == "sequential":
			st.Req.Sequential = true
			args = args[:n-1]
			continue
		}
		break
	}
	if st.Verb != Load {
		op, err := ztree.ParseOp(st.Verb.String())
		if err != nil {
			return st, err
		}
		st.Req.Op = op
		if op != ztree.OpSetData && op != ztree.OpDelete {
			st.Req.Version = 0 // only setData and delete take a version
		}
	}
	switch st.Verb {
	case Sync:
		if len(args) != 0 {
			return st, fmt.Errorf("want: sync [via SERVER]")
		}
		st.Req.Path = "/"
		return st, nil
	case Load:
		if len(args) != 1 {
			return st, fmt.Errorf("want: load N [via SERVER]")
		}
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 1 || n > 1000000 {
			return st, fmt.Errorf("load %q: want a count from 1 to 1000000", args[0])
		}
		st.Count = n
		return st, nil
	case Create, Set:
		if len(args) < 1 || len(args) > 2 || (st.Verb == Set && len(args) != 2) {
			return st, fmt.Errorf("want: %v PATH VALUE [via SERVER] [async]", st.Verb)
		}
	default:
		if len(args) != 1 {
			return st, fmt.Errorf("want: %v PATH [via SERVER] [async]", st.Verb)
		}
	}
	st.Req.Path = args[0]
	if !strings.HasPrefix(st.Req.Path, "/") {
		return st, fmt.Errorf("path %q must start with /", st.Req.Path)
	}
	if len(args) == 2 {
		st.Req.Data = Value(args[1])
	}
	return st, nil
}

func parseExpect(st Stmt, args []string) (Stmt, error) {
	usage := fmt.Errorf("want one of: expect ok | expect leader ==|!=|in ... | expect no leader | expect role S == R | expect epoch S == N | expect zxid S == Z | expect sync S ==|in MODE... | expect data PATH ==|missing ... on all|S | expect reply == CODE")
	if len(args) == 0 {
		return st, usage
	}
	cmp := ""
	switch args[0] {
	case "ok":
		st.Expect = ExpectOK
		if len(args) != 1 {
			return st, usage
		}
		return st, nil
	case "no":
		st.Expect = ExpectNoLeader
		if len(args) != 2 || args[1] != "leader" {
			return st, usage
		}
		return st, nil
	case "leader":
		st.Expect = ExpectLeader
		if len(args) < 3 {
			return st, usage
		}
		cmp, st.Want = args[1], args[2:]
	case "role", "epoch", "zxid", "sync":
		st.Expect = map[string]What{"role": ExpectRole, "epoch": ExpectEpoch, "zxid": ExpectZxid, "sync": ExpectSync}[args[0]]
		if len(args) < 4 {
			return st, usage
		}
		r, err := needRef(args[1])
		if err != nil {
			return st, err
		}
		st.Refs = []string{r}
		cmp, st.Want = args[2], args[3:]
		if st.Expect == ExpectRole {
			for _, w := range st.Want {
				if _, ok := core.ParseServerState(w); !ok {
					return st, fmt.Errorf("role %q: want looking, following, leading, observing or down", w)
				}
			}
		}
	case "session":
		st.Expect = ExpectSession
		if len(args) != 3 || !isRef(args[1]) || (args[2] != "expired" && args[2] != "open") {
			return st, fmt.Errorf("want: expect session CLIENT expired|open")
		}
		st.Client, st.Want, st.Cmp = args[1], args[2:], Eq
		return st, nil
	case "watch":
		st.Expect = ExpectWatch
		if len(args) != 5 || !isRef(args[1]) || args[2] != "fired" {
			return st, fmt.Errorf("want: expect watch CLIENT fired NodeCreated|NodeDeleted|NodeDataChanged|NodeChildrenChanged PATH")
		}
		if _, ok := core.ParseEventType(args[3]); !ok {
			return st, fmt.Errorf("watch event %q: want NodeCreated, NodeDeleted, NodeDataChanged or NodeChildrenChanged", args[3])
		}
		st.Client, st.Want, st.Cmp = args[1], args[3:], Eq
		return st, nil
	case "reply":
		st.Expect = ExpectReply
		if len(args) != 3 {
			return st, usage
		}
		cmp, st.Want = args[1], args[2:]
	case "data":
		st.Expect = ExpectData
		if len(args) < 4 {
			return st, usage
		}
		st.Req.Path = args[1]
		rest := args[2:]
		if rest[0] == "missing" {
			cmp, rest = "missing", rest[1:]
		} else {
			if len(rest) < 2 {
				return st, usage
			}
			cmp, st.Want, rest = rest[0], []string{Value(rest[1])}, rest[2:]
		}
		if len(rest) != 2 || rest[0] != "on" {
			return st, fmt.Errorf("want: expect data PATH == VALUE on all|SERVER")
		}
		st.On = rest[1]
		if rest[1] != "all" {
			if _, err := needRef(rest[1]); err != nil {
				return st, err
			}
		}
	default:
		return st, usage
	}
	c, ok := parseCmp(cmp)
	if !ok {
		return st, fmt.Errorf("comparison %q: want ==, != or in", cmp)
	}
	st.Cmp = c
	if c == In && (st.Expect == ExpectEpoch || st.Expect == ExpectZxid) {
		return st, fmt.Errorf("expect %v takes == or !=", st.Expect)
	}
	if c != In && c != Missing && len(st.Want) != 1 && !(len(st.Want) == 2 && (st.Want[0] == "epoch" || st.Want[0] == "zxid")) {
		return st, usage
	}
	return st, nil
}
