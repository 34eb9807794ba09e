package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/zabplay/zabplay/core/ztree"
)

// A commit that goes fatal inside onUpToDate (here: the leader committed a
// zxid that is not the head of the follower's pending proposals) ends the
// learner; the rest of the queued commits must not run on a learner that is
// gone (they dereferenced a nil learner before).
func TestUpToDateStopsAtFatalCommit(t *testing.T) {
	n := testNode(2, Durable{AcceptedEpoch: 1, CurrentEpoch: 1})
	n.becomeLearner(1, false, "test")
	lr := n.learn
	lr.newEpoch = 1
	lr.newLeader = true
	t5 := &Txn{Zxid: MakeZxid(1, 5), Txn: ztree.Txn{Op: ztree.OpCreate, Path: "/a"}}
	lr.packetsNotLogged = []*Txn{t5}
	lr.packetsCommitted = []Zxid{MakeZxid(1, 6), MakeZxid(1, 7)}
	n.rd = Ready{}
	assert.NotPanics(t, n.onUpToDate)
	assert.Equal(t, Looking, n.state)
	var fatals int
	for _, e := range n.rd.Events {
		if e.Kind == EvFatal {
			fatals++
		}
	}
	assert.Equal(t, 1, fatals, "one fatal, for 0x100000006; 0x100000007 is never tried")
}

// A fatal while persisting the sync's committed txns at NEWLEADER ends the
// learner there: no currentEpoch is written and no ACK goes to the leader.
func TestNewLeaderStopsAtFatalPersist(t *testing.T) {
	n := testNode(2, Durable{AcceptedEpoch: 1, CurrentEpoch: 0})
	n.becomeLearner(1, false, "test")
	lr := n.learn
	lr.newEpoch = 1
	lr.packetsCommitted = []Zxid{MakeZxid(1, 6)}
	n.rd = Ready{}
	n.onNewLeader(Message{Type: MsgNewLeader, From: 1, To: 2, Zxid: MakeZxid(1, 0)})
	assert.Equal(t, Looking, n.state)
	for _, w := range n.rd.Writes {
		assert.NotEqual(t, WriteCurrentEpoch, w.Kind, "currentEpoch must not be written after a fatal")
	}
	assert.Equal(t, Epoch(0), n.currentEpoch)
}
