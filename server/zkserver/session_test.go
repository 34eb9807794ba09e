package zkserver

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
)

// TestWatches sets data, exists and child watches with go-zookeeper on a
// follower and fires each from another session on another server.
func TestWatches(t *testing.T) {
	c := newCluster(t, 3)
	c.leader()
	c.waitServing()
	srv := c.servers()
	a, _ := c.connect([]string{srv[0]})
	b, _ := c.connect([]string{srv[1]})
	_, err := b.Create("/w", []byte("0"), 0, acl)
	require.NoError(t, err)
	// a's server may not have applied b's create yet (a read is served
	// by the server a is on, as in ZooKeeper): sync first.
	_, err = a.Sync("/w")
	require.NoError(t, err)

	_, _, dataW, err := a.GetW("/w")
	require.NoError(t, err)
	_, _, childW, err := a.ChildrenW("/w")
	require.NoError(t, err)
	ok, _, existW, err := a.ExistsW("/w/new")
	require.NoError(t, err)
	assert.False(t, ok)

	_, err = b.Set("/w", []byte("1"), -1)
	require.NoError(t, err)
	ev := waitEvent(t, dataW)
	assert.Equal(t, zk.EventNodeDataChanged, ev.Type)
	assert.Equal(t, "/w", ev.Path)

	_, err = b.Create("/w/new", nil, 0, acl)
	require.NoError(t, err)
	assert.Equal(t, zk.EventNodeCreated, waitEvent(t, existW).Type)
	ev = waitEvent(t, childW)
	assert.Equal(t, zk.EventNodeChildrenChanged, ev.Type)
	assert.Equal(t, "/w", ev.Path)

	// One-shot: a second change fires nothing; a new watch fires once.
	_, _, dataW, err = a.GetW("/w/new")
	require.NoError(t, err)
	require.NoError(t, b.Delete("/w/new", -1))
	assert.Equal(t, zk.EventNodeDeleted, waitEvent(t, dataW).Type)
	// A read after a notification sees the write that fired it: the
	// server applied the txn before it sent the notification.
	_, _, dataW, err = a.GetW("/w")
	require.NoError(t, err)
	_, err = b.Set("/w", []byte("2"), -1)
	require.NoError(t, err)
	waitEvent(t, dataW)
	data, _, err := a.Get("/w")
	require.NoError(t, err)
	assert.Equal(t, "2", string(data))
}

// TestWatchesSurviveReconnect: a client whose server dies reconnects to
// another and gives its watches back (SetWatches with its last zxid): each
// still fires once, whether its node changed while the client was away
// (at once) or after (on the change).
func TestWatchesSurviveReconnect(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader()
	c.waitServing()
	var ids []core.NodeID
	for id := range c.client {
		if id != lead {
			ids = append(ids, id)
		}
	}
	// a is on a follower, with the leader to fall back to; b on the leader.
	a, _ := c.connect([]string{c.client[ids[0]], c.client[lead]})
	require.Equal(t, c.client[ids[0]], a.Server())
	b, _ := c.connect([]string{c.client[lead]})
	for _, p := range []string{"/later", "/away"} {
		_, err := a.Create(p, []byte("0"), 0, acl) // a's own: its server has them before it reads
		require.NoError(t, err)
	}
	_, _, laterW, err := a.GetW("/later")
	require.NoError(t, err)
	_, _, awayW, err := a.GetW("/away")
	require.NoError(t, err)
	_, _, rootW, err := a.ChildrenW("/")
	require.NoError(t, err)

	c.kill(ids[0])
	_, err = b.Set("/away", []byte("1"), -1) // while a reconnects, or after
	require.NoError(t, err)
	ev := waitEvent(t, awayW)
	assert.Equal(t, zk.EventNodeDataChanged, ev.Type)
	require.Eventually(t, func() bool { return a.State() == zk.StateHasSession && a.Server() == c.client[lead] },
		10*time.Second, 10*time.Millisecond, "a never reconnected to the leader")
	_, err = b.Set("/later", []byte("1"), -1)
	require.NoError(t, err)
	ev = waitEvent(t, laterW)
	assert.Equal(t, zk.EventNodeDataChanged, ev.Type)
	assert.Equal(t, "/later", ev.Path)
	_, err = b.Create("/new", nil, 0, acl)
	require.NoError(t, err)
	ev = waitEvent(t, rootW)
	assert.Equal(t, zk.EventNodeChildrenChanged, ev.Type)
	assert.Equal(t, "/", ev.Path)
}

var acl = zk.WorldACL(zk.PermAll)

func waitEvent(t *testing.T, ch <-chan zk.Event) zk.Event {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no watch event within 5 s")
	}
	return zk.Event{}
}

// TestEphemerals: an ephemeral goes with its session's close, and with its
// session's expiry (the client stops pinging: its connection is cut and it
// never comes back).
func TestEphemerals(t *testing.T) {
	c := newCluster(t, 3)
	c.leader()
	c.waitServing()
	srv := c.servers()
	watcher, _ := c.connect([]string{srv[2]})

	closer, _ := c.connect([]string{srv[0]})
	_, err := closer.Create("/eph-close", nil, zk.FlagEphemeral, acl)
	require.NoError(t, err)
	_, err = closer.Create("/eph-close/child", nil, 0, acl)
	assert.ErrorIs(t, err, zk.ErrNoChildrenForEphemerals)
	_, err = watcher.Sync("/eph-close") // the watcher's server may lag: catch up first
	require.NoError(t, err)
	ok, st, err := watcher.Exists("/eph-close")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, closer.SessionID(), st.EphemeralOwner)
	_, _, gone, err := watcher.GetW("/eph-close")
	require.NoError(t, err)
	closer.Close()
	assert.Equal(t, zk.EventNodeDeleted, waitEvent(t, gone).Type)

	// Expiry: a raw session that connects, creates an ephemeral and goes
	// silent. The leader expires it after its timeout (2 s here, 20 ticks
	// at most) and deletes the ephemeral on every server.
	nc := rawSession(t, srv[1], 200)
	rawCreate(t, nc, "/eph-expire", true)
	_, err = watcher.Sync("/eph-expire")
	require.NoError(t, err)
	_, _, gone, err = watcher.GetW("/eph-expire")
	require.NoError(t, err)
	start := time.Now()
	assert.Equal(t, zk.EventNodeDeleted, waitEvent(t, gone).Type)
	assert.Less(t, time.Since(start), 3*time.Second)
	nc.Close()
}

// TestMulti: a multi applies all its ops or none, and reports each.
func TestMulti(t *testing.T) {
	c := newCluster(t, 3)
	c.leader()
	c.waitServing()
	conn, _ := c.connect(c.servers())
	_, err := conn.Create("/m", []byte("0"), 0, acl)
	require.NoError(t, err)

	res, err := conn.Multi(
		&zk.CreateRequest{Path: "/m/a", Data: []byte("a"), Acl: acl},
		&zk.SetDataRequest{Path: "/m", Data: []byte("1"), Version: 0},
		&zk.CheckVersionRequest{Path: "/m", Version: 1},
		&zk.DeleteRequest{Path: "/m/a", Version: 0},
	)
	require.NoError(t, err)
	require.Len(t, res, 4)
	assert.Equal(t, "/m/a", res[0].String)
	for _, r := range res {
		assert.NoError(t, r.Error)
	}
	data, st, err := conn.Get("/m")
	require.NoError(t, err)
	assert.Equal(t, "1", string(data))
	assert.EqualValues(t, 1, st.Version)

	// The third op fails: nothing of the multi applies.
	res, err = conn.Multi(
		&zk.CreateRequest{Path: "/m/b", Data: nil, Acl: acl},
		&zk.SetDataRequest{Path: "/m", Data: []byte("2"), Version: 1},
		&zk.CheckVersionRequest{Path: "/m", Version: 7},
		&zk.DeleteRequest{Path: "/m/none", Version: -1},
	)
	assert.ErrorIs(t, err, zk.ErrBadVersion, "go-zookeeper returns the first failed op's error")
	require.Len(t, res, 4)
	assert.NoError(t, res[0].Error)
	assert.NoError(t, res[1].Error)
	assert.ErrorIs(t, res[2].Error, zk.ErrBadVersion)
	// RUNTIMEINCONSISTENCY (-2) for the ops after the failed one, as
	// ZooKeeper answers; go-zookeeper has no name for it.
	assert.EqualError(t, res[3].Error, "unknown error: -2")
	ok, _, err := conn.Exists("/m/b")
	require.NoError(t, err)
	assert.False(t, ok)
	data, _, err = conn.Get("/m")
	require.NoError(t, err)
	assert.Equal(t, "1", string(data))
}

// TestSessionSurvivesLeaderCrash: a client on the leader keeps its session
// (and its ephemeral) when the leader is killed: it reconnects to another
// server with its session id and password, and writes again.
func TestSessionSurvivesLeaderCrash(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader()
	c.waitServing()
	order := []string{c.client[lead]}
	for id, addr := range c.client {
		if id != lead {
			order = append(order, addr)
		}
	}
	conn, _ := c.connect(order)
	require.Equal(t, c.client[lead], conn.Server())
	sid := conn.SessionID()
	_, err := conn.Create("/mine", []byte("x"), zk.FlagEphemeral, acl)
	require.NoError(t, err)

	c.kill(lead)
	start := time.Now()
	var st *zk.Stat
	require.Eventually(t, func() bool {
		st, err = conn.Set("/mine", []byte("y"), -1)
		return err == nil
	}, 20*time.Second, 5*time.Millisecond, "last error: %v", err)
	t.Logf("write again %v after the leader's crash, on %s", time.Since(start), conn.Server())
	assert.Equal(t, sid, conn.SessionID(), "same session")
	assert.NotEqual(t, c.client[lead], conn.Server())
	assert.Equal(t, sid, st.EphemeralOwner, "its ephemeral is still there")
}
