package zkserver

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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

// TestHandshakeRefusals: a session id with a wrong password is answered as
// an expired session (no session, timeout 0) and closed; a client that has
// seen a zxid newer than the server's is refused without an answer, so it
// tries another server. (A session that resumes on another server with its
// real password: TestSessionSurvivesLeaderCrash.)
func TestHandshakeRefusals(t *testing.T) {
	c := newCluster(t, 3)
	c.leader()
	c.waitServing()
	srv := c.servers()
	handshake := func(addr string, req zkwire.ConnectRequest) (zkwire.ConnectResponse, []byte) {
		nc, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer nc.Close()
		_, err = nc.Write(zkwire.AppendFrame(nil, zkwire.Marshal(&req)))
		require.NoError(t, err)
		rest := closedSoon(t, nc, 5*time.Second)
		var resp zkwire.ConnectResponse
		if len(rest) == 0 {
			return resp, nil
		}
		f, err := zkwire.NewFrameReader(bytes.NewReader(rest), 0).ReadFrame()
		require.NoError(t, err)
		require.NoError(t, zkwire.Unmarshal(f, &resp, "ConnectResponse"))
		return resp, rest
	}

	resp, raw := handshake(srv[1], zkwire.ConnectRequest{TimeOut: 2000, SessionID: 0x0100000000000042, Passwd: make([]byte, 16)})
	require.NotNil(t, raw, "an answer, then the close")
	assert.Zero(t, resp.SessionID)
	assert.Zero(t, resp.TimeOut)

	_, raw = handshake(srv[2], zkwire.ConnectRequest{TimeOut: 2000, LastZxidSeen: 0x7fff000000000000, Passwd: make([]byte, 16)})
	assert.Empty(t, raw, "refused without an answer")
}
