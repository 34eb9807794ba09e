package ztree

import (
	"strconv"

	"github.com/zabplay/zabplay/core/enum"
)

// Err is a ZooKeeper result code (KeeperException.Code values).
type Err int32

// The result codes, with ZooKeeper's numbers (KeeperException.Code, 3.9).
// The core answers with OK, RuntimeInconsistency (the ops of a failed multi
// after the failing one), ConnectionLoss (a server not serving, or behind
// what the client has seen), Unimplemented (container and TTL creates),
// BadArguments (a malformed path or request), NoNode, BadVersion,
// NoChildrenForEphemerals, NodeExists, NotEmpty, SessionExpired (a session
// the leader does not know or is closing), SessionMoved and NoWatcher; the
// rest are named for the client port and for traces.
const (
	OK                           Err = 0
	SystemError                  Err = -1
	RuntimeInconsistency         Err = -2
	DataInconsistency            Err = -3
	ConnectionLoss               Err = -4
	MarshallingError             Err = -5
	Unimplemented                Err = -6
	OperationTimeout             Err = -7
	BadArguments                 Err = -8
	UnknownSession               Err = -12
	APIError                     Err = -100
	NoNode                       Err = -101
	NoAuth                       Err = -102
	BadVersion                   Err = -103
	NoChildrenForEphemerals      Err = -108
	NodeExists                   Err = -110
	NotEmpty                     Err = -111
	SessionExpired               Err = -112
	InvalidCallback              Err = -113
	InvalidACL                   Err = -114
	AuthFailed                   Err = -115
	SessionMoved                 Err = -118
	NotReadOnly                  Err = -119
	EphemeralOnLocalSession      Err = -120
	NoWatcher                    Err = -121
	RequestTimeout               Err = -122
	ReconfigDisabled             Err = -123
	SessionClosedRequireSASLAuth Err = -124
)

// errNames is the one table of result-code names: ZooKeeper's upper-case
// Code names, as KeeperException.Code.name() without underscores.
var errNames = enum.Sparse("ERR", map[Err]string{
	OK:                           "OK",
	SystemError:                  "SYSTEMERROR",
	RuntimeInconsistency:         "RUNTIMEINCONSISTENCY",
	DataInconsistency:            "DATAINCONSISTENCY",
	ConnectionLoss:               "CONNECTIONLOSS",
	MarshallingError:             "MARSHALLINGERROR",
	Unimplemented:                "UNIMPLEMENTED",
	OperationTimeout:             "OPERATIONTIMEOUT",
	BadArguments:                 "BADARGUMENTS",
	UnknownSession:               "UNKNOWNSESSION",
	APIError:                     "APIERROR",
	NoNode:                       "NONODE",
	NoAuth:                       "NOAUTH",
	BadVersion:                   "BADVERSION",
	NoChildrenForEphemerals:      "NOCHILDRENFOREPHEMERALS",
	NodeExists:                   "NODEEXISTS",
	NotEmpty:                     "NOTEMPTY",
	SessionExpired:               "SESSIONEXPIRED",
	InvalidCallback:              "INVALIDCALLBACK",
	InvalidACL:                   "INVALIDACL",
	AuthFailed:                   "AUTHFAILED",
	SessionMoved:                 "SESSIONMOVED",
	NotReadOnly:                  "NOTREADONLY",
	EphemeralOnLocalSession:      "EPHEMERALONLOCALSESSION",
	NoWatcher:                    "NOWATCHER",
	RequestTimeout:               "REQUESTTIMEOUT",
	ReconfigDisabled:             "RECONFIGDISABLED",
	SessionClosedRequireSASLAuth: "SESSIONCLOSEDREQUIRESASLAUTH",
})

// String returns ZooKeeper's upper-case name for the code, such as "NONODE",
// or "ERR(-n)" for a code without a name.
func (e Err) String() string { return errNames.Name(e) }

// ParseErr is the inverse of Err.String for the named codes: it returns the
// code called s and true, or 0 and false if no code has that name.
func ParseErr(s string) (Err, bool) { return errNames.Parse(s) }

// MarshalText writes the code's name, so JSON traces read "NONODE".
func (e Err) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// UnmarshalText reads what MarshalText writes: a name, "ERR(-n)", or a
// plain decimal code.
func (e *Err) UnmarshalText(b []byte) error {
	s := string(b)
	if v, ok := ParseErr(s); ok {
		*e = v
		return nil
	}
	if len(s) > 5 && s[:4] == "ERR(" && s[len(s)-1] == ')' {
		s = s[4 : len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return errNames.Unknown(string(b))
	}
	*e = Err(n)
	return nil
}

// Op is a txn or request type; values are ZooKeeper's OpCode numbers.
type Op int8

// The ops, with ZooKeeper's OpCode numbers (ZooDefs.OpCode). Txns are
// create, delete, setData, check (inside a multi), multi, createSession,
// closeSession and error; the rest are requests a server answers itself
// (exists, getData, getChildren, getChildren2, sync, ping) or refuses
// (createContainer and createTTL answer Unimplemented). OpNotification is
// the op of a watch event a server sends its client (xid -1 on the wire).
const (
	OpError           Op = -1
	OpNotification    Op = 0
	OpCreate          Op = 1
	OpDelete          Op = 2
	OpExists          Op = 3
	OpGetData         Op = 4
	OpSetData         Op = 5
	OpGetChildren     Op = 8
	OpSync            Op = 9
	OpPing            Op = 11
	OpGetChildren2    Op = 12
	OpCheck           Op = 13
	OpMulti           Op = 14
	OpCreate2         Op = 15
	OpCreateContainer Op = 19
	OpCreateTTL       Op = 21
	// OpSetWatches is a reconnecting client giving its watches back: a
	// Request whose Ops are the reads that set them (getData, exists,
	// getChildren; their Path), answered by the server it reconnected to.
	// SetWatches' relativeZxid, the last zxid the client saw, travels as
	// core.Request's MinZxid.
	OpSetWatches    Op = 101
	OpCreateSession Op = -10
	OpCloseSession  Op = -11
)

// opNames is the one table of op names: ZooDefs.OpCode's field names.
var opNames = enum.Sparse("op", map[Op]string{
	OpError:           "error",
	OpNotification:    "notification",
	OpCreate:          "create",
	OpDelete:          "delete",
	OpExists:          "exists",
	OpGetData:         "getData",
	OpSetData:         "setData",
	OpGetChildren:     "getChildren",
	OpSync:            "sync",
	OpPing:            "ping",
	OpGetChildren2:    "getChildren2",
	OpCheck:           "check",
	OpMulti:           "multi",
	OpCreate2:         "create2",
	OpCreateContainer: "createContainer",
	OpCreateTTL:       "createTTL",
	OpSetWatches:      "setWatches",
	OpCreateSession:   "createSession",
	OpCloseSession:    "closeSession",
})

// String names the op as ZooKeeper's OpCode does, such as "setData", or
// "op(n)" for an op without a name here.
func (o Op) String() string { return opNames.Name(o) }

// MarshalText writes the op's name, so JSON traces read "setData".
func (o Op) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText reads what MarshalText writes: a name, "op(n)", or a plain
// decimal OpCode.
func (o *Op) UnmarshalText(b []byte) error {
	s := string(b)
	if v, ok := opNames.Parse(s); ok {
		*o = v
		return nil
	}
	if len(s) > 4 && s[:3] == "op(" && s[len(s)-1] == ')' {
		s = s[3 : len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 8)
	if err != nil {
		return opNames.Unknown(string(b))
	}
	*o = Op(n)
	return nil
}

// IsTxn reports whether the leader turns a request of op o into a txn
// (a write: create, create2, delete, setData, multi, createSession,
// closeSession). check is a txn only inside a multi.
func (o Op) IsTxn() bool {
	switch o {
	case OpCreate, OpCreate2, OpDelete, OpSetData, OpMulti, OpCreateSession, OpCloseSession:
		return true
	}
	return false
}

// Request is a client request as the leader's PrepRequestProcessor receives
// it (and, for reads, as the server the client is connected to answers it).
type Request struct {
	Op   Op     `json:"op"`
	Path string `json:"path,omitempty"`
	Data string `json:"data,omitempty"`
	// Version is the expected version for setData, delete and check (-1:
	// any). For createSession it carries the session timeout in
	// milliseconds, as ZooKeeper's ConnectRequest carries timeOut.
	Version int32 `json:"version"`
	// Sequential and Ephemeral are a create's CreateMode
	// (PERSISTENT_SEQUENTIAL, EPHEMERAL, EPHEMERAL_SEQUENTIAL).
	Sequential bool `json:"seq,omitempty"`
	Ephemeral  bool `json:"eph,omitempty"`
	// Watch asks exists, getData, getChildren and getChildren2 to leave a
	// one-shot watch on Path at the server that answers (ZooKeeper's watch
	// flag). A session connected with core.Connect is needed.
	Watch bool `json:"watch,omitempty"`
	// Ops are a multi's operations, in order: create (any mode but
	// container and TTL), create2, delete, setData and check.
	Ops     []Request `json:"ops,omitempty"`
	Session int64     `json:"session,omitempty"`
}

// Txn is the idempotent txn a leader makes from a Request: what ZooKeeper's
// CreateTxn, DeleteTxn, SetDataTxn, CheckVersionTxn, MultiTxn, ErrorTxn,
// CreateSessionTxn and CloseSessionTxn carry, with the time of its
// TxnHeader.
type Txn struct {
	Op Op `json:"op"`
	// Path is the znode; for create it is the final name, with any
	// sequential suffix already resolved.
	Path string `json:"path,omitempty"`
	Data string `json:"data,omitempty"`
	// Version is, for setData, the new absolute version the leader computed.
	Version int32 `json:"version,omitempty"`
	// EphemeralOwner is, for create, the owning session of an ephemeral
	// node, or 0.
	EphemeralOwner int64 `json:"owner,omitempty"`
	// ParentCVersion is, for create, the parent's new cversion the leader
	// computed (-1: the parent's cversion plus one, as in ZooKeeper).
	ParentCVersion int32 `json:"pcv,omitempty"`
	// Err is, for OpError, the failure code.
	Err Err `json:"err,omitempty"`
	// Session is the session of createSession and closeSession, and the
	// requesting session of any other txn.
	Session int64 `json:"session,omitempty"`
	// Timeout is, for createSession, the session timeout in milliseconds.
	Timeout int32 `json:"timeout,omitempty"`
	// Time is the TxnHeader's time the leader stamps, in milliseconds of
	// its clock: a create's ctime and mtime, a setData's mtime. It is left
	// out of Hash (the chain digests identify a txn by its content); the
	// tree digest covers the stats it sets.
	Time int64 `json:"time,omitempty"`
	// Txns are a multi's txns, one per op, in order (ZooKeeper's MultiTxn):
	// every op's own txn up to the first that failed, which is an OpError
	// with its code, and OpError RuntimeInconsistency for every op after
	// it. Apply applies them all or, if one is an OpError, none.
	Txns []Txn `json:"txns,omitempty"`
}

// Hashing: FNV-1a over bytes, and a word-at-a-time FNV-1a step (with a shift
// to carry high bits down) over integers; finished with the SplitMix64
// finaliser. Everything here is allocation free.
const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

// hashWord mixes one 64-bit word into h. For a fixed h it is a bijection of
// v, so two inputs differing in one word never collide at that step.
func hashWord(h, v uint64) uint64 {
	h ^= v
	h *= fnvPrime
	return h ^ h>>32
}

// hashString mixes s, eight bytes at a time, then its length (so that
// consecutive strings cannot trade bytes).
func hashString(h uint64, s string) uint64 {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		h = hashWord(h, w)
	}
	for ; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return hashWord(h, uint64(len(s)))
}

// fmix64 is the SplitMix64 finaliser: full avalanche of a 64-bit word.
func fmix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	return x ^ x>>31
}

// Hash returns a 64-bit FNV-1a style hash of every field of the txn. It is
// deterministic across runs and platforms and does not allocate; the log's
// chain digests are built from it.
func (t Txn) Hash() uint64 {
	h := fnvOffset
	h = hashWord(h, uint64(uint8(t.Op))|uint64(uint32(t.Err))<<32)
	h = hashString(h, t.Path)
	h = hashString(h, t.Data)
	h = hashWord(h, uint64(uint32(t.Version))|uint64(uint32(t.ParentCVersion))<<32)
	h = hashWord(h, uint64(t.EphemeralOwner))
	h = hashWord(h, uint64(t.Session))
	h = hashWord(h, uint64(uint32(t.Timeout)))
	for i := range t.Txns {
		h = hashWord(h, t.Txns[i].Hash())
	}
	return fmix64(h)
}

// String returns a compact human form of the txn: `create /a "hello"`
// (with ` owner=0x1` for an ephemeral), `setData /a "bye" v=2`, `delete /a`,
// `error NODEEXISTS` (followed by the path, if any), `createSession 0x1` and
// `closeSession 0x1`.
func (t Txn) String() string {
	b := make([]byte, 0, 24+len(t.Path)+len(t.Data))
	b = append(b, t.Op.String()...)
	switch t.Op {
	case OpCreate:
		b = append(b, ' ')
		b = append(b, t.Path...)
		b = append(b, ' ')
		b = strconv.AppendQuote(b, t.Data)
		if t.EphemeralOwner != 0 {
			b = append(b, " owner="...)
			b = appendHex(b, t.EphemeralOwner)
		}
	case OpSetData:
		b = append(b, ' ')
		b = append(b, t.Path...)
		b = append(b, ' ')
		b = strconv.AppendQuote(b, t.Data)
		b = append(b, " v="...)
		b = strconv.AppendInt(b, int64(t.Version), 10)
	case OpDelete:
		b = append(b, ' ')
		b = append(b, t.Path...)
	case OpError:
		b = append(b, ' ')
		b = append(b, t.Err.String()...)
		if t.Path != "" {
			b = append(b, ' ')
			b = append(b, t.Path...)
		}
	case OpCreateSession, OpCloseSession:
		b = append(b, ' ')
		b = appendHex(b, t.Session)
	}
	return string(b)
}

// appendHex appends a session id the way ZooKeeper logs them: 0x and lower
// case hex (two's complement for negative ids).
func appendHex(b []byte, v int64) []byte {
	b = append(b, "0x"...)
	return strconv.AppendUint(b, uint64(v), 16)
}
