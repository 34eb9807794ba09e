package zkserver

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGoZookeeperOps runs every operation of go-zookeeper against a live
// 3-server ensemble, on a follower and on the leader.
func TestGoZookeeperOps(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader()
	c.waitServing()
	var follower string
	for id := range c.nodes {
		if id != lead {
			follower = c.client[id]
			break
		}
	}
	for _, srv := range []string{follower, c.client[lead]} {
		conn, _ := c.connect([]string{srv})
		base := "/ops-" + srv[len(srv)-5:]

		p, err := conn.Create(base, []byte("hello"), 0, zk.WorldACL(zk.PermAll))
		require.NoError(t, err)
		assert.Equal(t, base, p)
		_, err = conn.Create(base, nil, 0, zk.WorldACL(zk.PermAll))
		assert.ErrorIs(t, err, zk.ErrNodeExists)
		_, err = conn.Create(base+"/x/y", nil, 0, zk.WorldACL(zk.PermAll))
		assert.ErrorIs(t, err, zk.ErrNoNode)

		data, st, err := conn.Get(base)
		require.NoError(t, err)
		assert.Equal(t, "hello", string(data))
		assert.EqualValues(t, 0, st.Version)
		assert.EqualValues(t, 5, st.DataLength)
		assert.Equal(t, st.Czxid, st.Mzxid)

		st2, err := conn.Set(base, []byte("world"), 0)
		require.NoError(t, err)
		assert.EqualValues(t, 1, st2.Version)
		assert.Greater(t, st2.Mzxid, st.Mzxid)
		_, err = conn.Set(base, []byte("stale"), 0)
		assert.ErrorIs(t, err, zk.ErrBadVersion)

		ok, st3, err := conn.Exists(base)
		require.NoError(t, err)
		assert.True(t, ok)
		assert.EqualValues(t, 1, st3.Version)
		ok, _, err = conn.Exists(base + "/none")
		require.NoError(t, err)
		assert.False(t, ok)

		for _, name := range []string{"a", "b", "c"} {
			_, err := conn.Create(base+"/"+name, []byte(name), 0, zk.WorldACL(zk.PermAll))
			require.NoError(t, err)
		}
		kids, st4, err := conn.Children(base)
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"a", "b", "c"}, kids)
		assert.EqualValues(t, 3, st4.NumChildren)
		assert.EqualValues(t, 3, st4.Cversion)

		err = conn.Delete(base, -1)
		assert.ErrorIs(t, err, zk.ErrNotEmpty)
		err = conn.Delete(base+"/a", 5)
		assert.ErrorIs(t, err, zk.ErrBadVersion)
		for _, name := range []string{"a", "b", "c"} {
			require.NoError(t, conn.Delete(base+"/"+name, 0))
		}
		_, err = conn.Sync(base)
		require.NoError(t, err)
		require.NoError(t, conn.Delete(base, 1))
		_, _, err = conn.Get(base)
		assert.ErrorIs(t, err, zk.ErrNoNode)

		acl, _, err := conn.GetACL("/")
		require.NoError(t, err)
		assert.Equal(t, zk.WorldACL(zk.PermAll), acl)
	}
}

// TestSequential checks sequential names: the parent's cversion, %010d.
func TestSequential(t *testing.T) {
	c := newCluster(t, 3)
	c.leader()
	c.waitServing()
	conn, _ := c.connect(c.servers())
	_, err := conn.Create("/q", nil, 0, zk.WorldACL(zk.PermAll))
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		p, err := conn.Create("/q/job-", nil, zk.FlagSequence, zk.WorldACL(zk.PermAll))
		require.NoError(t, err)
		assert.Equal(t, "/q/job-"+[]string{"0000000000", "0000000001", "0000000002"}[i], p)
	}
	p, err := conn.CreateProtectedEphemeralSequential("/q/lock-", nil, zk.WorldACL(zk.PermAll))
	require.NoError(t, err)
	assert.Regexp(t, `^/q/_c_[0-9a-f]{32}-lock-0000000003$`, p)
	time.Sleep(0)
}
