package zkwire

import (
	"errors"
	"fmt"
)

// MultiHeader precedes each op of a multi and each result of its answer;
// one with Done ends the list (MultiOperationRecord, MultiResponse).
type MultiHeader struct {
	Type OpCode
	Done bool
	Err  ErrCode
}

// multiEnd is the header that ends every list: {-1, true, -1}.
var multiEnd = MultiHeader{Type: -1, Done: true, Err: -1}

// Encode appends type, done, err.
func (h *MultiHeader) Encode(e *Encoder) {
	e.Int(int32(h.Type))
	e.Bool(h.Done)
	e.Int(int32(h.Err))
}

// Decode reads type, done, err.
func (h *MultiHeader) Decode(d *Decoder) {
	h.Type = OpCode(d.Int("MultiHeader.type"))
	h.Done = d.Bool("MultiHeader.done")
	h.Err = ErrCode(d.Int("MultiHeader.err"))
}

// multiHeaderSize is a MultiHeader's encoded size: the smallest an op can
// take, which bounds how many a frame can hold.
const multiHeaderSize = 9

// MultiOp is one op of a multi: its type (create, create2,
// createContainer, createTTL, delete, setData, check for a multi (14);
// getChildren, getData for a multiRead (22)) and its request record, one of
// *CreateRequest, *CreateTTLRequest, *DeleteRequest, *SetDataRequest,
// *CheckVersionRequest, *GetChildrenRequest, *GetDataRequest.
type MultiOp struct {
	Type OpCode
	Req  Record
}

// MultiRequest is the body of multi (14) and multiRead (22),
// MultiOperationRecord: each op after a MultiHeader{type, false, -1}, then
// MultiHeader{-1, true, -1}.
//
// Decode refuses what MultiOperationRecord.deserialize refuses (an op type
// outside the list above, create flags that are no CreateMode, reads mixed
// with writes) and, to keep one encoding per request, headers other than
// the ones ZooKeeper's and go-zookeeper's clients write: {type, false, -1}
// before each op and {-1, true, -1} at the end (Java ignores their err and
// the end's type).
type MultiRequest struct {
	Ops []MultiOp
}

// isReadOp reports whether the op type belongs in a multiRead.
func isReadOp(t OpCode) bool { return t == OpGetChildren || t == OpGetData }

// Encode appends the ops and the end header. An op whose Req is not the
// record its Type needs is a programming error and panics.
func (r *MultiRequest) Encode(e *Encoder) {
	for _, op := range r.Ops {
		h := MultiHeader{Type: op.Type, Done: false, Err: -1}
		h.Encode(e)
		if !multiOpMatches(op) {
			panic(fmt.Sprintf("zkwire: multi op %v with a %T", op.Type, op.Req))
		}
		op.Req.Encode(e)
	}
	end := multiEnd
	end.Encode(e)
}

// multiOpRecord returns a new record for an op type allowed in a multi, nil
// for any other.
func multiOpRecord(t OpCode) Record {
	switch t {
	case OpCreate, OpCreate2, OpCreateContainer:
		return new(CreateRequest)
	case OpCreateTTL:
		return new(CreateTTLRequest)
	case OpDelete:
		return new(DeleteRequest)
	case OpSetData:
		return new(SetDataRequest)
	case OpCheck:
		return new(CheckVersionRequest)
	case OpGetChildren:
		return new(GetChildrenRequest)
	case OpGetData:
		return new(GetDataRequest)
	}
	return nil
}

// multiOpMatches reports whether op.Req is the record op.Type needs.
func multiOpMatches(op MultiOp) bool {
	switch op.Req.(type) {
	case *CreateRequest:
		return op.Type == OpCreate || op.Type == OpCreate2 || op.Type == OpCreateContainer
	case *CreateTTLRequest:
		return op.Type == OpCreateTTL
	case *DeleteRequest:
		return op.Type == OpDelete
	case *SetDataRequest:
		return op.Type == OpSetData
	case *CheckVersionRequest:
		return op.Type == OpCheck
	case *GetChildrenRequest:
		return op.Type == OpGetChildren
	case *GetDataRequest:
		return op.Type == OpGetData
	}
	return false
}

// ErrMixedMulti is the error for a multi that mixes reads and writes
// (MultiOperationRecord: "Mixing different kind of ops").
var ErrMixedMulti = errors.New("mixing different kind of ops")

// Decode reads ops until the end header.
func (r *MultiRequest) Decode(d *Decoder) {
	r.Ops = nil
	for d.Err() == nil {
		start := d.Offset()
		var h MultiHeader
		h.Decode(d)
		if d.Err() != nil {
			return
		}
		if h.Done {
			if h != multiEnd {
				d.Fail("MultiRequest", fmt.Errorf("end header {%d, true, %d}, want {-1, true, -1}", h.Type, h.Err))
			}
			return
		}
		if h.Err != -1 {
			d.Fail("MultiRequest", fmt.Errorf("op header err %d at offset %d, want -1", h.Err, start))
			return
		}
		rec := multiOpRecord(h.Type)
		if rec == nil {
			d.Fail("MultiRequest", fmt.Errorf("invalid type of op %v", h.Type))
			return
		}
		if len(r.Ops) > 0 && isReadOp(r.Ops[0].Type) != isReadOp(h.Type) {
			d.Fail("MultiRequest", ErrMixedMulti)
			return
		}
		rec.Decode(d)
		if c, ok := rec.(*CreateRequest); ok && d.Err() == nil && !c.Flags.Valid() {
			d.Fail("MultiRequest", fmt.Errorf("%w: %d", ErrBadCreateMode, c.Flags))
			return
		}
		r.Ops = append(r.Ops, MultiOp{Type: h.Type, Req: rec})
	}
}

// OpResult is one result in a multi's answer. Type says which fields count:
//
//	create            Path                      (CreateResponse)
//	create2           Path, Stat                (Create2Response)
//	delete, check     nothing
//	setData           Stat                      (SetDataResponse)
//	getChildren       Children                  (GetChildrenResponse)
//	getData           Data, Stat                (GetDataResponse)
//	error             Err                       (header err and ErrorResponse)
//
// A create op answers create, a create2, createTTL or createContainer op
// create2 (OpResult.CreateResult with a Stat). When a multi fails ZooKeeper
// answers an error result for every op: ErrOk for those before the failed
// one, its code for it, and ErrRuntimeInconsistency for those after
// (PrepRequestProcessor), under a ReplyHeader whose Err is ErrOk
// (FinalRequestProcessor): the errors are in the body, which clients read.
type OpResult struct {
	Type     OpCode
	Err      ErrCode
	Path     string
	Stat     Stat
	Data     []byte
	Children []string
}

// MultiResponse is the body of the answer to multi and multiRead.
type MultiResponse struct {
	Results []OpResult
}

// Encode appends each result after its header, then the end header. A
// result of a type that has no answer record is a programming error and
// panics.
func (r *MultiResponse) Encode(e *Encoder) {
	for i := range r.Results {
		res := &r.Results[i]
		h := MultiHeader{Type: res.Type}
		if res.Type == OpError {
			h.Err = res.Err
		}
		h.Encode(e)
		switch res.Type {
		case OpCreate:
			e.String(res.Path)
		case OpCreate2:
			e.String(res.Path)
			res.Stat.Encode(e)
		case OpDelete, OpCheck:
		case OpSetData:
			res.Stat.Encode(e)
		case OpGetChildren:
			e.StringsNonNull(res.Children)
		case OpGetData:
			e.Buffer(res.Data)
			res.Stat.Encode(e)
		case OpError:
			e.Int(int32(res.Err))
		default:
			panic(fmt.Sprintf("zkwire: no multi result of type %v", res.Type))
		}
	}
	end := multiEnd
	end.Encode(e)
}

// Decode reads results until the end header (as MultiResponse.deserialize:
// an unknown type fails).
func (r *MultiResponse) Decode(d *Decoder) {
	r.Results = nil
	for d.Err() == nil {
		var h MultiHeader
		h.Decode(d)
		if d.Err() != nil || h.Done {
			return
		}
		res := OpResult{Type: h.Type}
		switch h.Type {
		case OpCreate:
			res.Path = d.String("CreateResponse.path")
		case OpCreate2:
			res.Path = d.String("Create2Response.path")
			res.Stat.Decode(d)
		case OpDelete, OpCheck:
		case OpSetData:
			res.Stat.Decode(d)
		case OpGetChildren:
			res.Children = d.Strings("GetChildrenResponse.children")
		case OpGetData:
			res.Data = d.Buffer("GetDataResponse.data")
			res.Stat.Decode(d)
		case OpError:
			res.Err = ErrCode(d.Int("ErrorResponse.err"))
		default:
			d.Fail("MultiResponse", fmt.Errorf("invalid type %v", h.Type))
			return
		}
		r.Results = append(r.Results, res)
	}
}
