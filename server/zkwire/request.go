package zkwire

import (
	"errors"
	"fmt"
)

// ErrUnknownOp is wrapped by DecodeRequest's error for an op code this
// package does not decode: one ZooKeeper does not define, one only servers
// use (createSession, deleteContainer, notification, error), and reconfig
// (its strings may be null; zabplay answers it without reading them). The
// header is still returned, so a server can answer by xid or close the
// connection as ZooKeeper does.
var ErrUnknownOp = errors.New("zkwire: op code not decoded")

// NewRequest returns an empty request record for a client op code, or nil
// for one DecodeRequest does not decode:
//
//	create, create2, createContainer  *CreateRequest
//	createTTL                         *CreateTTLRequest
//	delete                            *DeleteRequest
//	exists                            *ExistsRequest
//	getData                           *GetDataRequest
//	setData                           *SetDataRequest
//	getACL                            *GetACLRequest
//	setACL                            *SetACLRequest
//	getChildren                       *GetChildrenRequest
//	getChildren2                      *GetChildren2Request
//	sync                              *SyncRequest
//	check                             *CheckVersionRequest
//	multi, multiRead                  *MultiRequest
//	checkWatches                      *CheckWatchesRequest
//	removeWatches                     *RemoveWatchesRequest
//	auth                              *AuthPacket
//	setWatches                        *SetWatchesRequest
//	setWatches2                       *SetWatches2Request
//	sasl                              *SASLRequest
//	getEphemerals                     *GetEphemeralsRequest
//	getAllChildrenNumber              *GetAllChildrenNumberRequest
//	addWatch                          *AddWatchRequest
//	ping, closeSession, whoAmI        *EmptyRequest
func NewRequest(op OpCode) Record {
	switch op {
	case OpCreate, OpCreate2, OpCreateContainer:
		return new(CreateRequest)
	case OpCreateTTL:
		return new(CreateTTLRequest)
	case OpDelete:
		return new(DeleteRequest)
	case OpExists:
		return new(ExistsRequest)
	case OpGetData:
		return new(GetDataRequest)
	case OpSetData:
		return new(SetDataRequest)
	case OpGetACL:
		return new(GetACLRequest)
	case OpSetACL:
		return new(SetACLRequest)
	case OpGetChildren:
		return new(GetChildrenRequest)
	case OpGetChildren2:
		return new(GetChildren2Request)
	case OpSync:
		return new(SyncRequest)
	case OpCheck:
		return new(CheckVersionRequest)
	case OpMulti, OpMultiRead:
		return new(MultiRequest)
	case OpCheckWatches:
		return new(CheckWatchesRequest)
	case OpRemoveWatches:
		return new(RemoveWatchesRequest)
	case OpAuth:
		return new(AuthPacket)
	case OpSetWatches:
		return new(SetWatchesRequest)
	case OpSetWatches2:
		return new(SetWatches2Request)
	case OpSASL:
		return new(SASLRequest)
	case OpGetEphemerals:
		return new(GetEphemeralsRequest)
	case OpGetAllChildrenNumber:
		return new(GetAllChildrenNumberRequest)
	case OpAddWatch:
		return new(AddWatchRequest)
	case OpPing, OpCloseSession, OpWhoAmI:
		return new(EmptyRequest)
	}
	return nil
}

// DecodeRequest decodes one request frame (without its length prefix): the
// RequestHeader, then the record its type names (see NewRequest). The whole
// frame must be that record. A multi (14) must hold only writes and a
// multiRead (22) only reads. When the header itself could be read it is
// returned even with an error, so the server knows the xid and op.
func DecodeRequest(frame []byte) (RequestHeader, Record, error) {
	d := NewDecoder(frame)
	var h RequestHeader
	h.Decode(d)
	if err := d.Err(); err != nil {
		return h, nil, err
	}
	rec := NewRequest(h.Type)
	if rec == nil {
		return h, nil, fmt.Errorf("%w: %v (xid %d)", ErrUnknownOp, h.Type, h.Xid)
	}
	rec.Decode(d)
	if m, ok := rec.(*MultiRequest); ok && d.Err() == nil && len(m.Ops) > 0 {
		if isReadOp(m.Ops[0].Type) != (h.Type == OpMultiRead) {
			d.Fail(h.Type.String(), fmt.Errorf("%w: %v op in a %v", ErrMixedMulti, m.Ops[0].Type, h.Type))
		}
	}
	d.End(h.Type.String())
	if err := d.Err(); err != nil {
		return h, nil, err
	}
	return h, rec, nil
}

// AppendRequest appends a whole request frame: the length prefix, the
// header and the record (nil for none). Clients send these; the tests and a
// benchmark harness use it.
func AppendRequest(dst []byte, h RequestHeader, r Record) []byte {
	return appendFrame(dst, &h, r)
}

// DecodeConnectRequest decodes the first frame of a connection (without its
// length prefix), with or without the trailing readOnly byte.
func DecodeConnectRequest(frame []byte) (ConnectRequest, error) {
	var r ConnectRequest
	err := Unmarshal(frame, &r, "ConnectRequest")
	return r, err
}

// AppendConnectResponse appends the whole frame answering a connect.
func AppendConnectResponse(dst []byte, r ConnectResponse) []byte {
	return appendFrame(dst, &r, nil)
}

// AppendReply appends a whole answer frame: the length prefix, the header
// and body (nil, or an *EmptyResponse, for none). When h.Err is not ErrOk
// the body is left out, as ZooKeeper sends the header alone.
func AppendReply(dst []byte, h ReplyHeader, body Record) []byte {
	if h.Err != ErrOk {
		body = nil
	}
	return appendFrame(dst, &h, body)
}

// AppendNotification appends a whole notification frame: a ReplyHeader
// with xid XidNotification and the given zxid (ZooKeeper 3.8 sends -1
// there, 3.9 the zxid of the txn that fired the watch), then the event.
func AppendNotification(dst []byte, zxid int64, ev WatcherEvent) []byte {
	return appendFrame(dst, &ReplyHeader{Xid: XidNotification, Zxid: zxid}, &ev)
}

func appendFrame(dst []byte, head, body Record) []byte {
	start := len(dst)
	e := NewEncoder(append(dst, 0, 0, 0, 0))
	head.Encode(e)
	if body != nil {
		body.Encode(e)
	}
	b := e.Bytes()
	n := len(b) - start - 4
	b[start], b[start+1], b[start+2], b[start+3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return b
}
