package script

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core/ztree"
)

func TestVerbNames(t *testing.T) {
	for v := Ensemble; v < verbCount; v++ {
		got, ok := ParseVerb(v.String())
		assert.True(t, ok, "%v", v)
		assert.Equal(t, v, got)
	}
	_, ok := ParseVerb("explode")
	assert.False(t, ok)
	assert.Equal(t, "crash, heal or sync", Verbs(Sync, Crash, Heal).String())
	assert.True(t, Actions.Has(Delay))
	assert.False(t, Actions.Has(Run))
	assert.True(t, All.Has(Run))
	assert.False(t, All.Has(Faults), "faults is the Player's, not a scenario's")
}

func TestParseSessions(t *testing.T) {
	stmts, err := Parse("x.txt", `ensemble
client c1 connect follower timeout 4s
client c2 connect s3
create /e x via c1 ephemeral
create /q/ via c1 sequential ephemeral async
watch exists /a via c1
watch children / via c2
watch /a via c1
get /a via c1
close c1
expect session c1 expired
expect watch c2 fired NodeChildrenChanged /
`)
	require.NoError(t, err)
	st := stmts[1:]
	assert.Equal(t, Stmt{Line: 2, Text: "client c1 connect follower timeout 4s", Verb: Client, Client: "c1", Refs: []string{"follower"},
		Ms: 4000, Req: ztree.Request{Version: -1}}, st[0])
	assert.Equal(t, int64(0), st[1].Ms)
	assert.Equal(t, ztree.Request{Op: ztree.OpCreate, Path: "/e", Data: "x", Ephemeral: true}, st[2].Req)
	assert.Equal(t, []string{"c1"}, st[2].Refs)
	assert.True(t, st[3].Req.Sequential && st[3].Req.Ephemeral && st[3].Async)
	assert.Equal(t, ztree.Request{Op: ztree.OpExists, Path: "/a", Watch: true}, st[4].Req)
	assert.Equal(t, ztree.Request{Op: ztree.OpGetChildren, Path: "/", Watch: true}, st[5].Req)
	assert.Equal(t, ztree.Request{Op: ztree.OpGetData, Path: "/a", Watch: true}, st[6].Req)
	assert.Equal(t, "c1", st[6].Client)
	assert.Equal(t, ztree.Request{Op: ztree.OpCloseSession}, st[8].Req)
	assert.Equal(t, Stmt{Line: 11, Text: "expect session c1 expired", Verb: Expect, Expect: ExpectSession, Client: "c1",
		Want: []string{"expired"}, Cmp: Eq, Req: ztree.Request{Version: -1}}, st[9])
	assert.Equal(t, []string{"NodeChildrenChanged", "/"}, st[10].Want)
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		src, want string
	}{
		{"", "empty scenario"},
		{"run 2s", "first line must be: ensemble"},
		{"ensemble voters=3 colour=red", `unknown ensemble key "colour"`},
		{"ensemble voters=three", `voters="three": want a whole number`},
		{"ensemble\nrun 2", `duration "2": want a unit`},
		{"ensemble\nwait forever", "want: wait leader|synced"},
		{"ensemble\ncut s1", "want: cut A-B"},
		{"ensemble\npartition s1", "at least two groups"},
		{"ensemble\npartition rest | s1 | rest", "rest named twice"},
		{"ensemble\nexpect role s1 == boss", `role "boss"`},
		{"ensemble\nexpect epoch s1 in 1 2", "expect epoch takes == or !="},
		{"ensemble\ncreate a x", `path "a" must start with /`},
		{"ensemble\nbug ZOOKEEPER-9999 on", `unknown bug "ZOOKEEPER-9999"`},
		{"ensemble\nfly away", `unknown verb "fly"`},
		{"ensemble\nensemble", "only one ensemble line"},
		{"ensemble\nlet leader = s1", `"leader" cannot be a name`},
		{"ensemble\npause s1 for 0s", "want more than 0"},
		{"ensemble\ndelay s1->s2 5ms", "want delay A-B DURATION"},
		{"ensemble\nclient c1 join s2", "want: client NAME connect SERVER"},
		{"ensemble\nclient s3 connect s2", `"s3" cannot be a client's name`},
		{"ensemble\nclient leader connect s2", `"leader" cannot be a client's name`},
		{"ensemble\nclient c1 connect s2 timeout soon", `duration "soon"`},
		{"ensemble\nwatch /a", "want: watch [data|exists|children] PATH via CLIENT"},
		{"ensemble\nwatch kids /a via c1", "watch kids: want data, exists or children"},
		{"ensemble\nwatch a via c1", `path "a" must start with /`},
		{"ensemble\nclose", "want: close CLIENT"},
		{"ensemble\nexpect session c1 gone", "want: expect session CLIENT expired|open"},
		{"ensemble\nexpect watch c1 fired NodeExploded /a", `watch event "NodeExploded"`},
		{"ensemble\nexpect watch c1 NodeCreated /a", "want: expect watch CLIENT fired"},
		{"ensemble\nset /a x ephemeral", "want: set PATH VALUE"},
	}
	for _, tc := range cases {
		_, err := Parse("x.txt", tc.src)
		require.Error(t, err, "Parse(%q)", tc.src)
		assert.Contains(t, err.Error(), tc.want, "Parse(%q)", tc.src)
		var pe *ParseError
		require.True(t, errors.As(err, &pe), "Parse(%q) = %v, want a *ParseError", tc.src, err)
		assert.ErrorIs(t, err, &Error{Kind: ErrSyntax})
		if tc.src != "" {
			assert.Contains(t, err.Error(), "x.txt:")
		}
	}
}

func TestParseStatement(t *testing.T) {
	st, err := ParseStatement("create /a hello via s2 async # a comment", Actions, "here")
	require.NoError(t, err)
	assert.Equal(t, Create, st.Verb)
	assert.Equal(t, ztree.Request{Op: ztree.OpCreate, Path: "/a", Data: "hello"}, st.Req)
	assert.Equal(t, []string{"s2"}, st.Refs)
	assert.True(t, st.Async)
	assert.Equal(t, "create /a hello via s2 async", st.Text)

	st, err = ParseStatement("set /a x version 3", Actions, "here")
	require.NoError(t, err)
	assert.Equal(t, ztree.Request{Op: ztree.OpSetData, Path: "/a", Data: "x", Version: 3}, st.Req)
	st, err = ParseStatement("delete /a", Actions, "here")
	require.NoError(t, err)
	assert.Equal(t, int32(-1), st.Req.Version, "any version")

	st, err = ParseStatement("pause leader", Actions, "here")
	require.NoError(t, err)
	assert.Equal(t, int64(0), st.Ms, "until resume")
	st, err = ParseStatement("delay s1-s2 300ms", Actions, "here")
	require.NoError(t, err)
	assert.Equal(t, []string{"s1", "s2"}, st.Refs)
	assert.Equal(t, int64(300), st.Ms)
	st, err = ParseStatement("delay 1s", Actions, "here")
	require.NoError(t, err)
	assert.Empty(t, st.Refs)

	for _, tc := range []struct {
		text string
		kind ErrorKind
		want string
	}{
		{"", ErrSyntax, "empty action: want crash"},
		{"  # only a comment", ErrSyntax, "empty action"},
		{"explode s1", ErrSyntax, `unknown verb "explode" (want crash,`},
		{"crash", ErrSyntax, "want: crash SERVER"},
		{"run 2s", ErrNotHere, `"run" is not an action of here: want crash`},
		{"expect ok", ErrNotHere, `"expect" is not an action of here`},
		{"faults on", ErrNotHere, `"faults" is not an action of here`},
	} {
		_, err := ParseStatement(tc.text, Actions, "here")
		var e *Error
		require.True(t, errors.As(err, &e), "%q: %v", tc.text, err)
		assert.Equal(t, tc.kind, e.Kind, "%q", tc.text)
		assert.Contains(t, e.Msg, tc.want, "%q", tc.text)
	}
	_, err = ParseStatement("faults on", Actions.With(Faults), "the playground")
	assert.NoError(t, err)
}

// FuzzParse: no input makes the parser panic, and whatever it accepts
// starts with its one ensemble line; the seed corpus is every scenario file.
func FuzzParse(f *testing.F) {
	for _, g := range []string{"../sim/testdata/*.txt", "../sim/testdata/bugs/*.txt", "../sim/testdata/break/*.txt"} {
		files, _ := filepath.Glob(g)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(string(b))
			}
		}
	}
	f.Add("ensemble voters=3\ncut s1->s2\npartition a b | rest\nexpect data /a == x on all\n")
	f.Add("ensemble\ndelay s1-s2 5ms\npause s1\nresume s1\n")
	f.Add("ensemble\ncreate /a \"你好 世界\" via s2\nset /a \"x # y\" async # note\nexpect data /a == \"x # y\" on all\n")
	f.Add("ensemble\nclient c1 connect s2 timeout 4s\ncreate /e x via c1 ephemeral sequential\nwatch children / via c1\n" +
		"expect watch c1 fired NodeChildrenChanged /\nclose c1\nexpect session c1 expired\n")
	f.Fuzz(func(t *testing.T, src string) {
		stmts, err := Parse("fuzz.txt", src)
		if err != nil {
			return
		}
		if len(stmts) == 0 || stmts[0].Verb != Ensemble {
			t.Fatalf("Parse accepted %q without an ensemble line first", src)
		}
		for _, st := range stmts[1:] {
			if st.Verb == Ensemble || st.Verb == VerbNone {
				t.Fatalf("Parse accepted %q with statement %+v", src, st)
			}
		}
	})
}

// TestQuotedValues: a value with spaces, '#' or quotes is written quoted, in
// Go's syntax, and comes back whole; a quoted keyword stays a value; a
// request's text quotes what needs it, so actions round-trip (the playground
// once turned "你好 世界" into 你好_世界).
func TestQuotedValues(t *testing.T) {
	for _, tc := range []struct{ line, data string }{
		{`create /a "你好 世界"`, "你好 世界"},
		{`set /a "x # not a comment" via s2  # a comment`, "x # not a comment"},
		{`create /a "say \"hi\""`, `say "hi"`},
		{`create /a "async"`, "async"},
		{`create /a ""`, ""},
		{`create /a plain`, "plain"},
	} {
		st, err := ParseStatement(tc.line, All, "a test")
		require.NoError(t, err, tc.line)
		assert.Equal(t, tc.data, st.Req.Data, tc.line)
		assert.False(t, st.Async, "%s: a quoted async is the value", tc.line)
		again, err := ParseStatement(RequestText(st.Req, 2, false), All, "a test")
		require.NoError(t, err, RequestText(st.Req, 2, false))
		assert.Equal(t, tc.data, again.Req.Data, "round trip of %s", tc.line)
	}
	st, err := ParseStatement(`expect data /a == "你好 世界" on all`, All, "a test")
	require.NoError(t, err)
	assert.Equal(t, []string{"你好 世界"}, st.Want)
	for _, bad := range []string{`create /a "open`, `create /a "x"y`, `create /a x"y"`} {
		_, err := ParseStatement(bad, All, "a test")
		assert.Error(t, err, bad)
	}
	_, err = Parse("q.txt", "ensemble voters=3\ncreate /a \"unterminated\n")
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 2, pe.Line)
}
