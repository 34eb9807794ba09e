package zkwire

// The request records of zookeeper.jute's org.apache.zookeeper.proto, each
// the body after a RequestHeader.

// CreateRequest is the body of create (1), create2 (15) and
// createContainer (19).
type CreateRequest struct {
	Path  string
	Data  []byte // nil is null (zkCli.sh's create without data)
	ACL   []ACL
	Flags CreateMode
}

// Encode appends path, data, acl, flags.
func (r *CreateRequest) Encode(e *Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	encodeACLs(e, r.ACL)
	e.Int(int32(r.Flags))
}

// Decode reads path, data, acl, flags. Flags are not checked here: a
// top-level create with bad flags is answered BadArguments (as
// PrepRequestProcessor does), not refused as malformed.
func (r *CreateRequest) Decode(d *Decoder) {
	r.Path = d.String("CreateRequest.path")
	r.Data = d.Buffer("CreateRequest.data")
	r.ACL = decodeACLs(d, "CreateRequest.acl")
	r.Flags = CreateMode(d.Int("CreateRequest.flags"))
}

// CreateTTLRequest is the body of createTTL (21).
type CreateTTLRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags CreateMode
	TTL   int64 // ms
}

// Encode appends path, data, acl, flags, ttl.
func (r *CreateTTLRequest) Encode(e *Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	encodeACLs(e, r.ACL)
	e.Int(int32(r.Flags))
	e.Long(r.TTL)
}

// Decode reads path, data, acl, flags, ttl.
func (r *CreateTTLRequest) Decode(d *Decoder) {
	r.Path = d.String("CreateTTLRequest.path")
	r.Data = d.Buffer("CreateTTLRequest.data")
	r.ACL = decodeACLs(d, "CreateTTLRequest.acl")
	r.Flags = CreateMode(d.Int("CreateTTLRequest.flags"))
	r.TTL = d.Long("CreateTTLRequest.ttl")
}

// PathVersion is the shape of DeleteRequest and CheckVersionRequest: a path
// and an expected version (-1 matches any).
type PathVersion struct {
	Path    string
	Version int32
}

// DeleteRequest is the body of delete (2).
type DeleteRequest PathVersion

// Encode appends path, version.
func (r *DeleteRequest) Encode(e *Encoder) { e.String(r.Path); e.Int(r.Version) }

// Decode reads path, version.
func (r *DeleteRequest) Decode(d *Decoder) {
	r.Path = d.String("DeleteRequest.path")
	r.Version = d.Int("DeleteRequest.version")
}

// CheckVersionRequest is the body of check (13), inside a multi.
type CheckVersionRequest PathVersion

// Encode appends path, version.
func (r *CheckVersionRequest) Encode(e *Encoder) { e.String(r.Path); e.Int(r.Version) }

// Decode reads path, version.
func (r *CheckVersionRequest) Decode(d *Decoder) {
	r.Path = d.String("CheckVersionRequest.path")
	r.Version = d.Int("CheckVersionRequest.version")
}

// PathWatch is the shape of the read requests: a path and whether to leave
// a watch.
type PathWatch struct {
	Path  string
	Watch bool
}

// ExistsRequest is the body of exists (3).
type ExistsRequest PathWatch

// Encode appends path, watch.
func (r *ExistsRequest) Encode(e *Encoder) { e.String(r.Path); e.Bool(r.Watch) }

// Decode reads path, watch.
func (r *ExistsRequest) Decode(d *Decoder) {
	r.Path = d.String("ExistsRequest.path")
	r.Watch = d.Bool("ExistsRequest.watch")
}

// GetDataRequest is the body of getData (4).
type GetDataRequest PathWatch

// Encode appends path, watch.
func (r *GetDataRequest) Encode(e *Encoder) { e.String(r.Path); e.Bool(r.Watch) }

// Decode reads path, watch.
func (r *GetDataRequest) Decode(d *Decoder) {
	r.Path = d.String("GetDataRequest.path")
	r.Watch = d.Bool("GetDataRequest.watch")
}

// GetChildrenRequest is the body of getChildren (8).
type GetChildrenRequest PathWatch

// Encode appends path, watch.
func (r *GetChildrenRequest) Encode(e *Encoder) { e.String(r.Path); e.Bool(r.Watch) }

// Decode reads path, watch.
func (r *GetChildrenRequest) Decode(d *Decoder) {
	r.Path = d.String("GetChildrenRequest.path")
	r.Watch = d.Bool("GetChildrenRequest.watch")
}

// GetChildren2Request is the body of getChildren2 (12).
type GetChildren2Request PathWatch

// Encode appends path, watch.
func (r *GetChildren2Request) Encode(e *Encoder) { e.String(r.Path); e.Bool(r.Watch) }

// Decode reads path, watch.
func (r *GetChildren2Request) Decode(d *Decoder) {
	r.Path = d.String("GetChildren2Request.path")
	r.Watch = d.Bool("GetChildren2Request.watch")
}

// SetDataRequest is the body of setData (5).
type SetDataRequest struct {
	Path    string
	Data    []byte
	Version int32
}

// Encode appends path, data, version.
func (r *SetDataRequest) Encode(e *Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	e.Int(r.Version)
}

// Decode reads path, data, version.
func (r *SetDataRequest) Decode(d *Decoder) {
	r.Path = d.String("SetDataRequest.path")
	r.Data = d.Buffer("SetDataRequest.data")
	r.Version = d.Int("SetDataRequest.version")
}

// PathOnly is the shape of the requests that carry just a path.
type PathOnly struct {
	Path string
}

// SyncRequest is the body of sync (9).
type SyncRequest PathOnly

// Encode appends path.
func (r *SyncRequest) Encode(e *Encoder) { e.String(r.Path) }

// Decode reads path.
func (r *SyncRequest) Decode(d *Decoder) { r.Path = d.String("SyncRequest.path") }

// GetACLRequest is the body of getACL (6).
type GetACLRequest PathOnly

// Encode appends path.
func (r *GetACLRequest) Encode(e *Encoder) { e.String(r.Path) }

// Decode reads path.
func (r *GetACLRequest) Decode(d *Decoder) { r.Path = d.String("GetACLRequest.path") }

// GetAllChildrenNumberRequest is the body of getAllChildrenNumber (104).
type GetAllChildrenNumberRequest PathOnly

// Encode appends path.
func (r *GetAllChildrenNumberRequest) Encode(e *Encoder) { e.String(r.Path) }

// Decode reads path.
func (r *GetAllChildrenNumberRequest) Decode(d *Decoder) {
	r.Path = d.String("GetAllChildrenNumberRequest.path")
}

// GetEphemeralsRequest is the body of getEphemerals (103).
type GetEphemeralsRequest struct {
	PrefixPath string
}

// Encode appends prefixPath.
func (r *GetEphemeralsRequest) Encode(e *Encoder) { e.String(r.PrefixPath) }

// Decode reads prefixPath.
func (r *GetEphemeralsRequest) Decode(d *Decoder) {
	r.PrefixPath = d.String("GetEphemeralsRequest.prefixPath")
}

// SetACLRequest is the body of setACL (7).
type SetACLRequest struct {
	Path    string
	ACL     []ACL
	Version int32
}

// Encode appends path, acl, version.
func (r *SetACLRequest) Encode(e *Encoder) {
	e.String(r.Path)
	encodeACLs(e, r.ACL)
	e.Int(r.Version)
}

// Decode reads path, acl, version.
func (r *SetACLRequest) Decode(d *Decoder) {
	r.Path = d.String("SetACLRequest.path")
	r.ACL = decodeACLs(d, "SetACLRequest.acl")
	r.Version = d.Int("SetACLRequest.version")
}

// AddWatchRequest is the body of addWatch (106): zkCli.sh's addWatch.
type AddWatchRequest struct {
	Path string
	Mode AddWatchMode
}

// Encode appends path, mode.
func (r *AddWatchRequest) Encode(e *Encoder) { e.String(r.Path); e.Int(int32(r.Mode)) }

// Decode reads path, mode.
func (r *AddWatchRequest) Decode(d *Decoder) {
	r.Path = d.String("AddWatchRequest.path")
	r.Mode = AddWatchMode(d.Int("AddWatchRequest.mode"))
}

// PathType is the shape of CheckWatchesRequest and RemoveWatchesRequest.
type PathType struct {
	Path string
	Type WatcherType
}

// CheckWatchesRequest is the body of checkWatches (17).
type CheckWatchesRequest PathType

// Encode appends path, type.
func (r *CheckWatchesRequest) Encode(e *Encoder) { e.String(r.Path); e.Int(int32(r.Type)) }

// Decode reads path, type.
func (r *CheckWatchesRequest) Decode(d *Decoder) {
	r.Path = d.String("CheckWatchesRequest.path")
	r.Type = WatcherType(d.Int("CheckWatchesRequest.type"))
}

// RemoveWatchesRequest is the body of removeWatches (18).
type RemoveWatchesRequest PathType

// Encode appends path, type.
func (r *RemoveWatchesRequest) Encode(e *Encoder) { e.String(r.Path); e.Int(int32(r.Type)) }

// Decode reads path, type.
func (r *RemoveWatchesRequest) Decode(d *Decoder) {
	r.Path = d.String("RemoveWatchesRequest.path")
	r.Type = WatcherType(d.Int("RemoveWatchesRequest.type"))
}

// SetWatchesRequest is the body of setWatches (101), which a client sends
// with xid XidSetWatches after it reconnects, to re-register its watches
// with the zxid it has seen (the server fires those already triggered).
type SetWatchesRequest struct {
	RelativeZxid int64
	DataWatches  []string
	ExistWatches []string
	ChildWatches []string
}

// Encode appends relativeZxid and the three lists.
func (r *SetWatchesRequest) Encode(e *Encoder) {
	e.Long(r.RelativeZxid)
	e.Strings(r.DataWatches)
	e.Strings(r.ExistWatches)
	e.Strings(r.ChildWatches)
}

// Decode reads relativeZxid and the three lists.
func (r *SetWatchesRequest) Decode(d *Decoder) {
	r.RelativeZxid = d.Long("SetWatches.relativeZxid")
	r.DataWatches = d.Strings("SetWatches.dataWatches")
	r.ExistWatches = d.Strings("SetWatches.existWatches")
	r.ChildWatches = d.Strings("SetWatches.childWatches")
}

// SetWatches2Request is the body of setWatches2 (105): SetWatches with the
// persistent watches of addWatch; the Java client sends it instead of
// SetWatches when it holds any persistent watch.
type SetWatches2Request struct {
	RelativeZxid               int64
	DataWatches                []string
	ExistWatches               []string
	ChildWatches               []string
	PersistentWatches          []string
	PersistentRecursiveWatches []string
}

// Encode appends relativeZxid and the five lists.
func (r *SetWatches2Request) Encode(e *Encoder) {
	e.Long(r.RelativeZxid)
	e.Strings(r.DataWatches)
	e.Strings(r.ExistWatches)
	e.Strings(r.ChildWatches)
	e.Strings(r.PersistentWatches)
	e.Strings(r.PersistentRecursiveWatches)
}

// Decode reads relativeZxid and the five lists.
func (r *SetWatches2Request) Decode(d *Decoder) {
	r.RelativeZxid = d.Long("SetWatches2.relativeZxid")
	r.DataWatches = d.Strings("SetWatches2.dataWatches")
	r.ExistWatches = d.Strings("SetWatches2.existWatches")
	r.ChildWatches = d.Strings("SetWatches2.childWatches")
	r.PersistentWatches = d.Strings("SetWatches2.persistentWatches")
	r.PersistentRecursiveWatches = d.Strings("SetWatches2.persistentRecursiveWatches")
}

// AuthPacket is the body of auth (100): the Java client sends it with xid
// XidAuth, go-zookeeper with an ordinary xid. Type is 0.
type AuthPacket struct {
	Type   int32
	Scheme string
	Auth   []byte
}

// Encode appends type, scheme, auth.
func (r *AuthPacket) Encode(e *Encoder) {
	e.Int(r.Type)
	e.String(r.Scheme)
	e.Buffer(r.Auth)
}

// Decode reads type, scheme, auth.
func (r *AuthPacket) Decode(d *Decoder) {
	r.Type = d.Int("AuthPacket.type")
	r.Scheme = d.String("AuthPacket.scheme")
	r.Auth = d.Buffer("AuthPacket.auth")
}

// SASLRequest is the body of sasl (102), GetSASLRequest: a token.
type SASLRequest struct {
	Token []byte
}

// Encode appends token.
func (r *SASLRequest) Encode(e *Encoder) { e.Buffer(r.Token) }

// Decode reads token.
func (r *SASLRequest) Decode(d *Decoder) { r.Token = d.Buffer("GetSASLRequest.token") }

// EmptyRequest is the body of ping (11), closeSession (-11) and whoAmI
// (107): nothing follows the header.
type EmptyRequest struct{}

// Encode appends nothing.
func (*EmptyRequest) Encode(*Encoder) {}

// Decode reads nothing.
func (*EmptyRequest) Decode(*Decoder) {}
