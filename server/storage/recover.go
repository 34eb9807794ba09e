package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zabplay/zabplay/core"
)

// recover reads the data directory into d and returns the durable image.
func (d *Disk) recover() (core.Durable, error) {
	var dur core.Durable
	if err := d.removeTemps(); err != nil {
		return dur, err
	}
	snapFiles, err := d.loadSnaps()
	if err != nil {
		return dur, err
	}
	if err := d.loadSegs(); err != nil {
		return dur, err
	}
	var base *snapFile
	d.liveFrom = 1
	if len(snapFiles) > 0 {
		base = snapFiles[len(snapFiles)-1]
		d.liveFrom = base.logSeq
		dur.Snap = &base.snap
	} else if len(d.segs) > 0 && d.segs[0].seq != 1 {
		return dur, fmt.Errorf("zab: storage: %s: no valid snapshot, and the log starts at segment %d, not 1",
			d.dir, d.segs[0].seq)
	}
	if dur.Log, err = d.replay(dur.Snap); err != nil {
		return dur, err
	}
	for _, f := range snapFiles {
		d.nextSnap = max(d.nextSnap, f.seq+1)
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
	hasData := dur.Snap != nil || len(dur.Log) > 0
	if err := d.loadEpochs(&dur, hasData); err != nil {
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

// setAside renames a file that recovery cannot use to file.suffix, keeping it
// for the operator (and out of every later recovery).
func (d *Disk) setAside(path, suffix string) error {
	if err := os.Rename(path, path+"."+suffix); err != nil {
		return fmt.Errorf("zab: storage: %w", err)
	}
	return nil
}

// loadSnaps validates every snapshot file and returns the valid ones by seq;
// bad ones are logged and set aside as *.corrupt.
func (d *Disk) loadSnaps() ([]*snapFile, error) {
	paths, err := listed(d.snapDir, "snapshot.")
	if err != nil {
		return nil, err
	}
	var good []*snapFile
	var bad []error
	var badPaths []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("zab: storage: %w", err)
		}
		f, err := decodeSnap(b)
		if err != nil {
			bad = append(bad, fmt.Errorf("%s: %v", p, err))
			badPaths = append(badPaths, p)
			continue
		}
		good = append(good, f)
		d.snaps = append(d.snaps, snapInfo{seq: f.seq, logSeq: f.logSeq, path: p, zxid: f.snap.Zxid, txnZxid: f.snap.TxnZxid})
	}
	if len(good) == 0 && len(bad) > 0 {
		// Nothing to fall back to: refuse to start and leave the files alone.
		return nil, fmt.Errorf("zab: storage: no valid snapshot: %w", errors.Join(bad...))
	}
	for i, p := range badPaths {
		d.log.Error("storage: snapshot is corrupt; recovering from the newest valid one",
			"file", p, "reason", bad[i].Error(), "renamedTo", p+".corrupt")
		if err := d.setAside(p, "corrupt"); err != nil {
			return nil, err
		}
	}
	sortSnaps(d.snaps)
	sortSnapFiles(good)
	return good, nil
}

func sortSnapFiles(f []*snapFile) {
	for i := 1; i < len(f); i++ { // insertion sort: a handful of files
		for j := i; j > 0 && f[j].seq < f[j-1].seq; j-- {
			f[j], f[j-1] = f[j-1], f[j]
		}
	}
}

// loadSegs reads every segment header. A file too short to hold a header is
// a segment whose creation a crash cut short: removed. A bad header is set
// aside as *.corrupt.
func (d *Disk) loadSegs() error {
	paths, err := listed(d.logDir, "log.")
	if err != nil {
		return err
	}
	for _, p := range paths {
		seq, size, err := readSegHeader(p)
		if err != nil {
			return err
		}
		if size < segHeaderSize {
			d.log.Warn("storage: removing a log segment without a header", "file", p, "bytes", size)
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("zab: storage: %w", err)
			}
			continue
		}
		if seq == 0 {
			d.log.Error("storage: log segment has a bad header", "file", p, "renamedTo", p+".corrupt")
			if err := d.setAside(p, "corrupt"); err != nil {
				return err
			}
			continue
		}
		d.segs = append(d.segs, segment{seq: seq, path: p, size: size})
	}
	sortSegs(d.segs)
	return nil
}

// readSegHeader returns a segment's seq (0 if the header is bad) and size.
func readSegHeader(p string) (uint64, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, 0, fmt.Errorf("zab: storage: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, fmt.Errorf("zab: storage: %w", err)
	}
	var h [segHeaderSize]byte
	if _, err := f.ReadAt(h[:], 0); err != nil {
		return 0, st.Size(), nil
	}
	seq, err := parseSegHeader(h[:])
	if err != nil {
		return 0, st.Size(), nil
	}
	return seq, st.Size(), nil
}

// replay reads the live log: segments liveFrom, liveFrom+1, ... in order,
// records in each, keeping those after the snapshot. It stops at a missing
// segment, or at the first record that is torn, fails its CRC or format
// check, or does not raise the zxid; what follows is dropped (the segment is
// cut there, later segments are set aside as *.dropped) and logged.
func (d *Disk) replay(snap *core.Snapshot) ([]core.Entry, error) {
	var after core.Zxid
	if snap != nil {
		after = snap.TxnZxid
	}
	var log []core.Entry
	var last core.Zxid // last good zxid in the log, skipped ones included
	var kept []segment
	want, stop := d.liveFrom, false
	for _, s := range d.segs {
		if s.seq < d.liveFrom {
			kept = append(kept, s)
			continue
		}
		if stop || s.seq != want {
			if !stop {
				d.log.Error("storage: log segment missing, dropping the log after it",
					"missingSeq", want, "lastGoodZxid", last)
				stop = true
			}
			d.log.Error("storage: dropping log segment", "file", s.path, "seq", s.seq, "bytes", s.size,
				"renamedTo", s.path+".dropped")
			if err := d.setAside(s.path, "dropped"); err != nil {
				return nil, err
			}
			continue
		}
		want++
		b, err := os.ReadFile(s.path)
		if err != nil {
			return nil, fmt.Errorf("zab: storage: %w", err)
		}
		off := segHeaderSize
		var why error
		for off < len(b) {
			e, n, err := decodeRecord(b[off:])
			if err == nil && e.Zxid <= last {
				err = fmt.Errorf("zxid %v does not follow %v", e.Zxid, last)
			}
			if err != nil {
				why = err
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
		if why != nil {
			d.log.Error("storage: dropping the log tail", "file", s.path, "offset", off,
				"bytes", len(b)-off, "lastGoodZxid", last, "reason", why.Error())
			if err := truncateFile(s.path, int64(off)); err != nil {
				return nil, err
			}
			s.size = int64(off)
			stop = true
		}
		if s.first == 0 { // no record: a segment whose first write a crash lost
			d.log.Warn("storage: removing an empty log segment", "file", s.path)
			if err := os.Remove(s.path); err != nil {
				return nil, fmt.Errorf("zab: storage: %w", err)
			}
			continue
		}
		kept = append(kept, s)
	}
	d.segs = kept
	return log, nil
}

// loadEpochs reads the two epoch files (QuorumPeer.loadDataBase).
func (d *Disk) loadEpochs(dur *core.Durable, hasData bool) error {
	var ok [2]bool
	var err error
	if dur.AcceptedEpoch, ok[0], err = readEpoch(filepath.Join(d.dir, "acceptedEpoch")); err != nil {
		return err
	}
	if dur.CurrentEpoch, ok[1], err = readEpoch(filepath.Join(d.dir, "currentEpoch")); err != nil {
		return err
	}
	switch {
	case !ok[0] && (hasData || ok[1]):
		return fmt.Errorf("zab: storage: %s is missing but the data dir holds data: the epoch this server promised is lost",
			filepath.Join(d.dir, "acceptedEpoch"))
	case !ok[1] && hasData:
		// A crash after acceptedEpoch and the sync data, before currentEpoch:
		// the core raises currentEpoch to the last zxid's epoch, as
		// ZooKeeper does when the file is missing.
		d.log.Warn("storage: currentEpoch file missing, reading 0", "file", filepath.Join(d.dir, "currentEpoch"))
	case dur.CurrentEpoch > dur.AcceptedEpoch:
		return fmt.Errorf("zab: storage: %s: the current epoch %d is after the accepted epoch %d",
			filepath.Join(d.dir, "currentEpoch"), dur.CurrentEpoch, dur.AcceptedEpoch)
	}
	return nil
}

// readEpoch reads one epoch file: (0, false) if it does not exist, an error
// naming it if it does not hold an epoch.
func readEpoch(path string) (core.Epoch, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("zab: storage: %w", err)
	}
	e, err := parseEpoch(b)
	if err != nil {
		return 0, false, fmt.Errorf("zab: storage: %s: %v", path, err)
	}
	return e, true, nil
}
