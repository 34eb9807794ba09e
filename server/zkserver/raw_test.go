package zkserver

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/server/zkwire"
)

// rawSession opens a session with this package's codec only and returns
// the connection: it never pings, so the session expires after its
// timeout unless the test keeps it busy.
func rawSession(t *testing.T, addr string, timeoutMs int32) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	req := zkwire.ConnectRequest{TimeOut: timeoutMs, Passwd: make([]byte, 16)}
	_, err = nc.Write(zkwire.AppendFrame(nil, zkwire.Marshal(&req)))
	require.NoError(t, err)
	var resp zkwire.ConnectResponse
	readFrame(t, nc, &resp)
	require.NotZero(t, resp.SessionID)
	return nc
}

func readFrame(t *testing.T, nc net.Conn, rec zkwire.Record) {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer nc.SetReadDeadline(time.Time{})
	f, err := zkwire.NewFrameReader(nc, 0).ReadFrame()
	require.NoError(t, err)
	require.NoError(t, zkwire.Unmarshal(f, rec, "frame"))
}

// rawCreate creates a znode on a raw session and checks the answer.
func rawCreate(t *testing.T, nc net.Conn, path string, ephemeral bool) {
	t.Helper()
	mode := zkwire.ModePersistent
	if ephemeral {
		mode = zkwire.ModeEphemeral
	}
	_, err := nc.Write(zkwire.AppendRequest(nil, zkwire.RequestHeader{Xid: 1, Type: zkwire.OpCreate},
		&zkwire.CreateRequest{Path: path, ACL: zkwire.OpenACLUnsafe(), Flags: mode}))
	require.NoError(t, err)
	var h replyWith
	readFrame(t, nc, &h)
	require.Equal(t, zkwire.ErrOk, h.h.Err)
}

// replyWith is a ReplyHeader and whatever follows it.
type replyWith struct{ h zkwire.ReplyHeader }

func (r *replyWith) Encode(e *zkwire.Encoder) { r.h.Encode(e) }
func (r *replyWith) Decode(d *zkwire.Decoder) {
	r.h.Decode(d)
	d.Buffer("rest") // not read
}
