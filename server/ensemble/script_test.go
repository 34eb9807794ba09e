package ensemble

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/script"
	"github.com/zabplay/zabplay/core/sim"
)

// oneScript uses every kind of reference (leader, follower, rest, let
// names) in every kind of action, and keeps the first leader: the servers
// it names depend only on the roles and the seed. After each fault the run
// settles (a second, then in sync) before the next pick: the simulator
// breaks connections at once, a live ensemble's servers may notice a
// dropped message later, so that the roles a pick sees are the same in
// both.
const oneScript = `ensemble voters=5 seed=7
wait leader
wait synced
let old = leader
let f = follower
let g = follower
create /a x via f
get /a via g
set /a y
sync via follower
partition f g | rest
heal
run 1s
wait synced
cut old->g
cut f-g
heal
run 1s
wait synced
delay f-g 20ms
delay 0ms
isolate follower
heal
run 1s
wait synced
pause f
resume f
run 1s
wait synced
crash follower
let h = follower
crash h
restart h
run 1s
wait synced
let k = follower
partition k | old rest
heal
run 1s
wait synced
`

// resolved is what the interpreter reported for one statement.
type resolved struct {
	Line    int
	Text    string
	Servers []core.NodeID
}

func (r resolved) String() string { return fmt.Sprintf("%d: %s %v", r.Line, r.Text, r.Servers) }

// TestOneInterpreter runs one action script against the simulator and a
// live ensemble with the same seed; after the same first leader, every
// statement resolves to the same servers in both (README: the scenario
// language).
func TestOneInterpreter(t *testing.T) {
	stmts, err := sim.Parse("one.txt", oneScript)
	require.NoError(t, err)
	o, err := sim.OptionsOf(stmts[0])
	require.NoError(t, err)

	var simulated []resolved
	r := &sim.Runner{File: "one.txt", OnOutcome: func(st script.Stmt, out script.Outcome) {
		simulated = append(simulated, resolved{st.Line, out.Text, out.Servers})
	}}
	res, err := r.Run(stmts, nil)
	require.NoError(t, err)
	require.Zero(t, res.Failed, "every wait in the simulator passed")
	require.Len(t, simulated, len(stmts)-1)

	a := newAPI(t, testOptions(t))
	id := a.create(fmt.Sprintf(`{"voters":%d,"seed":%d}`, o.Voters, o.Seed))
	e, err := a.m.Get(id)
	require.NoError(t, err)
	var got []resolved
	for i, st := range stmts[1:] {
		out, err := e.Exec(context.Background(), st)
		require.NoError(t, err, "line %d: %s", st.Line, st.Text)
		got = append(got, resolved{st.Line, out.Text, out.Servers})
		if st.Verb == script.Let && st.Refs[0] == "leader" {
			require.Equal(t, simulated[i], got[i], "the same first leader")
		}
	}
	_, failed, first := e.interpreter().Counts()
	require.Zero(t, failed, "every wait on the live ensemble passed (first failed: %s)", first)
	for i := range simulated {
		assert.Equal(t, simulated[i], got[i], "line %d", simulated[i].Line)
	}
	t.Logf("resolved alike:\n%v", got)

	// The statements named servers: the picks were not all the same server.
	named := map[core.NodeID]bool{}
	for _, g := range got {
		for _, s := range g.Servers {
			named[s] = true
		}
	}
	assert.Greater(t, len(named), 3)
}
