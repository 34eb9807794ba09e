package storage

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// soloServer is a one-voter ensemble driven the way the live runtime will
// drive a node: persist each Ready's writes as one batch, then send, then
// Advance, then step MsgPersisted.
type soloServer struct {
	t    *testing.T
	n    *core.Node
	d    *Disk
	cxid uint32
	got  int // replies
}

func startSolo(t *testing.T, dir string, seed uint64) *soloServer {
	d, dur, err := OpenWith(dir, nil, Options{SegmentBytes: 4096})
	require.NoError(t, err)
	n := core.NewNode(core.Config{ID: 1, Voters: []core.NodeID{1}, TickMs: 100, ClockMs: 10, SnapCount: 25,
		Rand: rand.New(rand.NewPCG(seed, 1)), Restore: dur})
	n.SetQuiet(true)
	s := &soloServer{t: t, n: n, d: d}
	for range 1000 {
		if n.Status().Established {
			return s
		}
		n.Tick()
		s.ready()
	}
	t.Fatal("no leader")
	return nil
}

func (s *soloServer) ready() {
	var self []core.Message
	for s.n.HasReady() {
		rd := s.n.Ready()
		last, err := s.d.Persist(rd.Writes)
		require.NoError(s.t, err)
		self = append(self, rd.Messages...)
		s.got += len(rd.Replies)
		s.n.Advance()
		if last > 0 {
			s.n.Step(core.Message{Type: core.MsgPersisted, To: 1, Seq: last})
		}
		for len(self) > 0 {
			m := self[0]
			self = self[1:]
			if m.To == 1 {
				s.n.Step(m)
			}
		}
	}
}

func (s *soloServer) write(path, data string) {
	s.cxid++
	req := core.Request{Session: 1, Cxid: s.cxid, Request: ztree.Request{Op: ztree.OpCreate, Path: path, Data: data}}
	s.n.Step(core.Message{Type: core.MsgClientRequest, To: 1, Req: &req})
	s.ready()
}

// TestNodeRestartsFromDisk runs a real core.Node on a Disk through periodic
// snapshots and purges, restarts it from the directory three times, and
// checks that it comes back with the same tree, digest and log, and that the
// purge keeps the disk bounded.
func TestNodeRestartsFromDisk(t *testing.T) {
	dir := t.TempDir()
	s := startSolo(t, dir, 1)
	written := 0
	for round := range 3 {
		for i := range 60 {
			s.write(fmt.Sprintf("/r%d-%d", round, i), "v")
			written++
		}
		require.Equal(t, 60, s.got, "every write answered")
		before := s.n.Status()
		require.NoError(t, s.d.Close())
		s = startSolo(t, dir, uint64(round+2))
		after := s.n.Status()
		require.Equal(t, before.TreeHash, after.TreeHash, "round %d", round)
		require.Equal(t, before.LastTxn, after.LastTxn)
		require.Equal(t, before.Digest, after.Digest)
		require.Greater(t, after.CurrentEpoch, before.CurrentEpoch, "a new epoch after each restart")
		require.Equal(t, written+1, s.n.Tree().Len(), "every znode is back")
	}
	snaps := withPrefix(files(t, join(dir, "snap")), "snapshot.")
	require.NotEmpty(t, snaps, "SnapCount 25 took snapshots")
	require.LessOrEqual(t, len(snaps), 3, "and the purge kept 3")
	t.Logf("snap: %v log: %v", snaps, files(t, join(dir, "log")))
	require.NoError(t, s.d.Close())
}
