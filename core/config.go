package core

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"github.com/zabplay/zabplay/core/enum"
	"github.com/zabplay/zabplay/core/ztree"
)

// Config configures one server. Times are in milliseconds of the driver's
// clock; limits are in ZooKeeper ticks, as in zoo.cfg.
type Config struct {
	ID        NodeID
	Voters    []NodeID
	Observers []NodeID

	// TickMs is ZooKeeper's tickTime (zoo.cfg default 2000).
	TickMs int
	// InitLimit and SyncLimit are in ticks (zoo_sample.cfg: 10 and 5).
	InitLimit, SyncLimit int
	// ClockMs is how much time one call of Node.Tick stands for. It must divide
	// TickMs/2 (the leader pings every half tick). Default 10.
	ClockMs int
	// FinalizeWaitMs is FLE's finalizeWait (200); MinNotifyMs and MaxNotifyMs
	// bound the notification timeout back-off (200 and 60000).
	FinalizeWaitMs, MinNotifyMs, MaxNotifyMs int
	// ObserverElectionDelayMs bounds the random pause of an observer before it
	// looks for a leader again (zookeeper.observer.election.DelayMs, 200).
	ObserverElectionDelayMs int
	// SnapCount is how many txns a server logs between snapshots; the log
	// behind a snapshot is purged (ZooKeeper snapCount, 100000).
	SnapCount int
	// LearnerRetryMs is the pause between a learner's attempts to reach its
	// leader (zookeeper.leaderConnectDelayDuringRetryMs, 100).
	LearnerRetryMs int
	// CommitLogCount is the size of the in-memory committedLog the leader DIFFs
	// from (ZKDatabase.commitLogCount, 500).
	CommitLogCount int
	// SnapshotSizeFactor bounds the txn-log sync: if the txns to send are larger
	// than this fraction of the snapshot, the leader sends SNAP (0.33; negative
	// disables txn-log sync).
	SnapshotSizeFactor float64
	// InitialCounter starts a new leader's zxid counter here instead of 0, like
	// ZooKeeper's test-only zookeeper.testingonly.initialZxid; it lets a lesson
	// reach the counter rollover (ZOOKEEPER-1277).
	InitialCounter uint32
	// MinSessionTimeoutMs and MaxSessionTimeoutMs bound the session timeout
	// a client gets (zoo.cfg minSessionTimeout, maxSessionTimeout: 2 and 20
	// ticks).
	MinSessionTimeoutMs, MaxSessionTimeoutMs int

	// Rand is the only source of randomness the core uses. Required.
	Rand *rand.Rand
	// Restore is what the server's disk holds when it starts.
	Restore Durable
	// Bugs switches historical ZooKeeper bugs (and planted ones) back on.
	Bugs Bugs
	// Mutant plants one deliberate mistake (mutation testing of the checker;
	// see Mutant). Only tests and `zabplay sim --mutants` set it.
	Mutant Mutant
}

// withDefaults fills zero fields with ZooKeeper's defaults.
func (c Config) withDefaults() Config {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.TickMs, 2000)
	def(&c.InitLimit, 10)
	def(&c.SyncLimit, 5)
	def(&c.ClockMs, 10)
	def(&c.FinalizeWaitMs, 200)
	def(&c.MinNotifyMs, 200)
	def(&c.MaxNotifyMs, 60000)
	def(&c.ObserverElectionDelayMs, 200)
	def(&c.CommitLogCount, 500)
	def(&c.LearnerRetryMs, 100)
	def(&c.SnapCount, 100000)
	def(&c.MinSessionTimeoutMs, 2*c.TickMs)
	def(&c.MaxSessionTimeoutMs, 20*c.TickMs)
	if c.SnapshotSizeFactor == 0 {
		c.SnapshotSizeFactor = 0.33
	}
	return c
}

// MaxVoters and MaxObservers bound an ensemble: every layer that takes a
// size (the simulator, live ensembles, the site, the wasm narrator) checks
// against these.
const (
	MaxVoters    = 9
	MaxObservers = 4
)

// Validate reports what is wrong with a config, or nil.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if len(c.Voters) < 1 || len(c.Voters) > MaxVoters {
		bad("%d voters: want 1 to %d", len(c.Voters), MaxVoters)
	}
	if len(c.Observers) > MaxObservers {
		bad("%d observers: want 0 to %d", len(c.Observers), MaxObservers)
	}
	seen := map[NodeID]bool{}
	for _, id := range append(append([]NodeID{}, c.Voters...), c.Observers...) {
		if id == 0 || id > MaxNodes {
			bad("server id %d out of range 1..%d", id, MaxNodes)
		}
		if seen[id] {
			bad("server %v listed twice", id)
		}
		seen[id] = true
	}
	if !seen[c.ID] {
		bad("server %v is not in the ensemble", c.ID)
	}
	if c.TickMs < 2*c.ClockMs || (c.TickMs/2)%c.ClockMs != 0 {
		bad("tick %dms must be a multiple of 2*clock (%dms)", c.TickMs, c.ClockMs)
	}
	if c.InitLimit < 1 || c.SyncLimit < 1 {
		bad("initLimit and syncLimit must be at least 1 tick")
	}
	if e := c.Restore.maxEpoch(); !ValidEpoch(e) {
		bad("epoch %#x on disk is out of range: the highest valid epoch is %#x (the data dir is corrupt or was poisoned)", e, MaxEpoch)
	}
	if c.Rand == nil {
		bad("Rand is required (a seeded source; the core has no other randomness)")
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(append([]error{ErrBadConfig}, errs...)...)
}

// Bug is one historical (or planted) bug the core can put back.
type Bug uint8

// The bugs. Each is named by its ZooKeeper JIRA; see shared/zab-reference.md §10.
const (
	// BugZK1154: in the in-range case of syncFollower never TRUNC; a learner
	// with a divergent suffix gets only the missing tail (DIFF) and keeps a
	// phantom txn.
	BugZK1154 Bug = iota
	// BugZK1264: commits that arrive between NEWLEADER and UPTODATE are applied
	// in memory only and never logged (with the Zab 1.0 snapshot at NEWLEADER).
	BugZK1264
	// BugZK1277: no zxid rollover guard; the counter carries into the epoch.
	BugZK1277
	// BugZK1319: the new leader does not initialise lastProposed, and sends an
	// empty DIFF to any learner whose zxid equals it (a fresh server with zxid 0).
	BugZK1319
	// BugZK2355: a learner sets lastProcessedZxid to the DIFF's zxid as soon as
	// DIFF arrives, before it has the txns.
	BugZK2355
	// BugZK2845: a server that leaves a role keeps its in-memory DB without
	// fast-forwarding it from the txn log.
	BugZK2845
	// BugZK3642: an unfinished SNAP sync does not clear the in-memory DB.
	BugZK3642
	// BugZK3911: a DIFF-synced follower ACKs NEWLEADER and logs the sync txns
	// only after UPTODATE.
	BugZK3911
	// BugZK4643: at NEWLEADER the follower writes currentEpoch and ACKs before
	// the sync txns are durable.
	BugZK4643
	// BugZK4646: the follower ACKs NEWLEADER without waiting for the fsync of
	// the sync txns.
	BugZK4646
	// BugCommitBeforeQuorum (planted): the leader commits a proposal on the
	// first ACK it gets.
	BugCommitBeforeQuorum
	// BugElectWithoutZxid (planted): FLE orders votes by (peerEpoch, sid),
	// ignoring the zxid, so a server missing committed txns can win.
	BugElectWithoutZxid
	// BugStaleAck: the leader keeps a learner's ACKs across the learner's
	// resync, as ZooKeeper 3.9's Leader does (Proposal.addAck, never undone),
	// though a TRUNC or SNAP removed those txns from the learner's disk and
	// they are sent to it again. A proposal can then commit with fewer than a
	// quorum of durable copies (campaign seed 9008). zabplay counts an ACK
	// only from the learner's current sync.
	BugStaleAck
	numBugs
)

var bugNames = enum.New[Bug]("bug",
	"ZOOKEEPER-1154", "ZOOKEEPER-1264", "ZOOKEEPER-1277", "ZOOKEEPER-1319", "ZOOKEEPER-2355",
	"ZOOKEEPER-2845", "ZOOKEEPER-3642", "ZOOKEEPER-3911", "ZOOKEEPER-4643", "ZOOKEEPER-4646",
	"commit-before-quorum", "elect-without-zxid", "stale-ack")

var bugTitles = [...]string{
	"a learner with a divergent suffix gets a DIFF, never a TRUNC, and keeps a phantom txn",
	"commits between NEWLEADER and UPTODATE are applied in memory but never logged",
	"no zxid rollover guard: the counter carries into the epoch",
	"the new leader tells a fresh server (zxid 0) it is already in sync",
	"a learner takes the DIFF's zxid as its own before it has the txns",
	"a server leaving a role keeps a database ahead of its txn log",
	"an unfinished SNAP sync does not clear the in-memory database",
	"a DIFF-synced follower acks NEWLEADER before it logs the sync txns",
	"at NEWLEADER the follower writes currentEpoch and acks before the txns are durable",
	"the follower acks NEWLEADER without waiting for the fsync of the sync txns",
	"planted: the leader commits on the first ACK instead of a quorum",
	"planted: elections compare (epoch, sid) and ignore the zxid",
	"the leader keeps a learner's ACKs across its resync, though a TRUNC removed those txns from its disk",
}

// Title says in one line what the bug does.
func (b Bug) Title() string {
	if int(b) < len(bugTitles) {
		return bugTitles[b]
	}
	return ""
}

// String returns the bug's name, e.g. "ZOOKEEPER-1154".
func (b Bug) String() string { return bugNames.Name(b) }

// AllBugs lists every bug switch, in order.
func AllBugs() []Bug { return bugNames.All() }

// ParseBug finds a bug by name ("ZOOKEEPER-1154", "ZK-1154" or "1154").
func ParseBug(s string) (Bug, error) {
	if n, ok := strings.CutPrefix(s, "ZK-"); ok {
		s = "ZOOKEEPER-" + n
	} else if _, err := strconv.Atoi(s); err == nil {
		s = "ZOOKEEPER-" + s
	}
	if b, ok := bugNames.Parse(s); ok {
		return b, nil
	}
	names := bugNames.List()
	sort.Strings(names)
	return 0, fmt.Errorf("zab: unknown bug %q (known: %v)", s, names)
}

// Bugs is a set of switched-on bugs.
type Bugs uint32

// Has reports whether b is on.
func (s Bugs) Has(b Bug) bool { return s&(1<<b) != 0 }

// With returns the set with b switched on or off.
func (s Bugs) With(b Bug, on bool) Bugs {
	if on {
		return s | 1<<b
	}
	return s &^ (1 << b)
}

// Snapshot is a fuzzy image of the data tree, as SNAP sends it and as it
// lies on disk. Zxid is the server's lastProcessedZxid when it was taken (may
// be an epoch start (e,0)); TxnZxid and Digest identify the last txn in it.
type Snapshot struct {
	Zxid    Zxid
	TxnZxid Zxid
	Digest  uint64
	Tree    *ztree.Tree
}

// Durable is what survives a crash: the two epoch files, the newest snapshot
// and the txn log after it.
type Durable struct {
	AcceptedEpoch Epoch
	CurrentEpoch  Epoch
	Snap          *Snapshot
	Log           []Entry
}

// maxEpoch is the highest epoch d names: its epoch files, its snapshot, its
// last logged txn.
func (d Durable) maxEpoch() Epoch {
	e := max(d.AcceptedEpoch, d.CurrentEpoch)
	if d.Snap != nil {
		e = max(e, d.Snap.Zxid.Epoch(), d.Snap.TxnZxid.Epoch())
	}
	if len(d.Log) > 0 {
		e = max(e, d.Log[len(d.Log)-1].Zxid.Epoch())
	}
	return e
}

// WriteKind is the kind of a disk write.
type WriteKind uint8

// Write kinds.
const (
	// WriteAppend appends Entries to the txn log.
	WriteAppend WriteKind = iota + 1
	// WriteTruncate drops every log entry with zxid > Zxid (Learner TRUNC).
	WriteTruncate
	// WriteSnapshot atomically replaces the snapshot with Snap and empties the
	// log (every logged txn is in the snapshot).
	WriteSnapshot
	// WriteAcceptedEpoch and WriteCurrentEpoch replace an epoch file (written
	// atomically: temp file, fsync, rename).
	WriteAcceptedEpoch
	WriteCurrentEpoch
	// WriteSnapshotPurge replaces the snapshot with Snap and purges the log
	// entries it covers (zxid ≤ Snap.TxnZxid); later entries stay.
	WriteSnapshotPurge
)

var writeNames = enum.New[WriteKind]("write", "", "append", "truncate", "snapshot", "acceptedEpoch", "currentEpoch", "snapshot+purge")

// String names the write kind.
func (k WriteKind) String() string { return writeNames.Name(k) }

// Write is one disk write the driver must perform, in Seq order.
type Write struct {
	Seq     uint64
	Kind    WriteKind
	Entries []Entry
	Zxid    Zxid
	Epoch   Epoch
	Snap    *Snapshot
}

// ApplyTo performs the write on a Durable image (used by in-memory storage and
// the simulator's disk).
func (w Write) ApplyTo(d *Durable) {
	switch w.Kind {
	case WriteAppend:
		d.Log = append(d.Log, w.Entries...)
	case WriteTruncate:
		i := len(d.Log)
		for i > 0 && d.Log[i-1].Zxid > w.Zxid {
			i--
		}
		d.Log = d.Log[:i:i]
	case WriteSnapshot:
		d.Snap = w.Snap
		d.Log = nil
	case WriteSnapshotPurge:
		d.Snap = w.Snap
		d.Log = purgeBehind(d.Log, w.Snap.TxnZxid, 0)
	case WriteAcceptedEpoch:
		d.AcceptedEpoch = w.Epoch
	case WriteCurrentEpoch:
		d.CurrentEpoch = w.Epoch
	}
}

// purgeBehind returns a new slice with the entries after zxid z.
func purgeBehind(log []Entry, z Zxid, room int) []Entry {
	i := 0
	for i < len(log) && log[i].Zxid <= z {
		i++
	}
	out := make([]Entry, len(log)-i, len(log)-i+room)
	copy(out, log[i:])
	return out
}
