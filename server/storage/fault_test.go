package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
)

// history writes epochs and n appends of 3 txns on a fresh dir and returns
// the open Disk, the oracle and the generator.
func history(t *testing.T, opt Options, n int) (*Disk, *core.Durable, *gen) {
	t.Helper()
	d, _, err := OpenWith(t.TempDir(), nil, opt)
	require.NoError(t, err)
	g := newGen(11)
	oracle := &core.Durable{}
	g.persist(t, d, oracle, core.Write{Kind: core.WriteAcceptedEpoch, Epoch: 1}, core.Write{Kind: core.WriteCurrentEpoch, Epoch: 1})
	for range n {
		g.persist(t, d, oracle, g.appendW(3))
	}
	return d, oracle, g
}

// recordOffsets returns the offset of every record in a segment file.
func recordOffsets(t testing.TB, path string) []int {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var offs []int
	for off := segHeaderSize; off < len(b); {
		_, n, err := decodeRecord(b[off:])
		require.NoError(t, err)
		offs = append(offs, off)
		off += n
	}
	return offs
}

func TestTruncatedTail(t *testing.T) {
	opt := Options{SegmentBytes: 2048}
	d, oracle, g := history(t, opt, 10)
	require.NoError(t, d.Close())
	seg := lastSegPath(t, d)
	offs := recordOffsets(t, seg)
	st, err := os.Stat(seg)
	require.NoError(t, err)
	// A crash tore the last record: 10 of its bytes never reached the disk.
	cut := st.Size() - 10
	require.NoError(t, os.Truncate(seg, cut))

	log, lb := newLog()
	d, dur, err := OpenWith(d.dir, log, opt)
	require.NoError(t, err)
	want := oracle.Log[:len(oracle.Log)-1]
	require.Equal(t, want, dur.Log, "everything before the torn record")
	lastGood := want[len(want)-1].Zxid
	require.Contains(t, lb.String(), fmt.Sprintf(`msg="storage: dropping the torn log tail" dir=%s file=%s offset=%d bytes=%d lastGoodZxid=%v reason="torn record; nothing valid follows to the end of the file"`,
		d.dir, seg, offs[len(offs)-1], cut-int64(offs[len(offs)-1]), lastGood))
	st, err = os.Stat(seg)
	require.NoError(t, err)
	require.Equal(t, int64(offs[len(offs)-1]), st.Size(), "the segment is cut at the torn record")

	// The next append starts clean, and everything survives another restart.
	oracle.Log = want
	g.persist(t, d, oracle, g.appendW(2))
	d, dur = reopen(t, d, opt)
	require.Equal(t, imageOf(t, *oracle), imageOf(t, dur))
	require.NoError(t, d.Close())
}

func TestTornSegmentHeader(t *testing.T) {
	opt := Options{SegmentBytes: 2048}
	d, oracle, _ := history(t, opt, 10)
	require.NoError(t, d.Close())
	// A crash right after a roll: the new segment holds 5 bytes of its header.
	p := join(d.dir, "log", "log.00000009ffffffff")
	mustWriteFile(t, p, []byte("ZKLG\x01"))
	log, lb := newLog()
	d, dur, err := OpenWith(d.dir, log, opt)
	require.NoError(t, err)
	require.Equal(t, imageOf(t, *oracle), imageOf(t, dur))
	require.Contains(t, lb.String(), "removing a log segment without a header")
	require.NoFileExists(t, p)
	require.NoError(t, d.Close())
}

// TestFlippedByteInOlderSegment flips a byte in a segment that is not the
// last: it was complete and fsynced before the next one began, so no crash
// explains it. Open refuses, names the file, the offset and the zxids, and
// leaves every file as it was, so the next start refuses again.
func TestFlippedByteInOlderSegment(t *testing.T) {
	opt := Options{SegmentBytes: 1500}
	d, oracle, _ := history(t, opt, 12)
	require.NoError(t, d.Close())
	require.GreaterOrEqual(t, len(d.segs), 3)
	// Flip a byte in the middle of the 3rd record of the 2nd segment.
	mid := d.segs[1]
	offs := recordOffsets(t, mid.path)
	b, err := os.ReadFile(mid.path)
	require.NoError(t, err)
	at := offs[2] + 30
	b[at] ^= 0x40
	mustWriteFile(t, mid.path, b)
	before := 0 // records before the flipped one
	for _, e := range oracle.Log {
		if e.Zxid < mid.first {
			before++
		}
	}
	before += 2
	names := files(t, join(d.dir, "log"))

	for range 2 {
		_, _, err := OpenWith(d.dir, nil, opt)
		var ce *CorruptError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, mid.path, ce.File)
		require.Equal(t, int64(offs[2]), ce.Offset)
		require.Equal(t, oracle.Log[before-1].Zxid, ce.LastGood)
		require.Equal(t, oracle.Log[before].Zxid, ce.Zxid, "the zxid bytes are intact")
		require.ErrorContains(t, err, fmt.Sprintf("%s is corrupt at byte offset %d: crc ", mid.path, offs[2]))
		require.ErrorContains(t, err, "not the last")
		require.Equal(t, names, files(t, join(d.dir, "log")), "nothing cut, renamed or removed")
		got, err := os.ReadFile(mid.path)
		require.NoError(t, err)
		require.Equal(t, b, got)
	}
}

// snapHistory writes appends and three snapshots with purge, keeping every
// entry ever appended.
func snapHistory(t *testing.T, opt Options) (*Disk, *core.Durable, *gen, []*core.Snapshot) {
	d, oracle, g := history(t, opt, 4)
	var snaps []*core.Snapshot
	for range 3 {
		g.persist(t, d, oracle, g.appendW(6))
		s := g.snap(oracle.Log[len(oracle.Log)-2].Zxid)
		g.persist(t, d, oracle, core.Write{Kind: core.WriteSnapshotPurge, Snap: s})
		snaps = append(snaps, s)
	}
	g.persist(t, d, oracle, g.appendW(3))
	require.NoError(t, d.Close())
	return d, oracle, g, snaps
}

// fallbackImage is what recovery from snapshot s gives: s plus every entry
// after it.
func fallbackImage(t *testing.T, oracle *core.Durable, all []core.Entry, s *core.Snapshot) image {
	d := *oracle
	d.Snap = s
	d.Log = nil
	for _, e := range all {
		if e.Zxid > s.TxnZxid {
			d.Log = append(d.Log, e)
		}
	}
	return imageOf(t, d)
}

func TestMissingSnapshot(t *testing.T) {
	opt := Options{SegmentBytes: 1024}
	d, oracle, g, snaps := snapHistory(t, opt)
	all := allEntries(t, d.dir)
	require.NoError(t, os.Remove(join(d.dir, "snap", snapName(snaps[2].Zxid))))
	d, dur, err := OpenWith(d.dir, nil, opt)
	require.NoError(t, err)
	require.Equal(t, fallbackImage(t, oracle, all, snaps[1]), imageOf(t, dur),
		"the previous snapshot and the log it keeps")
	g.persist(t, d, oracle, g.appendW(1))
	require.NoError(t, d.Close())
}

func TestCorruptSnapshot(t *testing.T) {
	opt := Options{SegmentBytes: 1024}
	d, oracle, _, snaps := snapHistory(t, opt)
	all := allEntries(t, d.dir)
	newest := join(d.dir, "snap", snapName(snaps[2].Zxid))
	b, err := os.ReadFile(newest)
	require.NoError(t, err)
	b[len(b)/2] ^= 1
	mustWriteFile(t, newest, b)

	log, lb := newLog()
	d, dur, err := OpenWith(d.dir, log, opt)
	require.NoError(t, err)
	require.Equal(t, fallbackImage(t, oracle, all, snaps[1]), imageOf(t, dur))
	require.Contains(t, lb.String(), `msg="storage: snapshot is corrupt; recovering from the newest valid one and the log after it, which reach as far" dir=`+d.dir+" file="+newest+` reason=`)
	require.NoFileExists(t, newest)
	set := withPrefix(files(t, join(d.dir, "snap")), snapName(snaps[2].Zxid)+".corrupt-")
	require.Len(t, set, 1, "set aside, not removed")
	require.NoError(t, d.Close())

	// Corrupt the remaining two as well: nothing to fall back to is an error
	// that names the files, and they stay where they are.
	for _, s := range snaps[:2] {
		p := join(d.dir, "snap", snapName(s.Zxid))
		mustWriteFile(t, p, []byte("ZKSN garbage"))
	}
	_, _, err = OpenWith(d.dir, nil, opt)
	require.ErrorContains(t, err, "no valid snapshot")
	require.ErrorContains(t, err, snapName(snaps[0].Zxid))
	require.FileExists(t, join(d.dir, "snap", snapName(snaps[0].Zxid)))
}

// allEntries reads every record of every segment in dir, in seq order.
func allEntries(t testing.TB, dir string) []core.Entry {
	d := &Disk{logDir: join(dir, "log")}
	_, err := d.loadSegs()
	require.NoError(t, err)
	var out []core.Entry
	for _, s := range d.segs {
		b, err := os.ReadFile(s.path)
		require.NoError(t, err)
		for off := segHeaderSize; off < len(b); {
			e, n, err := decodeRecord(b[off:])
			require.NoError(t, err)
			out = append(out, e)
			off += n
		}
	}
	return out
}

// A snapshot that empties the log (a SNAP from the leader) leaves a hole in
// the segment seqs, so a fallback to an older snapshot replays the old log
// only, never the old log followed by the new history.
func TestResetThenFallback(t *testing.T) {
	opt := Options{SegmentBytes: 1024}
	d, oracle, g := history(t, opt, 3)
	old := g.snap(oracle.Log[2].Zxid)
	g.persist(t, d, oracle, core.Write{Kind: core.WriteSnapshotPurge, Snap: old})
	g.nextEpoch()
	reset := g.snap(core.MakeZxid(g.epoch, 3))
	g.counter = 3
	g.persist(t, d, oracle, core.Write{Kind: core.WriteSnapshot, Snap: reset}, g.appendW(4))
	require.NoError(t, d.Close())
	p := join(d.dir, "snap", snapName(reset.Zxid))
	mustWriteFile(t, p, []byte("not a snapshot"))

	// The old snapshot and its log do not reach the reset one (a SNAP from
	// the leader, and the txns logged after it): falling back would drop
	// them, so Open refuses and names the bad snapshot.
	before := map[string][]string{"log": files(t, join(d.dir, "log")), "snap": files(t, join(d.dir, "snap"))}
	_, _, err := OpenWith(d.dir, nil, opt)
	var ce *CorruptError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, p, ce.File)
	require.Equal(t, int64(-1), ce.Offset)
	require.Equal(t, reset.Zxid, ce.Zxid)
	require.ErrorContains(t, err, "the log after the newest valid snapshot stops at")
	for dir, names := range before {
		require.Equal(t, names, files(t, join(d.dir, dir)), "nothing moved in %s", dir)
	}
}

// TestCrashBetweenEpochWrites stops a write of currentEpoch after its temp
// file is fsynced and before the rename: a crash there keeps the old file.
func TestCrashBetweenEpochWrites(t *testing.T) {
	dir := t.TempDir()
	d, _, err := Open(dir, nil)
	require.NoError(t, err)
	g := newGen(5)
	oracle := &core.Durable{}
	g.persist(t, d, oracle, core.Write{Kind: core.WriteAcceptedEpoch, Epoch: 4}, core.Write{Kind: core.WriteCurrentEpoch, Epoch: 4}, g.appendW(3))

	crash := errors.New("crash")
	beforeRename = func(tmp, final string) error {
		if filepath.Base(final) == "currentEpoch" {
			return crash
		}
		return nil
	}
	defer func() { beforeRename = func(string, string) error { return nil } }()
	// NEWLEADER of epoch 5: acceptedEpoch was written at LEADERINFO, the sync
	// txns are logged, then currentEpoch: the crash hits it.
	_, err = d.Persist([]core.Write{{Seq: 100, Kind: core.WriteAcceptedEpoch, Epoch: 5}, g.appendW(2),
		{Seq: 101, Kind: core.WriteCurrentEpoch, Epoch: 5}})
	require.ErrorIs(t, err, crash)
	_, err = d.Persist([]core.Write{g.appendW(1)})
	require.ErrorIs(t, err, crash, "a failed Disk refuses further writes")
	d.closeFiles()
	require.FileExists(t, join(dir, "currentEpoch.tmp"))

	log, lb := newLog()
	_, dur, err := Open(dir, log)
	require.NoError(t, err)
	require.Equal(t, core.Epoch(5), dur.AcceptedEpoch)
	require.Equal(t, core.Epoch(4), dur.CurrentEpoch, "the old file, whole")
	require.Len(t, dur.Log, 5, "the appends before the epoch write were fsynced first")
	require.Contains(t, lb.String(), "removing a temp file left by a crash")
	require.NoFileExists(t, join(dir, "currentEpoch.tmp"))

	// A torn temp file from an earlier crash is ignored as well.
	mustWriteFile(t, join(dir, "acceptedEpoch.tmp"), []byte("9\x00\x00"))
	_, dur, err = Open(dir, nil)
	require.NoError(t, err)
	require.Equal(t, core.Epoch(5), dur.AcceptedEpoch)
}

func TestCrashBeforeSnapshotRename(t *testing.T) {
	opt := Options{SegmentBytes: 1024}
	d, oracle, g := history(t, opt, 5)
	beforeRename = func(tmp, final string) error { return errors.New("crash") }
	defer func() { beforeRename = func(string, string) error { return nil } }()
	_, err := d.Persist([]core.Write{{Seq: 99, Kind: core.WriteSnapshotPurge, Snap: g.snap(oracle.Log[5].Zxid)}})
	require.ErrorContains(t, err, "crash")
	d.closeFiles()
	beforeRename = func(string, string) error { return nil }
	require.Len(t, files(t, join(d.dir, "snap")), 1, "the temp snapshot")
	d, dur, err := OpenWith(d.dir, nil, opt)
	require.NoError(t, err)
	require.Equal(t, imageOf(t, *oracle), imageOf(t, dur))
	require.Empty(t, files(t, join(d.dir, "snap")))
	require.NoError(t, d.Close())
}

func TestEpochFileErrors(t *testing.T) {
	setup := func(t *testing.T) string {
		d, _, _ := history(t, Options{}, 2)
		require.NoError(t, d.Close())
		return d.dir
	}
	t.Run("garbled", func(t *testing.T) {
		for _, name := range []string{"acceptedEpoch", "currentEpoch"} {
			for _, content := range []string{"", "x", "3x", "-1", "99999999999", "1\n\n", "\xff\x00"} {
				dir := setup(t)
				p := join(dir, name)
				mustWriteFile(t, p, []byte(content))
				_, _, err := Open(dir, nil)
				require.Error(t, err, "%s=%q", name, content)
				require.ErrorContains(t, err, p)
			}
		}
	})
	t.Run("trailing newline is fine", func(t *testing.T) {
		dir := setup(t)
		mustWriteFile(t, join(dir, "acceptedEpoch"), []byte("7\n"))
		_, dur, err := Open(dir, nil)
		require.NoError(t, err)
		require.Equal(t, core.Epoch(7), dur.AcceptedEpoch)
	})
	t.Run("missing acceptedEpoch with data", func(t *testing.T) {
		dir := setup(t)
		require.NoError(t, os.Remove(join(dir, "acceptedEpoch")))
		_, _, err := Open(dir, nil)
		require.ErrorContains(t, err, join(dir, "acceptedEpoch")+" is corrupt: the file is missing")
	})
	t.Run("missing currentEpoch with data reads 0", func(t *testing.T) {
		dir := setup(t)
		require.NoError(t, os.Remove(join(dir, "currentEpoch")))
		log, lb := newLog()
		_, dur, err := Open(dir, log)
		require.NoError(t, err)
		require.Equal(t, core.Epoch(0), dur.CurrentEpoch)
		require.Contains(t, lb.String(), "currentEpoch file missing")
	})
	t.Run("current after accepted", func(t *testing.T) {
		dir := setup(t)
		mustWriteFile(t, join(dir, "currentEpoch"), []byte("2"))
		_, _, err := Open(dir, nil)
		require.ErrorContains(t, err, "the current epoch 2 is after the accepted epoch 1")
	})
}

func TestTruncateIsDurableAndCutsSegments(t *testing.T) {
	opt := Options{SegmentBytes: 1024}
	d, oracle, g := history(t, opt, 10)
	nsegs := len(d.segs)
	require.Greater(t, nsegs, 3)
	z := oracle.Log[7].Zxid
	g.nextEpoch()
	g.persist(t, d, oracle, core.Write{Kind: core.WriteTruncate, Zxid: z})
	require.Less(t, len(d.segs), nsegs, "later segments are removed")
	for _, s := range d.segs {
		require.LessOrEqual(t, s.last, z)
	}
	// No Sync after the truncate: it is durable by itself. Simulate a crash
	// by dropping the Disk without Close.
	d.closeFiles()
	d, dur, err := OpenWith(d.dir, nil, opt)
	require.NoError(t, err)
	require.Equal(t, imageOf(t, *oracle), imageOf(t, dur))
	g.persist(t, d, oracle, g.appendW(3))
	d, dur = reopen(t, d, opt)
	require.Equal(t, imageOf(t, *oracle), imageOf(t, dur))
	require.True(t, strings.HasSuffix(d.segs[len(d.segs)-1].path, segName(oracle.Log[8].Zxid)) ||
		d.segs[len(d.segs)-1].first <= z, "appends go to the cut segment or a new one")
	require.NoError(t, d.Close())
}
