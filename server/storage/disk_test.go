package storage

import (
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
)

// TestRandomHistory drives a Disk through long random histories of appends,
// truncates, snapshots with purge, log-resetting snapshots and epoch writes,
// and checks after every batch that opening the directory again gives the
// image core.Write.ApplyTo builds (the simulator's disk, the oracle).
func TestRandomHistory(t *testing.T) {
	// The oracle compares what Open reads back, which fsync does not change:
	// skip it here (the fault tests keep it) and run long histories.
	fsync = func(*os.File) error { return nil }
	defer func() { fsync = (*os.File).Sync }()
	seeds := uint64(5)
	if testing.Short() {
		seeds = 2
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			opt := Options{SegmentBytes: 700 + int64(seed)*300, KeepSnapshots: 1 + int(seed%3)}
			randomHistory(t, seed, 300, opt)
		})
	}
}

func randomHistory(t *testing.T, seed uint64, steps int, opt Options) {
	dir := t.TempDir()
	d, dur, err := OpenWith(dir, nil, opt)
	require.NoError(t, err)
	require.Equal(t, image{}, imageOf(t, dur))
	g := newGen(seed)
	var oracle core.Durable
	g.persist(t, d, &oracle, core.Write{Kind: core.WriteAcceptedEpoch, Epoch: 1}, core.Write{Kind: core.WriteCurrentEpoch, Epoch: 1})
	kinds := map[core.WriteKind]int{}
	for step := 0; step < steps; step++ {
		var ws []core.Write
		for range 1 + g.rng.IntN(3) {
			w := g.randomWrite(&oracle, ws)
			kinds[w.Kind]++
			ws = append(ws, w)
		}
		g.persist(t, d, &oracle, ws...)
		if g.rng.IntN(4) != 0 {
			var got core.Durable
			d, got = reopen(t, d, opt)
			require.Equal(t, imageOf(t, oracle), imageOf(t, got), "step %d: %v", step, ws)
		}
		snaps := withPrefix(files(t, join(dir, "snap")), "snapshot.")
		require.LessOrEqual(t, len(snaps), opt.KeepSnapshots, "purge keeps KeepSnapshots snapshots")
	}
	d, got := reopen(t, d, opt)
	require.Equal(t, imageOf(t, oracle), imageOf(t, got))
	require.NoError(t, d.Close())
	for _, k := range []core.WriteKind{core.WriteAppend, core.WriteTruncate, core.WriteSnapshot,
		core.WriteSnapshotPurge, core.WriteAcceptedEpoch, core.WriteCurrentEpoch} {
		require.Positive(t, kinds[k], "the walk should write %v", k)
	}
	t.Logf("writes: %v; files: %v", kinds, files(t, join(dir, "log")))
}

// randomWrite picks the next write of a history; batch is the batch so far
// (not yet applied to the oracle).
func (g *gen) randomWrite(oracle *core.Durable, batch []core.Write) core.Write {
	d := *oracle
	for _, w := range batch {
		w.ApplyTo(&d)
	}
	var last core.Zxid
	if d.Snap != nil {
		last = d.Snap.TxnZxid
	}
	if n := len(d.Log); n > 0 {
		last = d.Log[n-1].Zxid
	}
	pick := func() core.Zxid { // a logged zxid, or the snapshot's, or 0
		if n := len(d.Log); n > 0 && g.rng.IntN(5) != 0 {
			return d.Log[g.rng.IntN(n)].Zxid
		}
		if d.Snap != nil && g.rng.IntN(2) == 0 {
			return d.Snap.TxnZxid
		}
		return 0
	}
	switch r := g.rng.IntN(100); {
	case r < 60:
		return g.appendW(1 + g.rng.IntN(8))
	case r < 68:
		z := pick()
		g.nextEpoch() // what follows a TRUNC comes from a newer leader
		return core.Write{Kind: core.WriteTruncate, Zxid: z}
	case r < 80:
		z := last
		if n := len(d.Log); n > 0 && g.rng.IntN(2) == 0 {
			z = d.Log[g.rng.IntN(n)].Zxid // the committed point lags the log
		}
		return core.Write{Kind: core.WriteSnapshotPurge, Snap: g.snap(z)}
	case r < 86:
		z := pick()
		if g.rng.IntN(2) == 0 {
			g.nextEpoch()
			z = core.MakeZxid(g.epoch, uint32(1+g.rng.IntN(5))) // a leader's SNAP, ahead of us
			g.counter = uint32(z)
		}
		g.nextEpoch()
		return core.Write{Kind: core.WriteSnapshot, Snap: g.snap(z)}
	case r < 93:
		e := max(d.AcceptedEpoch, g.epoch)
		if g.rng.IntN(3) == 0 {
			g.nextEpoch()
			e = g.epoch
		}
		return core.Write{Kind: core.WriteAcceptedEpoch, Epoch: e}
	default:
		return core.Write{Kind: core.WriteCurrentEpoch, Epoch: d.AcceptedEpoch}
	}
}

func TestEmptyDir(t *testing.T) {
	dir := join(t.TempDir(), "data", "s1")
	log, lb := newLog()
	d, dur, err := Open(dir, log)
	require.NoError(t, err)
	require.Equal(t, image{}, imageOf(t, dur))
	require.Equal(t, []string{"log", "snap"}, files(t, dir))
	require.Contains(t, lb.String(), "storage: recovered")
	// An empty batch is fine and persists nothing.
	last, err := d.Persist(nil)
	require.NoError(t, err)
	require.Zero(t, last)
	require.NoError(t, d.Close())
	_, err = d.Persist([]core.Write{{Seq: 1, Kind: core.WriteAcceptedEpoch, Epoch: 1}})
	require.ErrorContains(t, err, "closed")
	_, dur, err = Open(dir, nil)
	require.NoError(t, err)
	require.Equal(t, image{}, imageOf(t, dur))
}

func TestLayoutAndRoll(t *testing.T) {
	dir := t.TempDir()
	opt := Options{SegmentBytes: 1024}
	d, _, err := OpenWith(dir, nil, opt)
	require.NoError(t, err)
	g := newGen(3)
	var oracle core.Durable
	g.persist(t, d, &oracle, core.Write{Kind: core.WriteAcceptedEpoch, Epoch: 1}, core.Write{Kind: core.WriteCurrentEpoch, Epoch: 1})
	for range 20 {
		g.persist(t, d, &oracle, g.appendW(3))
	}
	segs := withPrefix(files(t, join(dir, "log")), "log.")
	require.Greater(t, len(segs), 3, "segments roll at SegmentBytes")
	require.Equal(t, fmt.Sprintf("log.%016x", uint64(oracle.Log[0].Zxid)), segs[0], "named by their first zxid")
	for _, s := range segs {
		st, err := os.Stat(join(dir, "log", s))
		require.NoError(t, err)
		require.Less(t, st.Size(), int64(1024+400), "%s", s)
	}
	b, err := os.ReadFile(join(dir, "acceptedEpoch"))
	require.NoError(t, err)
	require.Equal(t, "1", string(b), "ZooKeeper's format: the epoch in decimal")

	// A snapshot+purge at the last zxid removes the segments it covers but
	// keeps the previous snapshots' logs; the fourth snapshot purges the first.
	var snaps []string
	for i := range 4 {
		g.persist(t, d, &oracle, g.appendW(5))
		s := g.snap(oracle.Log[len(oracle.Log)-1].Zxid)
		g.persist(t, d, &oracle, core.Write{Kind: core.WriteSnapshotPurge, Snap: s})
		snaps = append(snaps, snapName(s.Zxid))
		require.Equal(t, snaps[max(0, i-2):], withPrefix(files(t, join(dir, "snap")), "snapshot."))
	}
	d, got := reopen(t, d, opt)
	require.Equal(t, imageOf(t, oracle), imageOf(t, got))
	// The oldest kept snapshot's log is still there: its logSeq segment exists.
	oldest := d.snaps[0]
	require.Equal(t, oldest.logSeq, d.segs[0].seq)
	require.NoError(t, d.Close())
}

func TestAppendMustRaiseZxid(t *testing.T) {
	d, _, err := Open(t.TempDir(), nil)
	require.NoError(t, err)
	g := newGen(1)
	w := g.appendW(2)
	w.Entries[1].Zxid = w.Entries[0].Zxid
	_, err = d.Persist([]core.Write{w})
	require.ErrorContains(t, err, "zxids must increase")
	_, err = d.Persist([]core.Write{g.appendW(1)})
	require.ErrorContains(t, err, "zxids must increase", "the error sticks")
}
