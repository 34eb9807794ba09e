package core

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testNode(id NodeID, restore Durable) *Node {
	return NewNode(Config{ID: id, Voters: []NodeID{1, 2, 3}, TickMs: 100, ClockMs: 10, Rand: rand.New(rand.NewPCG(1, 1)), Restore: restore})
}

func epochWrites(rd Ready) []Epoch {
	var out []Epoch
	for _, w := range rd.Writes {
		if w.Kind == WriteAcceptedEpoch || w.Kind == WriteCurrentEpoch {
			out = append(out, w.Epoch)
		}
	}
	return out
}

// A LEADERINFO naming NoEpoch (0xffffffff) is what a forged or corrupt leader
// sends: the learner refuses it before anything reaches its disk, so the next
// leader's maxAccepted+1 cannot wrap to 0.
func TestLearnerRefusesEpochPastMax(t *testing.T) {
	n := testNode(2, Durable{AcceptedEpoch: 3, CurrentEpoch: 3})
	n.becomeLearner(1, false, "test")
	n.rd = Ready{}
	n.Step(Message{Type: MsgLeaderInfo, From: 1, To: 2, Zxid: MakeZxid(NoEpoch, 0)})
	assert.Equal(t, Epoch(3), n.acceptedEpoch, "acceptedEpoch must not move")
	assert.Empty(t, epochWrites(n.rd), "nothing may be persisted")
	assert.Equal(t, Looking, n.state, "the learner gives up on that leader")
	for _, m := range n.rd.Messages {
		assert.NotEqual(t, MsgAckEpoch, m.Type, "no ACKEPOCH for a refused epoch")
	}

	// The highest valid epoch is still followed.
	n = testNode(2, Durable{AcceptedEpoch: 3, CurrentEpoch: 3})
	n.becomeLearner(1, false, "test")
	n.rd = Ready{}
	n.Step(Message{Type: MsgLeaderInfo, From: 1, To: 2, Zxid: MakeZxid(MaxEpoch, 0)})
	assert.Equal(t, MaxEpoch, n.acceptedEpoch)
	assert.Equal(t, []Epoch{MaxEpoch}, epochWrites(n.rd))
}

// A leader whose quorum has accepted MaxEpoch cannot propose another epoch:
// it refuses to lead instead of persisting NoEpoch or wrapping to 0.
func TestLeaderCannotProposePastMax(t *testing.T) {
	n := testNode(1, Durable{AcceptedEpoch: MaxEpoch, CurrentEpoch: MaxEpoch})
	n.becomeLeader("test")
	n.rd = Ready{}
	n.Step(Message{Type: MsgFollowerInfo, From: 2, To: 1, Zxid: MakeZxid(MaxEpoch, 0)})
	assert.Empty(t, epochWrites(n.rd))
	assert.Equal(t, MaxEpoch, n.acceptedEpoch)
	assert.NotEqual(t, Leading, n.state)
	var fatal bool
	for _, e := range n.rd.Events {
		fatal = fatal || e.Kind == EvFatal
	}
	assert.True(t, fatal, "the refusal is reported")
}

// A FOLLOWERINFO claiming an acceptedEpoch past MaxEpoch does not count
// toward the leader's new epoch.
func TestLeaderIgnoresFollowerEpochPastMax(t *testing.T) {
	n := testNode(1, Durable{AcceptedEpoch: 2, CurrentEpoch: 2})
	n.becomeLeader("test")
	n.rd = Ready{}
	n.Step(Message{Type: MsgFollowerInfo, From: 2, To: 1, Zxid: MakeZxid(NoEpoch, 0)})
	assert.Empty(t, epochWrites(n.rd))
	assert.Equal(t, Epoch(2), n.acceptedEpoch)
	n.Step(Message{Type: MsgFollowerInfo, From: 3, To: 1, Zxid: MakeZxid(2, 0)})
	assert.Equal(t, []Epoch{3}, epochWrites(n.rd), "the epoch comes from the honest quorum")
}

// Epochs past MaxEpoch on disk are refused at start with a clear error.
func TestConfigRefusesEpochPastMax(t *testing.T) {
	cfg := Config{ID: 1, Voters: []NodeID{1, 2, 3}, TickMs: 100, ClockMs: 10, Rand: rand.New(rand.NewPCG(1, 1)),
		Restore: Durable{AcceptedEpoch: NoEpoch}}
	err := cfg.Validate()
	require.ErrorIs(t, err, ErrBadConfig)
	assert.Contains(t, err.Error(), "out of range")
}
