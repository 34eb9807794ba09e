package ensemble

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/check"
)

// api is a Manager behind a real loopback HTTP server.
type api struct {
	t   *testing.T
	m   *Manager
	srv *httptest.Server
}

// testOptions are fast timings and no rate limits or caps but the ensemble
// counts (the tests of the limits set their own).
func testOptions(t *testing.T) Options {
	o := Options{Root: t.TempDir(), TickMs: 100, ClockMs: 10, InitLimit: 10, SyncLimit: 5,
		EnsembleRate: -1, ClientRate: -1, MaxViewers: -1, MaxViewersPerClient: -1, MaxZnodes: -1, MaxDataBytes: -1}
	if testing.Verbose() && os.Getenv("ENSEMBLE_LOG") != "" {
		o.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return o
}

func newAPI(t *testing.T, o Options) *api {
	m, err := New(o)
	require.NoError(t, err)
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(func() {
		srv.Close()
		require.NoError(t, m.Close())
	})
	return &api{t: t, m: m, srv: srv}
}

// testTokens are the ensembles' tokens (id → token) learned from the create
// answers the tests got: do and loadClient.do send them, as live.js does.
var testTokens sync.Map

// asOwner sets what live.js sends: Content-Type on POST and DELETE, and the
// ensemble's token when the path names one this test created.
func asOwner(req *http.Request, path string) {
	if req.Method == http.MethodPost || req.Method == http.MethodDelete {
		req.Header.Set("Content-Type", "application/json")
	}
	if rest, ok := strings.CutPrefix(path, "/api/ensembles/"); ok {
		id, _, _ := strings.Cut(rest, "/")
		if tok, ok := testTokens.Load(id); ok {
			req.Header.Set("Authorization", "Bearer "+tok.(string))
		}
	}
}

// learnToken keeps the token of a create's answer.
func learnToken(method, path string, code int, b []byte) {
	if method != http.MethodPost || path != "/api/ensembles" || code != http.StatusCreated {
		return
	}
	var c struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	if json.Unmarshal(b, &c) == nil && c.ID != "" {
		testTokens.Store(c.ID, c.Token)
	}
}

// do sends a request as the ensemble's owner (asOwner) and decodes the JSON
// answer into out (if not nil).
func (a *api) do(method, path, body string, out any) int {
	a.t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	require.NoError(a.t, err)
	asOwner(req, path)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(a.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(a.t, err)
	learnToken(method, path, resp.StatusCode, b)
	if out != nil && len(b) > 0 {
		require.NoError(a.t, json.Unmarshal(b, out), "%s %s: %s", method, path, b)
	}
	return resp.StatusCode
}

type created struct {
	ID    string `json:"id"`
	State State  `json:"state"`
}

func (a *api) create(body string) string {
	a.t.Helper()
	var c created
	code := a.do("POST", "/api/ensembles", body, &c)
	require.Equal(a.t, http.StatusCreated, code)
	require.NotEmpty(a.t, c.ID)
	return c.ID
}

func (a *api) state(id string) State {
	a.t.Helper()
	var c created
	require.Equal(a.t, http.StatusOK, a.do("GET", "/api/ensembles/"+id, "", &c))
	return c.State
}

// actResult is an action's answer, with (after a 200) State filled from a
// GET that follows it (the answer itself carries no State).
type actResult struct {
	OK    bool        `json:"ok"`
	Reply *core.Reply `json:"reply"`
	Seq   uint64      `json:"seq"`
	State State       `json:"state"`
	Error string      `json:"error"`
}

func (a *api) act(id, text string) (int, actResult) {
	a.t.Helper()
	b, _ := json.Marshal(map[string]string{"text": text})
	var r actResult
	code := a.do("POST", "/api/ensembles/"+id+"/actions", string(b), &r)
	if code == http.StatusOK {
		r.State = a.state(id)
	}
	return code, r
}

func (a *api) mustAct(id, text string) actResult {
	a.t.Helper()
	code, r := a.act(id, text)
	require.Equal(a.t, http.StatusOK, code, "%s: %s", text, r.Error)
	return r
}

// waitState polls GET until cond holds.
func (a *api) waitState(id string, within time.Duration, what string, cond func(State) (bool, string)) State {
	a.t.Helper()
	deadline := time.Now().Add(within)
	why := ""
	for {
		st := a.state(id)
		var ok bool
		if ok, why = cond(st); ok {
			return st
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("%s: not within %v: %s", what, within, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// synced: an established leader, every running server in broadcast under it
// with its last zxid.
func synced(st State) (bool, string) {
	if st.Leader == 0 {
		return false, "no established leader"
	}
	l := st.Servers[st.Leader-1]
	for _, s := range st.Servers {
		if !s.Up {
			continue
		}
		switch {
		case s.Phase != core.PhaseBroadcast:
			return false, fmt.Sprintf("%v in phase %v", s.ID, s.Phase)
		case s.Leader != st.Leader:
			return false, fmt.Sprintf("%v follows %v, not %v", s.ID, s.Leader, st.Leader)
		case s.LastLogged != l.LastLogged || (s.LastZxid != l.LastZxid && l.LastZxid.Counter() > 0):
			// NB: a new leader's lastProcessed is (epoch, 0) after NEWLEADER
			// while its learners stay at their last txn until the next one.
			return false, fmt.Sprintf("%v at %v (logged %v), leader %v at %v (logged %v)", s.ID, s.LastZxid, s.LastLogged, st.Leader, l.LastZxid, l.LastLogged)
		}
	}
	return true, ""
}

// watcher is a websocket viewer that records what it got.
type watcher struct {
	t    *testing.T
	c    *websocket.Conn
	mu   sync.Mutex
	msgs []wsMsg
	// next is the seq it expects; holes counts events it missed without a
	// gap marker; gaps counts gap markers.
	next    uint64
	holes   int
	gaps    int
	events  int
	checker *check.Checker
	light   bool // count events without decoding them
	closed  string
	done    chan struct{}
}

type wsMsg struct {
	Type    string            `json:"type"`
	Seq     uint64            `json:"seq"`
	State   *State            `json:"state"`
	Events  []json.RawMessage `json:"events"`
	Dropped int               `json:"dropped"`
	Reason  string            `json:"reason"`
}

func dialWS(t *testing.T, a *api, id string, opts *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(a.srv.URL, "http") + "/api/ensembles/" + id + "/events"
	return websocket.Dial(ctx, u, opts)
}

// watch connects a viewer; if read is false it does not read until
// startReading.
func (a *api) watch(id string, opts *websocket.DialOptions, read bool) *watcher {
	a.t.Helper()
	c, _, err := dialWS(a.t, a, id, opts)
	require.NoError(a.t, err)
	c.SetReadLimit(64 << 20)
	w := &watcher{t: a.t, c: c, checker: check.New(), done: make(chan struct{})}
	a.t.Cleanup(func() { c.CloseNow() })
	if read {
		w.startReading()
	}
	return w
}

func (w *watcher) startReading() {
	go func() {
		defer close(w.done)
		for {
			_, b, err := w.c.Read(context.Background())
			if err != nil {
				return
			}
			var m wsMsg
			if json.Unmarshal(b, &m) != nil {
				continue
			}
			w.take(m)
		}
	}()
}

func (w *watcher) take(m wsMsg) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m2 := m
	m2.Events = nil
	w.msgs = append(w.msgs, m2)
	switch m.Type {
	case "snapshot":
		w.next = m.State.Seq
	case "gap":
		w.gaps++
	case "events":
		if m.Seq != w.next {
			w.holes++
		}
		w.next = m.Seq + uint64(len(m.Events))
		if w.light {
			w.events += len(m.Events)
			return
		}
		for _, raw := range m.Events {
			var e core.Event
			if err := json.Unmarshal(raw, &e); err == nil {
				w.checker.Observe(e)
			}
			w.events++
		}
	case "closed":
		w.closed = m.Reason
	}
}

func (w *watcher) stats() (next uint64, holes, gaps, events int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.next, w.holes, w.gaps, w.events
}

func (w *watcher) types() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, m := range w.msgs {
		out = append(out, m.Type)
	}
	return out
}

// waitSeq waits until the viewer has every event up to seq.
func (w *watcher) waitSeq(seq uint64, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if next, _, _, _ := w.stats(); next >= seq {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func jsonBody(v any) string {
	var b bytes.Buffer
	json.NewEncoder(&b).Encode(v)
	return b.String()
}
