package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zabplay/zabplay/core"
)

// truncate drops every logged record with zxid > z, durably (Learner TRUNC,
// ZooKeeper FileTxnLog.truncate): later segments are removed, the segment
// holding z is cut after it and fsynced, then the log dir is fsynced. Every
// kept segment is cut, not only the live log, so that falling back to an
// older snapshot can never bring the dropped txns back; for the same reason
// older snapshots that hold txns above z are removed. The newest snapshot
// stays, as core.Write.ApplyTo keeps it.
func (d *Disk) truncate(z core.Zxid) error {
	for i := len(d.snaps) - 2; i >= 0; i-- {
		if s := d.snaps[i]; s.txnZxid > z {
			d.log.Info("storage: removing an older snapshot above the truncation point", "file", s.path, "truncateTo", z)
			if err := os.Remove(s.path); err != nil {
				return fmt.Errorf("zab: storage: %w", err)
			}
			d.snaps = append(d.snaps[:i], d.snaps[i+1:]...)
		}
	}
	d.closeFiles()
	for len(d.segs) > 0 {
		s := &d.segs[len(d.segs)-1]
		if s.first != 0 && s.first <= z {
			if s.last > z {
				if err := d.cut(s, z); err != nil {
					return err
				}
			}
			break
		}
		if err := os.Remove(s.path); err != nil {
			return fmt.Errorf("zab: storage: %w", err)
		}
		d.segs = d.segs[:len(d.segs)-1]
		d.dirDirty = true
	}
	if err := d.barrier(); err != nil {
		return err
	}
	return d.reopenTail()
}

// cut truncates segment s after its last record with zxid ≤ z, and fsyncs it.
func (d *Disk) cut(s *segment, z core.Zxid) error {
	b, err := os.ReadFile(s.path)
	if err != nil {
		return fmt.Errorf("zab: storage: %w", err)
	}
	off, last := int64(segHeaderSize), core.Zxid(0)
	for off < int64(len(b)) {
		e, n, err := decodeRecord(b[off:])
		if err != nil {
			return fmt.Errorf("zab: storage: truncate %s: record at offset %d: %v", s.path, off, err)
		}
		if e.Zxid > z {
			break
		}
		off += int64(n)
		last = e.Zxid
	}
	if err := truncateFile(s.path, off); err != nil {
		return err
	}
	s.size, s.last = off, last
	if last == 0 {
		s.first = 0
	}
	return nil
}

func truncateFile(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("zab: storage: %w", err)
	}
	err = f.Truncate(size)
	if err == nil {
		err = fsync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("zab: storage: truncate %s: %w", path, err)
	}
	return nil
}

// reopenTail opens the last segment for appending if it belongs to the live
// log, and sets nextSeg and lastZxid from what is kept.
func (d *Disk) reopenTail() error {
	d.closeFiles()
	d.nextSeg = d.liveFrom
	d.lastZxid = 0
	if n := d.newest(); n != nil {
		d.lastZxid = n.txnZxid
	}
	if len(d.segs) == 0 {
		return nil
	}
	s := &d.segs[len(d.segs)-1]
	if s.seq < d.liveFrom {
		d.nextSeg = d.liveFrom
		return nil
	}
	d.nextSeg = s.seq + 1
	d.lastZxid = max(d.lastZxid, s.last)
	f, err := os.OpenFile(s.path, os.O_WRONLY, 0)
	if err == nil {
		_, err = f.Seek(s.size, 0)
	}
	if err != nil {
		return fmt.Errorf("zab: storage: %w", err)
	}
	d.cur = f
	return nil
}

// snapshot writes a snapshot file atomically and purges behind it. A reset
// (core.WriteSnapshot, which empties the log) starts the live log at a new
// segment seq one past the next, so no replay from an older snapshot can run
// from the old log into the new one: the seq gap stops it.
func (d *Disk) snapshot(s *core.Snapshot, reset bool) error {
	var logSeq uint64
	if reset {
		d.closeFiles()
		logSeq = d.nextSeg + 1
	} else {
		logSeq = d.nextSeg
		for i := len(d.segs) - 1; i >= 0 && d.segs[i].seq >= d.liveFrom; i-- {
			if d.segs[i].last <= s.TxnZxid && (d.cur == nil || i < len(d.segs)-1) {
				break
			}
			logSeq = d.segs[i].seq
		}
	}
	f := &snapFile{seq: d.nextSnap, logSeq: logSeq, snap: *s}
	b, err := encodeSnap(f)
	if err != nil {
		return err
	}
	name := snapName(s.Zxid)
	if err := writeAtomic(d.snapDir, name, b); err != nil {
		return err
	}
	d.nextSnap++
	path := filepath.Join(d.snapDir, name)
	for i := range d.snaps {
		if d.snaps[i].path == path { // replaced by the rename
			d.snaps = append(d.snaps[:i], d.snaps[i+1:]...)
			break
		}
	}
	d.snaps = append(d.snaps, snapInfo{seq: f.seq, logSeq: logSeq, path: path, zxid: s.Zxid, txnZxid: s.TxnZxid})
	d.liveFrom = logSeq
	if reset {
		d.nextSeg = logSeq
	}
	d.lastZxid = max(d.lastZxid, s.TxnZxid)
	if reset {
		d.lastZxid = s.TxnZxid
	}
	return d.purge()
}

// purge keeps the newest KeepSnapshots snapshots and the log segments the
// oldest of them replays; everything older goes (ZooKeeper PurgeTxnLog).
func (d *Disk) purge() error {
	var errs []error
	if k := len(d.snaps) - d.opt.KeepSnapshots; k > 0 {
		for _, s := range d.snaps[:k] {
			errs = append(errs, removeLogged(d, s.path, "old snapshot"))
		}
		d.snaps = append(d.snaps[:0], d.snaps[k:]...)
	}
	keepFrom := d.liveFrom
	for _, s := range d.snaps {
		keepFrom = min(keepFrom, s.logSeq)
	}
	i := 0
	for i < len(d.segs) && d.segs[i].seq < keepFrom {
		errs = append(errs, removeLogged(d, d.segs[i].path, "purged log segment"))
		i++
	}
	d.segs = append(d.segs[:0], d.segs[i:]...)
	return errors.Join(errs...)
}

func removeLogged(d *Disk, path, what string) error {
	d.log.Debug("storage: removing "+what, "file", path)
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("zab: storage: %w", err)
	}
	return nil
}
