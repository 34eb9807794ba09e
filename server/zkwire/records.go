package zkwire

import "errors"

// A Record is a jute record: it encodes its fields in order and decodes them
// the same way (errors stay in the Decoder). Every record type of this
// package implements it with pointer receivers.
type Record interface {
	Encode(e *Encoder)
	Decode(d *Decoder)
}

// Marshal returns r's encoding.
func Marshal(r Record) []byte {
	e := NewEncoder(nil)
	r.Encode(e)
	return e.Bytes()
}

// Unmarshal decodes b into r; all of b must be r.
func Unmarshal(b []byte, r Record, name string) error {
	d := NewDecoder(b)
	r.Decode(d)
	d.End(name)
	return d.Err()
}

// ID is org.apache.zookeeper.data.Id: a scheme and an id in it
// ("world", "anyone").
type ID struct {
	Scheme string
	ID     string
}

// ACL is org.apache.zookeeper.data.ACL.
type ACL struct {
	Perms int32
	ID    ID
}

// WorldAnyone is the one Id zabplay enforces: ZooDefs.Ids.ANYONE_ID_UNSAFE.
var WorldAnyone = ID{Scheme: "world", ID: "anyone"}

// OpenACLUnsafe is ZooDefs.Ids.OPEN_ACL_UNSAFE, what clients send when they
// do not care (zkCli.sh's create, go-zookeeper's WorldACL(PermAll)).
func OpenACLUnsafe() []ACL { return []ACL{{Perms: PermAll, ID: WorldAnyone}} }

// aclMinSize is an ACL's smallest encoding: perms and two empty strings.
const aclMinSize = 12

func encodeACLs(e *Encoder, acl []ACL) {
	e.VectorLen(len(acl), acl == nil)
	for _, a := range acl {
		e.Int(a.Perms)
		e.String(a.ID.Scheme)
		e.String(a.ID.ID)
	}
}

func decodeACLs(d *Decoder, field string) []ACL {
	n, null := d.VectorLen(field, aclMinSize)
	if d.Err() != nil || null {
		return nil
	}
	out := make([]ACL, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		var a ACL
		a.Perms = d.Int(field)
		a.ID.Scheme = d.String(field)
		a.ID.ID = d.String(field)
		out = append(out, a)
	}
	if d.Err() != nil {
		return nil
	}
	return out
}

// Stat is org.apache.zookeeper.data.Stat, 68 bytes on the wire, its 11
// fields in jute's order.
type Stat struct {
	Czxid          int64 // the zxid of the create
	Mzxid          int64 // the zxid of the last setData (the create's at first)
	Ctime          int64 // ms since the epoch, from the create's txn header
	Mtime          int64 // ms since the epoch, of the last setData
	Version        int32 // setData count
	Cversion       int32 // children changes count
	Aversion       int32 // setACL count
	EphemeralOwner int64 // the owning session id, 0 if not ephemeral
	DataLength     int32
	NumChildren    int32
	Pzxid          int64 // the zxid of the last children change
}

// StatSize is a Stat's encoded size.
const StatSize = 68

// Encode appends the 11 fields.
func (s *Stat) Encode(e *Encoder) {
	e.Long(s.Czxid)
	e.Long(s.Mzxid)
	e.Long(s.Ctime)
	e.Long(s.Mtime)
	e.Int(s.Version)
	e.Int(s.Cversion)
	e.Int(s.Aversion)
	e.Long(s.EphemeralOwner)
	e.Int(s.DataLength)
	e.Int(s.NumChildren)
	e.Long(s.Pzxid)
}

// Decode reads the 11 fields.
func (s *Stat) Decode(d *Decoder) {
	s.Czxid = d.Long("Stat.czxid")
	s.Mzxid = d.Long("Stat.mzxid")
	s.Ctime = d.Long("Stat.ctime")
	s.Mtime = d.Long("Stat.mtime")
	s.Version = d.Int("Stat.version")
	s.Cversion = d.Int("Stat.cversion")
	s.Aversion = d.Int("Stat.aversion")
	s.EphemeralOwner = d.Long("Stat.ephemeralOwner")
	s.DataLength = d.Int("Stat.dataLength")
	s.NumChildren = d.Int("Stat.numChildren")
	s.Pzxid = d.Long("Stat.pzxid")
}

// ConnectRequest is the first frame a client sends, with no RequestHeader
// before it. The trailing readOnly byte is optional: the Java client (3.4
// on) sends it, go-zookeeper v1.0.4 does not (ProtocolManager accepts
// both); HasReadOnly records whether it was there.
type ConnectRequest struct {
	ProtocolVersion int32
	LastZxidSeen    int64
	TimeOut         int32 // the session timeout the client asks for, ms
	SessionID       int64 // 0 for a new session
	Passwd          []byte
	ReadOnly        bool // the client accepts a read-only server
	HasReadOnly     bool
}

// Encode appends the request, with readOnly if HasReadOnly.
func (r *ConnectRequest) Encode(e *Encoder) {
	e.Int(r.ProtocolVersion)
	e.Long(r.LastZxidSeen)
	e.Int(r.TimeOut)
	e.Long(r.SessionID)
	e.Buffer(r.Passwd)
	if r.HasReadOnly {
		e.Bool(r.ReadOnly)
	}
}

// Decode reads the request and readOnly if any byte remains.
func (r *ConnectRequest) Decode(d *Decoder) {
	r.ProtocolVersion = d.Int("ConnectRequest.protocolVersion")
	r.LastZxidSeen = d.Long("ConnectRequest.lastZxidSeen")
	r.TimeOut = d.Int("ConnectRequest.timeOut")
	r.SessionID = d.Long("ConnectRequest.sessionId")
	r.Passwd = d.Buffer("ConnectRequest.passwd")
	r.HasReadOnly = d.Err() == nil && d.Remaining() > 0
	if r.HasReadOnly {
		r.ReadOnly = d.Bool("ConnectRequest.readOnly")
	}
}

// ConnectResponse answers a ConnectRequest, with no ReplyHeader before it. A
// SessionID of 0 tells the client its session expired. ZooKeeper 3.9 sends
// readOnly only to a client that sent it (ProtocolManager), 3.8 always
// (both clients accept either): set HasReadOnly to the request's.
type ConnectResponse struct {
	ProtocolVersion int32
	TimeOut         int32 // the negotiated session timeout, ms
	SessionID       int64
	Passwd          []byte // 16 bytes in ZooKeeper
	ReadOnly        bool   // this server is read-only
	HasReadOnly     bool
}

// Encode appends the response, with readOnly if HasReadOnly.
func (r *ConnectResponse) Encode(e *Encoder) {
	e.Int(r.ProtocolVersion)
	e.Int(r.TimeOut)
	e.Long(r.SessionID)
	e.Buffer(r.Passwd)
	if r.HasReadOnly {
		e.Bool(r.ReadOnly)
	}
}

// Decode reads the response and readOnly if any byte remains.
func (r *ConnectResponse) Decode(d *Decoder) {
	r.ProtocolVersion = d.Int("ConnectResponse.protocolVersion")
	r.TimeOut = d.Int("ConnectResponse.timeOut")
	r.SessionID = d.Long("ConnectResponse.sessionId")
	r.Passwd = d.Buffer("ConnectResponse.passwd")
	r.HasReadOnly = d.Err() == nil && d.Remaining() > 0
	if r.HasReadOnly {
		r.ReadOnly = d.Bool("ConnectResponse.readOnly")
	}
}

// RequestHeader starts every request frame after the connect.
type RequestHeader struct {
	Xid  int32 // the client's request number, or one of the Xid constants
	Type OpCode
}

// Encode appends xid and type.
func (h *RequestHeader) Encode(e *Encoder) {
	e.Int(h.Xid)
	e.Int(int32(h.Type))
}

// Decode reads xid and type.
func (h *RequestHeader) Decode(d *Decoder) {
	h.Xid = d.Int("RequestHeader.xid")
	h.Type = OpCode(d.Int("RequestHeader.type"))
}

// ReplyHeader starts every answer after the connect. When Err is not ErrOk
// ZooKeeper sends the header alone.
type ReplyHeader struct {
	Xid  int32 // the request's xid, or XidNotification for a WatcherEvent
	Zxid int64 // the server's last processed zxid
	Err  ErrCode
}

// ReplyHeaderSize is a ReplyHeader's encoded size.
const ReplyHeaderSize = 16

// Encode appends xid, zxid and err.
func (h *ReplyHeader) Encode(e *Encoder) {
	e.Int(h.Xid)
	e.Long(h.Zxid)
	e.Int(int32(h.Err))
}

// Decode reads xid, zxid and err.
func (h *ReplyHeader) Decode(d *Decoder) {
	h.Xid = d.Int("ReplyHeader.xid")
	h.Zxid = d.Long("ReplyHeader.zxid")
	h.Err = ErrCode(d.Int("ReplyHeader.err"))
}

// WatcherEvent is a watch's notification, sent after a ReplyHeader with xid
// XidNotification (-1).
type WatcherEvent struct {
	Type  EventType
	State KeeperState
	Path  string
}

// Encode appends type, state and path.
func (w *WatcherEvent) Encode(e *Encoder) {
	e.Int(int32(w.Type))
	e.Int(int32(w.State))
	e.String(w.Path)
}

// Decode reads type, state and path.
func (w *WatcherEvent) Decode(d *Decoder) {
	w.Type = EventType(d.Int("WatcherEvent.type"))
	w.State = KeeperState(d.Int("WatcherEvent.state"))
	w.Path = d.String("WatcherEvent.path")
}

// CreateMode is CreateRequest.flags, ZooKeeper's CreateMode.
type CreateMode int32

// CreateMode's flags.
const (
	ModePersistent                  CreateMode = 0
	ModeEphemeral                   CreateMode = 1
	ModePersistentSequential        CreateMode = 2
	ModeEphemeralSequential         CreateMode = 3
	ModeContainer                   CreateMode = 4
	ModePersistentWithTTL           CreateMode = 5
	ModePersistentSequentialWithTTL CreateMode = 6
)

var modeNames = [...]string{
	"PERSISTENT", "EPHEMERAL", "PERSISTENT_SEQUENTIAL", "EPHEMERAL_SEQUENTIAL",
	"CONTAINER", "PERSISTENT_WITH_TTL", "PERSISTENT_SEQUENTIAL_WITH_TTL",
}

// Valid reports whether m is one of CreateMode's flags (CreateMode.fromFlag
// throws BadArguments otherwise).
func (m CreateMode) Valid() bool { return m >= 0 && int(m) < len(modeNames) }

// Ephemeral reports whether the znode dies with its session.
func (m CreateMode) Ephemeral() bool { return m == ModeEphemeral || m == ModeEphemeralSequential }

// Sequential reports whether the name gets the parent's cversion, %010d.
func (m CreateMode) Sequential() bool {
	return m == ModePersistentSequential || m == ModeEphemeralSequential || m == ModePersistentSequentialWithTTL
}

// Container reports a container znode (zabplay answers Unimplemented).
func (m CreateMode) Container() bool { return m == ModeContainer }

// TTL reports a znode with a time to live (zabplay answers Unimplemented).
func (m CreateMode) TTL() bool {
	return m == ModePersistentWithTTL || m == ModePersistentSequentialWithTTL
}

// String returns the Java enum's name, or "CreateMode(N)".
func (m CreateMode) String() string {
	if m.Valid() {
		return modeNames[m]
	}
	return "CreateMode(" + itoa(int32(m)) + ")"
}

// ErrBadCreateMode is returned for a create inside a multi whose flags are
// no CreateMode (MultiOperationRecord throws "invalid flag").
var ErrBadCreateMode = errors.New("invalid flags for a create mode")
