package core

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/zabplay/zabplay/core/ztree"
)

// leaderWith is a node holding the given committed history, as a leader
// about to sync a learner.
func leaderWith(zxids ...Zxid) *Node {
	n := NewNode(Config{ID: 1, Voters: []NodeID{1, 2, 3}, TickMs: 100, ClockMs: 10, Rand: rand.New(rand.NewPCG(1, 1))})
	n.lead = &leader{}
	for _, z := range zxids {
		t := Txn{Zxid: z, Txn: ztree.Txn{Op: ztree.OpSetData, Path: "/", Data: z.String()}}
		n.log = append(n.log, Entry{Txn: t})
		n.committedLog = append(n.committedLog, Entry{Txn: t})
		n.lastProcessed = z
	}
	n.rd = Ready{}
	return n
}

func sentTo(n *Node, to NodeID) string {
	var b []string
	for _, m := range n.rd.Messages {
		if m.To == to {
			b = append(b, m.Type.String()+" "+m.Zxid.String())
		}
	}
	return strings.Join(b, ", ")
}

// TestSyncModes pins syncFollower's choice for each case of
// LearnerHandler.syncFollower/queueCommittedProposals, TRUNC+DIFF included.
// No run inside ZAB's model reaches TRUNC+DIFF (it needs the leader's log to
// skip a zxid of the learner's epoch, i.e. two leaders in one epoch), so no
// scenario file shows it; this test does.
func TestSyncModes(t *testing.T) {
	z := func(e, c uint32) Zxid { return MakeZxid(Epoch(e), c) }
	for _, tc := range []struct {
		name    string
		history []Zxid
		peer    Zxid
		mode    SyncMode
		sent    string
	}{
		{"in sync", []Zxid{z(1, 1), z(1, 2)}, z(1, 2), ModeEmptyDiff, "DIFF 0x100000002"},
		{"behind", []Zxid{z(1, 1), z(1, 2), z(1, 3)}, z(1, 1), ModeDiff,
			"DIFF 0x100000003, PROPOSAL 0x100000002, COMMIT 0x100000002, PROPOSAL 0x100000003, COMMIT 0x100000003"},
		{"ahead", []Zxid{z(1, 1), z(1, 2)}, z(1, 5), ModeTrunc, "TRUNC 0x100000002"},
		{"divergent in one epoch", []Zxid{z(1, 1), z(1, 2), z(1, 4)}, z(1, 3), ModeTruncDiff,
			"TRUNC 0x100000002, PROPOSAL 0x100000004, COMMIT 0x100000004"},
		{"divergent across epochs (ZOOKEEPER-1154's case today)", []Zxid{z(7, 71), z(7, 72), z(7, 73), z(8, 1)}, z(7, 74), ModeSnap,
			"SNAP 0x800000001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := leaderWith(tc.history...)
			mode, _ := n.syncFollower(&handler{id: 2}, tc.peer)
			assert.Equal(t, tc.mode, mode)
			assert.Equal(t, tc.sent, sentTo(n, 2))
		})
	}
}

// A learner whose snapshot holds a txn the leader lacks asks for a SNAP (a
// TRUNC cannot undo a snapshot), and gets one even where a TRUNC is due.
func TestSyncWantSnap(t *testing.T) {
	z := func(e, c uint32) Zxid { return MakeZxid(Epoch(e), c) }
	n := leaderWith(z(1, 1), z(1, 2))
	mode, _ := n.syncFollower(&handler{id: 2, wantSnap: true}, z(1, 3))
	assert.Equal(t, ModeSnap, mode)
	assert.Equal(t, "SNAP 0x100000002", sentTo(n, 2))
}
