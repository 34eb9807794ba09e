package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/server/ensemble"
	"github.com/zabplay/zabplay/server/site"
)

// startServe runs serve's http.Server (newHTTPServer, serveRoutes) with the
// timeouts given on a loopback port.
func startServe(t *testing.T, to httpTimeouts) (string, *ensemble.Manager) {
	t.Helper()
	m, err := ensemble.New(ensemble.Options{Root: t.TempDir(), TickMs: 100})
	require.NoError(t, err)
	srv := newHTTPServer(serveRoutes(m.Handler(), site.Handler(site.Options{})), slog.New(slog.DiscardHandler), to)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		m.Close()
	})
	return ln.Addr().String(), m
}

// closedWithin reads c until the server closes it (EOF or a reset) and
// returns how long that took from start, or fails after limit.
func closedWithin(t *testing.T, c net.Conn, start time.Time, limit time.Duration) time.Duration {
	t.Helper()
	c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the connection was still open after %v", limit)
	}
	return time.Since(start)
}

// A client that sends its body a byte at a time, one that stops in its
// headers, and one that keeps an idle connection are each disconnected
// after the server's timeout (with the short timeouts of this test; serve's
// are 30s, 10s and 2m), so they cannot pile up file descriptors.
func TestServeTimeouts(t *testing.T) {
	to := httpTimeouts{readHeader: 300 * time.Millisecond, read: 600 * time.Millisecond, write: time.Second, idle: 400 * time.Millisecond}
	addr, _ := startServe(t, to)

	t.Run("slow body", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		start := time.Now()
		fmt.Fprintf(c, "POST /api/ensembles HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", addr)
		stop := make(chan struct{})
		go func() { // a byte every 50ms: 50 s for the whole body
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				if _, err := c.Write([]byte(" ")); err != nil {
					return
				}
			}
		}()
		took := closedWithin(t, c, start, 10*time.Second)
		close(stop)
		assert.GreaterOrEqual(t, took, to.read/2, "closed by the read timeout, not before")
		t.Logf("slow body: closed after %v (ReadTimeout %v)", took.Round(time.Millisecond), to.read)
	})
	t.Run("slow headers", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		start := time.Now()
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n", addr) // never ends its headers
		took := closedWithin(t, c, start, 10*time.Second)
		t.Logf("slow headers: closed after %v (ReadHeaderTimeout %v)", took.Round(time.Millisecond), to.readHeader)
	})
	t.Run("idle", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		start := time.Now()
		c.SetReadDeadline(start.Add(10 * time.Second))
		_, err = br.ReadByte()
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("the idle connection was still open after 10s")
		}
		t.Logf("idle: closed after %v (IdleTimeout %v)", time.Since(start).Round(time.Millisecond), to.idle)
	})
}

// A websocket outlives the server's read and write timeouts (its handler
// clears the deadlines when it upgrades): events still flow well after both.
func TestServeWebsocketOutlivesTimeouts(t *testing.T) {
	to := httpTimeouts{readHeader: 300 * time.Millisecond, read: 300 * time.Millisecond, write: 300 * time.Millisecond, idle: 300 * time.Millisecond}
	addr, m := startServe(t, to)
	e, err := m.Create("test", ensemble.Spec{Voters: 3})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+addr+"/api/ensembles/"+e.ID+"/events", nil)
	require.NoError(t, err)
	defer c.CloseNow()
	c.SetReadLimit(16 << 20)
	start := time.Now()
	msgs := 0
	for time.Since(start) < 1500*time.Millisecond {
		_, _, err := c.Read(ctx)
		require.NoError(t, err, "after %v", time.Since(start))
		msgs++
	}
	// The elections and pings of 3 servers keep events coming.
	_, _, err = c.Read(ctx)
	require.NoError(t, err, "a message more than 5x the timeouts after the upgrade")
	t.Logf("%d websocket messages in %v with 300ms read and write timeouts", msgs+1, time.Since(start).Round(time.Millisecond))
}

// /api/ answers carry the pages' security headers.
func TestServeAPISecurityHeaders(t *testing.T) {
	addr, _ := startServe(t, serveTimeouts)
	page, err := http.Get("http://" + addr + "/playground")
	require.NoError(t, err)
	page.Body.Close()
	for _, path := range []string{"/api/ensembles/e-00", "/api/nothing"} {
		resp, err := http.Get("http://" + addr + path)
		require.NoError(t, err)
		var e struct {
			Error string `json:"error"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
		resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"} {
			assert.NotEmpty(t, page.Header.Get(h), h)
			assert.Equal(t, page.Header.Get(h), resp.Header.Get(h), "%s on %s", h, path)
		}
	}
	resp, err := http.Post("http://"+addr+"/api/ensembles", "text/plain", strings.NewReader(`{}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Get("Content-Security-Policy"))
}

// serve's flags for a public site: bad values are refused with the flag's
// name; --trusted-proxy must be CIDRs or addresses.
func TestServeFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--trusted-proxy", "10.0.0.0/8,nope"}, `--trusted-proxy: trusted proxy "nope": want a CIDR`},
		{[]string{"--ensemble-rate", "0"}, "--ensemble-rate 0 and --client-rate 20: want more than 0"},
		{[]string{"--client-rate", "-1"}, "want more than 0"},
		{[]string{"--max-viewers", "0"}, "--max-viewers 0: want at least 1"},
		{[]string{"--max-znodes", "0"}, "--max-znodes 0: want at least 1"},
		{[]string{"--max-data-bytes", "-5"}, "--max-data-bytes -5: want at least 1"},
		{[]string{"--snapcount", "0"}, "--snapcount 0: want at least 1"},
		{[]string{"--ensemble-lifetime", "10s"}, "--ensemble-lifetime 10s: want at least 1m"},
	} {
		err := run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...), func(string) string { return "" }, io.Discard, io.Discard)
		assert.ErrorContains(t, err, tc.want, strings.Join(tc.args, " "))
	}
}
