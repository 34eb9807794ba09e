package ensemble

import (
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBadInputs(t *testing.T) {
	a := newAPI(t, testOptions(t))
	for _, tc := range []struct {
		body string
		want string
	}{
		{`{"voters":10}`, "voters 10: want 1..9"},
		{`{"voters":0}`, "voters 0: want 1..9"},
		{`{"observers":5}`, "observers 5: want 0..4"},
		{`{"linkDelayMs":5001}`, "linkDelayMs 5001: want 0..5000"},
		{`{"voters":3,`, "malformed JSON"},
		{`{"voterz":3}`, `unknown field "voterz"`},
		{`{"voters":3} {}`, "more than one value"},
		{``, "empty request body"},
		{`{"voters":"three"}`, "malformed JSON"},
		{`{"voters":3,"pad":"` + strings.Repeat("x", 17<<10) + `"}`, "over 16384 bytes"},
	} {
		var r actResult
		code := a.do("POST", "/api/ensembles", tc.body, &r)
		assert.Equal(t, http.StatusBadRequest, code, "%.40s", tc.body)
		assert.Contains(t, r.Error, tc.want, "%.40s", tc.body)
	}
	assert.Empty(t, a.m.IDs(), "no ensemble was started")

	var r actResult
	assert.Equal(t, http.StatusNotFound, a.do("GET", "/api/ensembles/e-000000", "", &r))
	assert.Contains(t, r.Error, `no such ensemble "e-000000"`)
	assert.Equal(t, http.StatusNotFound, a.do("GET", "/api/ensembles/..%2f..%2fetc", "", &r))
	assert.Equal(t, http.StatusNotFound, a.do("DELETE", "/api/ensembles/e-000000", "", nil))
	assert.Equal(t, http.StatusNotFound, a.do("POST", "/api/ensembles/e-000000/actions", `{"text":"heal"}`, nil))

	id := a.create(`{"voters":3}`)
	for _, tc := range []struct {
		text, want string
	}{
		{"crash s9", "no server s9 (the ensemble has s1..s3)"},
		{"crash s0", "no server s0"},
		{"crash s01", "no server s01"},
		{"crash bob", `unknown server "bob"`},
		{"restart s1", "s1 is already running"},
		{"resume s2", "s2 is not paused"},
		{"explode s1", `unknown verb "explode"`},
		{"run 2s", `"run" is not an action of a live ensemble`},
		{"wait leader", `"wait" is not an action`},
		{"expect leader == s1", `"expect" is not an action`},
		{"load 10", `"load" is not an action`},
		{"", "empty action"},
		{"# only a comment", "empty action"},
		{"create a x", `path "a" must start with /`},
		{"create /a/ x", `path "/a/"`},
		{"create /" + strings.Repeat("p", 300) + " x", "path of 301 bytes: at most 256"},
		{"create /a " + strings.Repeat("v", 5000), "value of 5000 bytes: at most 4096"},
		{"set /a", "want: set PATH VALUE"},
		{"create /a x via s7", "no server s7 (the ensemble has s1..s"},
		{"cut s1-s1", "a link joins two different servers"},
		{"cut s1", "want: cut A-B"},
		{"partition s1 | s1", "s1 is in two groups"},
		{"partition s1", "at least two groups"},
		{"delay s1-s2 9s", "want 0ms..5s"},
		{"delay s1->s2 9ms", "want delay A-B DURATION"},
		{"pause s1 for 11m", "at most 10m0s"},
		{"get /a via observer", "there is no observer at"},
	} {
		code, r := a.act(id, tc.text)
		assert.Equal(t, http.StatusBadRequest, code, "%.40s", tc.text)
		assert.Contains(t, r.Error, tc.want, "%.40s", tc.text)
	}
	for _, body := range []string{`{"text":`, `{}`, `{"text":"heal","x":1}`, `{"text":"` + strings.Repeat("a", 17<<10) + `"}`} {
		var r actResult
		code := a.do("POST", "/api/ensembles/"+id+"/actions", body, &r)
		assert.Equal(t, http.StatusBadRequest, code, "%.40s", body)
		assert.NotEmpty(t, r.Error)
	}
	st := a.state(id)
	assert.Empty(t, st.Actions, "nothing was applied")
	for _, l := range st.Links {
		assert.False(t, l.Cut)
	}
	for _, s := range st.Servers {
		assert.True(t, s.Up)
	}
}

func TestCaps(t *testing.T) {
	o := testOptions(t)
	o.MaxEnsembles, o.MaxPerClient = 2, 1
	a := newAPI(t, o)
	a.create(`{"voters":1}`)
	var r actResult
	assert.Equal(t, http.StatusTooManyRequests, a.do("POST", "/api/ensembles", `{"voters":1}`, &r))
	assert.Contains(t, r.Error, "the most per client")

	o = testOptions(t)
	o.MaxEnsembles, o.MaxPerClient = 1, 5
	b := newAPI(t, o)
	b.create(`{"voters":1}`)
	assert.Equal(t, http.StatusTooManyRequests, b.do("POST", "/api/ensembles", `{"voters":1}`, &r))
	assert.Contains(t, r.Error, "1 ensembles are running, the most this server runs")

	// Concurrent creates never pass the cap.
	o = testOptions(t)
	o.MaxEnsembles, o.MaxPerClient = 3, 3
	c := newAPI(t, o)
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = c.do("POST", "/api/ensembles", `{"voters":1}`, nil)
		}()
	}
	wg.Wait()
	n := 0
	for _, code := range codes {
		if code == http.StatusCreated {
			n++
		} else {
			assert.Equal(t, http.StatusTooManyRequests, code)
		}
	}
	assert.Equal(t, 3, n)
}

func TestDeleteRemovesData(t *testing.T) {
	a := newAPI(t, testOptions(t))
	id := a.create(`{"voters":3}`)
	a.waitState(id, 15*time.Second, "a leader", synced)
	a.mustAct(id, "create /a x")
	w := a.watch(id, nil, true)
	dirs, err := os.ReadDir(a.m.Root())
	require.NoError(t, err)
	require.Len(t, dirs, 1)
	assert.True(t, strings.HasPrefix(dirs[0].Name(), id+"-"))
	sub, err := os.ReadDir(a.m.Root() + "/" + dirs[0].Name())
	require.NoError(t, err)
	assert.Len(t, sub, 3, "one data dir per server")

	assert.Equal(t, http.StatusNoContent, a.do("DELETE", "/api/ensembles/"+id, "", nil))
	dirs, err = os.ReadDir(a.m.Root())
	require.NoError(t, err)
	assert.Empty(t, dirs)
	assert.Equal(t, http.StatusNotFound, a.do("GET", "/api/ensembles/"+id, "", nil))
	select {
	case <-w.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the viewer's websocket stayed open")
	}
	assert.Equal(t, "deleted", w.closed)
}

func TestReaperWithFakeClock(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	o := testOptions(t)
	o.Idle = time.Minute
	o.MaxLifetime = 10 * time.Hour // TestLifetime
	o.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	advance := func(d time.Duration) {
		mu.Lock()
		now = now.Add(d)
		mu.Unlock()
	}
	a := newAPI(t, o)
	idle := a.create(`{"voters":1}`)
	watched := a.create(`{"voters":1}`)
	acted := a.create(`{"voters":1}`)
	w := a.watch(watched, nil, true)
	require.Eventually(t, func() bool {
		e, _ := a.m.Get(watched)
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.viewers == 1
	}, 5*time.Second, 10*time.Millisecond)

	assert.Empty(t, a.m.Reap())
	advance(50 * time.Second)
	a.mustAct(acted, "heal")
	advance(20 * time.Second)
	assert.Equal(t, []string{idle}, a.m.Reap())
	assert.Equal(t, http.StatusNotFound, a.do("GET", "/api/ensembles/"+idle, "", nil))
	assert.ElementsMatch(t, []string{watched, acted}, a.m.IDs())

	advance(time.Hour)
	assert.Equal(t, []string{acted}, a.m.Reap(), "a watched ensemble stays")
	w.c.Close(websocket.StatusNormalClosure, "")
	require.Eventually(t, func() bool {
		e, _ := a.m.Get(watched)
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.viewers == 0
	}, 5*time.Second, 10*time.Millisecond)
	assert.Empty(t, a.m.Reap(), "the viewer just left")
	advance(time.Minute)
	assert.Equal(t, []string{watched}, a.m.Reap())
	dirs, err := os.ReadDir(a.m.Root())
	require.NoError(t, err)
	assert.Empty(t, dirs)
}

func TestWebsocketSnapshotThenEvents(t *testing.T) {
	a := newAPI(t, testOptions(t))
	id := a.create(`{"voters":3}`)
	w := a.watch(id, nil, true)
	a.waitState(id, 15*time.Second, "a leader", synced)
	a.mustAct(id, "create /a x")
	require.Eventually(t, func() bool {
		_, _, _, n := w.stats()
		return n > 0
	}, 5*time.Second, 10*time.Millisecond)
	types := w.types()
	assert.Equal(t, "snapshot", types[0])
	for _, ty := range types[1:] {
		assert.Equal(t, "events", ty)
	}
	w.mu.Lock()
	first := w.msgs[0].State
	w.mu.Unlock()
	assert.True(t, first.Live)
	assert.Len(t, first.Servers, 3)
	assert.Len(t, first.Links, 6)

	// Another site's page may not watch; an allowed origin may.
	_, resp, err := dialWS(t, a, id, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://evil.example"}}})
	require.Error(t, err)
	if resp != nil {
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	}
	o := testOptions(t)
	o.AllowedOrigins = []string{"zab.example"}
	b := newAPI(t, o)
	id2 := b.create(`{"voters":1}`)
	c, _, err := dialWS(t, b, id2, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://zab.example"}}})
	require.NoError(t, err)
	c.CloseNow()
	_, _, err = dialWS(t, a, "e-000000", nil)
	assert.Error(t, err, "unknown ensemble")
}
