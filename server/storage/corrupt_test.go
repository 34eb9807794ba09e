package storage

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
)

// dirState is every file under a data dir with its bytes.
func dirState(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, sub := range []string{"", "log", "snap"} {
		for _, name := range files(t, join(dir, sub)) {
			p := join(dir, sub, name)
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				continue
			}
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			out[join(sub, name)] = string(b)
		}
	}
	return out
}

// requireRefuses opens dir twice: both times Open returns a *CorruptError
// and leaves every file as it was. It returns the error.
func requireRefuses(t *testing.T, dir string, opt Options) *CorruptError {
	t.Helper()
	before := dirState(t, dir)
	var ce *CorruptError
	for range 2 {
		_, _, err := OpenWith(dir, nil, opt)
		require.ErrorAs(t, err, &ce)
		require.Equal(t, dir, ce.Dir)
		require.ErrorContains(t, err, ce.File)
		require.ErrorContains(t, err, "move the data directory "+dir+" aside")
		require.Equal(t, before, dirState(t, dir), "every file left in place")
	}
	return ce
}

// flip flips one bit of the file at off.
func flip(t *testing.T, path string, off int, bit byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[off] ^= bit
	mustWriteFile(t, path, b)
}

// TestFlippedBitMidLog is the case of issue 8: a bit flipped in the middle of
// the one (last) segment, with valid records after it. Cutting there would
// drop acknowledged txns, so Open refuses, whether the bit is in a record's
// body, in its CRC or in its length (then the next record is found by a scan).
func TestFlippedBitMidLog(t *testing.T) {
	for _, c := range []struct {
		name string
		at   int // offset in the record
		why  string
	}{
		{"body", recHeaderSize + recFixedSize + 2, "crc "},
		{"crc", 5, "crc "},
		{"length low bit", 0, "crc "},
		{"length high bit", 3, "bad record length"},
		{"length past EOF", 2, "torn record"},
		{"zxid", recHeaderSize + 3, "crc "},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, oracle, _ := history(t, Options{}, 10)
			require.NoError(t, d.Close())
			require.Len(t, d.segs, 1)
			seg := d.segs[0].path
			offs := recordOffsets(t, seg)
			require.Len(t, offs, 30)
			bit := byte(0x10)
			if c.name == "length past EOF" {
				bit = 0x40 // +4 MB
			}
			flip(t, seg, offs[15]+c.at, bit)

			ce := requireRefuses(t, d.dir, Options{})
			require.Equal(t, seg, ce.File)
			require.Equal(t, int64(offs[15]), ce.Offset)
			require.Equal(t, oracle.Log[14].Zxid, ce.LastGood)
			if c.name != "zxid" {
				require.Equal(t, oracle.Log[15].Zxid, ce.Zxid, "the zxid the record claims")
			}
			require.Contains(t, ce.Reason, c.why)
			require.Contains(t, ce.Reason, fmt.Sprintf("a valid record follows at offset %d (zxid %v), so not a torn tail",
				offs[16], oracle.Log[16].Zxid))
			require.ErrorContains(t, ce, fmt.Sprintf("is corrupt at byte offset %d", offs[15]))
			require.ErrorContains(t, ce, fmt.Sprintf("the last good zxid before it is %v", oracle.Log[14].Zxid))
		})
	}
}

// TestTornTails: every shape a crash in the middle of an append can leave at
// the end of the last segment is cut, as before, and the log goes on.
func TestTornTails(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	garbage := make([]byte, 300)
	for i := range garbage {
		garbage[i] = byte(rng.IntN(256))
	}
	for _, c := range []struct {
		name string
		// tear changes the file (b, with the last record at last) and says
		// how many of the 30 records survive.
		tear func(b []byte, last int) ([]byte, int)
	}{
		{"cut mid-body", func(b []byte, last int) ([]byte, int) { return b[:len(b)-10], 29 }},
		{"cut mid-header", func(b []byte, last int) ([]byte, int) { return b[:last+5], 29 }},
		{"length written, body short", func(b []byte, last int) ([]byte, int) { return b[:last+recHeaderSize+3], 29 }},
		{"zeros after the records", func(b []byte, last int) ([]byte, int) { return append(b, make([]byte, 4096)...), 30 }},
		{"garbage after the records", func(b []byte, last int) ([]byte, int) { return append(b, garbage...), 30 }},
		{"last record's body zeroed to EOF", func(b []byte, last int) ([]byte, int) {
			clear(b[last+recHeaderSize+20:])
			return b, 29
		}},
		{"last record's CRC bad, runs to EOF", func(b []byte, last int) ([]byte, int) {
			b[last+6] ^= 1
			return b, 29
		}},
		{"last record zeroed, zeros to EOF", func(b []byte, last int) ([]byte, int) {
			clear(b[last:])
			return append(b, make([]byte, 1000)...), 29
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, oracle, g := history(t, Options{}, 10)
			require.NoError(t, d.Close())
			seg := lastSegPath(t, d)
			offs := recordOffsets(t, seg)
			b, err := os.ReadFile(seg)
			require.NoError(t, err)
			end := int64(len(b)) // where the records end
			b, keep := c.tear(b, offs[len(offs)-1])
			mustWriteFile(t, seg, b)
			if keep < 30 {
				end = int64(offs[keep])
			}

			log, lb := newLog()
			d, dur, err := OpenWith(d.dir, log, Options{})
			require.NoError(t, err)
			oracle.Log = oracle.Log[:keep]
			require.Equal(t, imageOf(t, *oracle), imageOf(t, dur))
			require.Contains(t, lb.String(), fmt.Sprintf("storage: dropping the torn log tail\" dir=%s file=%s offset=%d bytes=%d lastGoodZxid=%v",
				d.dir, seg, end, int64(len(b))-end, oracle.Log[keep-1].Zxid))
			st, err := os.Stat(seg)
			require.NoError(t, err)
			require.Equal(t, end, st.Size(), "cut after the last good record")

			g.persist(t, d, oracle, g.appendW(2))
			d, dur = reopen(t, d, Options{})
			require.Equal(t, imageOf(t, *oracle), imageOf(t, dur))
			require.NoError(t, d.Close())
		})
	}
}

// TestCorruptionThatIsNoCrash: damage a crash cannot leave is refused even
// at the end of the log.
func TestCorruptionThatIsNoCrash(t *testing.T) {
	opt := Options{SegmentBytes: 1500}
	t.Run("a bad record at the end of an older segment", func(t *testing.T) {
		d, oracle, _ := history(t, opt, 12)
		require.NoError(t, d.Close())
		s := d.segs[0]
		offs := recordOffsets(t, s.path)
		flip(t, s.path, offs[len(offs)-1]+recHeaderSize+30, 1)
		ce := requireRefuses(t, d.dir, opt)
		require.Equal(t, s.path, ce.File)
		require.Equal(t, int64(offs[len(offs)-1]), ce.Offset)
		require.Equal(t, oracle.Log[len(offs)-2].Zxid, ce.LastGood)
		require.Contains(t, ce.Reason, "not the last")
	})
	t.Run("a valid record whose zxid does not follow", func(t *testing.T) {
		d, oracle, _ := history(t, opt, 12)
		require.NoError(t, d.Close())
		seg := lastSegPath(t, d)
		f, err := os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
		require.NoError(t, err)
		_, err = f.Write(appendRecord(nil, &oracle.Log[3]))
		require.NoError(t, err)
		require.NoError(t, f.Close())
		ce := requireRefuses(t, d.dir, opt)
		require.Equal(t, oracle.Log[3].Zxid, ce.Zxid)
		require.Equal(t, oracle.Log[len(oracle.Log)-1].Zxid, ce.LastGood)
		require.Contains(t, ce.Reason, "does not follow")
	})
	t.Run("a last record of an unknown version, CRC valid", func(t *testing.T) {
		d, oracle, _ := history(t, opt, 12)
		require.NoError(t, d.Close())
		seg := lastSegPath(t, d)
		offs := recordOffsets(t, seg)
		b, err := os.ReadFile(seg)
		require.NoError(t, err)
		last := offs[len(offs)-1]
		b[last+recHeaderSize] = formatVersion + 1 // a newer format, say
		binary.LittleEndian.PutUint32(b[last+4:], crc(b[last+recHeaderSize:]))
		mustWriteFile(t, seg, b)
		ce := requireRefuses(t, d.dir, opt)
		require.Equal(t, int64(last), ce.Offset)
		require.Equal(t, oracle.Log[len(oracle.Log)-2].Zxid, ce.LastGood)
		require.Contains(t, ce.Reason, fmt.Sprintf("a record with a valid CRC does not decode: unknown record version %d", formatVersion+1))
	})
	t.Run("a segment missing from the middle", func(t *testing.T) {
		d, _, _ := history(t, opt, 12)
		require.NoError(t, d.Close())
		require.GreaterOrEqual(t, len(d.segs), 3)
		require.NoError(t, os.Remove(d.segs[1].path))
		ce := requireRefuses(t, d.dir, opt)
		require.Equal(t, d.segs[2].path, ce.File)
		require.Equal(t, d.segs[0].last, ce.LastGood)
		require.Contains(t, ce.Reason, fmt.Sprintf("the log segment with seq %d is missing", d.segs[1].seq))
	})
	t.Run("a bad header on the last segment", func(t *testing.T) {
		d, _, _ := history(t, opt, 12)
		require.NoError(t, d.Close())
		seg := lastSegPath(t, d)
		flip(t, seg, 1, 2)
		ce := requireRefuses(t, d.dir, opt)
		require.Equal(t, seg, ce.File)
		require.Equal(t, int64(0), ce.Offset)
		require.Contains(t, ce.Reason, "bad log segment header")
	})
	t.Run("the first segment's seq is not 1 and no snapshot", func(t *testing.T) {
		d, _, _ := history(t, opt, 12)
		require.NoError(t, d.Close())
		require.NoError(t, os.Remove(d.segs[0].path))
		ce := requireRefuses(t, d.dir, opt)
		require.Equal(t, d.segs[1].path, ce.File)
		require.Contains(t, ce.Reason, "the segments before it are missing")
	})
}

// A zero-filled segment (its size reached the disk, its bytes did not) is a
// creation a crash cut short: removed, as a segment shorter than its header.
func TestZeroFilledNewSegment(t *testing.T) {
	opt := Options{SegmentBytes: 1500}
	d, oracle, _ := history(t, opt, 12)
	require.NoError(t, d.Close())
	p := join(d.dir, "log", segName(core.MakeZxid(9, 1)))
	mustWriteFile(t, p, make([]byte, 700))
	log, lb := newLog()
	d, dur, err := OpenWith(d.dir, log, opt)
	require.NoError(t, err)
	require.Equal(t, imageOf(t, *oracle), imageOf(t, dur))
	require.Contains(t, lb.String(), "removing a log segment without a header")
	require.NoFileExists(t, p)
	require.NoError(t, d.Close())
}

// A corrupt snapshot whose zxid the older snapshot and its log do not reach
// is refused, even with no reset: here its log was lost to a purge.
func TestCorruptSnapshotNotCovered(t *testing.T) {
	opt := Options{SegmentBytes: 1024}
	d, _, _, snaps := snapHistory(t, opt)
	// The newest snapshot names a zxid above everything logged after the
	// older one: as if its txns came from the leader (SNAP).
	newest := join(d.dir, "snap", snapName(snaps[2].Zxid))
	b, err := os.ReadFile(newest)
	require.NoError(t, err)
	require.NoError(t, os.Remove(newest))
	far := join(d.dir, "snap", snapName(core.MakeZxid(7, 1)))
	b[len(b)-1] ^= 1
	mustWriteFile(t, far, b)
	ce := requireRefuses(t, d.dir, opt)
	require.Equal(t, far, ce.File)
	require.Equal(t, core.MakeZxid(7, 1), ce.Zxid)
	require.Contains(t, ce.Reason, "snapshot fails its check (crc ")
	require.Contains(t, ce.Reason, "reach only")
}

// TestCorruptErrorText pins the message an operator reads.
func TestCorruptErrorText(t *testing.T) {
	e := &CorruptError{Dir: "/d", File: "/d/log/log.0000000100000001", Offset: 1234,
		LastGood: core.MakeZxid(1, 6), Zxid: core.MakeZxid(1, 7), Reason: "crc 1, want 2, and a valid record follows"}
	require.Equal(t, "zab: storage: /d/log/log.0000000100000001 is corrupt at byte offset 1234: crc 1, want 2, "+
		"and a valid record follows; the damaged record claims zxid 0x100000007 (unverified); the last good zxid "+
		"before it is 0x100000006. This server refuses to start: repairing this could drop txns it acknowledged. "+
		"Every file is left in place, so it refuses again until you act. To recover: move the data directory /d "+
		"aside (keep it to inspect), start the server with an empty one, and the leader sends it the whole state "+
		"(SNAP). Do it on one server at a time, while a quorum of the others is up and in sync; if a quorum of "+
		"the servers is damaged, no server may hold every committed txn, so restore from a backup instead", e.Error())
}

// The scan that tells a torn tail from corruption stays linear when the
// bytes after a bad record look like huge records at every offset.
func TestScanTailBudget(t *testing.T) {
	b := make([]byte, 8<<20)
	for i := range b {
		b[i] = 1 // every offset reads length 0x01010101 (16 MB) and record version 1
	}
	binary.LittleEndian.PutUint32(b, 0x00100000) // 1 MB
	old := tailScanBudget
	tailScanBudget = 1 << 20
	defer func() { tailScanBudget = old }()
	r := scanTail(b)
	require.False(t, r.found)
	// 16 MB lengths never fit in 8 MB: nothing to checksum, no exhaustion.
	require.False(t, r.exhausted)

	binary.LittleEndian.PutUint32(b[100:], 1<<20)
	for p := 200; p < 2<<20; p += 1000 {
		binary.LittleEndian.PutUint32(b[p:], 1<<20)
		b[p+recHeaderSize] = formatVersion
	}
	r = scanTail(b)
	require.True(t, r.exhausted, "the budget stops the scan")
}

// A data dir written in an older record format is refused with an error that
// says so, and nothing in it is changed.
func TestOlderFormatRefused(t *testing.T) {
	d, _, _ := history(t, Options{}, 5)
	require.NoError(t, d.Close())
	seg := lastSegPath(t, d)
	b, err := os.ReadFile(seg)
	require.NoError(t, err)
	binary.LittleEndian.PutUint32(b[4:], formatVersion-1)
	mustWriteFile(t, seg, b)
	ce := requireRefuses(t, d.dir, Options{})
	require.ErrorContains(t, ce, fmt.Sprintf("format %d, written by an older zabplay (this one reads %d)", formatVersion-1, formatVersion))
}
