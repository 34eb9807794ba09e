package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/zabplay/zabplay/core"
)

// recover reads the data directory into d and returns the durable image.
// It decides before it repairs: every check runs first, and a *CorruptError
// leaves every file as it was.
func (d *Disk) recover() (core.Durable, error) {
	var dur core.Durable
	fix, err := d.check(&dur)
	if err != nil {
		return dur, err
	}
	// Every check passed: repair what a crash leaves.
	if err := d.removeTemps(); err != nil {
		return dur, err
	}
	for _, p := range fix.headless {
		d.log.Warn("storage: removing a log segment without a header (a crash cut its creation short)", "file", p)
		if err := os.Remove(p); err != nil {
			return dur, fmt.Errorf("zab: storage: %w", err)
		}
	}
	if err := d.setAsideSnaps(fix.bad, fix.reach); err != nil {
		return dur, err
	}
	if err := d.cutTornTail(fix.tail); err != nil {
		return dur, err
	}
	if err := d.purge(); err != nil {
		return dur, err
	}
	if err := d.reopenTail(); err != nil {
		return dur, err
	}
	if err := syncDir(d.logDir); err != nil {
		return dur, err
	}
	last := core.Zxid(0)
	if n := len(dur.Log); n > 0 {
		last = dur.Log[n-1].Zxid
	} else if dur.Snap != nil {
		last = dur.Snap.TxnZxid
	}
	d.log.Info("storage: recovered", "acceptedEpoch", dur.AcceptedEpoch, "currentEpoch", dur.CurrentEpoch,
		"snapshot", snapLabel(dur.Snap), "logged", len(dur.Log), "lastZxid", last, "segments", len(d.segs))
	return dur, nil
}

// repairs is what check found that a crash explains.
type repairs struct {
	headless []string  // log segments without a header: remove
	bad      []badSnap // snapshots that fail their check, covered: set aside
	reach    core.Zxid // how far the recovered history goes
	tail     *tornTail // a torn log tail: cut
}

// check reads everything into dur without changing a file, and returns the
// repairs to make, or a *CorruptError.
func (d *Disk) check(dur *core.Durable) (*repairs, error) {
	snapFiles, bad, err := d.loadSnaps()
	if err != nil {
		return nil, err
	}
	headless, err := d.loadSegs()
	if err != nil {
		return nil, err
	}
	var base *snapFile
	d.liveFrom = 1
	if len(snapFiles) > 0 {
		base = snapFiles[len(snapFiles)-1]
		d.liveFrom = base.logSeq
		dur.Snap = &base.snap
	} else if len(d.segs) > 0 && d.segs[0].seq != 1 {
		why := fmt.Sprintf("no valid snapshot, and the log starts at segment %d, not 1", d.segs[0].seq)
		if len(bad) > 0 {
			return nil, d.snapCorrupt(bad[0], why)
		}
		return nil, &CorruptError{Dir: d.dir, File: d.segs[0].path, Offset: -1,
			Reason: why + ": the segments before it are missing"}
	}
	for _, f := range snapFiles {
		d.nextSnap = max(d.nextSnap, f.seq+1)
	}
	log, last, tail, err := d.replay(dur.Snap)
	var ce *CorruptError
	if errors.As(err, &ce) && len(bad) > 0 && ce.Offset < 0 {
		// A segment missing after a fallback: the bad snapshot started a
		// new log (a SNAP from the leader), which the older one cannot reach.
		b := bad[0]
		for _, x := range bad {
			if x.zxid > b.zxid {
				b = x
			}
		}
		return nil, d.snapCorrupt(b, fmt.Sprintf("the log after the newest valid snapshot stops at %v, before %s: %s",
			ce.LastGood, ce.File, ce.Reason))
	}
	if err != nil {
		return nil, err
	}
	reach := last
	if base != nil {
		reach = max(reach, base.snap.Zxid, base.snap.TxnZxid)
	}
	for _, b := range bad {
		// A snapshot the recovered history does not reach held txns that
		// only it had (a SNAP from the leader, say): falling back would
		// drop them.
		if b.zxid > reach {
			return nil, d.snapCorrupt(b, fmt.Sprintf("the newest valid snapshot and the log after it reach only %v", reach))
		}
	}
	dur.Log = log
	if err := d.loadEpochs(dur, dur.Snap != nil || len(log) > 0); err != nil {
		return nil, err
	}
	return &repairs{headless: headless, bad: bad, reach: reach, tail: tail}, nil
}

func snapLabel(s *core.Snapshot) string {
	if s == nil {
		return "none"
	}
	return snapName(s.Zxid)
}

// removeTemps deletes the *.tmp files a crash left in the middle of an atomic
// write: the old file beside it is still the valid one.
func (d *Disk) removeTemps() error {
	for _, dir := range []string{d.dir, d.snapDir} {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("zab: storage: %w", err)
		}
		for _, e := range ents {
			if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".tmp") {
				p := filepath.Join(dir, e.Name())
				d.log.Warn("storage: removing a temp file left by a crash", "file", p)
				if err := os.Remove(p); err != nil {
					return fmt.Errorf("zab: storage: %w", err)
				}
			}
		}
	}
	return nil
}

// listed returns the files in dir named prefix + 16 hex digits.
func listed(dir, prefix string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("zab: storage: %w", err)
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(n, prefix) || len(n) != len(prefix)+16 {
			continue
		}
		if _, err := strconv.ParseUint(n[len(prefix):], 16, 64); err == nil {
			out = append(out, filepath.Join(dir, n))
		}
	}
	return out, nil
}

// setAside renames a file that recovery no longer needs to file.suffix-<UTC
// time>, keeping it for the operator and out of every later recovery.
func (d *Disk) setAside(path, suffix string) (string, error) {
	stamp := strings.Replace(time.Now().UTC().Format("20060102T150405.000000000Z"), ".", "", 1)
	to := path + "." + suffix + "-" + stamp
	if err := os.Rename(path, to); err != nil {
		return "", fmt.Errorf("zab: storage: %w", err)
	}
	return to, nil
}

// badSnap is a snapshot file that fails its check.
type badSnap struct {
	path string
	zxid core.Zxid // from its name
	why  error
}

// loadSnaps validates every snapshot file and returns the valid ones by seq,
// and the bad ones (left where they are: recover decides).
func (d *Disk) loadSnaps() ([]*snapFile, []badSnap, error) {
	paths, err := listed(d.snapDir, "snapshot.")
	if err != nil {
		return nil, nil, err
	}
	var good []*snapFile
	var bad []badSnap
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, fmt.Errorf("zab: storage: %w", err)
		}
		f, err := decodeSnap(b)
		if err != nil {
			z, _ := strconv.ParseUint(p[len(p)-16:], 16, 64)
			bad = append(bad, badSnap{path: p, zxid: core.Zxid(z), why: err})
			continue
		}
		good = append(good, f)
		d.snaps = append(d.snaps, snapInfo{seq: f.seq, logSeq: f.logSeq, path: p, zxid: f.snap.Zxid, txnZxid: f.snap.TxnZxid})
	}
	sortSnaps(d.snaps)
	sortSnapFiles(good)
	return good, bad, nil
}

// snapCorrupt is the error for a bad snapshot that nothing covers.
func (d *Disk) snapCorrupt(b badSnap, why string) *CorruptError {
	return &CorruptError{Dir: d.dir, File: b.path, Offset: -1, Zxid: b.zxid,
		Reason: fmt.Sprintf("snapshot fails its check (%v), and %s", b.why, why)}
}

// setAsideSnaps renames the bad snapshots that the recovered history covers.
func (d *Disk) setAsideSnaps(bad []badSnap, reach core.Zxid) error {
	for _, b := range bad {
		to, err := d.setAside(b.path, "corrupt")
		if err != nil {
			return err
		}
		d.log.Error("storage: snapshot is corrupt; recovering from the newest valid one and the log after it, which reach as far",
			"file", b.path, "reason", b.why.Error(), "zxid", b.zxid, "reach", reach, "renamedTo", to)
	}
	return nil
}

func sortSnapFiles(f []*snapFile) {
	for i := 1; i < len(f); i++ { // insertion sort: a handful of files
		for j := i; j > 0 && f[j].seq < f[j-1].seq; j-- {
			f[j], f[j-1] = f[j-1], f[j]
		}
	}
}

// loadSegs reads every segment header, and returns the files too short to
// hold a header or holding only zeros: segments whose creation a crash cut
// short (their size reached the disk, their bytes did not), to remove; if one
// was not the newest, replay finds its seq missing. Any other bad header is a
// *CorruptError.
func (d *Disk) loadSegs() ([]string, error) {
	paths, err := listed(d.logDir, "log.")
	if err != nil {
		return nil, err
	}
	var headless []string
	for _, p := range paths {
		seq, size, herr, err := readSegHeader(p)
		if err != nil {
			return nil, err
		}
		if herr != nil && size >= segHeaderSize {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("zab: storage: %w", err)
			}
			if !allZero(b) {
				return nil, &CorruptError{Dir: d.dir, File: p, Offset: 0, Reason: "bad log segment header: " + herr.Error()}
			}
		}
		if herr != nil {
			headless = append(headless, p)
			continue
		}
		d.segs = append(d.segs, segment{seq: seq, path: p, size: size})
	}
	sortSegs(d.segs)
	return headless, nil
}

// readSegHeader returns a segment's size and either its seq or why its
// header is bad (hdrErr); err is an I/O error.
func readSegHeader(p string) (seq uint64, size int64, hdrErr, err error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("zab: storage: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, nil, fmt.Errorf("zab: storage: %w", err)
	}
	var h [segHeaderSize]byte
	if _, err := f.ReadAt(h[:], 0); err != nil {
		return 0, st.Size(), fmt.Errorf("header is %d bytes, want %d", st.Size(), segHeaderSize), nil
	}
	seq, hdrErr = parseSegHeader(h[:])
	if hdrErr == nil && seq == 0 {
		hdrErr = errors.New("seq 0")
	}
	return seq, st.Size(), hdrErr, nil
}

// tornTail is a repair replay found: the last segment holds a torn record at
// off, with nothing valid after it.
type tornTail struct {
	seg      int // index in d.segs
	off      int64
	bytes    int64
	lastGood core.Zxid
	why      string
	empty    bool // no record is left: remove the segment
}

// replay reads the live log: segments liveFrom, liveFrom+1, ... in order,
// records in each, keeping those after the snapshot, and returns them with
// the last zxid read. It repairs nothing: a torn tail (the damage a crash in
// the middle of an append leaves: in the last segment, nothing valid from the
// first bad record to the end of the file) comes back as a tornTail to cut.
// Any other damage is a *CorruptError: a record that fails its checks with a
// valid record after it, damage in a segment that is not the last (it was
// fsynced before the next one was created), a record whose zxid does not
// follow the one before (no crash writes that), a missing segment.
func (d *Disk) replay(snap *core.Snapshot) ([]core.Entry, core.Zxid, *tornTail, error) {
	var after core.Zxid
	if snap != nil {
		after = snap.TxnZxid
	}
	var log []core.Entry
	var last core.Zxid // last good zxid in the log, skipped ones included
	var tail *tornTail
	want := d.liveFrom
	for i := range d.segs {
		s := &d.segs[i]
		if s.seq < d.liveFrom {
			continue
		}
		if s.seq != want {
			return nil, 0, nil, &CorruptError{Dir: d.dir, File: s.path, Offset: -1, LastGood: last,
				Reason: fmt.Sprintf("the log segment with seq %d is missing before it (seq %d)", want, s.seq)}
		}
		want++
		b, err := os.ReadFile(s.path)
		if err != nil {
			return nil, 0, nil, fmt.Errorf("zab: storage: %w", err)
		}
		off := segHeaderSize
		for off < len(b) {
			e, n, err := decodeRecord(b[off:])
			if err == nil && e.Zxid <= last {
				return nil, 0, nil, &CorruptError{Dir: d.dir, File: s.path, Offset: int64(off), LastGood: last, Zxid: e.Zxid,
					Reason: fmt.Sprintf("a record with a valid CRC holds zxid %v, which does not follow %v", e.Zxid, last)}
			}
			if err != nil && n > 0 {
				// The CRC holds: whole bytes a crash did not tear (a record of a
				// newer format, say). Never cut.
				return nil, 0, nil, &CorruptError{Dir: d.dir, File: s.path, Offset: int64(off), LastGood: last,
					Zxid: scanTail(b[off:]).claimsZxid, Reason: fmt.Sprintf("a record with a valid CRC does not decode: %v", err)}
			}
			if err != nil {
				t, cerr := d.classify(i, b, off, last, err)
				if cerr != nil {
					return nil, 0, nil, cerr
				}
				tail = t
				break
			}
			if s.first == 0 {
				s.first = e.Zxid
			}
			s.last, last = e.Zxid, e.Zxid
			if e.Zxid > after {
				log = append(log, e)
			}
			off += n
		}
		if tail != nil {
			tail.empty = s.first == 0
		} else if s.first == 0 && i == len(d.segs)-1 { // a segment whose first write a crash lost
			tail = &tornTail{seg: i, off: int64(len(b)), lastGood: last, empty: true}
		}
	}
	return log, last, tail, nil
}

// classify decides what the bad record at b[off:] of segment i is: a torn
// tail to cut, or a *CorruptError.
func (d *Disk) classify(i int, b []byte, off int, last core.Zxid, why error) (*tornTail, error) {
	s := &d.segs[i]
	sc := scanTail(b[off:])
	ce := &CorruptError{Dir: d.dir, File: s.path, Offset: int64(off), LastGood: last, Zxid: sc.claimsZxid}
	switch {
	case i != len(d.segs)-1:
		ce.Reason = fmt.Sprintf("%v, in a log segment that is not the last (it was complete and fsynced before the next began), so not a torn tail", why)
	case sc.found:
		ce.Reason = fmt.Sprintf("%v, and a valid record follows at offset %d (zxid %v), so not a torn tail", why, off+sc.off, sc.zxid)
	case sc.exhausted:
		ce.Reason = fmt.Sprintf("%v, and the %d bytes after it could not be shown to hold no valid record, so not known to be a torn tail", why, len(b)-off)
	default:
		return &tornTail{seg: i, off: int64(off), bytes: int64(len(b) - off), lastGood: last,
			why: why.Error() + "; nothing valid follows to the end of the file"}, nil
	}
	return nil, ce
}

// cutTornTail cuts the torn tail t (if any) off the last segment, or removes
// the segment if no record is left in it.
func (d *Disk) cutTornTail(t *tornTail) error {
	if t == nil {
		return nil
	}
	s := &d.segs[t.seg]
	if t.bytes > 0 {
		d.log.Error("storage: dropping the torn log tail", "file", s.path, "offset", t.off,
			"bytes", t.bytes, "lastGoodZxid", t.lastGood, "reason", t.why)
	}
	if t.empty {
		d.log.Warn("storage: removing an empty log segment", "file", s.path)
		if err := os.Remove(s.path); err != nil {
			return fmt.Errorf("zab: storage: %w", err)
		}
		d.segs = d.segs[:t.seg]
		return nil
	}
	if err := truncateFile(s.path, t.off); err != nil {
		return err
	}
	s.size = t.off
	return nil
}

// loadEpochs reads the two epoch files (QuorumPeer.loadDataBase).
func (d *Disk) loadEpochs(dur *core.Durable, hasData bool) error {
	var ok [2]bool
	var err error
	if dur.AcceptedEpoch, ok[0], err = d.readEpoch("acceptedEpoch"); err != nil {
		return err
	}
	if dur.CurrentEpoch, ok[1], err = d.readEpoch("currentEpoch"); err != nil {
		return err
	}
	switch {
	case !ok[0] && (hasData || ok[1]):
		return &CorruptError{Dir: d.dir, File: filepath.Join(d.dir, "acceptedEpoch"), Offset: -1,
			Reason: "the file is missing but the data dir holds data: the epoch this server promised is lost"}
	case !ok[1] && hasData:
		// A crash after acceptedEpoch and the sync data, before currentEpoch:
		// the core raises currentEpoch to the last zxid's epoch, as
		// ZooKeeper does when the file is missing.
		d.log.Warn("storage: currentEpoch file missing, reading 0", "file", filepath.Join(d.dir, "currentEpoch"))
	case dur.CurrentEpoch > dur.AcceptedEpoch:
		return &CorruptError{Dir: d.dir, File: filepath.Join(d.dir, "currentEpoch"), Offset: -1,
			Reason: fmt.Sprintf("the current epoch %d is after the accepted epoch %d", dur.CurrentEpoch, dur.AcceptedEpoch)}
	}
	return nil
}

// readEpoch reads one epoch file: (0, false) if it does not exist, a
// *CorruptError naming it if it does not hold an epoch.
func (d *Disk) readEpoch(name string) (core.Epoch, bool, error) {
	path := filepath.Join(d.dir, name)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("zab: storage: %w", err)
	}
	e, err := parseEpoch(b)
	if err != nil {
		return 0, false, &CorruptError{Dir: d.dir, File: path, Offset: -1, Reason: err.Error()}
	}
	return e, true, nil
}
