package zkwire

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestZkCliFrames decodes the frames zkCli.sh 3.8.0 sent (captured once,
// see the header of testdata/zkcli-3.8.0-frames.txt) and checks each.
func TestZkCliFrames(t *testing.T) {
	acl := OpenACLUnsafe()
	want := map[string]Record{
		"connect":                &ConnectRequest{TimeOut: 30000, Passwd: make([]byte, 16), HasReadOnly: true},
		"create /a hello":        &CreateRequest{Path: "/a", Data: []byte("hello"), ACL: acl, Flags: ModePersistent},
		"create -e /e x":         &CreateRequest{Path: "/e", Data: []byte("x"), ACL: acl, Flags: ModeEphemeral},
		"create -s /s x":         &CreateRequest{Path: "/s", Data: []byte("x"), ACL: acl, Flags: ModePersistentSequential},
		"create /n":              &CreateRequest{Path: "/n", Data: nil, ACL: acl, Flags: ModePersistent},
		"get -w /a":              &GetDataRequest{Path: "/a", Watch: true},
		"get -s /a":              &GetDataRequest{Path: "/a"},
		"set /a v2":              &SetDataRequest{Path: "/a", Data: []byte("v2"), Version: -1},
		"ls /":                   &GetChildren2Request{Path: "/"},
		"ls -s /":                &GetChildren2Request{Path: "/"},
		"stat /a":                &ExistsRequest{Path: "/a"},
		"delete /a":              &DeleteRequest{Path: "/a", Version: -1},
		"sync /a":                &SyncRequest{Path: "/a"},
		"addWatch /a":            &AddWatchRequest{Path: "/a", Mode: AddWatchPersistentRecursive},
		"whoami":                 &EmptyRequest{},
		"getAllChildrenNumber /": &GetAllChildrenNumberRequest{Path: "/"},
		"getEphemerals":          &GetEphemeralsRequest{PrefixPath: "/"},
		"getAcl /a":              &GetACLRequest{Path: "/a"},
	}
	b, err := os.ReadFile("testdata/zkcli-3.8.0-frames.txt")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, " | ")
		cmd, op, frame := f[0], f[1], unhex(t, f[2])
		var got Record
		if cmd == "connect" {
			cr, err := DecodeConnectRequest(frame)
			if err != nil {
				t.Errorf("connect: %v", err)
				continue
			}
			got = &cr
		} else {
			h, rec, err := DecodeRequest(frame)
			if err != nil {
				t.Errorf("%s: %v", cmd, err)
				continue
			}
			if h.Type.String() != op || h.Xid != 1 {
				t.Errorf("%s: header %+v, want op %s xid 1", cmd, h, op)
			}
			got = rec
		}
		if !reflect.DeepEqual(got, want[cmd]) {
			t.Errorf("%s: %+v, want %+v", cmd, got, want[cmd])
		}
		seen++
	}
	if seen != len(want) {
		t.Errorf("%d frames in the file, want %d", seen, len(want))
	}
}
