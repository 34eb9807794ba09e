package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zabplay/zabplay/core"
)

// ZooKeeper sends election notifications on QuorumCnxManager's connections,
// not on the learner's connection to its leader. When a core closes a learner
// connection, what is in flight on it is lost, but a notification in flight
// between the same two servers still arrives. A partition breaks both.
func TestNotificationsOutliveLearnerClose(t *testing.T) {
	run := func(breakIt func(c *Cluster)) (delivered, dropped map[core.MsgType]int) {
		o := DefaultOptions()
		o.Seed, o.Voters, o.Trace = 1, 3, true
		o.LatencyMinMs, o.LatencyMaxMs = 50, 50
		delivered, dropped = map[core.MsgType]int{}, map[core.MsgType]int{}
		c, err := NewWithSink(o, func(e core.Event) {
			if e.Node != 1 && e.Peer != 1 {
				return
			}
			switch e.Kind {
			case core.EvDeliverMsg:
				if e.Peer == 1 && e.Node == 2 {
					delivered[e.Msg]++
				}
			case core.EvDrop:
				if e.Node == 1 && e.Peer == 2 {
					dropped[e.Msg]++
				}
			}
		})
		require.NoError(t, err)
		// Let the first election settle, then mark the trace.
		c.RunUntil(5000, func() bool { return false })
		clear(delivered)
		clear(dropped)
		c.send(1, core.Message{Type: core.MsgNotification, From: 1, To: 2, State: core.Looking, Vote: core.Vote{Leader: 1}})
		c.send(1, core.Message{Type: core.MsgPing, From: 1, To: 2})
		breakIt(c)
		c.RunUntil(c.Now()+100, func() bool { return false })
		return delivered, dropped
	}

	delivered, dropped := run(func(c *Cluster) { c.closeQuorumConn(2, 1, "closed by s2") })
	assert.Equal(t, 1, dropped[core.MsgPing], "the PING on the learner connection is lost")
	assert.Zero(t, dropped[core.MsgNotification], "the notification is on another connection")
	assert.Equal(t, 1, delivered[core.MsgNotification], "and it arrives")
	assert.Zero(t, delivered[core.MsgPing])

	delivered, dropped = run(func(c *Cluster) { c.breakConn(1, 2, "partition", false) })
	assert.Equal(t, 1, dropped[core.MsgPing])
	assert.Equal(t, 1, dropped[core.MsgNotification], "a partition breaks both connections")
	assert.Zero(t, delivered[core.MsgNotification])
}
