package core

import (
	"github.com/zabplay/zabplay/core/enum"
)

// EventKind names one kind of trace event. Every event the simulator, the live
// runtime and the browser show is one Event with one of these kinds; the
// fields each kind fills are listed here, in the one place they are documented.
//
//	kind         emitted by  fields
//	send         driver      Node=from, Peer=to, Msg, Zxid and Epoch (the message's), Text=Describe(msg), ID, Arrive
//	deliver-msg  driver      Node=to, Peer=from, Msg type, Zxid, Epoch, Text, ID
//	             (the simulator reports these two for every message with Trace on, and
//	             always for the ones the checker reads: LEADERINFO, ACKEPOCH, NEWLEADER, ACK, UPTODATE,
//	             and the sends of COMMIT and INFORM)
//	drop         driver      Node=from, Peer=to, Text, ID, Reason ("partition", "connection broken", "down", ...)
//	role         core        Node, Role, Epoch=currentEpoch, Zxid=lastProcessed (with Epoch, a new leader's summary), Leader (for a learner), Text (why)
//	phase        core        Node, Phase
//	accepted-epoch, current-epoch  core  Node, Epoch (written to disk)
//	vote         core        Node, Vote (its new proposal), Peer (whose notification changed it), Text (the comparison)
//	persist      core        Node, Seq, Text (the write kind), Zxid (an append: the txn it adds, one event per
//	             txn even when appends share a record; truncate: the target; snapshot: its last txn), Epoch (an epoch file)
//	fsync        driver      Node, Seq (every write up to Seq of this incarnation is durable)
//	propose      core        Node=leader, Zxid, Epoch, Hash (txn hash), Text (txn), Client+Seq (the session and cxid of the
//	             request); Reason "session expired" or "session moved" for the error txn of a request the session
//	             check refused
//	deliver      core        Node, Zxid, Digest, PrevZxid, PrevDigest, Hash, Text, Client+Seq (the session and cxid of the write); Snapshot=true for a whole SNAP image;
//	             Owner (the session owning an ephemeral node the txn creates, a multi's included), Closes (the session a closeSession closes)
//	established  core        Node=leader, Epoch, Zxid (last zxid of its initial history), Digest
//	sync-mode    core        Node=leader, Peer=learner, Mode (EMPTY-DIFF, DIFF, TRUNC, TRUNC+DIFF, SNAP), Zxid (where live
//	             broadcast takes over), PeerZxid (the learner's last zxid), MinCommitted and MaxCommitted (the
//	             leader's committed-log window), LogStart (the first zxid of its txn log; 0: empty), Reason
//	             (SnapAsked: a SNAP the learner asked for)
//	truncate     core        Node, Zxid (truncated to), Removed (zxid+digest of removed entries)
//	warn         core        Node, Text (a protocol anomaly ZooKeeper logs as a warning)
//	fatal        core        Node, Text (ZooKeeper would exit the process; the core reloads from disk and looks for a leader),
//	             Reason (FatalEpochExhausted; none for a packet stream the server cannot follow)
//	request      driver      Client, Req
//	reply        driver      Client, Reply
//	crash, restart, pause, resume   driver  Node; a restart's Zxid is the last txn on the server's disk
//	partition, heal, cut            driver  Text; a partition's Groups (every server on exactly one side)
//	violation    checker     Text (property: explanation)
//	session      core        Node, Client (the session), Text: "expired" (the leader's tracker let it lapse and
//	             proposes closeSession), "connected" (a server answered a client's Connect: Seq is the negotiated
//	             timeout in ms), "refused" (a Connect refused: the session is expired or the password wrong,
//	             or Reason says the server is behind the client or not serving)
//	watch        core        Node, Client, Text (kind: data or child), Reply.Path: a watch set; with Reply.Watch set,
//	             a watch fired (the notification sent)
type EventKind uint8

// Event kinds; see EventKind for their fields.
const (
	EvNone EventKind = iota
	EvSend
	EvDeliverMsg
	EvDrop
	EvRole
	EvPhase
	EvAcceptedEpoch
	EvCurrentEpoch
	EvVote
	EvPersist
	EvFsync
	EvPropose
	EvDeliver
	EvEstablished
	EvSyncMode
	EvTruncate
	EvWarn
	EvFatal
	EvRequest
	EvReply
	EvCrash
	EvRestart
	EvPause
	EvResume
	EvPartition
	EvHeal
	EvCut
	EvViolation
	EvSession
	EvWatch
	numEventKinds
)

var eventNames = enum.New[EventKind]("event kind",
	"none", "send", "deliver-msg", "drop", "role", "phase", "accepted-epoch", "current-epoch",
	"vote", "persist", "fsync", "propose", "deliver", "established", "sync-mode", "truncate",
	"warn", "fatal", "request", "reply", "crash", "restart", "pause", "resume",
	"partition", "heal", "cut", "violation", "session", "watch")

// String returns the kind's JSON name.
func (k EventKind) String() string { return eventNames.Name(k) }

// MarshalText writes the name.
func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads the name.
func (k *EventKind) UnmarshalText(b []byte) error { return eventNames.Unmarshal(b, k) }

// Removed is one log entry a TRUNC took away.
type Removed struct {
	Zxid   Zxid   `json:"zxid"`
	Digest uint64 `json:"digest"`
}

// Event is one entry of a trace. At is virtual (or wall-clock) milliseconds and
// is set by the driver.
type Event struct {
	At         int64       `json:"t"`
	Kind       EventKind   `json:"kind"`
	Node       NodeID      `json:"node,omitempty"`
	Peer       NodeID      `json:"peer,omitempty"`
	Role       ServerState `json:"role,omitempty"`
	Phase      Phase       `json:"phase,omitempty"`
	Leader     NodeID      `json:"leader,omitempty"`
	Epoch      Epoch       `json:"epoch,omitempty"`
	Zxid       Zxid        `json:"zxid,omitempty"`
	Digest     uint64      `json:"digest,omitempty"`
	PrevZxid   Zxid        `json:"prevZxid,omitempty"`
	PrevDigest uint64      `json:"prevDigest,omitempty"`
	Hash       uint64      `json:"hash,omitempty"`
	Snapshot   bool        `json:"snapshot,omitempty"`
	Seq        uint64      `json:"seq,omitempty"`
	Vote       *Vote       `json:"vote,omitempty"`
	Msg        MsgType     `json:"msg,omitempty"`
	ID         uint64      `json:"id,omitempty"`
	Arrive     int64       `json:"arrive,omitempty"`
	Mode       SyncMode    `json:"mode,omitempty"`
	// The sync decision's inputs (sync-mode): the learner's last zxid, the
	// leader's committed-log window and the first zxid of its txn log.
	PeerZxid     Zxid `json:"peerZxid,omitempty"`
	MinCommitted Zxid `json:"minCommitted,omitempty"`
	MaxCommitted Zxid `json:"maxCommitted,omitempty"`
	LogStart     Zxid `json:"logStart,omitempty"`
	// Groups (partition): the sides, every server in exactly one.
	Groups  [][]NodeID `json:"groups,omitempty"`
	Reason  string     `json:"reason,omitempty"`
	Text    string     `json:"text,omitempty"`
	Removed []Removed  `json:"removed,omitempty"`
	Client  int64      `json:"client,omitempty"`
	// Owner and Closes (deliver): the owner of an ephemeral node the txn
	// creates, the session a closeSession closes.
	Owner  int64    `json:"owner,omitempty"`
	Closes int64    `json:"closes,omitempty"`
	Req    *Request `json:"req,omitempty"`
	Reply  *Reply   `json:"reply,omitempty"`
}
