package ztree

import "strconv"

// Err is a ZooKeeper result code (KeeperException.Code values).
type Err int32

// The result codes the simulator uses, with ZooKeeper's numbers.
const (
	OK                      Err = 0
	SystemError             Err = -1
	RuntimeInconsistency    Err = -2
	ConnectionLoss          Err = -4
	BadArguments            Err = -8
	NoNode                  Err = -101
	BadVersion              Err = -103
	NoChildrenForEphemerals Err = -108
	NodeExists              Err = -110
	NotEmpty                Err = -111
	SessionExpired          Err = -112
)

// String returns ZooKeeper's upper-case name for the code, such as "NONODE",
// or "ERR(-n)" for a code without a name here.
func (e Err) String() string {
	switch e {
	case OK:
		return "OK"
	case SystemError:
		return "SYSTEMERROR"
	case RuntimeInconsistency:
		return "RUNTIMEINCONSISTENCY"
	case ConnectionLoss:
		return "CONNECTIONLOSS"
	case BadArguments:
		return "BADARGUMENTS"
	case NoNode:
		return "NONODE"
	case BadVersion:
		return "BADVERSION"
	case NoChildrenForEphemerals:
		return "NOCHILDRENFOREPHEMERALS"
	case NodeExists:
		return "NODEEXISTS"
	case NotEmpty:
		return "NOTEMPTY"
	case SessionExpired:
		return "SESSIONEXPIRED"
	}
	return "ERR(" + strconv.Itoa(int(e)) + ")"
}

// ParseErr is the inverse of Err.String for the named codes: it returns the
// code called s and true, or 0 and false if no code has that name.
func ParseErr(s string) (Err, bool) {
	switch s {
	case "OK":
		return OK, true
	case "SYSTEMERROR":
		return SystemError, true
	case "RUNTIMEINCONSISTENCY":
		return RuntimeInconsistency, true
	case "CONNECTIONLOSS":
		return ConnectionLoss, true
	case "BADARGUMENTS":
		return BadArguments, true
	case "NONODE":
		return NoNode, true
	case "BADVERSION":
		return BadVersion, true
	case "NOCHILDRENFOREPHEMERALS":
		return NoChildrenForEphemerals, true
	case "NODEEXISTS":
		return NodeExists, true
	case "NOTEMPTY":
		return NotEmpty, true
	case "SESSIONEXPIRED":
		return SessionExpired, true
	}
	return 0, false
}

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
		return err
	}
	*e = Err(n)
	return nil
}

// Op is a txn or request type; values are ZooKeeper's OpCode numbers.
type Op int8

// The ops the simulator uses, with ZooKeeper's OpCode numbers. OpGetData and
// OpSync are requests only and never become txns.
const (
	OpError         Op = -1
	OpCreate        Op = 1
	OpDelete        Op = 2
	OpGetData       Op = 4
	OpSetData       Op = 5
	OpSync          Op = 9
	OpCreateSession Op = -10
	OpCloseSession  Op = -11
)

// String names the op as ZooKeeper's OpCode does, such as "setData", or
// "op(n)" for an op without a name here.
func (o Op) String() string {
	switch o {
	case OpError:
		return "error"
	case OpCreate:
		return "create"
	case OpDelete:
		return "delete"
	case OpGetData:
		return "getData"
	case OpSetData:
		return "setData"
	case OpSync:
		return "sync"
	case OpCreateSession:
		return "createSession"
	case OpCloseSession:
		return "closeSession"
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// MarshalText writes the op's name, so JSON traces read "setData".
func (o Op) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText reads what MarshalText writes: a name, "op(n)", or a plain
// decimal OpCode.
func (o *Op) UnmarshalText(b []byte) error {
	s := string(b)
	for _, v := range [...]Op{OpError, OpCreate, OpDelete, OpGetData, OpSetData, OpSync, OpCreateSession, OpCloseSession} {
		if v.String() == s {
			*o = v
			return nil
		}
	}
	if len(s) > 4 && s[:3] == "op(" && s[len(s)-1] == ')' {
		s = s[3 : len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 8)
	if err != nil {
		return err
	}
	*o = Op(n)
	return nil
}

// Request is a client write (or read) as the leader's PrepRequestProcessor
// receives it.
type Request struct {
	Op   Op     `json:"op"`
	Path string `json:"path,omitempty"`
	Data string `json:"data,omitempty"`
	// Version is the expected version for setData and delete (-1: any). For
	// createSession it carries the session timeout in milliseconds, as
	// ZooKeeper's ConnectRequest carries timeOut.
	Version    int32 `json:"version"`
	Sequential bool  `json:"seq,omitempty"`
	Ephemeral  bool  `json:"eph,omitempty"`
	Session    int64 `json:"session,omitempty"`
}

// Txn is the idempotent txn a leader makes from a Request: what ZooKeeper's
// CreateTxn, DeleteTxn, SetDataTxn, ErrorTxn, CreateSessionTxn and
// CloseSessionTxn carry.
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
