package ensemble

// Tests of what a public `serve` needs (issue 8 §3): owned ensembles,
// cross-site requests, rate limits, caps, client identity, stale data roots.

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// raw sends a request with exactly the headers given (no token, no
// Content-Type unless given) and returns the status, headers and the
// answer's error.
func (a *api) raw(method, path, body string, hdr map[string]string) (int, http.Header, string) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	require.NoError(a.t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(a.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(a.t, err)
	var e struct {
		Error string `json:"error"`
	}
	json.Unmarshal(b, &e)
	return resp.StatusCode, resp.Header, e.Error
}

var jsonCT = map[string]string{"Content-Type": "application/json"}

func withHdr(kv ...string) map[string]string {
	h := map[string]string{"Content-Type": "application/json"}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = kv[i+1]
	}
	return h
}

// Another client, without the token, can watch an ensemble but not act on
// it or delete it (403); an id nobody made is 404. Ids and tokens are long
// random strings.
func TestOwnership(t *testing.T) {
	a := newAPI(t, testOptions(t))
	var c struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	code := a.do("POST", "/api/ensembles", `{"voters":1}`, &c)
	require.Equal(t, http.StatusCreated, code)
	assert.Regexp(t, `^e-[0-9a-f]{32}$`, c.ID, "128 random bits")
	assert.Regexp(t, `^[A-Za-z0-9_-]{43}$`, c.Token, "256 random bits, base64url")
	other := a.create(`{"voters":1}`)
	assert.NotEqual(t, c.ID, other)
	otherTok, _ := testTokens.Load(other)
	assert.NotEqual(t, c.Token, otherTok)

	act := "/api/ensembles/" + c.ID + "/actions"
	for name, hdr := range map[string]map[string]string{
		"no token":           jsonCT,
		"empty bearer":       withHdr("Authorization", "Bearer "),
		"wrong token":        withHdr("Authorization", "Bearer "+strings.Repeat("A", 43)),
		"another's token":    withHdr("Authorization", "Bearer "+otherTok.(string)),
		"token not a bearer": withHdr("Authorization", c.Token),
		"basic auth":         withHdr("Authorization", "Basic "+c.Token),
	} {
		code, _, msg := a.raw("POST", act, `{"text":"crash s1"}`, hdr)
		assert.Equal(t, http.StatusForbidden, code, name)
		assert.Contains(t, msg, "token", name)
		code, _, _ = a.raw("DELETE", "/api/ensembles/"+c.ID, "", hdr)
		assert.Equal(t, http.StatusForbidden, code, name)
	}
	st := a.state(c.ID)
	assert.True(t, st.Servers[0].Up, "nothing was applied")
	assert.Zero(t, st.ActionsTotal)
	assert.Contains(t, a.m.IDs(), c.ID, "not deleted")

	// Viewing stays open by link.
	code, _, _ = a.raw("GET", "/api/ensembles/"+c.ID, "", nil)
	assert.Equal(t, http.StatusOK, code)
	ws, _, err := dialWS(t, a, c.ID, nil)
	require.NoError(t, err)
	ws.CloseNow()

	// Unknown ids are 404, token or not.
	for _, m := range []string{"POST", "DELETE"} {
		p := "/api/ensembles/e-" + strings.Repeat("0", 32)
		if m == "POST" {
			p += "/actions"
		}
		code, _, msg := a.raw(m, p, `{"text":"heal"}`, withHdr("Authorization", "Bearer "+c.Token))
		assert.Equal(t, http.StatusNotFound, code, m)
		assert.Contains(t, msg, "no such ensemble", m)
	}

	// The owner can (Bearer is case-insensitive, as RFC 9110 says).
	code, _, msg := a.raw("POST", act, `{"text":"crash s1"}`, withHdr("Authorization", "bearer "+c.Token))
	assert.Equal(t, http.StatusOK, code, msg)
	code, _, _ = a.raw("DELETE", "/api/ensembles/"+c.ID, "", withHdr("Authorization", "Bearer "+c.Token))
	assert.Equal(t, http.StatusNoContent, code)
	assert.NotContains(t, a.m.IDs(), c.ID)
}

// POST and DELETE need Content-Type: application/json, and an Origin, when
// there is one, of this host or an allowed one: a form or a fetch from
// another site's page is refused before it does anything.
func TestCrossSite(t *testing.T) {
	o := testOptions(t)
	o.AllowedOrigins = []string{"*.zab.example"}
	o.MaxPerClient = 10
	a := newAPI(t, o)
	id := a.create(`{"voters":1}`)
	tok, _ := testTokens.Load(id)
	bearer := "Bearer " + tok.(string)
	host := strings.TrimPrefix(a.srv.URL, "http://")
	for _, tc := range []struct {
		name       string
		hdr        map[string]string
		code       int
		want       string
		createsOne bool
	}{
		{"no content type", map[string]string{}, 415, "want application/json", false},
		{"a form", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "want application/json", false},
		{"text/plain (a simple fetch)", map[string]string{"Content-Type": "text/plain;charset=UTF-8"}, 415, `"text/plain;charset=UTF-8"`, false},
		{"another site", withHdr("Origin", "https://evil.example"), 403, `a page of "https://evil.example"`, false},
		{"opaque origin", withHdr("Origin", "null"), 403, `a page of "null"`, false},
		{"a lookalike host", withHdr("Origin", "http://"+host+".evil.example"), 403, "may not change", false},
		{"same origin", withHdr("Origin", "http://"+host), 201, "", true},
		{"allowed origin", withHdr("Origin", "https://class.zab.example"), 201, "", true},
		{"no origin (not a browser)", jsonCT, 201, "", true},
		{"json with charset", map[string]string{"Content-Type": "application/json; charset=utf-8"}, 201, "", true},
	} {
		before := len(a.m.IDs())
		code, _, msg := a.raw("POST", "/api/ensembles", `{"voters":1}`, tc.hdr)
		assert.Equal(t, tc.code, code, "%s: %s", tc.name, msg)
		if tc.want != "" {
			assert.Contains(t, msg, tc.want, tc.name)
		}
		if tc.createsOne {
			assert.Len(t, a.m.IDs(), before+1, tc.name)
		} else {
			assert.Len(t, a.m.IDs(), before, "%s created nothing", tc.name)
		}
		// The same checks guard actions and DELETE, even with the token.
		if !tc.createsOne {
			h := map[string]string{"Authorization": bearer}
			for k, v := range tc.hdr {
				h[k] = v
			}
			code, _, _ = a.raw("POST", "/api/ensembles/"+id+"/actions", `{"text":"crash s1"}`, h)
			assert.Equal(t, tc.code, code, "action: %s", tc.name)
			code, _, _ = a.raw("DELETE", "/api/ensembles/"+id, "", h)
			assert.Equal(t, tc.code, code, "DELETE: %s", tc.name)
		}
	}
	st := a.state(id)
	assert.True(t, st.Servers[0].Up)
	assert.Zero(t, st.ActionsTotal, "no refused action was applied")
}

// The nits of issue 8: a null body creates nothing; delay s1-s1 is refused;
// PUT is 405 with Allow; no error echoes Go's type names or more than ~80
// bytes of a bad input. An action's answer is small.
func TestNits(t *testing.T) {
	a := newAPI(t, testOptions(t))
	for _, body := range []string{`null`, ` null `, `[]`, `"x"`, `3`, `true`} {
		var r actResult
		code := a.do("POST", "/api/ensembles", body, &r)
		assert.Equal(t, http.StatusBadRequest, code, body)
		assert.Contains(t, r.Error, "want a JSON object", body)
	}
	assert.Empty(t, a.m.IDs(), "a null body created nothing")

	for _, tc := range []struct{ body, want string }{
		{`{"voters":"three"}`, `"voters" is a string, want a whole number`},
		{`{"voters":3.5}`, `"voters" is a number 3.5, want a whole number`},
		{`{"voters":{}}`, `"voters" is an object, want a whole number`},
		{`{"voters":3`, "it ends too soon"},
		{`{"voters":3,}`, "malformed JSON body at byte"},
		{`{"` + strings.Repeat("v", 5000) + `":1}`, "unknown field"},
	} {
		var r actResult
		code := a.do("POST", "/api/ensembles", tc.body, &r)
		assert.Equal(t, http.StatusBadRequest, code, "%.40s", tc.body)
		assert.Contains(t, r.Error, tc.want, "%.40s", tc.body)
		for _, goName := range []string{"Go ", "struct", "*int", "json:"} {
			assert.NotContains(t, r.Error, goName, "%.40s", tc.body)
		}
		assert.Less(t, len(r.Error), 200, "%.40s: %s", tc.body, r.Error)
	}

	id := a.create(`{"voters":3}`)
	a.waitState(id, 15*time.Second, "a leader", synced)
	long := strings.Repeat("x", 16000)
	for _, text := range []string{
		long, "crash " + long, "create /a v via " + long, "create /" + long + " v", "delay " + long,
		"pause s1 for " + long, "partition s1 | " + long, `create /a "` + long,
	} {
		code, r := a.act(id, text)
		assert.Equal(t, http.StatusBadRequest, code, "%.30s", text)
		assert.Less(t, len(r.Error), 300, "%.30s: the error echoes the input: %.300s", text, r.Error)
		assert.NotContains(t, r.Error, strings.Repeat("x", 81), "%.30s", text)
	}
	code, r := a.act(id, "delay s1-s1 5ms")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, r.Error, "delay s1-s1: a link joins two different servers")
	code, r = a.act(id, "delay leader-s1 5ms")
	if code == http.StatusBadRequest { // s1 may be the leader
		assert.Contains(t, r.Error, "two different servers")
	}

	for _, tc := range []struct{ method, path, allow string }{
		{"PUT", "/api/ensembles/" + id, "GET, HEAD, DELETE"},
		{"PATCH", "/api/ensembles/" + id, "GET, HEAD, DELETE"},
		{"PUT", "/api/ensembles", "POST"},
		{"GET", "/api/ensembles", "POST"},
		{"PUT", "/api/ensembles/" + id + "/actions", "POST"},
		{"POST", "/api/ensembles/" + id + "/events", "GET, HEAD"},
	} {
		code, hdr, msg := a.raw(tc.method, tc.path, `{}`, jsonCT)
		assert.Equal(t, http.StatusMethodNotAllowed, code, "%s %s", tc.method, tc.path)
		assert.Equal(t, tc.allow, hdr.Get("Allow"), "%s %s", tc.method, tc.path)
		assert.Contains(t, msg, "is not allowed here", "%s %s", tc.method, tc.path)
	}
	code, _, msg := a.raw("GET", "/api/nothing/here", "", nil)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, msg, "no API at /api/nothing/here")

	// A write's answer: the reply and the stream's position, no State.
	req, err := http.NewRequest("POST", a.srv.URL+"/api/ensembles/"+id+"/actions", strings.NewReader(`{"text":"create /big `+strings.Repeat("v", 4000)+`"}`))
	require.NoError(t, err)
	asOwner(req, "/api/ensembles/"+id+"/actions")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	assert.Less(t, len(b), 6000, "an action's answer is small: %d bytes", len(b))
	assert.NotContains(t, string(b), `"state"`)
	var ans ActionAnswer
	require.NoError(t, json.Unmarshal(b, &ans))
	assert.True(t, ans.OK)
	require.NotNil(t, ans.Reply)
	assert.Positive(t, ans.Seq)
}

// fakeClock is a manager clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Actions beyond an ensemble's rate, or a client's, are 429 with
// Retry-After and a message saying so, and are not applied; the buckets
// refill with time. The manager's clock is a fake one: no timing in the
// test.
func TestRateLimits(t *testing.T) {
	clk := newFakeClock()
	o := testOptions(t)
	o.Now = clk.Now
	o.EnsembleRate, o.ClientRate = 5, 8 // bursts of 10 and 16
	a := newAPI(t, o)
	id := a.create(`{"voters":1}`) // the client's first token
	burst := func(id string, n int) (ok, limited int, last actResult, retry string) {
		for range n {
			b, _ := json.Marshal(map[string]string{"text": "heal"})
			req, _ := http.NewRequest("POST", a.srv.URL+"/api/ensembles/"+id+"/actions", strings.NewReader(string(b)))
			asOwner(req, "/api/ensembles/"+id+"/actions")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusOK:
				ok++
			case http.StatusTooManyRequests:
				limited++
				json.Unmarshal(body, &last)
				retry = resp.Header.Get("Retry-After")
			default:
				t.Fatalf("action: %d %s", resp.StatusCode, body)
			}
		}
		return
	}
	ok, limited, last, retry := burst(id, 25)
	assert.Equal(t, 10, ok, "the ensemble's burst")
	assert.Equal(t, 15, limited)
	assert.Contains(t, last.Error, "too many actions on this ensemble: at most 5 a second (bursts of 10); try again in 0.2 s")
	assert.Equal(t, "1", retry)
	assert.Equal(t, 10, a.state(id).ActionsTotal, "refused actions were not applied")

	clk.advance(time.Second)
	ok, _, _, _ = burst(id, 10)
	assert.Equal(t, 5, ok, "one second refills 5")

	// The client has spent 1 (create) + 10 + 5 of its 16 + 8: 8 are left. A
	// second ensemble has its own 10, but the client's bucket runs out first.
	id2 := a.create(`{"voters":1}`)
	ok, limited, last, retry = burst(id2, 20)
	assert.Equal(t, 7, ok, "the client's last tokens")
	assert.Equal(t, 13, limited)
	assert.Contains(t, last.Error, "too many actions from your address: at most 8 a second (bursts of 16)")
	assert.Equal(t, "1", retry)
	code, hdr, msg := a.raw("POST", "/api/ensembles", `{"voters":1}`, jsonCT)
	assert.Equal(t, http.StatusTooManyRequests, code, "a create is a client's action too")
	assert.Contains(t, msg, "from your address")
	assert.Equal(t, "1", hdr.Get("Retry-After"))
	assert.Len(t, a.m.IDs(), 2)
	clk.advance(2 * time.Second)
	ok, _, _, _ = burst(id2, 20)
	assert.Equal(t, 10, ok, "two seconds refill both buckets: the ensemble's 10 is the limit again")
}

// Behind a trusted proxy, each client of X-Forwarded-For has its own
// bucket and its own ensemble cap; a client that writes its own
// X-Forwarded-For, or a proxy we do not trust, changes nothing.
func TestClientOf(t *testing.T) {
	m := &Manager{}
	m.opts.TrustedProxies, _ = ParseTrustedProxies("10.0.0.0/8, fd00::/8,192.0.2.7")
	for _, tc := range []struct {
		remote, xff, want string
	}{
		{"203.0.113.9:5000", "", "203.0.113.9"},
		{"203.0.113.9:5000", "1.2.3.4", "203.0.113.9"}, // not a trusted proxy: its header is the client's
		{"10.1.2.3:5000", "1.2.3.4", "1.2.3.4"},
		{"10.1.2.3:5000", "6.6.6.6, 1.2.3.4", "1.2.3.4"},           // the client wrote 6.6.6.6
		{"10.1.2.3:5000", "6.6.6.6, 1.2.3.4, 10.9.9.9", "1.2.3.4"}, // two proxies
		{"192.0.2.7:443", "1.2.3.4", "1.2.3.4"},
		{"192.0.2.8:443", "1.2.3.4", "192.0.2.8"},
		{"10.1.2.3:5000", "10.2.2.2", "10.2.2.2"},               // only proxies: the leftmost
		{"10.1.2.3:5000", "junk, 1.2.3.4", "1.2.3.4"},           // junk left of the client
		{"10.1.2.3:5000", "1.2.3.4, junk", "10.1.2.3"},          // junk from the proxy side: stop there
		{"10.1.2.3:5000", "[2001:db8::1]:443", "2001:db8::/64"}, // a hop with a port
		{"[2001:db8:1:2:3:4:5:6]:80", "", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:80", "", "2001:db8:1:2::/64"}, // same /64: same client
		{"[::ffff:1.2.3.4]:80", "", "1.2.3.4"},
		{"[fd00::1]:80", "2001:db8:aa:bb::7", "2001:db8:aa:bb::/64"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		assert.Equal(t, tc.want, m.clientOf(r), "%s via %q", tc.remote, tc.xff)
	}
	// Two X-Forwarded-For lines are one list.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:1"
	r.Header.Add("X-Forwarded-For", "6.6.6.6")
	r.Header.Add("X-Forwarded-For", "1.2.3.4")
	assert.Equal(t, "1.2.3.4", m.clientOf(r))

	_, err := ParseTrustedProxies("10.0.0.0/8,proxy.example")
	assert.ErrorContains(t, err, `trusted proxy "proxy.example": want a CIDR`)
	ps, err := ParseTrustedProxies("")
	assert.NoError(t, err)
	assert.Empty(t, ps)

	// Through the API: a classroom behind one proxy is many clients.
	o := testOptions(t)
	o.MaxPerClient, o.TrustedProxies = 1, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	a := newAPI(t, o)
	for i := range 3 {
		code, _, msg := a.raw("POST", "/api/ensembles", `{"voters":1}`, withHdr("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1)))
		assert.Equal(t, http.StatusCreated, code, msg)
	}
	code, _, msg := a.raw("POST", "/api/ensembles", `{"voters":1}`, withHdr("X-Forwarded-For", "198.51.100.1"))
	assert.Equal(t, http.StatusTooManyRequests, code)
	assert.Contains(t, msg, "the most per client")
}

// Viewers are capped per ensemble and per client (429 before the upgrade).
func TestViewerCaps(t *testing.T) {
	o := testOptions(t)
	o.MaxViewers, o.MaxViewersPerClient = 2, 3
	a := newAPI(t, o)
	id := a.create(`{"voters":1}`)
	id2 := a.create(`{"voters":1}`)
	c1, _, err := dialWS(t, a, id, nil)
	require.NoError(t, err)
	c2, _, err := dialWS(t, a, id, nil)
	require.NoError(t, err)
	_, resp, err := dialWS(t, a, id, nil)
	require.Error(t, err, "a third viewer of one ensemble")
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	c3, _, err := dialWS(t, a, id2, nil)
	require.NoError(t, err)
	_, resp, err = dialWS(t, a, id2, nil)
	require.Error(t, err, "a fourth viewer from one client")
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	c1.Close(websocket.StatusNormalClosure, "")
	require.Eventually(t, func() bool {
		c, _, err := dialWS(t, a, id2, nil)
		if err == nil {
			c.CloseNow()
		}
		return err == nil
	}, 5*time.Second, 20*time.Millisecond, "a closed viewer frees its place")
	c2.CloseNow()
	c3.CloseNow()
}

// An ensemble stops after MaxLifetime even while watched; the viewer is
// told why.
func TestLifetime(t *testing.T) {
	clk := newFakeClock()
	o := testOptions(t)
	o.Now, o.Idle, o.MaxLifetime = clk.Now, time.Minute, time.Hour
	a := newAPI(t, o)
	id := a.create(`{"voters":1}`)
	w := a.watch(id, nil, true)
	for range 5 {
		clk.advance(11 * time.Minute)
		a.mustAct(id, "heal")
		assert.Empty(t, a.m.Reap(), "watched and active")
	}
	clk.advance(6 * time.Minute)
	assert.Equal(t, []string{id}, a.m.Reap())
	select {
	case <-w.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the viewer's websocket stayed open")
	}
	assert.Contains(t, w.closed, "reached the longest it may run (1h0m0s)")
}

// A create or set over an ensemble's znode or byte cap is refused before
// it reaches a server: nothing is written, and a delete makes room again.
func TestTreeCaps(t *testing.T) {
	o := testOptions(t)
	o.MaxZnodes, o.MaxDataBytes = 3, 100
	a := newAPI(t, o)
	id := a.create(`{"voters":1}`)
	a.waitState(id, 15*time.Second, "a leader", synced)
	for _, p := range []string{"/a", "/b", "/c"} {
		r := a.mustAct(id, "create "+p+" "+strings.Repeat("v", 30))
		require.Equal(t, "OK", r.Reply.Err.String())
	}
	total := a.state(id).ActionsTotal
	code, r := a.act(id, "create /d x")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, r.Error, "this ensemble holds 3 znodes (0 more being written), the most it may hold is 3: delete some first (nothing was written)")
	code, r = a.act(id, "set /a "+strings.Repeat("w", 50))
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, r.Error, "this write would bring the ensemble's data to 110 bytes, over its cap of 100")
	st := a.state(id)
	assert.Equal(t, total, st.ActionsTotal, "a refused write is not an action")
	paths := map[string]string{}
	for _, z := range st.Servers[0].Tree {
		paths[z.Path] = z.Data
	}
	assert.Equal(t, map[string]string{"/a": strings.Repeat("v", 30), "/b": strings.Repeat("v", 30), "/c": strings.Repeat("v", 30)}, paths)

	a.mustAct(id, "set /a "+strings.Repeat("w", 40)) // 100 bytes: at the cap, not over
	a.mustAct(id, "delete /c")
	require.Eventually(t, func() bool {
		code, _ := a.act(id, "create /d "+strings.Repeat("d", 30))
		return code == http.StatusOK
	}, 5*time.Second, 20*time.Millisecond, "the delete made room")
}

// Many creates in flight at once never pass the znode cap together.
func TestTreeCapConcurrent(t *testing.T) {
	o := testOptions(t)
	o.MaxZnodes = 10
	a := newAPI(t, o)
	id := a.create(`{"voters":1}`)
	a.waitState(id, 15*time.Second, "a leader", synced)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, r := a.act(id, fmt.Sprintf("create /n%d x", i))
			if code == http.StatusOK && r.Reply.Err.String() == "OK" {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 10, ok)
	assert.Len(t, a.state(id).Servers[0].Tree, 10)
}

// The data roots a killed serve left in the temp dir are removed when the
// next one starts; those whose serve may still run are kept.
func TestStaleRoots(t *testing.T) {
	tmp := t.TempDir()
	mk := func(name, pid string, age time.Duration) string {
		dir := filepath.Join(tmp, name)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "e-1-x", "s1"), 0o700))
		old := time.Now().Add(-age)
		if pid != "" {
			pf := filepath.Join(dir, pidFile)
			require.NoError(t, os.WriteFile(pf, []byte(pid+"\n"), 0o600))
			require.NoError(t, os.Chtimes(pf, old, old))
		}
		require.NoError(t, os.Chtimes(dir, old, old))
		return dir
	}
	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	deadPid := strconv.Itoa(dead.Process.Pid)
	gone := mk(rootPattern+"dead", deadPid, time.Hour)
	mine := mk(rootPattern+"mine", strconv.Itoa(os.Getpid()), time.Hour)
	parent := mk(rootPattern+"parent", strconv.Itoa(os.Getppid()), 0)
	legacy := mk(rootPattern+"legacy", "", time.Hour)
	fresh := mk(rootPattern+"fresh", "", 0)
	later := exec.Command("sleep", "30") // a process started after its pid file was written
	require.NoError(t, later.Start())
	defer later.Process.Kill()
	reused := mk(rootPattern+"reused", strconv.Itoa(later.Process.Pid), time.Hour)
	other := mk("something-else", deadPid, time.Hour)
	garbled := mk(rootPattern+"garbled", "not a pid", time.Hour)

	t.Setenv("TMPDIR", tmp)
	m, err := New(Options{Log: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	root := m.Root()
	b, err := os.ReadFile(filepath.Join(root, pidFile))
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(os.Getpid())+"\n", string(b), "the new root names its serve")
	for dir, kept := range map[string]bool{gone: false, legacy: false, reused: false, mine: true, parent: true,
		fresh: true, other: true, garbled: true} {
		_, err := os.Stat(dir)
		assert.Equal(t, kept, err == nil, "%s kept", filepath.Base(dir))
	}
	require.NoError(t, m.Close())
	_, err = os.Stat(root)
	assert.True(t, os.IsNotExist(err), "Close removes its own root")
}

// Process mode passes the snapshot interval to every child.
func TestNodeArgsSnapCount(t *testing.T) {
	o := testOptions(t)
	o.defaults()
	o.SnapCount = 1000
	e := &Ensemble{opts: &o, members: []*member{{id: 1, addr: "127.0.0.1:1", dir: "/x"}}}
	assert.Contains(t, strings.Join(e.nodeArgs(e.members[0]), " "), "--snapcount 1000")
	var d Options
	d.defaults()
	assert.Equal(t, 1000, d.SnapCount, "live ensembles snapshot every 1000 txns by default")
}
