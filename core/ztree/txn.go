package ztree

import "strconv"

// Err is a ZooKeeper result code (KeeperException.Code values).
type Err int32

// Result codes.
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

var errNames = map[Err]string{
	OK: "OK", SystemError: "SYSTEMERROR", RuntimeInconsistency: "RUNTIMEINCONSISTENCY",
	ConnectionLoss: "CONNECTIONLOSS", BadArguments: "BADARGUMENTS", NoNode: "NONODE",
	BadVersion: "BADVERSION", NoChildrenForEphemerals: "NOCHILDRENFOREPHEMERALS",
	NodeExists: "NODEEXISTS", NotEmpty: "NOTEMPTY", SessionExpired: "SESSIONEXPIRED",
}

// String returns ZooKeeper's name for the code, e.g. "NONODE".
func (e Err) String() string {
	if s, ok := errNames[e]; ok {
		return s
	}
	return "ERR(" + strconv.Itoa(int(e)) + ")"
}

// MarshalText writes the name.
func (e Err) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// UnmarshalText reads a name.
func (e *Err) UnmarshalText(b []byte) error {
	v, ok := ParseErr(string(b))
	if !ok {
		return strconv.ErrSyntax
	}
	*e = v
	return nil
}

// ParseErr is the inverse of String for the named codes.
func ParseErr(s string) (Err, bool) {
	for e, n := range errNames {
		if n == s {
			return e, true
		}
	}
	return 0, false
}

// Op is a txn or request type; values are ZooKeeper's OpCode numbers.
type Op int8

// Ops.
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

// String names the op as ZooKeeper's OpCode does.
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

// MarshalText writes the name.
func (o Op) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// Request is a client request as the leader's PrepRequestProcessor receives it.
type Request struct {
	Op         Op     `json:"op"`
	Path       string `json:"path,omitempty"`
	Data       string `json:"data,omitempty"`
	Version    int32  `json:"version"`
	Sequential bool   `json:"seq,omitempty"`
	Ephemeral  bool   `json:"eph,omitempty"`
	Session    int64  `json:"session,omitempty"`
}

// Txn is the idempotent txn a leader makes from a Request: what ZooKeeper's
// CreateTxn, DeleteTxn, SetDataTxn, ErrorTxn, CreateSessionTxn and
// CloseSessionTxn carry.
type Txn struct {
	Op             Op     `json:"op"`
	Path           string `json:"path,omitempty"`
	Data           string `json:"data,omitempty"`
	Version        int32  `json:"version,omitempty"`
	EphemeralOwner int64  `json:"owner,omitempty"`
	ParentCVersion int32  `json:"pcv,omitempty"`
	Err            Err    `json:"err,omitempty"`
	Session        int64  `json:"session,omitempty"`
	Timeout        int32  `json:"timeout,omitempty"`
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func mixU(h, v uint64) uint64 {
	for i := 0; i < 8; i++ {
		h ^= v & 0xff
		h *= fnvPrime
		v >>= 8
	}
	return h
}

func mixS(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return mixU(h, uint64(len(s)))
}

// Hash returns an FNV-1a hash of every field of the txn.
func (t Txn) Hash() uint64 {
	h := uint64(fnvOffset)
	h = mixU(h, uint64(uint8(t.Op)))
	h = mixS(h, t.Path)
	h = mixS(h, t.Data)
	h = mixU(h, uint64(uint32(t.Version))|uint64(uint32(t.ParentCVersion))<<32)
	h = mixU(h, uint64(t.EphemeralOwner))
	h = mixU(h, uint64(uint32(t.Err))|uint64(uint32(t.Timeout))<<32)
	return mixU(h, uint64(t.Session))
}

// String is a compact human form: `create /a "hello"`, `setData /a "bye" v=2`.
func (t Txn) String() string {
	switch t.Op {
	case OpCreate:
		return "create " + t.Path + " " + strconv.Quote(t.Data)
	case OpSetData:
		return "setData " + t.Path + " " + strconv.Quote(t.Data) + " v=" + strconv.Itoa(int(t.Version))
	case OpDelete:
		return "delete " + t.Path
	case OpError:
		return "error " + t.Err.String() + " " + t.Path
	case OpCreateSession:
		return "createSession 0x" + strconv.FormatInt(t.Session, 16)
	case OpCloseSession:
		return "closeSession 0x" + strconv.FormatInt(t.Session, 16)
	}
	return t.Op.String()
}
