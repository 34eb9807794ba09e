package zkwire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// sampleRequests is a valid request of every op code DecodeRequest decodes.
func sampleRequests() map[OpCode][]Record {
	acl := OpenACLUnsafe()
	return map[OpCode][]Record{
		OpCreate: {
			&CreateRequest{Path: "/a", Data: []byte("x"), ACL: acl, Flags: ModePersistent},
			&CreateRequest{Path: "/e", ACL: acl, Flags: ModeEphemeralSequential},
		},
		OpCreate2:              {&CreateRequest{Path: "/b", Data: []byte{}, ACL: acl, Flags: ModeEphemeral}},
		OpCreateContainer:      {&CreateRequest{Path: "/c", ACL: acl, Flags: ModeContainer}},
		OpCreateTTL:            {&CreateTTLRequest{Path: "/t", ACL: acl, Flags: ModePersistentWithTTL, TTL: 1000}},
		OpDelete:               {&DeleteRequest{Path: "/a", Version: -1}},
		OpExists:               {&ExistsRequest{Path: "/a", Watch: true}},
		OpGetData:              {&GetDataRequest{Path: "/a", Watch: false}},
		OpSetData:              {&SetDataRequest{Path: "/a", Data: []byte("y"), Version: 2}},
		OpGetACL:               {&GetACLRequest{Path: "/a"}},
		OpSetACL:               {&SetACLRequest{Path: "/a", ACL: acl, Version: -1}},
		OpGetChildren:          {&GetChildrenRequest{Path: "/", Watch: true}},
		OpGetChildren2:         {&GetChildren2Request{Path: "/", Watch: false}},
		OpSync:                 {&SyncRequest{Path: "/"}},
		OpCheck:                {&CheckVersionRequest{Path: "/a", Version: 1}},
		OpMulti:                {testMulti()},
		OpMultiRead:            {&MultiRequest{Ops: []MultiOp{{Type: OpGetData, Req: &GetDataRequest{Path: "/a"}}, {Type: OpGetChildren, Req: &GetChildrenRequest{Path: "/"}}}}},
		OpCheckWatches:         {&CheckWatchesRequest{Path: "/a", Type: WatcherAny}},
		OpRemoveWatches:        {&RemoveWatchesRequest{Path: "/a", Type: WatcherData}},
		OpAuth:                 {&AuthPacket{Scheme: "digest", Auth: []byte("u:p")}},
		OpSetWatches:           {&SetWatchesRequest{RelativeZxid: 5, DataWatches: []string{"/a"}, ExistWatches: []string{}, ChildWatches: []string{"/"}}},
		OpSetWatches2:          {&SetWatches2Request{RelativeZxid: 5, DataWatches: []string{}, ExistWatches: []string{"/x"}, ChildWatches: []string{}, PersistentWatches: []string{"/p"}, PersistentRecursiveWatches: []string{}}},
		OpSASL:                 {&SASLRequest{Token: []byte("tok")}},
		OpGetEphemerals:        {&GetEphemeralsRequest{PrefixPath: "/"}},
		OpGetAllChildrenNumber: {&GetAllChildrenNumberRequest{Path: "/"}},
		OpAddWatch:             {&AddWatchRequest{Path: "/a", Mode: AddWatchPersistent}},
		OpPing:                 {&EmptyRequest{}},
		OpCloseSession:         {&EmptyRequest{}},
		OpWhoAmI:               {&EmptyRequest{}},
	}
}

func requestFrame(xid int32, op OpCode, r Record) []byte {
	return AppendRequest(nil, RequestHeader{Xid: xid, Type: op}, r)[4:]
}

func TestDecodeRequestEveryOp(t *testing.T) {
	for op, recs := range sampleRequests() {
		for _, r := range recs {
			frame := requestFrame(9, op, r)
			h, got, err := DecodeRequest(frame)
			if err != nil {
				t.Errorf("%v: %v", op, err)
				continue
			}
			if h != (RequestHeader{Xid: 9, Type: op}) {
				t.Errorf("%v: header %+v", op, h)
			}
			if !reflect.DeepEqual(got, r) {
				t.Errorf("%v: decoded %+v, want %+v", op, got, r)
			}
			if reflect.TypeOf(NewRequest(op)) != reflect.TypeOf(r) {
				t.Errorf("NewRequest(%v) is %T, want %T", op, NewRequest(op), r)
			}
		}
	}
	// A ping as both clients write it: the header alone.
	h, r, err := DecodeRequest(unhex(t, "fffffffe 0000000b"))
	if err != nil || h.Xid != XidPing || h.Type != OpPing || !reflect.DeepEqual(r, &EmptyRequest{}) {
		t.Errorf("ping: %+v %+v %v", h, r, err)
	}
}

func TestDecodeRequestRefuses(t *testing.T) {
	good := requestFrame(1, OpGetData, &GetDataRequest{Path: "/a"})
	mixed := requestFrame(1, OpMulti, &MultiRequest{Ops: []MultiOp{{Type: OpGetData, Req: &GetDataRequest{Path: "/a"}}}})
	cases := []struct {
		name    string
		frame   []byte
		wantErr string
		header  bool // the header is returned with the error
	}{
		{"empty", nil, "RequestHeader.xid", false},
		{"half a header", []byte{0, 0, 0, 1, 0}, "input ends inside a field", false},
		{"unknown op", unhex(t, "00000001 00000063"), "op code not decoded: op(99)", true},
		{"server-only op", unhex(t, "00000001 fffffff6"), "op code not decoded: createSession", true},
		{"reconfig", unhex(t, "00000001 00000010"), "op code not decoded: reconfig", true},
		{"trailing byte", append(append([]byte{}, good...), 0), "1 bytes after the record", true},
		{"truncated body", good[:len(good)-1], "GetDataRequest.watch", true},
		{"boolean 2", append(append([]byte{}, good[:len(good)-1]...), 2), "boolean byte 0x02", true},
		{"null path", unhex(t, "00000001 00000004 ffffffff 00"), "null string", true},
		{"negative length", unhex(t, "00000001 00000004 fffffffe 00"), "negative length -2", true},
		{"length past the end", unhex(t, "00000001 00000004 7fffffff 00"), "length 2147483647, 1 bytes left", true},
		{"huge ACL count", unhex(t, "00000001 00000001 00000002 2f61 ffffffff 7fffffff"), "2147483647 elements of at least 12 bytes", true},
		{"huge watch list", unhex(t, "00000001 00000065 0000000000000000 10000000 00000000"), "268435456 elements of at least 4 bytes", true},
		{"reads in a multi", mixed, "mixing different kind of ops", true},
		{"writes in a multiRead", requestFrame(1, OpMultiRead, testMulti()), "mixing different kind of ops", true},
		{"unknown op in a multi", unhex(t, "00000001 0000000e 00000009 00 ffffffff 00000002 2f61"), "invalid type of op sync", true},
		{"bad create flags in a multi", unhex(t, "00000001 0000000e 00000001 00 ffffffff 00000002 2f61 ffffffff 00000000 00000009 ffffffff 01 ffffffff"), "invalid flags for a create mode: 9", true},
		{"multi without its end", unhex(t, "00000001 0000000e 00000002 00 ffffffff 00000002 2f61 ffffffff"), "MultiHeader.type", true},
		{"multi end header not canonical", unhex(t, "00000001 0000000e 00000000 01 00000000"), "end header {0, true, 0}", true},
		{"multi op header err", unhex(t, "00000001 0000000e 00000002 00 00000000 00000002 2f61 ffffffff ffffffff 01 ffffffff"), "op header err 0", true},
	}
	for _, c := range cases {
		h, r, err := DecodeRequest(c.frame)
		if err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.wantErr)
		}
		if r != nil {
			t.Errorf("%s: returned a record %+v with the error", c.name, r)
		}
		if c.header && h.Xid != 1 {
			t.Errorf("%s: header %+v not returned", c.name, h)
		}
	}
	_, _, err := DecodeRequest(unhex(t, "00000001 00000063"))
	if !errors.Is(err, ErrUnknownOp) {
		t.Errorf("unknown op: %v does not wrap ErrUnknownOp", err)
	}
	_, _, err = DecodeRequest(good[:len(good)-1])
	var de *DecodeError
	if !errors.As(err, &de) || !errors.Is(err, ErrShort) || de.Offset != len(good)-1 {
		t.Errorf("truncated: %v, want a DecodeError wrapping ErrShort at offset %d", err, len(good)-1)
	}
}

// TestDecodeAllocationBound: frames that claim huge lengths and counts cost
// no more than their own size.
func TestDecodeAllocationBound(t *testing.T) {
	frames := [][]byte{
		unhex(t, "00000001 00000001 00000002 2f61 ffffffff 7fffffff"),
		unhex(t, "00000001 00000004 7fffffff"),
		unhex(t, "00000001 00000065 0000000000000000 7fffffff 00000000"),
		unhex(t, "00000001 0000000e 00000001 00 ffffffff 7ffffff0"),
	}
	// A frame of 50,000 empty strings: many real elements.
	many := NewEncoder(nil)
	(&RequestHeader{Xid: 1, Type: OpSetWatches}).Encode(many)
	many.Long(0)
	many.Int(50000)
	for range 50000 {
		many.String("")
	}
	many.Int(0)
	many.Int(0)
	frames = append(frames, many.Bytes())
	for i, f := range frames {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range 10 {
			DecodeRequest(f)
		}
		runtime.ReadMemStats(&after)
		per := (after.TotalAlloc - before.TotalAlloc) / 10
		// A string header is 16 bytes for a 4-byte encoding: 4x, plus a
		// little fixed overhead.
		if bound := uint64(4*len(f) + 4096); per > bound {
			t.Errorf("frame %d (%d bytes): %d bytes allocated per decode, bound %d", i, len(f), per, bound)
		}
	}
}

func TestDecodeConnectRequest(t *testing.T) {
	withRO := Marshal(&ConnectRequest{TimeOut: 30000, Passwd: make([]byte, 16), ReadOnly: true, HasReadOnly: true})
	r, err := DecodeConnectRequest(withRO)
	if err != nil || !r.HasReadOnly || !r.ReadOnly || r.TimeOut != 30000 {
		t.Errorf("with readOnly: %+v %v", r, err)
	}
	r, err = DecodeConnectRequest(withRO[:len(withRO)-1])
	if err != nil || r.HasReadOnly || r.ReadOnly {
		t.Errorf("without readOnly: %+v %v", r, err)
	}
	if _, err := DecodeConnectRequest(append(append([]byte{}, withRO...), 0)); err == nil || !strings.Contains(err.Error(), "1 bytes after the record") {
		t.Errorf("two bytes after passwd: %v", err)
	}
	if _, err := DecodeConnectRequest(withRO[:20]); err == nil {
		t.Error("a truncated ConnectRequest was accepted")
	}
}

func TestAppendReply(t *testing.T) {
	got := AppendReply([]byte("prefix"), ReplyHeader{Xid: 3, Zxid: 0x100000002}, &CreateResponse{Path: "/a"})
	want := append([]byte("prefix"), unhex(t, "00000016 00000003 0000000100000002 00000000 00000002 2f61")...)
	if !bytes.Equal(got, want) {
		t.Errorf("reply: %x, want %x", got, want)
	}
	// An error reply is the header alone, whatever body is passed.
	got = AppendReply(nil, ReplyHeader{Xid: 3, Zxid: 5, Err: ErrNoNode}, &CreateResponse{Path: "/a"})
	if want := unhex(t, "00000010 00000003 0000000000000005 ffffff9b"); !bytes.Equal(got, want) {
		t.Errorf("error reply: %x, want %x", got, want)
	}
	got = AppendNotification(nil, -1, WatcherEvent{Type: EventNodeDeleted, State: StateSyncConnected, Path: "/a"})
	if want := unhex(t, "0000001e ffffffff ffffffffffffffff 00000000 00000002 00000003 00000002 2f61"); !bytes.Equal(got, want) {
		t.Errorf("notification: %x, want %x", got, want)
	}
	got = AppendConnectResponse(nil, ConnectResponse{TimeOut: 4000, SessionID: 1, Passwd: make([]byte, 16)})
	if n := binary.BigEndian.Uint32(got); int(n) != len(got)-4 || n != 4+4+8+4+16 {
		t.Errorf("connect response length %d for %d bytes", n, len(got)-4)
	}
}
