package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/check"
	"github.com/zabplay/zabplay/core/sim"
	"github.com/zabplay/zabplay/core/sim/campaign"
	"github.com/zabplay/zabplay/core/ztree"
)

// newCluster starts a 3-server cluster with a leader.
func newCluster(t *testing.T, seed uint64) (*sim.Cluster, *check.Checker) {
	o := sim.DefaultOptions()
	o.Seed = seed
	chk := sim.NewChecker(o)
	c, err := sim.NewWithSink(o, chk.Observe)
	require.NoError(t, err)
	require.True(t, c.RunUntil(5000, func() bool { return c.Leader() != 0 && c.Synced() }), "no leader")
	return c, chk
}

func follower(c *sim.Cluster) core.NodeID {
	for id := core.NodeID(1); id <= 3; id++ {
		if id != c.Leader() {
			return id
		}
	}
	return 0
}

func submit(t *testing.T, c *sim.Cluster, name string, r ztree.Request) core.Reply {
	t.Helper()
	op, err := c.SubmitAs(name, r)
	require.NoError(t, err)
	require.True(t, c.RunUntil(c.Now()+5000, func() bool { return op.Done }), "no reply to %v", r.Op)
	return op.Reply
}

// A session moves to another server with its id and password and keeps its
// ephemeral node; its timeout is clamped to 2..20 ticks.
func TestSessionMovesAndKeepsItsEphemeral(t *testing.T) {
	c, chk := newCluster(t, 3)
	f := follower(c)
	sc, err := c.Connect("c1", f, 1)
	require.NoError(t, err)
	c.RunUntil(c.Now()+1000, func() bool { return sc.State != "connecting" })
	require.Equal(t, "connected", sc.State)
	assert.Equal(t, int32(2*100), sc.TimeoutMs, "clamped to 2 ticks")
	assert.Equal(t, f, core.SessionOwner(sc.Session), "the id carries the server that made it")
	rep := submit(t, c, "c1", ztree.Request{Op: ztree.OpCreate, Path: "/e", Data: "x", Ephemeral: true})
	require.Equal(t, ztree.OK, rep.Err)

	// It moves with the timeout it has (a ZooKeeper client sends its
	// negotiated timeout again).
	_, err = c.Connect("c1", c.Leader(), 0)
	require.NoError(t, err)
	c.RunUntil(c.Now()+1000, func() bool { return sc.State != "connecting" })
	require.Equal(t, "connected", sc.State)
	c.RunUntil(c.Now()+3000, nil) // well past the timeout: the pings keep it

	big, err := c.Connect("c2", f, 1000000)
	require.NoError(t, err)
	c.RunUntil(c.Now()+1000, func() bool { return big.State != "connecting" })
	assert.Equal(t, int32(20*100), big.TimeoutMs, "clamped to 20 ticks")
	rep = submit(t, c, "c1", ztree.Request{Op: ztree.OpExists, Path: "/e"})
	require.Equal(t, ztree.OK, rep.Err)
	require.NotNil(t, rep.Stat)
	assert.Equal(t, sc.Session, rep.Stat.EphemeralOwner)
	assert.True(t, chk.OK(), "%v", chk.Violations())
}

// Bad input loses nothing: a wrong password, a server behind the client, a
// watch or a close without a session, a Connect without a connection id.
func TestSessionBadInput(t *testing.T) {
	c, _ := newCluster(t, 4)
	n := c.Node(c.Leader())
	step := func(m core.Message) []core.Reply {
		n.Step(m)
		rd := n.Ready()
		out := append([]core.Reply(nil), rd.Replies...)
		return out
	}
	// (The cluster's own loop handles Ready; here the test reads it first.)
	reps := step(core.Message{Type: core.MsgConnect, Connect: &core.Connect{Conn: 7, Session: 1<<56 | 5, Passwd: make([]byte, 16), TimeoutMs: 400}})
	require.NotEmpty(t, reps)
	assert.Equal(t, ztree.SessionExpired, reps[len(reps)-1].Err)
	assert.Equal(t, int32(0), reps[len(reps)-1].TimeoutMs)

	reps = step(core.Message{Type: core.MsgConnect, Connect: &core.Connect{Conn: 8, TimeoutMs: 400, LastZxidSeen: 0x7700000001}})
	require.NotEmpty(t, reps)
	assert.Equal(t, ztree.ConnectionLoss, reps[len(reps)-1].Err, "a server behind the client refuses it")

	reps = step(core.Message{Type: core.MsgConnect, Connect: &core.Connect{TimeoutMs: 400}})
	assert.Equal(t, ztree.BadArguments, reps[len(reps)-1].Err)

	for _, r := range []ztree.Request{
		{Op: ztree.OpGetData, Path: "/", Watch: true},
		{Op: ztree.OpCloseSession},
		{Op: ztree.OpCreateSession, Version: 400},
		{Op: ztree.OpSetData, Path: "/", Watch: true},
	} {
		r.Session = 99
		reps = step(core.Message{Type: core.MsgClientRequest, Req: &core.Request{Session: 99, Cxid: 1, Request: r}})
		require.NotEmpty(t, reps)
		assert.Equal(t, ztree.BadArguments, reps[len(reps)-1].Err, "%v without a session", r.Op)
	}
	reps = step(core.Message{Type: core.MsgClientRequest, Req: &core.Request{Session: 99, Cxid: 2, Request: ztree.Request{Op: ztree.OpPing}}})
	assert.Equal(t, ztree.SessionExpired, reps[len(reps)-1].Err)
	n.Advance()
	assert.Equal(t, 1, n.Tree().Len(), "nothing was written")
}

// The notification of zxid Z reaches the client before the reply to its own
// request of a higher zxid, and a watch fires once.
func TestWatchBeforeLaterReply(t *testing.T) {
	c, chk := newCluster(t, 5)
	f := follower(c)
	var order []string
	c.OnEvent(func(e core.Event) {
		chk.Observe(e)
		if e.Kind == core.EvReply && e.Reply != nil && e.Node == f {
			if e.Reply.Watch != nil {
				order = append(order, "watch "+e.Reply.Zxid.String())
			} else if e.Reply.Op == ztree.OpSetData {
				order = append(order, "reply "+e.Reply.Zxid.String())
			}
		}
	})
	sc, _ := c.Connect("c1", f, 2000)
	c.RunUntil(c.Now()+1000, func() bool { return sc.State == "connected" })
	submit(t, c, "c1", ztree.Request{Op: ztree.OpCreate, Path: "/a", Data: "0"})
	submit(t, c, "c1", ztree.Request{Op: ztree.OpGetData, Path: "/a", Watch: true})
	// Another client's write, then c1's own, pipelined.
	other, err := c.Submit(7, c.Leader(), ztree.Request{Op: ztree.OpSetData, Path: "/a", Data: "1", Version: -1})
	require.NoError(t, err)
	mine, err := c.SubmitAs("c1", ztree.Request{Op: ztree.OpSetData, Path: "/a", Data: "2", Version: -1})
	require.NoError(t, err)
	c.RunUntil(c.Now()+3000, func() bool { return other.Done && mine.Done })
	require.True(t, mine.Done)
	require.Len(t, order, 2, "%v", order)
	assert.Equal(t, "watch "+other.Reply.Zxid.String(), order[0])
	assert.Equal(t, "reply "+mine.Reply.Zxid.String(), order[1])
	assert.Less(t, other.Reply.Zxid, mine.Reply.Zxid)
	assert.Len(t, sc.Events, 1, "one-shot: the second change fires nothing")
	assert.True(t, chk.OK(), "%v", chk.Violations())
}

// Session clients under random faults: ephemerals, multis, watches, moves,
// expiries and closes, with every safety property and linearizable writes
// (multis included) checked.
func TestSessionWorkloadUnderFaults(t *testing.T) {
	seeds := 30
	if testing.Short() {
		seeds = 8
	}
	seen := map[string]int{}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		o := campaign.SeedOptions(seed, 3, 1, 0)
		chk := sim.NewChecker(o)
		c, err := sim.NewWithSink(o, func(e core.Event) {
			chk.Observe(e)
			switch {
			case e.Kind == core.EvSession:
				seen["session "+e.Text]++
			case e.Kind == core.EvDeliver && e.Owner != 0:
				seen["ephemeral created"]++
			case e.Kind == core.EvDeliver && e.Closes != 0:
				seen["session closed"]++
			case e.Kind == core.EvReply && e.Reply.Watch != nil:
				seen["notification "+e.Reply.Watch.Type.String()+" "+e.Reply.Watch.State.String()]++
			case e.Kind == core.EvReply && e.Reply.Op == ztree.OpMulti:
				seen["multi "+e.Reply.Err.String()]++
			}
		})
		require.NoError(t, err)
		c.StartRandomFaults(sim.AllFaults, 20000)
		c.StartSessionWorkload(3, 150)
		c.RunUntil(20000, func() bool { return !chk.OK() })
		require.True(t, chk.OK(), "seed %d:\n%s", seed, check.Report(chk.Violations(), seed))
		v := check.Linearizable(c.WriteHistory(), 20*time.Second)
		require.Nil(t, v, "seed %d: %v", seed, v)
	}
	// The run reached what it is meant to check.
	for _, what := range []string{"session connected", "session expired", "session refused", "ephemeral created", "session closed",
		"notification NodeDataChanged SyncConnected", "notification NodeDeleted SyncConnected",
		"notification None Disconnected", "multi OK", "multi BADVERSION", "multi NODEEXISTS"} {
		assert.NotZero(t, seen[what], "no %q in %d seeds (saw %v)", what, seeds, seen)
	}
}

// A write the old server forwarded after its client moved away is refused
// with SESSIONMOVED (ZOOKEEPER-710): it changes nothing, and the session's
// order holds.
func TestSessionMovedRefusesTheOldServersWrite(t *testing.T) {
	c, chk := newCluster(t, 6)
	f, l := follower(c), c.Leader()
	var reasons []string
	c.OnEvent(func(e core.Event) {
		chk.Observe(e)
		if e.Kind == core.EvPropose && e.Reason != "" {
			reasons = append(reasons, e.Reason)
		}
	})
	sc, _ := c.Connect("c1", f, 2000)
	c.RunUntil(c.Now()+1000, func() bool { return sc.State == "connected" })
	submit(t, c, "c1", ztree.Request{Op: ztree.OpCreate, Path: "/a", Data: "0"})
	require.NoError(t, c.Delay(f, l, 300)) // f's REQUEST reaches the leader late
	slow, err := c.SubmitAs("c1", ztree.Request{Op: ztree.OpSetData, Path: "/a", Data: "old", Version: -1})
	require.NoError(t, err)
	c.RunUntil(c.Now()+20, nil)
	_, err = c.Connect("c1", l, 0) // the client gives up on f and moves
	require.NoError(t, err)
	require.True(t, slow.Done, "moving fails what was outstanding on f")
	assert.Equal(t, ztree.ConnectionLoss, slow.Reply.Err)
	c.RunUntil(c.Now()+1000, func() bool { return sc.State == "connected" && len(reasons) > 0 })
	require.Equal(t, "connected", sc.State)
	assert.Equal(t, []string{"session moved"}, reasons)
	rep := submit(t, c, "c1", ztree.Request{Op: ztree.OpGetData, Path: "/a"})
	assert.Equal(t, "0", rep.Data, "the old server's write never took effect")
	c.RunUntil(c.Now()+1000, nil)
	assert.True(t, chk.OK(), "%v", chk.Violations())
}

// A client that moves to another server gives its watches back
// (setWatches, with the last zxid it saw): a watch whose node changed while
// it was away fires at once, before the reply; the others are set again and
// fire on the next change, as ZooKeeper's DataTree.setWatches does.
func TestSetWatchesAfterMove(t *testing.T) {
	c, chk := newCluster(t, 11)
	f := follower(c)
	sc, err := c.Connect("c1", f, 2000)
	require.NoError(t, err)
	c.RunUntil(c.Now()+1000, func() bool { return sc.State == "connected" })
	for _, p := range []string{"/a", "/b", "/c"} {
		require.Equal(t, ztree.OK, submit(t, c, "c1", ztree.Request{Op: ztree.OpCreate, Path: p, Data: "0"}).Err)
	}
	// c1 moves to the leader; meanwhile /a changes and /b goes.
	_, err = c.Connect("c1", c.Leader(), 2000)
	require.NoError(t, err)
	c.RunUntil(c.Now()+1000, func() bool { return sc.State == "connected" })
	require.Equal(t, "connected", sc.State)
	for _, r := range []ztree.Request{{Op: ztree.OpSetData, Path: "/a", Data: "1", Version: -1}, {Op: ztree.OpDelete, Path: "/b", Version: -1}} {
		op, err := c.Submit(7, c.Leader(), r)
		require.NoError(t, err)
		require.True(t, c.RunUntil(c.Now()+3000, func() bool { return op.Done }))
	}
	rep := submit(t, c, "c1", ztree.Request{Op: ztree.OpSetWatches, Ops: []ztree.Request{
		{Op: ztree.OpGetData, Path: "/a"},     // changed: fires now
		{Op: ztree.OpGetData, Path: "/b"},     // gone: fires now
		{Op: ztree.OpGetData, Path: "/c"},     // unchanged: set again
		{Op: ztree.OpExists, Path: "/d"},      // absent: set again
		{Op: ztree.OpGetChildren, Path: "/"},  // /b went: fires now
		{Op: ztree.OpGetData, Path: "no/abs"}, // not a path: nothing
	}})
	require.Equal(t, ztree.OK, rep.Err)
	assert.Equal(t, []core.WatchEvent{
		{Type: core.EventNodeDataChanged, State: core.StateSyncConnected, Path: "/a"},
		{Type: core.EventNodeDeleted, State: core.StateSyncConnected, Path: "/b"},
		{Type: core.EventNodeChildrenChanged, State: core.StateSyncConnected, Path: "/"},
	}, sc.Events)
	submit(t, c, "c1", ztree.Request{Op: ztree.OpSetData, Path: "/c", Data: "1", Version: -1})
	submit(t, c, "c1", ztree.Request{Op: ztree.OpCreate, Path: "/d", Data: "0"})
	// The root's child watch fired at the setWatches and is gone: the
	// create of /d fires only the exists watch on /d.
	require.Len(t, sc.Events, 5, "%v", sc.Events)
	assert.Equal(t, core.WatchEvent{Type: core.EventNodeDataChanged, State: core.StateSyncConnected, Path: "/c"}, sc.Events[3])
	assert.Equal(t, core.WatchEvent{Type: core.EventNodeCreated, State: core.StateSyncConnected, Path: "/d"}, sc.Events[4])
	assert.True(t, chk.OK(), "%v", chk.Violations())
}

// A session client that moves gives its watches back by itself, as a
// ZooKeeper client does on reconnecting: the watch it left on its old server
// fires on its new one; one used up before the move is not given back.
func TestMoveGivesWatchesBack(t *testing.T) {
	c, chk := newCluster(t, 12)
	f := follower(c)
	sc, err := c.Connect("c1", f, 2000)
	require.NoError(t, err)
	c.RunUntil(c.Now()+1000, func() bool { return sc.State == "connected" })
	for _, p := range []string{"/a", "/b"} {
		require.Equal(t, ztree.OK, submit(t, c, "c1", ztree.Request{Op: ztree.OpCreate, Path: p, Data: "0"}).Err)
	}
	submit(t, c, "c1", ztree.Request{Op: ztree.OpGetData, Path: "/a", Watch: true})
	submit(t, c, "c1", ztree.Request{Op: ztree.OpGetData, Path: "/b", Watch: true})
	submit(t, c, "c1", ztree.Request{Op: ztree.OpSetData, Path: "/b", Data: "1", Version: -1}) // fires /b's
	require.Len(t, sc.Events, 1)

	var given *core.Request
	c.OnEvent(func(e core.Event) {
		chk.Observe(e)
		if e.Kind == core.EvRequest && e.Req != nil && e.Req.Op == ztree.OpSetWatches {
			r := *e.Req
			given = &r
		}
	})
	_, err = c.Connect("c1", c.Leader(), 2000)
	require.NoError(t, err)
	answered := func() bool {
		for _, op := range c.History() {
			if op.Req.Op == ztree.OpSetWatches && op.Done {
				return true
			}
		}
		return false
	}
	c.RunUntil(c.Now()+1000, answered)
	require.NotNil(t, given, "no setWatches after the move")
	assert.Equal(t, []ztree.Request{{Op: ztree.OpGetData, Path: "/a"}}, given.Ops, "only the watch not yet fired")
	op, err := c.Submit(7, f, ztree.Request{Op: ztree.OpSetData, Path: "/a", Data: "1", Version: -1})
	require.NoError(t, err)
	require.True(t, c.RunUntil(c.Now()+3000, func() bool { return op.Done && len(sc.Events) == 2 }), "%v", sc.Events)
	assert.Equal(t, core.WatchEvent{Type: core.EventNodeDataChanged, State: core.StateSyncConnected, Path: "/a"}, sc.Events[1])
	assert.True(t, chk.OK(), "%v", chk.Violations())
}
