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
