package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"github.com/zabplay/zabplay/core"
)

// Options tunes a Disk. The zero value means ZooKeeper's defaults.
type Options struct {
	// SegmentBytes is the size at which the txn log rolls to a new segment
	// (ZooKeeper rolls at each snapshot and preallocates 64 MB). Default 64 MB.
	SegmentBytes int64
	// KeepSnapshots is how many snapshots survive a purge, with the log
	// segments the oldest of them needs (ZooKeeper's autopurge.snapRetainCount,
	// at least 3). Default 3.
	KeepSnapshots int
}

func (o Options) withDefaults() Options {
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = 64 << 20
	}
	if o.KeepSnapshots <= 0 {
		o.KeepSnapshots = 3
	}
	return o
}

// segment is one log file.
type segment struct {
	seq         uint64
	path        string
	first, last core.Zxid // zxids of its first and last record (0: none)
	size        int64
}

// snapInfo is one valid snapshot file.
type snapInfo struct {
	seq, logSeq   uint64
	path          string
	zxid, txnZxid core.Zxid
}

// Disk is the on-disk state of one server: the txn log, the snapshots and
// the two epoch files in one data directory. It is not safe for concurrent
// use: the goroutine that owns the node calls it, handing it every Ready's
// writes as one batch, which gives group commit (one fsync per batch).
//
// After any I/O error the Disk refuses further writes and returns that error:
// the server must stop, as ZooKeeper exits when its txn log fails.
type Disk struct {
	dir, logDir, snapDir string
	log                  *slog.Logger
	opt                  Options

	segs     []segment // every kept log segment, by seq
	liveFrom uint64    // logSeq of the newest snapshot: the live log starts here
	cur      *os.File  // the last segment, open for appending, if it is live
	nextSeg  uint64
	snaps    []snapInfo // every kept valid snapshot, by seq
	nextSnap uint64
	lastZxid core.Zxid // the last logged zxid (or the snapshot's): appends go above it

	buf      []byte // records not yet written to cur
	unsynced bool   // cur has writes that were not fsynced
	dirDirty bool   // the log dir has entries that were not fsynced
	err      error
}

// Open opens (creating it if needed) the data directory dir with default
// Options and recovers it. See OpenWith.
func Open(dir string, log *slog.Logger) (*Disk, core.Durable, error) {
	return OpenWith(dir, log, Options{})
}

// OpenWith opens the data directory dir, creating dir, dir/log and dir/snap
// if they are missing, and returns the durable image a node restarts from
// (core.Config.Restore): the epoch files, the newest valid snapshot and the
// log records after it.
//
// Recovery is ZooKeeper's FileTxnSnapLog.restore made strict: the newest
// snapshot whose CRC and format check out, then every log record after it,
// segment by segment in seq order. Open repairs only what a crash leaves:
//
//   - a torn log tail: in the last segment, a record that is cut short, has
//     a bad length or fails its CRC, with no valid record anywhere between
//     it and the end of the file (zeros included: a size that reached the
//     disk before the data). The segment is cut there and one log line says
//     what was dropped (file, offset, bytes, last good zxid);
//   - a log segment shorter than its header, or all zeros (its creation was
//     cut short): removed;
//   - leftover *.tmp files (a crash in the middle of an atomic write):
//     removed;
//   - a snapshot that fails its check while an older valid snapshot and the
//     log after it reach its zxid: renamed *.corrupt-<time>, and the
//     older one is used.
//
// Anything else is a *CorruptError and every file stays as it was: a bad
// record with a valid one after it, damage in a segment that is not the
// last, a bad segment header, a segment missing from the live log, a
// snapshot nothing older covers. A garbled epoch file, a missing
// acceptedEpoch beside existing data, and currentEpoch > acceptedEpoch are
// errors naming the file, as ZooKeeper refuses to start on them. Open never
// panics on bad bytes.
func OpenWith(dir string, log *slog.Logger, opt Options) (*Disk, core.Durable, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Disk{
		dir: dir, logDir: filepath.Join(dir, "log"), snapDir: filepath.Join(dir, "snap"),
		log: log.With("dir", dir), opt: opt.withDefaults(), nextSeg: 1, nextSnap: 1,
	}
	for _, p := range []string{dir, d.logDir, d.snapDir} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, core.Durable{}, fmt.Errorf("zab: storage: %w", err)
		}
	}
	if err := syncDir(dir); err != nil {
		return nil, core.Durable{}, err
	}
	dur, err := d.recover()
	if err != nil {
		d.closeFiles()
		return nil, core.Durable{}, err
	}
	return d, dur, nil
}

// Persist writes a batch and makes it durable with one fsync; the caller then
// steps MsgPersisted with the returned seq (the last write's, or 0 for an
// empty batch).
func (d *Disk) Persist(ws []core.Write) (lastSeq uint64, err error) {
	if err := d.Write(ws); err != nil {
		return 0, err
	}
	if err := d.Sync(); err != nil {
		return 0, err
	}
	if len(ws) == 0 {
		return 0, nil
	}
	return ws[len(ws)-1].Seq, nil
}

// Write performs the core's writes in order. Appends are written but not
// fsynced (Sync does that, once for the whole batch). Every other write is a
// barrier: the appends before it are fsynced first, and it is itself durable
// when Write returns (truncate: ftruncate + fsync; snapshot and epoch files:
// temp file, fsync, rename, fsync dir). So a crash keeps a prefix of the
// writes in Seq order: currentEpoch can never be on disk without the sync
// txns logged before it (ZOOKEEPER-4643).
func (d *Disk) Write(ws []core.Write) error {
	if d.err != nil {
		return d.err
	}
	for i := range ws {
		if err := d.write(&ws[i]); err != nil {
			d.err = err
			return err
		}
	}
	if len(d.buf) > 0 {
		return d.fail(d.flush())
	}
	return nil
}

func (d *Disk) write(w *core.Write) error {
	if w.Kind != core.WriteAppend {
		if err := d.barrier(); err != nil {
			return err
		}
	}
	switch w.Kind {
	case core.WriteAppend:
		for i := range w.Entries {
			if err := d.appendEntry(&w.Entries[i]); err != nil {
				return err
			}
		}
		return nil
	case core.WriteTruncate:
		return d.truncate(w.Zxid)
	case core.WriteSnapshot, core.WriteSnapshotPurge:
		if w.Snap == nil {
			return fmt.Errorf("zab: storage: write %d: %v without a snapshot", w.Seq, w.Kind)
		}
		return d.snapshot(w.Snap, w.Kind == core.WriteSnapshot)
	case core.WriteAcceptedEpoch:
		return writeAtomic(d.dir, "acceptedEpoch", formatEpoch(w.Epoch))
	case core.WriteCurrentEpoch:
		return writeAtomic(d.dir, "currentEpoch", formatEpoch(w.Epoch))
	}
	return fmt.Errorf("zab: storage: write %d: unknown kind %v", w.Seq, w.Kind)
}

// Sync makes every write so far durable: it fsyncs the current segment and,
// if a segment was created, the log directory.
func (d *Disk) Sync() error {
	if d.err != nil {
		return d.err
	}
	return d.fail(d.barrier())
}

// Close syncs and closes the files. The Disk cannot be used afterwards.
func (d *Disk) Close() error {
	err := d.Sync()
	d.closeFiles()
	if d.err == nil {
		d.err = errors.New("zab: storage: closed")
	}
	return err
}

func (d *Disk) closeFiles() {
	if d.cur != nil {
		d.cur.Close()
		d.cur = nil
	}
}

func (d *Disk) fail(err error) error {
	if err != nil && d.err == nil {
		d.err = err
	}
	return err
}

// flush writes the buffered records to the current segment.
func (d *Disk) flush() error {
	if len(d.buf) == 0 {
		return nil
	}
	n, err := d.cur.Write(d.buf)
	d.segs[len(d.segs)-1].size += int64(n)
	d.buf = d.buf[:0]
	d.unsynced = true
	if err != nil {
		return fmt.Errorf("zab: storage: append to %s: %w", d.cur.Name(), err)
	}
	return nil
}

// barrier flushes and fsyncs everything appended so far.
func (d *Disk) barrier() error {
	if err := d.flush(); err != nil {
		return err
	}
	if d.unsynced {
		if err := fsync(d.cur); err != nil {
			return fmt.Errorf("zab: storage: fsync %s: %w", d.cur.Name(), err)
		}
		d.unsynced = false
	}
	if d.dirDirty {
		if err := syncDir(d.logDir); err != nil {
			return err
		}
		d.dirDirty = false
	}
	return nil
}

// appendEntry buffers one record, rolling to a new segment when the current
// one is full.
func (d *Disk) appendEntry(e *core.Entry) error {
	if e.Zxid <= d.lastZxid {
		return fmt.Errorf("zab: storage: append %v after %v: zxids must increase", e.Zxid, d.lastZxid)
	}
	if d.cur == nil || d.segs[len(d.segs)-1].size+int64(len(d.buf)) >= d.opt.SegmentBytes {
		if err := d.roll(e.Zxid); err != nil {
			return err
		}
	}
	d.buf = appendRecord(d.buf, e)
	s := &d.segs[len(d.segs)-1]
	if s.first == 0 {
		s.first = e.Zxid
	}
	s.last = e.Zxid
	d.lastZxid = e.Zxid
	return nil
}

// roll closes the current segment (fsynced) and starts log.<first zxid>.
func (d *Disk) roll(first core.Zxid) error {
	if d.cur != nil {
		if err := d.barrier(); err != nil {
			return err
		}
		if err := d.cur.Close(); err != nil {
			return fmt.Errorf("zab: storage: close %s: %w", d.cur.Name(), err)
		}
		d.cur = nil
	}
	path := filepath.Join(d.logDir, segName(first))
	// A segment with that name can only be an old one that no live snapshot
	// replays (the live log's zxids increase). Older snapshots lose the log
	// behind it; the seq gap stops their replay there.
	for i, s := range d.segs {
		if s.path == path {
			d.log.Info("storage: removing an old log segment to reuse its name", "file", path, "seq", s.seq)
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("zab: storage: %w", err)
			}
			d.segs = append(d.segs[:i], d.segs[i+1:]...)
			break
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("zab: storage: %w", err)
	}
	d.cur = f
	d.segs = append(d.segs, segment{seq: d.nextSeg, path: path})
	d.nextSeg++
	d.dirDirty = true
	d.buf = appendSegHeader(d.buf, d.segs[len(d.segs)-1].seq)
	return nil
}

func segName(first core.Zxid) string { return fmt.Sprintf("log.%016x", uint64(first)) }
func snapName(zxid core.Zxid) string { return fmt.Sprintf("snapshot.%016x", uint64(zxid)) }
func (d *Disk) newest() *snapInfo    { return lastSnap(d.snaps) }
func lastSnap(s []snapInfo) *snapInfo {
	if len(s) == 0 {
		return nil
	}
	return &s[len(s)-1]
}

// syncDir fsyncs a directory, making the creations, renames and removals in
// it durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("zab: storage: %w", err)
	}
	defer f.Close()
	if err := fsync(f); err != nil {
		return fmt.Errorf("zab: storage: fsync %s: %w", dir, err)
	}
	return nil
}

// fsync is (*os.File).Sync. Tests that check only what a clean shutdown
// leaves (not what a power cut leaves) may swap it for a no-op to run faster.
var fsync = (*os.File).Sync

// beforeRename is a test hook: a crash between the fsync of a temp file and
// its rename (return an error to stop there).
var beforeRename = func(tmp, final string) error { return nil }

// writeAtomic replaces dir/name with data as ZooKeeper's AtomicFileWritingIdiom
// does, plus the directory fsync it leaves out: write name.tmp, fsync, rename,
// fsync the directory.
func writeAtomic(dir, name string, data []byte) error {
	final := filepath.Join(dir, name)
	tmp := final + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("zab: storage: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = fsync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = beforeRename(tmp, final)
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		return fmt.Errorf("zab: storage: write %s: %w", final, err)
	}
	return syncDir(dir)
}

// sortSegs and sortSnaps keep the seq order.
func sortSegs(s []segment)   { sort.Slice(s, func(i, j int) bool { return s[i].seq < s[j].seq }) }
func sortSnaps(s []snapInfo) { sort.Slice(s, func(i, j int) bool { return s[i].seq < s[j].seq }) }
