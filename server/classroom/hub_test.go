package classroom

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// testHub serves a hub on httptest.
func testHub(t testing.TB, opts Options) (*Hub, string) {
	t.Helper()
	h := New(opts)
	srv := httptest.NewServer(h.Handler())
	t.Cleanup(func() { srv.Close(); h.Close() })
	return h, srv.URL
}

func post(t testing.TB, url, body string, hdr ...string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp, m
}

// openRoom creates a room and returns its code and token.
func openRoom(t testing.TB, base string) (string, string) {
	t.Helper()
	resp, m := post(t, base+"/api/rooms", `{"page":"/playground","widget":0}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %v", resp.StatusCode, m)
	}
	return m["code"].(string), m["token"].(string)
}

func dial(t testing.TB, ctx context.Context, url string) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.Dial(ctx, strings.Replace(url, "http", "ws", 1), nil)
	if err != nil {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (HTTP %d)", url, err, code)
	}
	c.SetReadLimit(MaxMessage * 4)
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func readMsg(t testing.TB, ctx context.Context, c *websocket.Conn) map[string]any {
	t.Helper()
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("message %s: %v", b, err)
	}
	return m
}

func write(t testing.TB, ctx context.Context, c *websocket.Conn, s string) {
	t.Helper()
	if err := c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		t.Fatalf("write %s: %v", s, err)
	}
}

// teach connects the teacher and authenticates.
func teach(t testing.TB, ctx context.Context, base, code, token string) *websocket.Conn {
	t.Helper()
	c := dial(t, ctx, base+"/api/rooms/"+code+"/teach")
	write(t, ctx, c, `{"type":"auth","token":"`+token+`"}`)
	if m := readMsg(t, ctx, c); m["type"] != "ready" {
		t.Fatalf("after auth: %v", m)
	}
	return c
}

// skipTo reads teacher messages until one of type typ.
func skipTo(t testing.TB, ctx context.Context, c *websocket.Conn, typ string) map[string]any {
	t.Helper()
	for {
		if m := readMsg(t, ctx, c); m["type"] == typ {
			return m
		}
	}
}

// waitStarted reads follower messages until the state of a started run.
func waitStarted(t testing.TB, ctx context.Context, c *websocket.Conn) map[string]any {
	t.Helper()
	for {
		if m := readMsg(t, ctx, c); m["type"] == "state" && m["started"] == true {
			return m
		}
	}
}

func TestRoomRelaysInOrder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, base := testHub(t, Options{})
	code, token := openRoom(t, base)
	if !strings.Contains(code, "-") || len(code) != 9 {
		t.Fatalf("code %q: want XXXX-XXXX", code)
	}
	tc := teach(t, ctx, base, code, token)
	write(t, ctx, tc, `{"type":"reset","config":{"voters":3,"seed":7},"actions":[],"clock":{"t":0,"playing":true,"speed":1}}`)
	// A follower joining by the code typed in lower case without its dash.
	f := dial(t, ctx, base+"/api/rooms/"+strings.ToLower(strings.ReplaceAll(code, "-", ""))+"/follow")
	st := waitStarted(t, ctx, f)
	if st["type"] != "state" || st["started"] != true || st["config"].(map[string]any)["seed"].(float64) != 7 {
		t.Fatalf("first message: %v", st)
	}
	for skipTo(t, ctx, tc, "followers")["n"].(float64) != 1 {
	}
	write(t, ctx, tc, `{"type":"act","index":0,"action":{"step":120,"t":900,"text":"crash s3"}}`)
	write(t, ctx, tc, `{"type":"clock","clock":{"t":950,"playing":false,"speed":2}}`)
	write(t, ctx, tc, `{"type":"act","index":1,"action":{"step":130,"t":1000,"text":"restart s3"}}`)
	write(t, ctx, tc, `{"type":"act","index":1,"action":{"step":125,"t":960,"text":"heal"}}`) // a branch: replaces restart
	want := []string{"act crash s3", "clock", "act restart s3", "act heal"}
	var seq float64 = st["seq"].(float64)
	for _, w := range want {
		m := readMsg(t, ctx, f)
		got := m["type"].(string)
		if a, ok := m["action"].(map[string]any); ok {
			got += " " + a["text"].(string)
		}
		if got != w {
			t.Fatalf("follower got %q (%v), want %q", got, m, w)
		}
		if m["seq"].(float64) != seq+1 {
			t.Errorf("seq %v after %v", m["seq"], seq)
		}
		seq = m["seq"].(float64)
	}
	// A late follower gets the whole state, branch applied.
	f2 := dial(t, ctx, base+"/api/rooms/"+code+"/follow")
	st2 := readMsg(t, ctx, f2)
	acts := st2["actions"].([]any)
	if len(acts) != 2 || acts[1].(map[string]any)["text"] != "heal" || st2["clock"].(map[string]any)["speed"].(float64) != 2 {
		t.Fatalf("late follower's state: %v", st2)
	}
	// GET tells the room.
	resp, err := http.Get(base + "/api/rooms/" + code)
	if err != nil {
		t.Fatal(err)
	}
	var info Room
	json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if info.Followers != 2 || !info.Teacher || info.Page != "/playground" {
		t.Errorf("GET room = %+v", info)
	}
	// The teacher stops sharing: followers are told.
	req, _ := http.NewRequest(http.MethodDelete, base+"/api/rooms/"+code, nil)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %v %v", resp.StatusCode, err)
	}
	if m := skipTo(t, ctx, f, "closed"); !strings.Contains(m["reason"].(string), "stopped sharing") {
		t.Errorf("closed: %v", m)
	}
}

// TestBadInput: every malformed message, unknown room and hostile client
// gets a clear error, and the room goes on for everybody else.
func TestBadInput(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, base := testHub(t, Options{MissRate: 1000})
	code, token := openRoom(t, base)

	for _, c := range []struct{ body, want string }{
		{`{"page":"http://evil/","widget":0}`, "want a path"},
		{`{"page":"//evil","widget":0}`, "want a path"},
		{`{"page":"/x","widget":-1}`, "want 0 to"},
		{`{"page":"/x","nope":1}`, "unknown field"},
		{`[1]`, "malformed JSON"},
	} {
		resp, m := post(t, base+"/api/rooms", c.body)
		if resp.StatusCode != 400 || !strings.Contains(fmt.Sprint(m["error"]), c.want) {
			t.Errorf("create %s: %d %v, want 400 %q", c.body, resp.StatusCode, m, c.want)
		}
	}
	if resp, _ := post(t, base+"/api/rooms", `{"page":"/x"}`, "Origin", "http://evil.example"); resp.StatusCode != 403 {
		t.Errorf("create from another site's page: %d, want 403", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/rooms", strings.NewReader(`{"page":"/x"}`))
	req.Header.Set("Content-Type", "text/plain")
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != 415 {
		t.Errorf("create as text/plain: %d, want 415", resp.StatusCode)
	}
	for _, c := range []struct{ path, want string }{
		{"/api/rooms/ZZZZ-ZZZZ", "no class room has the code ZZZZ-ZZZZ"},
		{"/api/rooms/hello", "not a class code"},
		{"/api/rooms/ZZZZ-ZZZZ/follow", "no class room"},
	} {
		resp, err := http.Get(base + c.path)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if resp.StatusCode != 404 || !strings.Contains(m["error"], c.want) {
			t.Errorf("GET %s: %d %v, want 404 %q", c.path, resp.StatusCode, m, c.want)
		}
	}

	// A wrong token is refused with a reason; the room stays.
	bad := dial(t, ctx, base+"/api/rooms/"+code+"/teach")
	write(t, ctx, bad, `{"type":"auth","token":"00"}`)
	if m := readMsg(t, ctx, bad); m["type"] != "error" || !strings.Contains(m["error"].(string), "wrong or missing teacher token") {
		t.Errorf("wrong token: %v", m)
	}
	// A follower that talks is cut off, alone.
	f := dial(t, ctx, base+"/api/rooms/"+code+"/follow")
	readMsg(t, ctx, f)
	chatty := dial(t, ctx, base+"/api/rooms/"+code+"/follow")
	readMsg(t, ctx, chatty)
	write(t, ctx, chatty, `{"type":"reset"}`)
	if _, _, err := chatty.Read(ctx); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Errorf("a follower that sends: %v, want policy violation", err)
	}

	tc := teach(t, ctx, base, code, token)
	for _, c := range []struct{ msg, want string }{
		{`nonsense`, "want a JSON object"},
		{`{"type":"act"`, "malformed JSON"},
		{`{"type":"dance"}`, `type "dance"`},
		{`{"type":"act","index":0,"action":{"step":1,"t":1,"text":"crash s1"}}`, "before the first"},
		{`{"type":"reset","config":{"voters":30},"clock":{"t":0,"speed":1}}`, "at most 13 servers"},
		{`{"type":"reset","config":{"voters":3,"bugs":["<script>"]},"clock":{"t":0,"speed":1}}`, "want a name"},
		{`{"type":"reset","config":{"voters":3},"clock":{"t":-5,"speed":1}}`, "clock t"},
		{`{"type":"reset","config":{"voters":3},"actions":[{"step":9,"t":1,"text":"heal"},{"step":2,"t":2,"text":"heal"}],"clock":{"t":0,"speed":1}}`, "before the one before"},
		{`{"type":"live","ensemble":"../../etc"}`, "want e- and 32 hex"},
		{`{"type":"act","index":0,"action":{"step":1,"t":1,"text":"rm -rf /"}}`, `unknown verb "rm"`},
		{`{"type":"act","index":0,"action":{"step":1,"t":1,"text":"expect leader == s1"}}`, "expect"},
		{`{"type":"auth","token":"x"}`, "comes once"},
		{`{"type":"clock","clock":{"t":1,"speed":1},"extra":1}`, "unknown field"},
	} {
		write(t, ctx, tc, c.msg)
		m := skipTo(t, ctx, tc, "error")
		if !strings.Contains(m["error"].(string), c.want) {
			t.Errorf("%s: %v, want %q", c.msg, m["error"], c.want)
		}
	}
	write(t, ctx, tc, `{"type":"reset","config":{"voters":3},"actions":[],"clock":{"t":0,"playing":true,"speed":1}}`)
	write(t, ctx, tc, `{"type":"act","index":5,"action":{"step":1,"t":1,"text":"crash s1"}}`)
	if m := skipTo(t, ctx, tc, "error"); !strings.Contains(m["error"].(string), "at most 0") {
		t.Errorf("act past the end: %v", m)
	}
	write(t, ctx, tc, `{"type":"act","index":0,"action":{"step":1,"t":1,"text":"crash s1"}}`)
	// The quiet follower saw the teacher arrive, the reset and the act: no
	// error of anyone else's reached it.
	var types []string
	for len(types) < 3 {
		m := readMsg(t, ctx, f)
		types = append(types, m["type"].(string))
	}
	if strings.Join(types, " ") != "teacher state act" {
		t.Errorf("the good follower got %v", types)
	}
}

func TestCaps(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, base := testHub(t, Options{MaxRooms: 3, MaxRoomsPerClient: 2, MaxFollowers: 2, MaxFollowersPerClient: 3, MissRate: 0.001})
	code, _ := openRoom(t, base)
	openRoom(t, base)
	if resp, m := post(t, base+"/api/rooms", `{"page":"/x","widget":0}`); resp.StatusCode != 429 || !strings.Contains(fmt.Sprint(m["error"]), "most per client") {
		t.Errorf("third room of one client: %d %v", resp.StatusCode, m)
	}
	dial(t, ctx, base+"/api/rooms/"+code+"/follow")
	dial(t, ctx, base+"/api/rooms/"+code+"/follow")
	_, resp, err := websocket.Dial(ctx, strings.Replace(base, "http", "ws", 1)+"/api/rooms/"+code+"/follow", nil)
	if err == nil || resp == nil || resp.StatusCode != 429 {
		t.Errorf("third follower of a 2-follower room: %v", err)
	}
	// Guessing codes: after the burst of 20 misses, 429 even for a real code.
	for i := 0; i < 20; i++ {
		r, _ := http.Get(base + "/api/rooms/ZZZZ-ZZZ" + string(codeAlphabet[i]))
		r.Body.Close()
	}
	r, _ := http.Get(base + "/api/rooms/" + code)
	r.Body.Close()
	if r.StatusCode != 429 {
		t.Errorf("after 20 unknown codes: %d, want 429", r.StatusCode)
	}
}

// TestSlowFollower: a follower that reads nothing does not hold the teacher
// or the others up; when it reads again it gets the latest state, with every
// action in order.
func TestSlowFollower(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, base := testHub(t, Options{Queue: 4, TeacherRate: 1e6})
	code, token := openRoom(t, base)
	tc := teach(t, ctx, base, code, token)
	write(t, ctx, tc, `{"type":"reset","config":{"voters":3},"actions":[],"clock":{"t":0,"playing":true,"speed":1}}`)
	slow := dial(t, ctx, base+"/api/rooms/"+code+"/follow")
	fast := dial(t, ctx, base+"/api/rooms/"+code+"/follow")
	waitStarted(t, ctx, fast)
	const n = 300
	for i := 0; i < n; i++ {
		write(t, ctx, tc, fmt.Sprintf(`{"type":"act","index":%d,"action":{"step":%d,"t":%d,"text":"crash s%d"}}`, i, i, i, i%3+1))
		m := readMsg(t, ctx, fast)
		if a := m["action"].(map[string]any); a["step"].(float64) != float64(i) {
			t.Fatalf("fast follower: action %v, want step %d", a, i)
		}
	}
	// The slow one now reads: a first state, maybe a few queued acts, and a
	// state with all n actions; never an action out of order.
	var acts []any
	next := 0
	for next < n {
		m := readMsg(t, ctx, slow)
		switch m["type"] {
		case "state":
			acts = m["actions"].([]any)
			next = len(acts)
		case "act":
			if int(m["index"].(float64)) != next {
				t.Fatalf("slow follower: act at index %v after %d actions", m["index"], next)
			}
			next++
		}
	}
	if next != n {
		t.Errorf("slow follower ended with %d actions, want %d", next, n)
	}
}

// TestFollowerQueue: a full queue never blocks the pusher; it marks the
// follower stale (its writer then sends the latest state instead).
func TestFollowerQueue(t *testing.T) {
	f := newFollower("a", 2)
	for i := uint64(1); i <= 5; i++ {
		f.push(item{seq: i})
	}
	if !f.staleNow() || len(f.q) != 2 {
		t.Errorf("after 5 pushes into 2: stale %v, queued %d", f.staleNow(), len(f.q))
	}
}

// TestIdleRoomCloses: a room whose teacher is away for Idle is closed, and
// its followers are told why; the code is then unknown.
func TestIdleRoomCloses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, base := testHub(t, Options{Idle: 200 * time.Millisecond})
	code, token := openRoom(t, base)
	tc := teach(t, ctx, base, code, token)
	f := dial(t, ctx, base+"/api/rooms/"+code+"/follow")
	readMsg(t, ctx, f)
	time.Sleep(400 * time.Millisecond) // a connected teacher keeps the room
	write(t, ctx, tc, `{"type":"reset","config":{"voters":3},"actions":[],"clock":{"t":0,"speed":1}}`)
	waitStarted(t, ctx, f)
	tc.Close(websocket.StatusNormalClosure, "")
	m := skipTo(t, ctx, f, "closed")
	if !strings.Contains(m["reason"].(string), "teacher was away") {
		t.Errorf("closed: %v", m)
	}
	resp, err := http.Get(base + "/api/rooms/" + code)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET the closed room: %d, want 404", resp.StatusCode)
	}
}
