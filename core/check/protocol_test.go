package check

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/zabplay/zabplay/core"
)

// protoRun is a hand-built trace of 3 voters (s1 leads epoch 1, s2 follows) and an
// observer s4: discovery, sync, one txn committed. A variant changes one step
// so that exactly one property breaks.
func protoRun(variant string) []core.Event {
	var t []core.Event
	add := func(es ...core.Event) { t = append(t, es...) }
	z1 := core.MakeZxid(1, 1)
	e10 := core.MakeZxid(1, 0)
	msg := func(kind core.EventKind, from, to core.NodeID, m core.MsgType, z core.Zxid, ep core.Epoch) core.Event {
		e := core.Event{Kind: kind, Node: from, Peer: to, Msg: m, Zxid: z, Epoch: ep}
		if kind == core.EvDeliverMsg {
			e.Node, e.Peer = to, from
		}
		return e
	}
	send := func(from, to core.NodeID, m core.MsgType, z core.Zxid, ep core.Epoch) {
		add(msg(core.EvSend, from, to, m, z, ep), msg(core.EvDeliverMsg, from, to, m, z, ep))
	}
	persist := func(n core.NodeID, seq uint64, kind core.WriteKind, z core.Zxid, ep core.Epoch) core.Event {
		return core.Event{Kind: core.EvPersist, Node: n, Seq: seq, Text: kind.String(), Zxid: z, Epoch: ep}
	}
	fsync := func(n core.NodeID, seq uint64) core.Event { return core.Event{Kind: core.EvFsync, Node: n, Seq: seq} }

	// s1 leads with history (0, 0x0); "leader-behind" has s2 report more.
	add(core.Event{Kind: core.EvRole, Node: 1, Role: core.Leading})
	add(core.Event{Kind: core.EvRole, Node: 2, Role: core.Following, Leader: 1})
	add(core.Event{Kind: core.EvRole, Node: 4, Role: core.Observing, Leader: 1})
	// The leader's epoch, durable before LEADERINFO.
	add(core.Event{Kind: core.EvAcceptedEpoch, Node: 1, Epoch: 1}, persist(1, 1, core.WriteAcceptedEpoch, 0, 1))
	if variant != "leaderinfo-before-fsync" {
		add(fsync(1, 1))
	}
	send(1, 2, core.MsgLeaderInfo, e10, 0)
	send(1, 4, core.MsgLeaderInfo, e10, 0)
	if variant == "leaderinfo-before-fsync" {
		add(fsync(1, 1))
	}
	// s2 accepts epoch 1 and promises it once durable.
	add(core.Event{Kind: core.EvAcceptedEpoch, Node: 2, Epoch: 1}, persist(2, 1, core.WriteAcceptedEpoch, 0, 1))
	if variant != "ackepoch-before-fsync" {
		add(fsync(2, 1))
	}
	s2Last := core.Zxid(0)
	if variant == "leader-behind" {
		s2Last = core.MakeZxid(0, 5)
	}
	send(2, 1, core.MsgAckEpoch, s2Last, 0)
	if variant == "ackepoch-before-fsync" {
		add(fsync(2, 1))
	}
	add(core.Event{Kind: core.EvAcceptedEpoch, Node: 4, Epoch: 1}, persist(4, 1, core.WriteAcceptedEpoch, 0, 1), fsync(4, 1))
	send(4, 1, core.MsgAckEpoch, 0, 0)
	// The leader finishes the election: currentEpoch 1.
	add(core.Event{Kind: core.EvCurrentEpoch, Node: 1, Epoch: 1}, persist(1, 2, core.WriteCurrentEpoch, 0, 1), fsync(1, 2))
	send(1, 2, core.MsgNewLeader, e10, 0)
	send(1, 4, core.MsgNewLeader, e10, 0)
	add(core.Event{Kind: core.EvCurrentEpoch, Node: 4, Epoch: 1}, persist(4, 2, core.WriteCurrentEpoch, 0, 1), fsync(4, 2))
	send(4, 1, core.MsgAck, e10, 0)
	if variant != "observer-establishes" {
		add(core.Event{Kind: core.EvCurrentEpoch, Node: 2, Epoch: 1}, persist(2, 2, core.WriteCurrentEpoch, 0, 1))
		if variant != "newleader-ack-before-fsync" {
			add(fsync(2, 2))
		}
		send(2, 1, core.MsgAck, e10, 0)
		if variant == "newleader-ack-before-fsync" {
			add(fsync(2, 2))
		}
	}
	if variant == "uptodate-early" {
		send(1, 2, core.MsgUpToDate, 0, 0)
	}
	add(core.Event{Kind: core.EvEstablished, Node: 1, Epoch: 1})
	if variant != "uptodate-early" {
		send(1, 2, core.MsgUpToDate, 0, 0)
	}
	send(1, 4, core.MsgUpToDate, 0, 0)
	// One txn: proposed, logged on both voters, acked, committed.
	add(core.Event{Kind: core.EvPropose, Node: 1, Zxid: z1, Epoch: 1, Hash: 7})
	add(persist(1, 3, core.WriteAppend, z1, 0), fsync(1, 3))
	add(persist(2, 3, core.WriteAppend, z1, 0))
	if variant != "ack-before-fsync" {
		add(fsync(2, 3))
	}
	if variant != "commit-without-quorum" {
		send(2, 1, core.MsgAck, z1, 0)
	}
	if variant == "ack-before-fsync" {
		add(fsync(2, 3))
	}
	if variant == "commit-sent-early" {
		add(msg(core.EvSend, 1, 2, core.MsgCommit, z1, 0))
	}
	add(core.Event{Kind: core.EvDeliver, Node: 1, Zxid: z1, Digest: 11, Hash: 7})
	add(msg(core.EvSend, 1, 2, core.MsgCommit, z1, 0), msg(core.EvSend, 1, 4, core.MsgInform, z1, 0))
	add(core.Event{Kind: core.EvDeliver, Node: 2, Zxid: z1, Digest: 11, Hash: 7})
	switch variant {
	case "accepted-down-after-restart":
		add(core.Event{Kind: core.EvCrash, Node: 2}, core.Event{Kind: core.EvRestart, Node: 2, Zxid: z1})
		add(core.Event{Kind: core.EvAcceptedEpoch, Node: 2, Epoch: 0})
	case "restart-loses-fsynced":
		add(core.Event{Kind: core.EvCrash, Node: 2}, core.Event{Kind: core.EvRestart, Node: 2, Zxid: 0})
	case "restart-keeps-fsynced":
		add(core.Event{Kind: core.EvCrash, Node: 2}, core.Event{Kind: core.EvRestart, Node: 2, Zxid: z1})
	case "current-above-accepted":
		add(core.Event{Kind: core.EvCurrentEpoch, Node: 3, Epoch: 2})
	case "fatal-stream":
		add(core.Event{Kind: core.EvFatal, Node: 2, Text: "non-continuous proposal"})
	case "fatal-epoch":
		add(core.Event{Kind: core.EvFatal, Node: 2, Reason: core.FatalEpochExhausted, Text: "no epoch left to propose"})
	}
	return t
}

func flagged(t *testing.T, events []core.Event) map[string]int {
	t.Helper()
	c := New()
	c.Ensemble([]core.NodeID{1, 2, 3})
	for _, e := range events {
		c.Observe(e)
	}
	out := map[string]int{}
	for _, v := range c.Violations() {
		out[v.Property]++
		t.Log(v)
	}
	return out
}

func TestProtocolPropertiesCleanRun(t *testing.T) {
	for _, v := range []string{"", "fatal-epoch", "restart-keeps-fsynced"} {
		assert.Empty(t, flagged(t, protoRun(v)), "variant %q", v)
	}
}

// TestProtocolProperties: each variant breaks one property, and only that
// property is flagged.
func TestProtocolProperties(t *testing.T) {
	cases := []struct{ variant, property string }{
		{"ack-before-fsync", AckDurable},
		{"newleader-ack-before-fsync", AckDurable},
		{"accepted-down-after-restart", EpochMonotonic},
		{"current-above-accepted", EpochMonotonic},
		{"ackepoch-before-fsync", EpochPromise},
		{"leaderinfo-before-fsync", EpochPromise},
		{"leader-behind", LeaderMostRecent},
		{"observer-establishes", VoterQuorum},
		{"uptodate-early", VoterQuorum},
		{"commit-without-quorum", VoterQuorum},
		{"commit-sent-early", VoterQuorum},
		{"fatal-stream", NoFatal},
		{"restart-loses-fsynced", DurableLog},
	}
	for _, tc := range cases {
		t.Run(tc.variant, func(t *testing.T) {
			got := flagged(t, protoRun(tc.variant))
			assert.Equal(t, map[string]int{tc.property: got[tc.property]}, got, "only %s", tc.property)
			assert.NotZero(t, got[tc.property], "%s not flagged", tc.property)
		})
	}
}

// TestAckBelowPromise: a server that promised epoch 1 in an ACKEPOCH never
// acks a lower epoch, in a later incarnation too.
func TestAckBelowPromise(t *testing.T) {
	ev := protoRun("")
	add := func(es ...core.Event) { ev = append(ev, es...) }
	add(core.Event{Kind: core.EvCrash, Node: 2}, core.Event{Kind: core.EvRestart, Node: 2, Zxid: core.MakeZxid(1, 1)})
	// A leader of a stale epoch 0 (as if acceptedEpoch were lost) asks s2.
	add(core.Event{Kind: core.EvDeliverMsg, Node: 2, Peer: 3, Msg: core.MsgLeaderInfo, Zxid: core.MakeZxid(0, 0)})
	add(core.Event{Kind: core.EvSend, Node: 2, Peer: 3, Msg: core.MsgAckEpoch})
	// LEADERINFO epoch 0 is no epoch at all: ignored. Epoch 1 from s3 is the
	// promised epoch itself: fine. A lower real epoch needs a higher promise:
	// s2 promises 3, then acks 2.
	add(core.Event{Kind: core.EvAcceptedEpoch, Node: 2, Epoch: 3}, core.Event{Kind: core.EvPersist, Node: 2, Seq: 1, Text: core.WriteAcceptedEpoch.String(), Epoch: 3}, core.Event{Kind: core.EvFsync, Node: 2, Seq: 1})
	add(core.Event{Kind: core.EvDeliverMsg, Node: 2, Peer: 3, Msg: core.MsgLeaderInfo, Zxid: core.MakeZxid(3, 0)})
	add(core.Event{Kind: core.EvSend, Node: 2, Peer: 3, Msg: core.MsgAckEpoch})
	assert.Empty(t, flagged(t, ev))
	add(core.Event{Kind: core.EvDeliverMsg, Node: 2, Peer: 1, Msg: core.MsgLeaderInfo, Zxid: core.MakeZxid(2, 0)})
	add(core.Event{Kind: core.EvSend, Node: 2, Peer: 1, Msg: core.MsgAckEpoch})
	got := flagged(t, ev)
	assert.NotZero(t, got[EpochPromise], "an ACKEPOCH for epoch 2 after promising 3: %v", got)
}

// TestProtocolPropertiesOff: without Ensemble the checker reads none of the
// message and disk events (a live trace may not report them).
func TestProtocolPropertiesOff(t *testing.T) {
	c := New()
	for _, e := range protoRun("ack-before-fsync") {
		c.Observe(e)
	}
	assert.True(t, c.OK(), "%v", c.Violations())
}

// A TRUNC to an epoch start (e, 0) keeps no txn of epoch e: the server that
// restarts after it with the last txn below (here none) lost nothing it had
// fsynced (campaign seeds 13153 and 14178 flagged it as DurableLog).
func TestDurableLogTruncToEpochStart(t *testing.T) {
	ev := []core.Event{
		{Kind: core.EvPersist, Node: 3, Seq: 1, Text: core.WriteAppend.String(), Zxid: core.MakeZxid(1, 1)},
		{Kind: core.EvPersist, Node: 3, Seq: 2, Text: core.WriteAppend.String(), Zxid: core.MakeZxid(1, 2)},
		{Kind: core.EvFsync, Node: 3, Seq: 2},
		{Kind: core.EvPersist, Node: 3, Seq: 3, Text: core.WriteTruncate.String(), Zxid: core.MakeZxid(1, 0)},
		{Kind: core.EvFsync, Node: 3, Seq: 3},
		{Kind: core.EvCrash, Node: 3},
		{Kind: core.EvRestart, Node: 3, Zxid: 0},
	}
	assert.Zero(t, flagged(t, ev)[DurableLog])
	// Truncated to a txn, the log keeps that txn: restarting below it is a loss.
	ev[3].Zxid = core.MakeZxid(1, 1)
	assert.NotZero(t, flagged(t, ev)[DurableLog])
}

// An ACKEPOCH answers the LEADERINFO of the server it goes to: a LEADERINFO
// from another server, which the learner ignores, says nothing about it
// (campaign seeds 6884, 9730, 11037, 11178 and 13117 flagged it as EpochPromise).
func TestAckEpochAnswersItsLeader(t *testing.T) {
	promise := func(ep core.Epoch, seq uint64) []core.Event {
		return []core.Event{{Kind: core.EvAcceptedEpoch, Node: 2, Epoch: ep},
			{Kind: core.EvPersist, Node: 2, Seq: seq, Text: core.WriteAcceptedEpoch.String(), Epoch: ep},
			{Kind: core.EvFsync, Node: 2, Seq: seq}}
	}
	ev := promise(3, 1)
	ev = append(ev,
		core.Event{Kind: core.EvDeliverMsg, Node: 2, Peer: 3, Msg: core.MsgLeaderInfo, Zxid: core.MakeZxid(3, 0)},
		core.Event{Kind: core.EvSend, Node: 2, Peer: 3, Msg: core.MsgAckEpoch},
		// s1 still leads an older epoch and asks s2: ignored, no answer.
		core.Event{Kind: core.EvDeliverMsg, Node: 2, Peer: 1, Msg: core.MsgLeaderInfo, Zxid: core.MakeZxid(2, 0)})
	ev = append(ev, promise(4, 2)...)
	ev = append(ev,
		core.Event{Kind: core.EvDeliverMsg, Node: 2, Peer: 3, Msg: core.MsgLeaderInfo, Zxid: core.MakeZxid(4, 0)},
		core.Event{Kind: core.EvSend, Node: 2, Peer: 3, Msg: core.MsgAckEpoch})
	assert.Zero(t, flagged(t, ev)[EpochPromise])
	// Answering the older leader after promising the newer epoch is flagged.
	ev = append(ev, core.Event{Kind: core.EvSend, Node: 2, Peer: 1, Msg: core.MsgAckEpoch})
	assert.NotZero(t, flagged(t, ev)[EpochPromise])
}
