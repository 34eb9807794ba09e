package zkserver

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/server/zkwire"
)

// logLines is a slog handler that keeps the messages it gets.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logLines) WithGroup(string) slog.Handler            { return l }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.Key + "=" + a.Value.String())
		return true
	})
	l.mu.Lock()
	l.lines = append(l.lines, b.String())
	l.mu.Unlock()
	return nil
}

func (l *logLines) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// closedSoon reads from c until it is closed and returns what it read; it
// fails if the server keeps it open for long.
func closedSoon(t *testing.T, c net.Conn, within time.Duration) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(within))
	b, err := io.ReadAll(c)
	require.NoError(t, err, "the server did not close the connection within %v", within)
	return b
}

func connectFrame(t *testing.T, c net.Conn) {
	t.Helper()
	_, err := c.Write(zkwire.AppendRequest(nil, zkwire.RequestHeader{}, nil)[:0])
	require.NoError(t, err)
	req := zkwire.ConnectRequest{TimeOut: 4000, Passwd: make([]byte, 16)}
	_, err = c.Write(zkwire.AppendFrame(nil, zkwire.Marshal(&req)))
	require.NoError(t, err)
	fr := zkwire.NewFrameReader(c, 0)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := fr.ReadFrame()
	require.NoError(t, err)
	var resp zkwire.ConnectResponse
	require.NoError(t, zkwire.Unmarshal(f, &resp, "ConnectResponse"))
	require.NotZero(t, resp.SessionID)
	assert.EqualValues(t, 20*testTickMs, resp.TimeOut, "4000 ms is clamped to 20 ticks")
	c.SetReadDeadline(time.Time{})
}

// TestBadInput sends one port every kind of bad input while a go-zookeeper
// session on the same port keeps working: each bad connection is closed
// with one log line, and nothing else is harmed.
func TestBadInput(t *testing.T) {
	logs := &logLines{}
	c := newClusterWith(t, 3, func(cfg *Config) {
		cfg.HandshakeTimeout = 300 * time.Millisecond
		cfg.MaxConnsPerIP = 8
		cfg.Log = slog.New(logs)
	})
	c.leader()
	c.waitServing()
	srv := c.client[1]
	good, _ := c.connect([]string{srv})
	_, err := good.Create("/good", []byte("0"), 0, zk.WorldACL(zk.PermAll))
	require.NoError(t, err)
	dial := func() net.Conn {
		nc, err := net.Dial("tcp", srv)
		require.NoError(t, err)
		t.Cleanup(func() { nc.Close() })
		return nc
	}
	before := logs.count("client connection closed")

	// A length over jute.maxbuffer: closed before anything is allocated.
	nc := dial()
	nc.Write([]byte{0x7f, 0xff, 0xff, 0xff})
	assert.Empty(t, closedSoon(t, nc, 2*time.Second))

	// A truncated frame: 100 bytes claimed, 10 sent, then the end.
	nc = dial()
	nc.Write(append([]byte{0, 0, 0, 100}, make([]byte, 10)...))
	nc.(*net.TCPConn).CloseWrite()
	assert.Empty(t, closedSoon(t, nc, 2*time.Second))

	// A request before the handshake: a getData frame first.
	nc = dial()
	nc.Write(zkwire.AppendRequest(nil, zkwire.RequestHeader{Xid: 1, Type: zkwire.OpGetData}, &zkwire.GetDataRequest{Path: "/good"}))
	assert.Empty(t, closedSoon(t, nc, 2*time.Second))

	// A slow-loris: two bytes of a length, then nothing.
	nc = dial()
	nc.Write([]byte{0, 0})
	start := time.Now()
	assert.Empty(t, closedSoon(t, nc, 3*time.Second))
	assert.Less(t, time.Since(start), 2*time.Second)

	// An unknown op code after the handshake: UNIMPLEMENTED, then closed.
	nc = dial()
	connectFrame(t, nc)
	nc.Write(zkwire.AppendFrame(nil, []byte{0, 0, 0, 7, 0, 0, 0x03, 0xe7})) // xid 7, op 999
	got := closedSoon(t, nc, 2*time.Second)
	fr := zkwire.NewFrameReader(bytes.NewReader(got), 0)
	f, err := fr.ReadFrame()
	require.NoError(t, err)
	var h zkwire.ReplyHeader
	h.Decode(zkwire.NewDecoder(f))
	assert.Equal(t, zkwire.ReplyHeader{Xid: 7, Zxid: h.Zxid, Err: zkwire.ErrUnimplemented}, h)

	// A frame that does not decode: a create whose path length runs past
	// the frame.
	nc = dial()
	connectFrame(t, nc)
	body := binary.BigEndian.AppendUint32([]byte{0, 0, 0, 8, 0, 0, 0, 1}, 1000)
	nc.Write(zkwire.AppendFrame(nil, body))
	assert.Empty(t, closedSoon(t, nc, 2*time.Second))

	// Past the per-IP cap (8, the good session holds one): closed at once.
	var held []net.Conn
	for range 7 {
		held = append(held, dial())
	}
	time.Sleep(50 * time.Millisecond)
	nc = dial()
	assert.Empty(t, closedSoon(t, nc, 2*time.Second))
	for _, h := range held {
		h.Close()
	}

	require.Eventually(t, func() bool { return logs.count("client connection closed") >= before+6 }, 2*time.Second, 10*time.Millisecond, "%s", logs)
	assert.Equal(t, 1, logs.count("client connection refused"), "%s", logs)

	// The good session saw none of it.
	_, err = good.Set("/good", []byte("1"), -1)
	require.NoError(t, err)
	data, _, err := good.Get("/good")
	require.NoError(t, err)
	assert.Equal(t, "1", string(data))
	assert.Equal(t, zk.StateHasSession, good.State())
}

// TestFourLetterWords asks a follower and the leader each word on their
// client port and checks the lines ZooKeeper prints.
func TestFourLetterWords(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader()
	c.waitServing()
	conn, _ := c.connect([]string{c.client[lead]})
	_, err := conn.Create("/w", []byte("x"), 0, zk.WorldACL(zk.PermAll))
	require.NoError(t, err)
	_, _, _, err = conn.GetW("/w") // one data watch, at the leader
	require.NoError(t, err)
	ask := func(addr, word string) string {
		nc, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer nc.Close()
		nc.Write([]byte(word))
		return string(closedSoon(t, nc, 2*time.Second))
	}
	for id, addr := range c.client {
		mode := "follower"
		if id == lead {
			mode = "leader"
		}
		assert.Equal(t, "imok", ask(addr, "ruok"))
		var srvr string
		require.Eventually(t, func() bool { // a follower may not have applied the create yet
			srvr = ask(addr, "srvr")
			return strings.Contains(srvr, "\nNode count: 2\n")
		}, 5*time.Second, 10*time.Millisecond, "%s", srvr)
		assert.Contains(t, srvr, "Zookeeper version: 3.9.4-zabplay")
		assert.Contains(t, srvr, "\nMode: "+mode+"\n")
		assert.Regexp(t, `\nZxid: 0x1000000[0-9a-f]{2}\n`, srvr)
		assert.Contains(t, srvr, "\nNode count: 2\n")
		stat := ask(addr, "stat")
		assert.Contains(t, stat, "Clients:\n")
		assert.Contains(t, stat, "\nMode: "+mode+"\n")
		mntr := ask(addr, "mntr")
		assert.Contains(t, mntr, "zk_server_state\t"+mode+"\n")
		assert.Contains(t, mntr, "zk_znode_count\t2\n")
		conf := ask(addr, "conf")
		assert.Contains(t, conf, "tickTime=100\n")
		assert.Contains(t, conf, "minSessionTimeout=200\nmaxSessionTimeout=2000\n")
		assert.Contains(t, conf, "serverId="+id.String()[1:]+"\n")
		assert.Contains(t, ask(addr, "wchs"), "Total watches:")
		if id == lead {
			assert.Contains(t, mntr, "zk_watch_count\t1\n")
			assert.Contains(t, ask(addr, "wchs"), "Total watches:1\n")
			assert.Contains(t, mntr, "zk_synced_followers\t2\n")
			cons := ask(addr, "cons")
			assert.Regexp(t, `sid=0x[0-9a-f]+,lop=GETD`, cons)
		}
		assert.Equal(t, zkwire.NotWhitelisted("dump"), ask(addr, "dump"))
	}
}
