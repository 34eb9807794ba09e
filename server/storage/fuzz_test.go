package storage

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
)

func FuzzDecodeRecord(f *testing.F) {
	g := newGen(1)
	for range 4 {
		e := g.entry()
		f.Add(appendRecord(nil, &e))
	}
	f.Add([]byte{})
	f.Add(make([]byte, recHeaderSize+recMinBodySize))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, n, err := decodeRecord(b)
		if err != nil {
			return
		}
		require.LessOrEqual(t, n, len(b))
		require.Equal(t, b[:n], appendRecord(nil, &e), "a record that decodes re-encodes to its bytes")
	})
}

func FuzzDecodeSnap(f *testing.F) {
	g := newGen(2)
	for range 5 {
		g.entry()
	}
	b, err := encodeSnap(&snapFile{seq: 3, logSeq: 2, snap: *g.snap(core.MakeZxid(1, 5))})
	require.NoError(f, err)
	f.Add(b)
	f.Add(b[:len(b)-1])
	f.Fuzz(func(t *testing.T, b []byte) {
		sf, err := decodeSnap(b)
		if err != nil {
			return
		}
		out, err := encodeSnap(sf)
		require.NoError(t, err)
		require.Equal(t, b, out)
	})
}

// FuzzRecover writes fuzzed bytes over the files of a small data directory
// (the last log segment, or the first, or the newest snapshot, or an epoch
// file) and opens it. Open must never panic, and either
//   - refuses with a *CorruptError, leaving every file as it was, or
//   - recovers an older state of the history: a known snapshot and a prefix
//     of the log after it; and when the damage is in the last segment, that
//     prefix holds every record that lies whole before the first changed
//     byte (only a torn tail may be cut, never a record that is intact).
func FuzzRecover(f *testing.F) {
	base := f.TempDir()
	opt := Options{SegmentBytes: 600}
	d, _, err := OpenWith(base, nil, opt)
	require.NoError(f, err)
	g := newGen(9)
	oracle := &core.Durable{}
	g.persist(f, d, oracle, core.Write{Kind: core.WriteAcceptedEpoch, Epoch: 1}, core.Write{Kind: core.WriteCurrentEpoch, Epoch: 1})
	var snaps []*core.Snapshot
	for i := range 6 {
		g.persist(f, d, oracle, g.appendW(3))
		if i%2 == 1 {
			s := g.snap(oracle.Log[len(oracle.Log)-1].Zxid)
			snaps = append(snaps, s)
			g.persist(f, d, oracle, core.Write{Kind: core.WriteSnapshotPurge, Snap: s})
		}
	}
	g.persist(f, d, oracle, g.appendW(2))
	require.NoError(f, d.Close())
	all := allEntries(f, base)
	lastSeg := d.segs[len(d.segs)-1].path
	targets := []string{
		lastSeg,
		d.segs[0].path,
		d.snaps[len(d.snaps)-1].path,
		filepath.Join(base, "currentEpoch"),
	}
	for i, p := range targets {
		b, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(uint8(i), b)
		f.Add(uint8(i), b[:len(b)/2])
		if i == 0 {
			offs := recordOffsets(f, p)
			mid := append([]byte(nil), b...)
			mid[offs[len(offs)/2]+20] ^= 4 // a flipped bit with records after it
			f.Add(uint8(i), mid)
			f.Add(uint8(i), append(append([]byte(nil), b...), make([]byte, 512)...)) // zeros to EOF
		}
	}
	lastOrig, err := os.ReadFile(lastSeg)
	require.NoError(f, err)
	lastOffs := recordOffsets(f, lastSeg)
	f.Fuzz(func(t *testing.T, which uint8, content []byte) {
		dir := t.TempDir()
		copyDir(t, base, dir)
		target := targets[int(which)%len(targets)]
		rel, err := filepath.Rel(base, target)
		require.NoError(t, err)
		mustWriteFile(t, filepath.Join(dir, rel), content)
		before := dirState(t, dir)
		d, dur, err := OpenWith(dir, nil, opt)
		if err != nil {
			var ce *CorruptError
			require.ErrorAs(t, err, &ce, "every refusal is a *CorruptError")
			require.Equal(t, before, dirState(t, dir), "a refusal leaves every file as it was")
			return
		}
		defer d.Close()
		from := core.Zxid(0)
		if dur.Snap != nil {
			found := false
			for _, s := range snaps {
				found = found || s.Zxid == dur.Snap.Zxid && s.Digest == dur.Snap.Digest
			}
			require.True(t, found, "a snapshot that was written")
			from = dur.Snap.TxnZxid
		}
		var want []core.Entry
		for _, e := range all {
			if e.Zxid > from {
				want = append(want, e)
			}
		}
		require.LessOrEqual(t, len(dur.Log), len(want))
		if len(dur.Log) > 0 {
			require.Equal(t, want[:len(dur.Log)], dur.Log, "a prefix of the log after the snapshot")
		}
		if target != lastSeg {
			return
		}
		same := 0 // bytes the fuzzed last segment shares with the original
		for same < len(content) && same < len(lastOrig) && content[same] == lastOrig[same] {
			same++
		}
		var intact core.Zxid // the last original record whole in that prefix
		for i, off := range lastOffs {
			end := len(lastOrig)
			if i+1 < len(lastOffs) {
				end = lastOffs[i+1]
			}
			if end <= same {
				e, _, err := decodeRecord(lastOrig[off:])
				require.NoError(t, err)
				intact = e.Zxid
			}
		}
		if intact > from {
			require.NotEmpty(t, dur.Log)
			require.GreaterOrEqual(t, dur.Log[len(dur.Log)-1].Zxid, intact, "an intact record was cut")
		}
	})
}

func copyDir(t *testing.T, from, to string) {
	require.NoError(t, os.CopyFS(to, os.DirFS(from)))
}
