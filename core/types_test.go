package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestZxid(t *testing.T) {
	cases := []struct {
		e     Epoch
		c     uint32
		str   string
		parse []string
	}{
		{0, 0, "0x0", []string{"0", "0/0"}},
		{1, 1, "0x100000001", []string{"0x100000001", "1/1", "4294967297"}},
		{3, 0xffffffff, "0x3ffffffff", []string{"3/0xffffffff"}},
	}
	for _, tc := range cases {
		z := MakeZxid(tc.e, tc.c)
		assert.Equal(t, tc.e, z.Epoch(), "MakeZxid(%d,%d).Epoch()", tc.e, tc.c)
		assert.Equal(t, tc.c, z.Counter(), "MakeZxid(%d,%d).Counter()", tc.e, tc.c)
		assert.Equal(t, tc.str, z.String())
		for _, p := range tc.parse {
			got, err := ParseZxid(p)
			assert.NoError(t, err)
			assert.Equal(t, z, got, "ParseZxid(%q)", p)
		}
	}
	// Zxids order as (epoch, counter).
	assert.Less(t, MakeZxid(1, 0xffffffff), MakeZxid(2, 0))
}

func TestQuorum(t *testing.T) {
	cases := []struct {
		voters []NodeID
		acks   []NodeID
		want   bool
	}{
		{[]NodeID{1}, []NodeID{1}, true},
		{[]NodeID{1, 2, 3}, []NodeID{1}, false},
		{[]NodeID{1, 2, 3}, []NodeID{1, 3}, true},
		{[]NodeID{1, 2, 3, 4}, []NodeID{1, 2}, false},
		{[]NodeID{1, 2, 3, 4}, []NodeID{1, 2, 4}, true},
		{[]NodeID{1, 2, 3}, []NodeID{1, 4, 5}, false}, // observers 4, 5 never count
	}
	for _, tc := range cases {
		var n Node
		for _, v := range tc.voters {
			n.voters.add(v)
			n.voterList = append(n.voterList, v)
		}
		var s nodeSet
		for _, a := range tc.acks {
			s.add(a)
		}
		assert.Equal(t, tc.want, n.isQuorum(s), "isQuorum(voters %v, acks %v)", tc.voters, tc.acks)
	}
}

func TestTotalOrder(t *testing.T) {
	var n Node
	for _, v := range []NodeID{1, 2, 3} {
		n.voters.add(v)
	}
	cases := []struct {
		a, b Vote
		want bool
	}{
		{Vote{Leader: 1, PeerEpoch: 2}, Vote{Leader: 3, Zxid: MakeZxid(1, 9), PeerEpoch: 1}, true}, // epoch first
		{Vote{Leader: 1, Zxid: 5}, Vote{Leader: 3, Zxid: 4}, true},                                 // then zxid
		{Vote{Leader: 3, Zxid: 5}, Vote{Leader: 1, Zxid: 5}, true},                                 // then sid
		{Vote{Leader: 1, Zxid: 5}, Vote{Leader: 3, Zxid: 5}, false},
		{Vote{Leader: 4, PeerEpoch: 9}, Vote{Leader: 1}, false}, // an observer never wins
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, n.totalOrder(tc.a, tc.b), "totalOrder(%+v, %+v)", tc.a, tc.b)
	}
}

func TestConfigValidate(t *testing.T) {
	err := Config{ID: 9, Voters: []NodeID{1, 2, 3}}.Validate()
	assert.ErrorIs(t, err, ErrBadConfig)
	assert.ErrorContains(t, err, "not in the ensemble")
	assert.ErrorContains(t, err, "Rand is required")
}

func TestParseBug(t *testing.T) {
	for _, b := range AllBugs() {
		got, err := ParseBug(b.String())
		assert.NoError(t, err)
		assert.Equal(t, b, got)
	}
	got, err := ParseBug("1154")
	assert.NoError(t, err)
	assert.Equal(t, BugZK1154, got)
	_, err = ParseBug("ZOOKEEPER-1")
	assert.ErrorContains(t, err, "unknown bug")
}

// TestNamesRoundTrip: every state, phase, message type and event kind reads
// back from its JSON name, and an unknown name is an error.
func TestNamesRoundTrip(t *testing.T) {
	for s := Looking; s <= Down; s++ {
		b, _ := s.MarshalText()
		var got ServerState
		require.NoError(t, got.UnmarshalText(b))
		assert.Equal(t, s, got)
	}
	for p := PhaseElection; p <= PhaseBroadcast; p++ {
		b, _ := p.MarshalText()
		var got Phase
		require.NoError(t, got.UnmarshalText(b))
		assert.Equal(t, p, got)
	}
	for m := MsgType(0); m < numMsgTypes; m++ {
		b, _ := m.MarshalText()
		var got MsgType
		require.NoError(t, got.UnmarshalText(b))
		assert.Equal(t, m, got)
	}
	var s ServerState
	assert.Error(t, s.UnmarshalText([]byte("sleeping")))
	var p Phase
	assert.Error(t, p.UnmarshalText([]byte("lunch")))
	var m MsgType
	assert.Error(t, m.UnmarshalText([]byte("POSTCARD")))
}
