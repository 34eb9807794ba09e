package script

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// fake is a Target whose servers' states the test sets; it logs each call.
type fake struct {
	servers []Server // by id-1
	calls   []string
	now     int64
}

func newFake(roles ...core.ServerState) *fake {
	f := &fake{}
	for i, r := range roles {
		s := Server{Status: core.Status{ID: core.NodeID(i + 1), Role: r, Phase: core.PhaseBroadcast, CurrentEpoch: 1}}
		if r == core.Leading {
			s.Established = true
		}
		f.servers = append(f.servers, s)
	}
	for i := range f.servers {
		for _, l := range f.servers {
			if l.Role == core.Leading && f.servers[i].Role != core.Down {
				f.servers[i].Leader = l.ID
			}
		}
	}
	return f
}

func (f *fake) log(format string, a ...any) error {
	f.calls = append(f.calls, fmt.Sprintf(format, a...))
	return nil
}

func (f *fake) Size() int                    { return len(f.servers) }
func (f *fake) Now() int64                   { return f.now }
func (f *fake) Server(id core.NodeID) Server { return f.servers[id-1] }
func (f *fake) Crash(id core.NodeID) error {
	f.servers[id-1].Role = core.Down
	return f.log("crash %v", id)
}
func (f *fake) Restart(id core.NodeID) error { return f.log("restart %v", id) }
func (f *fake) Resume(id core.NodeID) error  { return f.log("resume %v", id) }
func (f *fake) Heal() error                  { return f.log("heal") }
func (f *fake) Run(ms int64)                 { f.now += ms }
func (f *fake) Pause(id core.NodeID, ms int64) error {
	f.servers[id-1].Paused = true
	return f.log("pause %v %d", id, ms)
}
func (f *fake) Partition(g [][]core.NodeID) error         { return f.log("partition %v", g) }
func (f *fake) Cut(a, b core.NodeID, both bool) error     { return f.log("cut %v %v %v", a, b, both) }
func (f *fake) Delay(a, b core.NodeID, ms int64) error    { return f.log("delay %v %v %d", a, b, ms) }
func (f *fake) WaitUntil(ms int64, cond func() bool) bool { f.now += ms; return cond() }
func (f *fake) Submit(_ context.Context, via core.NodeID, req ztree.Request) (Call, error) {
	f.log("submit %v %v", via, req.Op)
	return fakeCall{via, req}, nil
}

type fakeCall struct {
	via core.NodeID
	req ztree.Request
}

func (c fakeCall) Done() bool             { return true }
func (c fakeCall) Reply() core.Reply      { return core.Reply{Server: c.via, Err: ztree.OK} }
func (c fakeCall) Server() core.NodeID    { return c.via }
func (c fakeCall) Request() ztree.Request { return c.req }

func exec(t *testing.T, in *Interp, text string) (Outcome, error) {
	t.Helper()
	st, err := ParseStatement(text, All, "a test")
	require.NoError(t, err, text)
	return in.Exec(st)
}

func TestLeaderIsEstablishedUnpausedHighestEpoch(t *testing.T) {
	f := newFake(core.Following, core.Leading, core.Leading, core.Down)
	f.servers[1].CurrentEpoch = 1
	f.servers[2].CurrentEpoch = 2
	in := New(f, 1)
	assert.Equal(t, core.NodeID(3), in.Leader(), "the highest epoch")
	f.servers[2].Paused = true
	assert.Equal(t, core.NodeID(2), in.Leader(), "a paused leader is not the leader")
	f.servers[1].Established = false
	assert.Zero(t, in.Leader(), "not established")
	_, err := in.Resolve("leader")
	assert.ErrorIs(t, err, &Error{Kind: ErrReference})
	assert.Contains(t, err.Error(), "there is no established leader at 0ms")
}

func TestFollowerIsASeededPickAmongFollowers(t *testing.T) {
	f := newFake(core.Following, core.Leading, core.Following, core.Down, core.Following, core.Observing)
	followers := []core.NodeID{1, 3, 5}
	in := New(f, 42)
	rng := rand.New(rand.NewPCG(42, pickStream))
	for range 20 {
		got, err := in.Resolve("follower")
		require.NoError(t, err)
		assert.Equal(t, followers[rng.IntN(3)], got)
	}
	obs, err := in.Resolve("observer")
	require.NoError(t, err)
	assert.Equal(t, core.NodeID(6), obs)

	// Two interpreters with the same seed over the same roles pick alike.
	a, b := New(f, 7), New(newFake(core.Following, core.Leading, core.Following, core.Down, core.Following), 7)
	for range 10 {
		x, _ := a.Resolve("follower")
		y, _ := b.Resolve("follower")
		assert.Equal(t, x, y)
	}
}

func TestOutcomesResolveEveryReference(t *testing.T) {
	f := newFake(core.Following, core.Following, core.Leading, core.Following, core.Following)
	in := New(f, 3)
	var recorded []string
	in.OnAction = func(o Outcome) { recorded = append(recorded, o.Text) }
	out, err := exec(t, in, "let old = leader")
	require.NoError(t, err)
	assert.Equal(t, "let old = s3", out.Text)
	for _, tc := range []struct{ text, want string }{
		{"partition old s1 | rest", "partition s3 s1 | s2 s4 s5"},
		{"isolate s2", "isolate s2"},
		{"cut old->s4", "cut s3->s4"},
		{"cut s4-old", "cut s4-s3"},
		{"delay old-s1 300ms", "delay s3-s1 300ms"},
		{"delay 20ms", "delay 20ms"},
		{"heal", "heal"},
		{"pause old for 2s", "pause s3 for 2000ms"},
		{"create /a x", "create /a x via s2"}, // s3 is paused: the leader now is none
		{"set /a y via s5 version 2 async", "set /a y via s5 version 2 async"},
		{"crash old", "crash s3"},
	} {
		if strings.HasPrefix(tc.text, "create") {
			f.servers[1].Role, f.servers[1].Established = core.Leading, true
		}
		out, err := exec(t, in, tc.text)
		require.NoError(t, err, tc.text)
		assert.Equal(t, tc.want, out.Text, tc.text)
	}
	assert.Equal(t, []string{
		"partition [[s3 s1] [s2 s4 s5]]", "partition [[s2]]", "cut s3 s4 false", "cut s4 s3 true", "delay s3 s1 300",
		"delay - - 20", "heal", "pause s3 2000", "submit s2 create", "submit s5 setData", "crash s3",
	}, f.calls)
	assert.Equal(t, []string{"partition s3 s1 | s2 s4 s5", "isolate s2", "cut s3->s4", "cut s4-s3", "delay s3-s1 300ms",
		"delay 20ms", "heal", "pause s3 for 2000ms", "create /a x via s2", "set /a y via s5 version 2 async", "crash s3"}, recorded)
}

func TestRefusalsChangeNothing(t *testing.T) {
	f := newFake(core.Following, core.Leading, core.Down)
	f.servers[0].Paused = true
	in := New(f, 1)
	for _, tc := range []struct {
		text string
		kind ErrorKind
		want string
	}{
		{"crash s3", ErrRefused, "s3 is already down"},
		{"restart s2", ErrRefused, "s2 is already running"},
		{"pause s1", ErrRefused, "s1 is already paused"},
		{"pause s3", ErrRefused, "s3 is down"},
		{"resume s2", ErrRefused, "s2 is not paused"},
		{"cut s2-s2", ErrRefused, "cut s2-s2: a link joins two different servers"},
		{"cut leader->s2", ErrRefused, "cut s2->s2: a link joins two different servers"},
		{"delay s1-s1 5ms", ErrRefused, "delay s1-s1: a link joins two different servers"},
		{"partition s1 | leader s1", ErrRefused, "partition: s1 is in two groups"},
		{"crash s4", ErrReference, "no server s4 (the ensemble has s1..s3)"},
		{"crash s0", ErrReference, "no server s0"},
		{"crash bob", ErrReference, `unknown server "bob"`},
		{"crash observer", ErrReference, "there is no observer at 0ms"},
		{"expect reply == OK", ErrRefused, "no client request has been sent yet"},
		{"expect ok", ErrNotHere, "only the simulator"},
		{"expect data /a == x on all", ErrNotHere, "only the simulator"},
		{"faults on", ErrNotHere, "only the simulator"},
	} {
		st, err := ParseStatement(tc.text, All.With(Faults), "a test")
		require.NoError(t, err, tc.text)
		_, err = in.Exec(st)
		var e *Error
		require.True(t, errors.As(err, &e), "%q: %v", tc.text, err)
		assert.Equal(t, tc.kind, e.Kind, "%q: %v", tc.text, err)
		assert.Equal(t, st.Verb, e.Verb, "%q", tc.text)
		assert.Contains(t, e.Msg, tc.want, "%q", tc.text)
	}
	assert.Empty(t, f.calls, "nothing was applied")
}

func TestRequestWithoutViaOrLeaderLeavesTheChoiceToTheTarget(t *testing.T) {
	f := newFake(core.Looking, core.Looking)
	in := New(f, 1)
	out, err := exec(t, in, "create /a x async")
	require.NoError(t, err)
	assert.Equal(t, "create /a x async", out.Text)
	assert.Equal(t, []string{"submit - create"}, f.calls)
}

func TestWaitAndExpectCount(t *testing.T) {
	f := newFake(core.Following, core.Leading)
	var b strings.Builder
	in := New(f, 1)
	in.File, in.Out = "t.txt", &b
	for _, text := range []string{"wait leader", "expect leader == s2", "expect leader in s1 s2", "expect no leader",
		"expect role s1 == following", "expect epoch s1 == epoch leader", "expect zxid s1 == 0x0", "wait synced within 1s"} {
		_, err := exec(t, in, text)
		require.NoError(t, err, text)
	}
	passed, failed, first := in.Counts()
	assert.Equal(t, 5, passed)
	assert.Equal(t, 1, failed)
	assert.Equal(t, "0: expect no leader", first)
	assert.Contains(t, b.String(), ":0: FAIL expect no leader (got s2 at 0ms)")
	assert.Contains(t, b.String(), ":0: ok   wait synced within 1s (at 0ms)")
}

// A Target without session clients (a live ensemble today) refuses the
// session statements as not actions here, and applies nothing.
func TestSessionsNotHereWithoutSessions(t *testing.T) {
	f := newFake(core.Leading, core.Following, core.Following)
	in := New(f, 1)
	for _, text := range []string{
		"client c1 connect s2", "watch /a via c1", "close c1", "expect session c1 open",
		"expect watch c1 fired NodeCreated /a",
	} {
		_, err := exec(t, in, text)
		require.Error(t, err, text)
		assert.ErrorIs(t, err, &Error{Kind: ErrNotHere}, text)
	}
	_, err := exec(t, in, "get /a via c1")
	assert.ErrorIs(t, err, &Error{Kind: ErrReference}, "c1 is no client and no server")
	assert.Empty(t, f.calls)
}
