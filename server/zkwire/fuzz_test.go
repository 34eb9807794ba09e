package zkwire

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzDecode feeds frames (without their length prefix) to DecodeRequest,
// and to DecodeConnectRequest as a connection's first frame would be. The
// seed corpus (testdata/fuzz/FuzzDecode) holds valid frames of every request
// type and both forms of ConnectRequest. Neither decoder may panic, what
// they keep may not outgrow the input (footprint), and every accepted frame
// must re-encode to exactly its bytes.
//
//	go test ./server/zkwire -run XXX -fuzz FuzzDecode -fuzztime 20s
func FuzzDecode(f *testing.F) {
	for op, recs := range sampleRequests() {
		for _, r := range recs {
			f.Add(requestFrame(1, op, r))
		}
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		h, rec, err := DecodeRequest(frame)
		if err == nil {
			if fp := footprint(reflect.ValueOf(rec)); fp > 6*len(frame)+256 {
				t.Fatalf("%v: decoded value holds %d bytes for a %d-byte frame", h.Type, fp, len(frame))
			}
			if again := AppendRequest(nil, h, rec)[4:]; !bytes.Equal(again, frame) {
				t.Fatalf("%v: re-encoded\n%x\nfrom\n%x", h.Type, again, frame)
			}
		} else if rec != nil {
			t.Fatalf("a record with the error %v", err)
		}
		cr, err := DecodeConnectRequest(frame)
		if err == nil {
			if again := Marshal(&cr); !bytes.Equal(again, frame) {
				t.Fatalf("ConnectRequest re-encoded\n%x\nfrom\n%x", again, frame)
			}
		}
	})
}

// footprint estimates the memory a decoded value holds: its strings and
// byte slices (header and capacity), its slices' capacity times their
// element size, what its pointers and interfaces point to.
func footprint(v reflect.Value) int {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return 0
		}
		e := v.Elem()
		n := footprint(e)
		if v.Kind() == reflect.Pointer {
			n += int(e.Type().Size())
		}
		return n
	case reflect.String:
		return v.Len()
	case reflect.Slice:
		n := v.Cap() * int(v.Type().Elem().Size())
		for i := 0; i < v.Len(); i++ {
			n += footprint(v.Index(i))
		}
		return n
	case reflect.Struct:
		n := 0
		for i := 0; i < v.NumField(); i++ {
			n += footprint(v.Field(i))
		}
		return n
	}
	return 0
}
