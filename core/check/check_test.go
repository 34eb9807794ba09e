package check

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

func z(e, c uint32) core.Zxid { return core.MakeZxid(core.Epoch(e), c) }

// A tiny well-formed history: s1 leads epoch 1 and commits two txns that s2
// delivers.
func goodTrace() []core.Event {
	return []core.Event{
		{Kind: core.EvEstablished, Node: 1, Epoch: 1},
		{Kind: core.EvPropose, Node: 1, Zxid: z(1, 1), Hash: 11},
		{Kind: core.EvDeliver, Node: 1, Zxid: z(1, 1), Hash: 11, Digest: 101},
		{Kind: core.EvDeliver, Node: 2, Zxid: z(1, 1), Hash: 11, Digest: 101},
		{Kind: core.EvPropose, Node: 1, Zxid: z(1, 2), Hash: 12},
		{Kind: core.EvDeliver, Node: 1, Zxid: z(1, 2), Hash: 12, Digest: 102, PrevZxid: z(1, 1), PrevDigest: 101},
		{Kind: core.EvDeliver, Node: 2, Zxid: z(1, 2), Hash: 12, Digest: 102, PrevZxid: z(1, 1), PrevDigest: 101},
	}
}

func run(evs []core.Event) []Violation {
	c := New()
	for i, e := range evs {
		e.At = int64(i)
		c.Observe(e)
	}
	return c.Violations()
}

func TestGoodTraceIsClean(t *testing.T) {
	assert.Empty(t, run(goodTrace()))
}

// Each case plants one bad event after the good trace and names the property
// the checker must report.
func TestCheckerCatchesPlantedBugs(t *testing.T) {
	cases := []struct {
		name string
		bad  []core.Event
		want string
	}{
		{"a delivery nobody proposed", []core.Event{
			{Kind: core.EvDeliver, Node: 3, Zxid: z(1, 2), Hash: 99, Digest: 102}}, Integrity},
		{"same zxid, different history", []core.Event{
			{Kind: core.EvDeliver, Node: 3, Zxid: z(1, 2), Hash: 12, Digest: 777}}, Agreement},
		{"a follower delivers what no leader committed", []core.Event{
			{Kind: core.EvPropose, Node: 1, Zxid: z(1, 3), Hash: 13},
			{Kind: core.EvDeliver, Node: 2, Zxid: z(1, 3), Hash: 13, Digest: 103}}, Integrity},
		{"delivery order goes back", []core.Event{
			{Kind: core.EvDeliver, Node: 2, Zxid: z(1, 1), Hash: 11, Digest: 101}}, TotalOrder},
		{"two leaders in one epoch", []core.Event{
			{Kind: core.EvEstablished, Node: 2, Epoch: 1, Zxid: z(1, 2), Digest: 102}}, OneLeaderPerEpoch},
		{"new leader lacks a committed txn", []core.Event{
			{Kind: core.EvRole, Node: 1, Role: core.Looking},
			{Kind: core.EvEstablished, Node: 3, Epoch: 2, Zxid: z(1, 1), Digest: 101}}, CommittedNeverLost},
		{"new leader commits on a history that skips a committed txn", []core.Event{
			{Kind: core.EvRole, Node: 1, Role: core.Looking},
			{Kind: core.EvEstablished, Node: 3, Epoch: 2, Zxid: z(1, 2), Digest: 102},
			{Kind: core.EvPropose, Node: 3, Zxid: z(2, 1), Hash: 21},
			{Kind: core.EvDeliver, Node: 3, Zxid: z(2, 1), Hash: 21, Digest: 201, PrevZxid: z(1, 1), PrevDigest: 101}}, PrimaryIntegrity},
		{"TRUNC removes a txn committed before the sync decision", []core.Event{
			{Kind: core.EvSyncMode, Node: 1, Peer: 2, Mode: core.ModeTrunc},
			{Kind: core.EvTruncate, Node: 2, Zxid: z(1, 1), Removed: []core.Removed{{Zxid: z(1, 2), Digest: 102}}}}, CommittedNeverLost},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vs := run(append(goodTrace(), tc.bad...))
			require.NotEmpty(t, vs, "the checker missed it")
			assert.Equal(t, tc.want, vs[0].Property, "got %v", vs[0])
		})
	}
}

func TestClientGuarantees(t *testing.T) {
	req := func(cxid uint32, op ztree.Op) core.Event {
		return core.Event{Kind: core.EvRequest, Client: 7, Req: &core.Request{Session: 7, Cxid: cxid, Request: ztree.Request{Op: op, Path: "/a"}}}
	}
	rep := func(cxid uint32, op ztree.Op, zx core.Zxid) core.Event {
		return core.Event{Kind: core.EvReply, Client: 7, Reply: &core.Reply{Session: 7, Cxid: cxid, Op: op, Zxid: zx}}
	}
	t.Run("FIFO", func(t *testing.T) {
		vs := run([]core.Event{req(1, ztree.OpSetData), req(2, ztree.OpGetData), rep(2, ztree.OpGetData, 0), rep(1, ztree.OpSetData, z(1, 1))})
		require.NotEmpty(t, vs)
		assert.Equal(t, FIFOClientOrder, vs[0].Property)
	})
	// A client without a session that sends each request through another
	// server has a connection to each: FIFO holds on each, not across them
	// (the scenario language's "via"). A session has one connection at a
	// time, wherever it moves.
	from := func(e core.Event, srv core.NodeID) core.Event { e.Reply.Server = srv; return e }
	hop := []core.Event{req(1, ztree.OpCreate), req(2, ztree.OpCreate), from(rep(2, ztree.OpCreate, z(1, 1)), 3), from(rep(1, ztree.OpCreate, z(1, 2)), 2)}
	t.Run("FIFO through two servers, no session", func(t *testing.T) {
		assert.Empty(t, run(hop))
	})
	t.Run("FIFO through two servers, a session", func(t *testing.T) {
		vs := run(append([]core.Event{{Kind: core.EvSession, Client: 7, Text: "connected"}}, hop...))
		require.NotEmpty(t, vs)
		assert.Equal(t, FIFOClientOrder, vs[0].Property)
	})
	t.Run("read goes back in time", func(t *testing.T) {
		vs := run([]core.Event{req(1, ztree.OpSetData), rep(1, ztree.OpSetData, z(1, 5)), req(2, ztree.OpGetData), rep(2, ztree.OpGetData, z(1, 4))})
		require.NotEmpty(t, vs)
		assert.Equal(t, MonotonicReads, vs[0].Property)
	})
	t.Run("in order is clean", func(t *testing.T) {
		assert.Empty(t, run([]core.Event{req(1, ztree.OpSetData), rep(1, ztree.OpSetData, z(1, 5)), req(2, ztree.OpGetData), rep(2, ztree.OpGetData, z(1, 5))}))
	})
}

// chainOf is a valid history on s1: txn i (from 1) has hash 10+i and digest
// 100+i; owner and closes set Owner and Closes of the deliveries.
func chainOf(owner, closes map[uint32]int64, n uint32) []core.Event {
	evs := []core.Event{{Kind: core.EvEstablished, Node: 1, Epoch: 1}}
	for i := uint32(1); i <= n; i++ {
		d := core.Event{Kind: core.EvDeliver, Node: 1, Zxid: z(1, i), Hash: uint64(10 + i), Digest: uint64(100 + i),
			Owner: owner[i], Closes: closes[i]}
		if i > 1 {
			d.PrevZxid, d.PrevDigest = z(1, i-1), uint64(99+i)
		}
		evs = append(evs, core.Event{Kind: core.EvPropose, Node: 1, Zxid: z(1, i), Hash: uint64(10 + i)}, d)
	}
	return evs
}

func TestSessionGuarantees(t *testing.T) {
	const s = int64(1<<56 | 9)
	t.Run("an ephemeral created after its session's close", func(t *testing.T) {
		vs := run(chainOf(map[uint32]int64{4: s}, map[uint32]int64{3: s}, 4))
		require.NotEmpty(t, vs)
		assert.Equal(t, EphemeralsDie, vs[0].Property)
	})
	t.Run("a read showing an ephemeral of a closed session", func(t *testing.T) {
		vs := run(append(chainOf(nil, map[uint32]int64{3: s}, 3),
			core.Event{Kind: core.EvRequest, Client: 7, Req: &core.Request{Session: 7, Cxid: 1, Request: ztree.Request{Op: ztree.OpExists, Path: "/e"}}},
			core.Event{Kind: core.EvReply, Client: 7, Reply: &core.Reply{Session: 7, Cxid: 1, Op: ztree.OpExists, Path: "/e", Zxid: z(1, 3), Server: 2,
				Stat: &ztree.Stat{EphemeralOwner: s}}}))
		require.NotEmpty(t, vs)
		assert.Equal(t, EphemeralsDie, vs[0].Property)
	})
	t.Run("a read before the close, notifications and connect answers are clean", func(t *testing.T) {
		evs := chainOf(map[uint32]int64{2: s}, map[uint32]int64{3: s}, 3)
		evs = append(evs[:5:5], append([]core.Event{
			{Kind: core.EvRequest, Client: 7, Req: &core.Request{Session: 7, Cxid: 1, Request: ztree.Request{Op: ztree.OpGetData, Path: "/e"}}},
			{Kind: core.EvReply, Client: 7, Reply: &core.Reply{Session: 7, Cxid: 1, Op: ztree.OpGetData, Path: "/e", Zxid: z(1, 2), Stat: &ztree.Stat{EphemeralOwner: s}}},
		}, evs[5:]...)...)
		evs = append(evs,
			core.Event{Kind: core.EvReply, Client: 7, Reply: &core.Reply{Session: 7, Op: ztree.OpNotification, Zxid: z(1, 3), Watch: &core.WatchEvent{Type: core.EventNodeDeleted, Path: "/e"}}},
			core.Event{Kind: core.EvReply, Client: s, Reply: &core.Reply{Session: s, Op: ztree.OpCreateSession, Conn: 4, Err: ztree.SessionExpired}},
		)
		assert.Empty(t, run(evs))
	})
}

// A leader whose own currentEpoch write was slow (a paused server) can count
// NEWLEADER acks from long before and establish an older epoch after the
// ensemble moved on: it need not hold what the newer epoch committed (campaign
// seed 18138 was flagged for it). A newer epoch's leader must.
func TestEstablishedOlderEpochAfterNewer(t *testing.T) {
	newer := []core.Event{
		{Kind: core.EvEstablished, Node: 4, Epoch: 8},
		{Kind: core.EvPropose, Node: 4, Zxid: z(8, 1), Hash: 81},
		{Kind: core.EvDeliver, Node: 4, Zxid: z(8, 1), Hash: 81, Digest: 801},
	}
	stale := core.Event{Kind: core.EvEstablished, Node: 5, Epoch: 7, Zxid: z(5, 13), Digest: 513}
	for _, v := range run(append(newer, stale)) {
		assert.NotEqual(t, CommittedNeverLost, v.Property, "an older epoch's leader flagged: %v", v)
	}
	later := core.Event{Kind: core.EvEstablished, Node: 5, Epoch: 9, Zxid: z(5, 13), Digest: 513}
	var props []string
	for _, v := range run(append(newer, later)) {
		props = append(props, v.Property)
	}
	assert.Contains(t, props, CommittedNeverLost, "a newer epoch's leader without 8·1")
}

// WatchOrder: a session's notification of zxid Z comes before any reply at Z
// or later (the reply to the write that fired it included) and after the
// notifications of earlier zxids. A watch given back that fires at once
// (no zxid) and a session event (Disconnected) are not held to it.
func TestWatchOrder(t *testing.T) {
	const c = int64(7)
	setRep := func(cxid uint32, zx core.Zxid) []core.Event {
		return []core.Event{
			{Kind: core.EvRequest, Client: c, Req: &core.Request{Session: c, Cxid: cxid, Request: ztree.Request{Op: ztree.OpSetData, Path: "/a"}}},
			{Kind: core.EvReply, Client: c, Reply: &core.Reply{Session: c, Cxid: cxid, Op: ztree.OpSetData, Path: "/a", Zxid: zx, Server: 2}},
		}
	}
	note := func(zx core.Zxid, typ core.EventType) core.Event {
		return core.Event{Kind: core.EvReply, Client: c, Reply: &core.Reply{Session: c, Op: ztree.OpNotification, Zxid: zx, Server: 2,
			Watch: &core.WatchEvent{Type: typ, State: core.StateSyncConnected, Path: "/a"}}}
	}
	props := func(evs []core.Event) []string {
		var out []string
		for _, v := range run(evs) {
			out = append(out, v.Property)
		}
		return out
	}
	t.Run("the notification after the reply to the write that fired it", func(t *testing.T) {
		assert.Equal(t, []string{WatchOrder}, props(append(setRep(1, z(1, 4)), note(z(1, 4), core.EventNodeDataChanged))))
	})
	t.Run("the notification after a reply past its zxid", func(t *testing.T) {
		assert.Equal(t, []string{WatchOrder}, props(append(setRep(1, z(1, 6)), note(z(1, 4), core.EventNodeDataChanged))))
	})
	t.Run("notifications out of zxid order", func(t *testing.T) {
		assert.Equal(t, []string{WatchOrder}, props([]core.Event{note(z(1, 5), core.EventNodeDataChanged), note(z(1, 4), core.EventNodeDeleted)}))
	})
	t.Run("in order, two of one txn, given back, and a session event are clean", func(t *testing.T) {
		evs := []core.Event{note(z(1, 4), core.EventNodeDataChanged), note(z(1, 4), core.EventNodeChildrenChanged)}
		evs = append(evs, setRep(1, z(1, 4))...)
		evs = append(evs, note(0, core.EventNodeDataChanged), note(z(1, 2), core.EventNone), note(z(1, 5), core.EventNodeDeleted))
		assert.Empty(t, props(evs))
	})
}

// TestPropertiesListed: Properties names every property constant of the
// package (each a string constant whose value is its own name), so the
// playground's texts cover all of them.
func TestPropertiesListed(t *testing.T) {
	fset := token.NewFileSet()
	var consts []string
	for _, f := range []string{"check.go", "protocol.go"} {
		file, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok || len(vs.Values) != 1 {
				return true
			}
			if lit, ok := vs.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING && lit.Value == `"`+vs.Names[0].Name+`"` {
				consts = append(consts, vs.Names[0].Name)
			}
			return true
		})
	}
	assert.ElementsMatch(t, consts, Properties)
}

// ClientWriteOrder: a session's txns commit in the order of its requests'
// xids; a refused one (the old server's late write after a move) is no
// write of the session, a close by expiry (xid 0) is not the client's, and
// a client that never connected has no session to hold to it.
func TestClientWriteOrder(t *testing.T) {
	const s = int64(7)
	write := func(c uint32, cxid uint32, reason string) []core.Event {
		return []core.Event{
			{Kind: core.EvPropose, Node: 1, Zxid: z(1, c), Hash: uint64(10 + c), Client: s, Seq: uint64(cxid), Reason: reason},
			{Kind: core.EvDeliver, Node: 1, Zxid: z(1, c), Hash: uint64(10 + c), Digest: uint64(100 + c)},
		}
	}
	connected := []core.Event{{Kind: core.EvSession, Node: 1, Client: s, Text: "connected"}}
	props := func(parts ...[]core.Event) []string {
		evs := []core.Event{{Kind: core.EvEstablished, Node: 1, Epoch: 1}}
		for _, p := range parts {
			evs = append(evs, p...)
		}
		for i := 2; i < len(evs); i++ {
			if evs[i].Kind == core.EvDeliver && evs[i].Zxid.Counter() > 1 {
				evs[i].PrevZxid, evs[i].PrevDigest = evs[i].Zxid-1, evs[i].Digest-1
			}
		}
		var out []string
		for _, v := range run(evs) {
			out = append(out, v.Property)
		}
		return out
	}
	t.Run("an earlier request committed after a later one", func(t *testing.T) {
		assert.Equal(t, []string{ClientWriteOrder}, props(connected, write(1, 2, ""), write(2, 4, ""), write(3, 3, "")))
	})
	t.Run("in order, a refused late write and a close by expiry are clean", func(t *testing.T) {
		assert.Empty(t, props(connected, write(1, 2, ""), write(2, 4, ""), write(3, 3, "session moved"), write(4, 0, ""), write(5, 5, "")))
	})
	t.Run("a client without a session is not held to it", func(t *testing.T) {
		assert.Empty(t, props(write(1, 2, ""), write(2, 4, ""), write(3, 3, "")))
	})
}
