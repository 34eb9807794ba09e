package zkwire

// The response records of zookeeper.jute, each the body after a ReplyHeader
// whose Err is ErrOk. Lists ZooKeeper never sends null (a znode's children,
// ephemerals, an ACL) encode nil as an empty vector, so a server that has
// none to report cannot hand a Java client a null list.

// CreateResponse answers create (1) and createContainer (19): the znode's
// actual path (with the sequence suffix).
type CreateResponse struct {
	Path string
}

// Encode appends path.
func (r *CreateResponse) Encode(e *Encoder) { e.String(r.Path) }

// Decode reads path.
func (r *CreateResponse) Decode(d *Decoder) { r.Path = d.String("CreateResponse.path") }

// Create2Response answers create2 (15) and createTTL (21).
type Create2Response struct {
	Path string
	Stat Stat
}

// Encode appends path, stat.
func (r *Create2Response) Encode(e *Encoder) { e.String(r.Path); r.Stat.Encode(e) }

// Decode reads path, stat.
func (r *Create2Response) Decode(d *Decoder) {
	r.Path = d.String("Create2Response.path")
	r.Stat.Decode(d)
}

// StatResponse is the shape of the answers that carry a Stat alone.
type StatResponse struct {
	Stat Stat
}

// ExistsResponse answers exists (3) when the znode exists (NoNode otherwise).
type ExistsResponse StatResponse

// Encode appends stat.
func (r *ExistsResponse) Encode(e *Encoder) { r.Stat.Encode(e) }

// Decode reads stat.
func (r *ExistsResponse) Decode(d *Decoder) { r.Stat.Decode(d) }

// SetDataResponse answers setData (5).
type SetDataResponse StatResponse

// Encode appends stat.
func (r *SetDataResponse) Encode(e *Encoder) { r.Stat.Encode(e) }

// Decode reads stat.
func (r *SetDataResponse) Decode(d *Decoder) { r.Stat.Decode(d) }

// SetACLResponse answers setACL (7).
type SetACLResponse StatResponse

// Encode appends stat.
func (r *SetACLResponse) Encode(e *Encoder) { r.Stat.Encode(e) }

// Decode reads stat.
func (r *SetACLResponse) Decode(d *Decoder) { r.Stat.Decode(d) }

// GetDataResponse answers getData (4).
type GetDataResponse struct {
	Data []byte // nil is null: a znode created with null data
	Stat Stat
}

// Encode appends data, stat.
func (r *GetDataResponse) Encode(e *Encoder) { e.Buffer(r.Data); r.Stat.Encode(e) }

// Decode reads data, stat.
func (r *GetDataResponse) Decode(d *Decoder) {
	r.Data = d.Buffer("GetDataResponse.data")
	r.Stat.Decode(d)
}

// GetChildrenResponse answers getChildren (8).
type GetChildrenResponse struct {
	Children []string
}

// Encode appends children (nil as empty).
func (r *GetChildrenResponse) Encode(e *Encoder) { e.StringsNonNull(r.Children) }

// Decode reads children.
func (r *GetChildrenResponse) Decode(d *Decoder) {
	r.Children = d.Strings("GetChildrenResponse.children")
}

// GetChildren2Response answers getChildren2 (12): the children and the
// parent's Stat.
type GetChildren2Response struct {
	Children []string
	Stat     Stat
}

// Encode appends children (nil as empty), stat.
func (r *GetChildren2Response) Encode(e *Encoder) {
	e.StringsNonNull(r.Children)
	r.Stat.Encode(e)
}

// Decode reads children, stat.
func (r *GetChildren2Response) Decode(d *Decoder) {
	r.Children = d.Strings("GetChildren2Response.children")
	r.Stat.Decode(d)
}

// SyncResponse answers sync (9) with the request's path.
type SyncResponse struct {
	Path string
}

// Encode appends path.
func (r *SyncResponse) Encode(e *Encoder) { e.String(r.Path) }

// Decode reads path.
func (r *SyncResponse) Decode(d *Decoder) { r.Path = d.String("SyncResponse.path") }

// GetACLResponse answers getACL (6).
type GetACLResponse struct {
	ACL  []ACL
	Stat Stat
}

// Encode appends acl (nil as empty), stat.
func (r *GetACLResponse) Encode(e *Encoder) {
	acl := r.ACL
	if acl == nil {
		acl = []ACL{}
	}
	encodeACLs(e, acl)
	r.Stat.Encode(e)
}

// Decode reads acl, stat.
func (r *GetACLResponse) Decode(d *Decoder) {
	r.ACL = decodeACLs(d, "GetACLResponse.acl")
	r.Stat.Decode(d)
}

// GetAllChildrenNumberResponse answers getAllChildrenNumber (104).
type GetAllChildrenNumberResponse struct {
	TotalNumber int32
}

// Encode appends totalNumber.
func (r *GetAllChildrenNumberResponse) Encode(e *Encoder) { e.Int(r.TotalNumber) }

// Decode reads totalNumber.
func (r *GetAllChildrenNumberResponse) Decode(d *Decoder) {
	r.TotalNumber = d.Int("GetAllChildrenNumberResponse.totalNumber")
}

// GetEphemeralsResponse answers getEphemerals (103).
type GetEphemeralsResponse struct {
	Ephemerals []string
}

// Encode appends ephemerals (nil as empty).
func (r *GetEphemeralsResponse) Encode(e *Encoder) { e.StringsNonNull(r.Ephemerals) }

// Decode reads ephemerals.
func (r *GetEphemeralsResponse) Decode(d *Decoder) {
	r.Ephemerals = d.Strings("GetEphemeralsResponse.ephemerals")
}

// ClientInfo is org.apache.zookeeper.data.ClientInfo, one identity of the
// session in a WhoAmIResponse ("ip", "127.0.0.1").
type ClientInfo struct {
	AuthScheme string
	User       string
}

// WhoAmIResponse answers whoAmI (107).
type WhoAmIResponse struct {
	ClientInfo []ClientInfo
}

// Encode appends clientInfo (nil as empty).
func (r *WhoAmIResponse) Encode(e *Encoder) {
	e.Int(int32(len(r.ClientInfo)))
	for _, c := range r.ClientInfo {
		e.String(c.AuthScheme)
		e.String(c.User)
	}
}

// Decode reads clientInfo.
func (r *WhoAmIResponse) Decode(d *Decoder) {
	n, null := d.VectorLen("WhoAmIResponse.clientInfo", 8)
	r.ClientInfo = nil
	if d.Err() != nil || null {
		return
	}
	r.ClientInfo = make([]ClientInfo, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		r.ClientInfo = append(r.ClientInfo, ClientInfo{
			AuthScheme: d.String("ClientInfo.authScheme"),
			User:       d.String("ClientInfo.user"),
		})
	}
}

// ErrorResponse is the body of an error result in a multi's answer.
type ErrorResponse struct {
	Err ErrCode
}

// Encode appends err.
func (r *ErrorResponse) Encode(e *Encoder) { e.Int(int32(r.Err)) }

// Decode reads err.
func (r *ErrorResponse) Decode(d *Decoder) { r.Err = ErrCode(d.Int("ErrorResponse.err")) }

// EmptyResponse is the body of the answers that carry nothing after the
// ReplyHeader: delete, ping, closeSession, setWatches, setWatches2, auth,
// addWatch, removeWatches, checkWatches, and every error.
type EmptyResponse struct{}

// Encode appends nothing.
func (*EmptyResponse) Encode(*Encoder) {}

// Decode reads nothing.
func (*EmptyResponse) Decode(*Decoder) {}
