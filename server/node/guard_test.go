package node

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHostAllowed(t *testing.T) {
	lo, unspec, lan := net.ParseIP("127.0.0.1"), net.ParseIP("0.0.0.0"), net.ParseIP("10.0.0.11")
	names := []string{"laptop3.local"}
	for _, c := range []struct {
		host   string
		listen net.IP
		want   bool
	}{
		{"127.0.0.1:8081", lo, true},
		{"localhost:8081", lo, true},
		{"LocalHost.:8081", lo, true},
		{"app.localhost:8081", lo, true},
		{"[::1]:8081", lo, true},
		{"", lo, true}, // HTTP/1.0: no browser sends it
		{"evil.example:8081", lo, false},
		{"evil.example", unspec, false},
		{"127.0.0.1.evil.example", lo, false},
		{"localhost.evil.example", lo, false},
		{"10.0.0.11:8081", lo, false}, // not this listener's address
		{"10.0.0.11:8081", lan, true},
		{"10.0.0.12:8081", lan, false},
		{"127.0.0.1:8081", lan, true},
		{"10.0.0.12:8081", unspec, true},
		{"[fe80::1]:8081", unspec, true},
		{"10.0.0.12:8081", nil, true},
		{"laptop3.local:8081", lo, true},
		{"LAPTOP3.LOCAL", lan, true},
		{"laptop4.local", lan, false},
	} {
		got := hostAllowed(c.host, c.listen, names)
		assert.Equal(t, c.want, got, "hostAllowed(%q, listen %v) = %v, want %v", c.host, c.listen, got, c.want)
	}
}

func TestAdminGuard(t *testing.T) {
	e := newEnsemble(t, 1)
	e.waitSynced(10 * time.Second)
	srv := httptest.NewUnstartedServer(nil)
	addr := srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	srv.Config.Handler = e.nodes[1].Handler(AdminOptions{Addr: addr, Hosts: []string{"laptop3.local"}})
	srv.Start()
	defer srv.Close()

	do := func(method, path, host, ctype, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		if host != "" {
			req.Host = host
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	// DNS rebinding: a page of evil.example resolved to this machine.
	code, body := do("GET", "/status", "evil.example:"+port, "", "")
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, "DNS rebinding")
	assert.Contains(t, body, "--admin-hosts")
	code, _ = do("POST", "/request", "evil.example:"+port, "application/json", `{"op":"create","path":"/evil"}`)
	assert.Equal(t, http.StatusForbidden, code)
	code, _ = do("GET", "/events", "evil.example:"+port, "", "")
	assert.Equal(t, http.StatusForbidden, code, "the websocket too")
	code, _ = do("GET", "/status", "10.9.9.9:"+port, "", "")
	assert.Equal(t, http.StatusForbidden, code, "an IP address that is not the listener's")
	for _, host := range []string{"", "localhost:" + port, "laptop3.local:" + port, "[::1]:" + port} {
		code, body = do("GET", "/status", host, "", "")
		assert.Equal(t, http.StatusOK, code, "Host %q: %s", host, body)
	}

	// Cross-site writes: POST and DELETE need application/json.
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		code, body = do("POST", "/request", "", ct, `{"op":"create","path":"/csrf"}`)
		assert.Equal(t, http.StatusUnsupportedMediaType, code, "Content-Type %q", ct)
		assert.Contains(t, body, "needs Content-Type: application/json")
		code, _ = do("POST", "/faults", "", ct, `{"peer":2,"cut":true}`)
		assert.Equal(t, http.StatusUnsupportedMediaType, code)
		code, _ = do("DELETE", "/faults", "", ct, "")
		assert.Equal(t, http.StatusUnsupportedMediaType, code)
	}
	code, body = do("GET", "/request", "", "", "")
	assert.Equal(t, http.StatusMethodNotAllowed, code, body)
	code, body = do("POST", "/request", "", "application/json; charset=utf-8", `{"op":"create","path":"/ok"}`)
	assert.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"err":"OK"`)
	code, body = do("DELETE", "/faults", "", "application/json", "")
	assert.Equal(t, http.StatusOK, code, body)
	// Nothing the refused requests asked for happened.
	code, body = do("POST", "/request", "", "application/json", `{"op":"get","path":"/csrf"}`)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"err":"NONODE"`)
	code, body = do("POST", "/request", "", "application/json", `{"op":"get","path":"/evil"}`)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"err":"NONODE"`)
}
