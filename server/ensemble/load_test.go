package ensemble

// Load tests of the issue's "Load: 100 websocket viewers on one ensemble
// under 500 writes/s; 20 ensembles at once; the server's RSS and CPU stay
// bounded; no viewer misses an event without a gap marker".
//
// What is asserted are invariants: the seq contract of README.md for every
// viewer, the checker's verdict, caps on per-viewer queues, data dirs and
// goroutines gone after DELETE, and RSS bounds loose enough for any machine
// but tight enough to catch a leak or a runaway. Speed is only logged (a
// 2-core CI box shared with other tests may not reach 500 writes/s): the
// figures come out as markdown table rows, ready for README.md.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/view"
	"github.com/zabplay/zabplay/core/ztree"
)

// Bounds of the resource checks. They are generous on purpose: they are
// there to catch a leak (memory kept after DELETE) or a runaway (a buffer
// that grows with the stream), not to benchmark.
const (
	rssGrowthMax = 600 << 20 // peak RSS over the settled baseline, during the load
	rssKeptMax   = 96 << 20  // settled RSS over the baseline, after DELETE
	goroutineMax = 8         // goroutines over the baseline, after DELETE
)

// streamMsg is one websocket message of /events as the seq check needs it:
// n is the number of events of an "events" message or the dropped count of
// a "gap"; seq is an "events" message's seq or a snapshot's state.seq.
type streamMsg struct {
	typ    string
	seq    uint64
	n      int
	reason string
}

var (
	eventsHead = []byte(`{"type":"events","seq":`)
	eventsArr  = []byte(`,"events":[`)
)

// parseMsg reads one message. The events messages the server writes
// (viewer.take) are read by a fast path that counts the array's elements
// without decoding them (100 viewers decoding every event would take the
// CPU the server needs); anything else, or full, goes through encoding/json.
func parseMsg(b []byte, full bool) (streamMsg, error) {
	if rest, ok := bytes.CutPrefix(b, eventsHead); ok && !full {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		seq, err := strconv.ParseUint(string(rest[:i]), 10, 64)
		if arr, ok := bytes.CutPrefix(rest[i:], eventsArr); ok && err == nil {
			if n, ok := countElems(arr); ok {
				return streamMsg{typ: "events", seq: seq, n: n}, nil
			}
		}
	}
	var m struct {
		Type    string            `json:"type"`
		Seq     uint64            `json:"seq"`
		Events  []json.RawMessage `json:"events"`
		Dropped int               `json:"dropped"`
		Reason  string            `json:"reason"`
		State   *struct {
			Seq uint64 `json:"seq"`
		} `json:"state"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return streamMsg{}, fmt.Errorf("malformed message %.80q: %v", b, err)
	}
	out := streamMsg{typ: m.Type, seq: m.Seq, n: len(m.Events), reason: m.Reason}
	switch m.Type {
	case "snapshot":
		if m.State == nil {
			return out, errors.New("a snapshot without a state")
		}
		out.seq = m.State.Seq
	case "gap":
		out.n = m.Dropped
	}
	return out, nil
}

// countElems counts the elements of a JSON array whose '[' was just read
// and checks that "]}" ends it.
func countElems(b []byte) (int, bool) {
	depth, n, seen := 0, 0, false
	inStr, esc := false, false
	for i, c := range b {
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
		case '}':
			depth--
		case ']':
			if depth == 0 {
				if seen {
					n++
				}
				return n, string(b[i+1:]) == "}"
			}
			depth--
		case ',':
			if depth == 0 {
				n++
			}
		case ' ', '\t', '\n', '\r':
			continue
		}
		seen = true
		if depth < 0 {
			return 0, false
		}
	}
	return 0, false
}

// seqCheck follows one viewer's messages and reports the first breach of the
// seq contract of README.md: a snapshot first; each events message's seq is
// the previous seq + count; a gap marker is followed by a snapshot (never by
// events) whose seq does not go back. A hole without a gap marker is an
// error, however small.
type seqCheck struct {
	started, gapOpen, ended bool
	next                    uint64
	events, gaps            int
}

func (c *seqCheck) observe(m streamMsg) error {
	if c.ended {
		return fmt.Errorf("%s after closed", m.typ)
	}
	if !c.started && m.typ != "snapshot" {
		return fmt.Errorf("first message is %s, want snapshot", m.typ)
	}
	switch m.typ {
	case "snapshot":
		switch {
		case c.started && !c.gapOpen:
			return fmt.Errorf("snapshot at seq %d without a gap marker", m.seq)
		case c.started && m.seq < c.next:
			return fmt.Errorf("snapshot at seq %d goes back (next was %d)", m.seq, c.next)
		}
		c.started, c.gapOpen, c.next = true, false, m.seq
	case "gap":
		if c.gapOpen {
			return errors.New("two gap markers without a snapshot between")
		}
		if m.n <= 0 {
			return fmt.Errorf("gap marker dropping %d events", m.n)
		}
		c.gapOpen = true
		c.gaps++
	case "events":
		switch {
		case c.gapOpen:
			return fmt.Errorf("events at seq %d after a gap marker, before its snapshot", m.seq)
		case m.seq > c.next:
			return fmt.Errorf("silent hole: events at seq %d, want %d (%d events missed without a gap marker)", m.seq, c.next, m.seq-c.next)
		case m.seq < c.next:
			return fmt.Errorf("events at seq %d, want %d (%d events sent twice)", m.seq, c.next, c.next-m.seq)
		}
		c.next += uint64(m.n)
		c.events += m.n
	case "closed":
		c.ended = true
	default:
		return fmt.Errorf("unknown message type %q", m.typ)
	}
	return nil
}

// loadViewer is a websocket viewer that checks the seq contract as it reads.
type loadViewer struct {
	c    *websocket.Conn
	full bool // decode every message with encoding/json (a cross-check)

	mu     sync.Mutex
	check  seqCheck
	err    error // the first breach
	reason string
	bytes  int64
	done   chan struct{}
}

func dialViewer(a *api, id string, opts *websocket.DialOptions) (*loadViewer, error) {
	c, _, err := dialWS(a.t, a, id, opts)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(64 << 20)
	a.t.Cleanup(func() { c.CloseNow() })
	return &loadViewer{c: c, done: make(chan struct{})}, nil
}

func (v *loadViewer) startReading() {
	go func() {
		defer close(v.done)
		for {
			_, b, err := v.c.Read(context.Background())
			if err != nil {
				return
			}
			m, err := parseMsg(b, v.full)
			v.mu.Lock()
			v.bytes += int64(len(b))
			if err == nil {
				err = v.check.observe(m)
			}
			if err != nil && v.err == nil {
				v.err = err
			}
			if m.typ == "closed" {
				v.reason = m.reason
			}
			v.mu.Unlock()
		}
	}()
}

func (v *loadViewer) stats() (seqCheck, int64, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.check, v.bytes, v.err
}

// waitSeq waits until the viewer has every event before seq (or broke the
// contract, or its connection ended).
func (v *loadViewer) waitSeq(seq uint64, deadline time.Time) error {
	for {
		c, _, err := v.stats()
		switch {
		case err != nil:
			return err
		case c.next >= seq && !c.gapOpen:
			return nil
		}
		select {
		case <-v.done:
			return fmt.Errorf("the connection ended at seq %d, want %d", c.next, seq)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("at seq %d, want %d", c.next, seq)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// loadClient sends API requests from many goroutines: it returns errors
// instead of failing the test, and keeps enough idle connections for all of
// them (http.DefaultClient keeps 2 per host and would redial on most writes).
type loadClient struct {
	base string
	tr   *http.Transport
	hc   *http.Client
}

func newLoadClient(a *api) *loadClient {
	tr := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute}
	return &loadClient{base: a.srv.URL, tr: tr, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

func (c *loadClient) do(method, path, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	asOwner(req, path)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	learnToken(method, path, resp.StatusCode, b)
	return resp.StatusCode, b, err
}

// write applies one write statement and checks that it succeeded.
func (c *loadClient) write(id, text string) (int, error) {
	code, b, err := c.do("POST", "/api/ensembles/"+id+"/actions", jsonBody(map[string]string{"text": text}))
	if err != nil {
		return 0, err
	}
	var r struct {
		Reply *core.Reply `json:"reply"`
		Error string      `json:"error"`
	}
	if code != http.StatusOK {
		json.Unmarshal(b, &r)
		return len(b), fmt.Errorf("%s: %d %s", text, code, r.Error)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return len(b), fmt.Errorf("%s: %v", text, err)
	}
	if r.Reply == nil || r.Reply.Err != ztree.OK {
		return len(b), fmt.Errorf("%s: reply %+v", text, r.Reply)
	}
	return len(b), nil
}

func (c *loadClient) state(id string) (State, error) {
	code, b, err := c.do("GET", "/api/ensembles/"+id, "")
	if err != nil {
		return State{}, err
	}
	if code != http.StatusOK {
		return State{}, fmt.Errorf("GET %s: %d %s", id, code, b)
	}
	var r created
	err = json.Unmarshal(b, &r)
	return r.State, err
}

// waitFor polls id's state until cond holds.
func (c *loadClient) waitFor(id string, within time.Duration, cond func(State) (bool, string)) (State, error) {
	deadline := time.Now().Add(within)
	for {
		st, err := c.state(id)
		if err != nil {
			return st, err
		}
		ok, why := cond(st)
		if ok {
			return st, nil
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("not within %v: %s", within, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// loadRun is what pushWrites did.
type loadRun struct {
	asked, done, failed, skipped int64
	respBytes                    int64 // of the last answer
	elapsed                      time.Duration
	firstErr                     string
}

func (r loadRun) perSecond() float64 { return float64(r.done) / r.elapsed.Seconds() }

// pushWrites sends rate writes a second for dur from up to workers requests
// at once, open loop: a write that finds every worker busy is skipped
// (counted), so an overloaded server shows as a lower rate, not a longer run.
func pushWrites(c *loadClient, id string, rate int, dur time.Duration, workers int) loadRun {
	var r loadRun
	var done, failed, respBytes atomic.Int64
	var errOnce sync.Once
	tokens := make(chan int, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range tokens {
				n, err := c.write(id, fmt.Sprintf("create /w%d x", i))
				respBytes.Store(int64(n))
				if err != nil {
					failed.Add(1)
					errOnce.Do(func() { r.firstErr = err.Error() })
					continue
				}
				done.Add(1)
			}
		}()
	}
	start := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	for {
		el := time.Since(start)
		if el >= dur {
			break
		}
		for due := int64(el) * int64(rate) / int64(time.Second); r.asked < due; r.asked++ {
			select {
			case tokens <- int(r.asked):
			default:
				r.skipped++
			}
		}
		<-tick.C
	}
	tick.Stop()
	close(tokens)
	wg.Wait()
	r.elapsed = time.Since(start)
	r.done, r.failed, r.respBytes = done.Load(), failed.Load(), respBytes.Load()
	return r
}

// usage is the process's resident memory and CPU time so far.
type usage struct {
	rss int64 // bytes; -1 where /proc/self/status is missing
	cpu time.Duration
	at  time.Time
}

func readRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

func readUsage() usage {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return usage{rss: readRSS(), cpu: cpu, at: time.Now()}
}

// settledUsage is readUsage after giving freed memory back to the OS.
func settledUsage() usage {
	runtime.GC()
	debug.FreeOSMemory()
	return readUsage()
}

func mb(b int64) string {
	if b < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f", float64(b)/(1<<20))
}

// sampler records the peak RSS and, for the ensembles given, the longest
// viewer queue, every 100ms.
type sampler struct {
	stop, done chan struct{}
	peakRSS    atomic.Int64
	maxQueue   atomic.Int64
}

func startSampler(es ...*Ensemble) *sampler {
	s := &sampler{stop: make(chan struct{}), done: make(chan struct{})}
	s.peakRSS.Store(readRSS())
	go func() {
		defer close(s.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if r := readRSS(); r > s.peakRSS.Load() {
				s.peakRSS.Store(r)
			}
			for _, e := range es {
				if q := int64(maxViewerQueue(e)); q > s.maxQueue.Load() {
					s.maxQueue.Store(q)
				}
			}
			select {
			case <-t.C:
			case <-s.stop:
				return
			}
		}
	}()
	return s
}

func (s *sampler) finish() {
	close(s.stop)
	<-s.done
}

// maxViewerQueue is the longest queue of e's viewers right now, in events.
// It holds the viewers' lock only to list them: the fan-out needs it.
func maxViewerQueue(e *Ensemble) int {
	s := e.stream
	s.vmu.Lock()
	vs := make([]*viewer, 0, len(s.viewers))
	for v := range s.viewers {
		vs = append(vs, v)
	}
	s.vmu.Unlock()
	most := 0
	for _, v := range vs {
		most = max(most, v.queueLen())
	}
	return most
}

func hubGaps(e *Ensemble) int {
	e.stream.mu.Lock()
	defer e.stream.mu.Unlock()
	return e.stream.gaps
}

const figuresHead = "load figures (markdown, for README.md):\n" +
	"| run | writes/s (asked) | events/s | viewers: all events / gap+snapshot / silent hole | CPU s (cores) | RSS MB: before / peak / after DELETE |\n" +
	"|---|---|---|---|---|---|"

// The seq check finds a silent hole, and the other breaches of the
// contract, in raw messages as the server writes them; well-formed streams
// pass.
func TestSeqCheckCatchesSilentHole(t *testing.T) {
	ev := func(seq uint64, n int) string {
		es := make([]string, n)
		for i := range es {
			es[i] = `{"kind":"send","text":"1->2 \"Proposal\" [a,b] {c}","t":` + strconv.Itoa(i) + `}`
		}
		return `{"type":"events","seq":` + strconv.FormatUint(seq, 10) + `,"events":[` + strings.Join(es, ",") + `]}`
	}
	snap := func(seq uint64) string {
		return `{"state":{"live":true,"seq":` + strconv.FormatUint(seq, 10) + `},"type":"snapshot"}`
	}
	gap := func(n int) string { return `{"dropped":` + strconv.Itoa(n) + `,"type":"gap"}` }
	for _, tc := range []struct {
		name string
		msgs []string
		want string // "" = no error
	}{
		{"continuous", []string{snap(7), ev(7, 3), ev(10, 1), ev(11, 5), `{"reason":"deleted","type":"closed"}`}, ""},
		{"gap then snapshot", []string{snap(0), ev(0, 2), gap(40), snap(42), ev(42, 2)}, ""},
		{"empty events", []string{snap(3), ev(3, 0), ev(3, 1)}, ""},
		{"silent hole", []string{snap(7), ev(7, 3), ev(11, 2)}, "silent hole: events at seq 11, want 10 (1 events missed"},
		{"hole after a snapshot", []string{snap(5), ev(6, 1)}, "silent hole"},
		{"hole after a gap's snapshot", []string{snap(0), gap(3), snap(10), ev(12, 1)}, "silent hole"},
		{"repeat", []string{snap(0), ev(0, 3), ev(2, 1)}, "sent twice"},
		{"events before a snapshot", []string{ev(0, 1)}, "first message is events"},
		{"gap without snapshot", []string{snap(0), gap(3), ev(3, 1)}, "after a gap marker"},
		{"snapshot going back", []string{snap(0), ev(0, 5), gap(1), snap(4)}, "goes back"},
		{"snapshot without gap", []string{snap(0), snap(0)}, "without a gap marker"},
		{"after closed", []string{snap(0), `{"reason":"x","type":"closed"}`, ev(0, 1)}, "after closed"},
	} {
		for _, full := range []bool{false, true} {
			var c seqCheck
			var err error
			for _, raw := range tc.msgs {
				var m streamMsg
				if m, err = parseMsg([]byte(raw), full); err == nil {
					err = c.observe(m)
				}
				if err != nil {
					break
				}
			}
			if tc.want == "" {
				assert.NoError(t, err, "%s (full %v)", tc.name, full)
			} else if assert.Error(t, err, "%s (full %v)", tc.name, full) {
				assert.Contains(t, err.Error(), tc.want, "%s (full %v)", tc.name, full)
			}
		}
	}
	// The fast path and encoding/json agree on counts.
	for _, n := range []int{0, 1, 2, 1000} {
		fast, err := parseMsg([]byte(ev(9, n)), false)
		require.NoError(t, err)
		slow, err := parseMsg([]byte(ev(9, n)), true)
		require.NoError(t, err)
		assert.Equal(t, slow, fast)
		assert.Equal(t, streamMsg{typ: "events", seq: 9, n: n}, fast)
	}
}

// 100 viewers on one 3-server ensemble while clients push 500 writes/s for
// 5 s through the HTTP API: every viewer saw every event or got a gap marker
// then a snapshot (5 of them do not read until the end, so that path runs
// too); the merger lost nothing; the checker found nothing; no viewer's
// queue outgrew its bound; RSS stayed bounded and came back after DELETE.
func TestLoad100Viewers500Writes(t *testing.T) {
	const (
		viewers, stalled = 100, 5
		rate, dur        = 500, 5 * time.Second
		workers          = 128
	)
	before := settledUsage()
	a := newAPI(t, testOptions(t))
	lc := newLoadClient(a)
	defer lc.tr.CloseIdleConnections()
	id := a.create(`{"voters":3}`)
	a.waitState(id, 15*time.Second, "a leader", synced)
	e, err := a.m.Get(id)
	require.NoError(t, err)

	// The stalled viewers come in through a second server on the same
	// manager whose connections have small kernel buffers, so that they fall
	// behind ViewerBuffer events even at a low write rate.
	slow := httptest.NewUnstartedServer(a.m.Handler())
	slow.Listener = smallSendBuffers{slow.Listener}
	slow.Start()
	defer slow.Close()
	slowAPI := &api{t: t, m: a.m, srv: slow}
	causal := watchCausality(e)

	vs := make([]*loadViewer, viewers)
	for i := range vs {
		if i < stalled {
			vs[i], err = dialViewer(slowAPI, id, smallReadDialer())
		} else {
			vs[i], err = dialViewer(a, id, nil)
		}
		require.NoError(t, err, "viewer %d", i)
		vs[i].full = i == stalled // one reader decodes everything, as a cross-check of the fast path
		if i >= stalled {
			vs[i].startReading()
		}
	}

	seq0 := a.state(id).Seq
	s := startSampler(e)
	start := readUsage()
	run := pushWrites(lc, id, rate, dur, workers)
	end := readUsage()
	final := a.state(id)
	for _, v := range vs[:stalled] {
		v.startReading()
	}
	deadline := time.Now().Add(20 * time.Second)
	complete, gapped := 0, 0
	var events, read int64
	for i, v := range vs {
		err := v.waitSeq(final.Seq, deadline)
		c, n, _ := v.stats()
		assert.NoError(t, err, "viewer %d", i)
		if c.gaps == 0 {
			complete++
		} else {
			gapped++
		}
		events += int64(c.events)
		read += n
	}
	s.finish()
	assert.Positive(t, run.done, "no write succeeded: %s", run.firstErr)
	assert.Nil(t, final.Violation, "the checker found a violation in the stream")
	assert.Zero(t, hubGaps(e), "the merger lost events of a server's hub: every viewer has a silent hole")
	assert.Empty(t, causal.breaks(), "broadcast messages delivered before their send in the stream")
	maxQ := int(s.maxQueue.Load())
	assert.LessOrEqual(t, maxQ, a.m.opts.ViewerBuffer, "a viewer's queue outgrew ViewerBuffer")
	for i, v := range vs[:stalled] {
		c, _, _ := v.stats()
		assert.Positive(t, c.gaps, "stalled viewer %d got a gap marker", i)
	}
	// What State keeps stays bounded, and still fills the log tails.
	assert.Len(t, final.Actions, actionsMax)
	// (A write refused before it was applied, e.g. with no leader, is not
	// an action.)
	assert.GreaterOrEqual(t, final.ActionsTotal, int(run.done), "every write done is counted")
	assert.LessOrEqual(t, final.ActionsTotal, int(run.asked-run.skipped), "only writes asked are counted")
	for _, sv := range final.Servers {
		// Each log tail is the server's own (core/view): at most
		// view.LogTail txns, in order, up to its last logged one (fewer
		// right after a snapshot purged the log).
		if !sv.Up {
			continue
		}
		assert.LessOrEqual(t, len(sv.Log), view.LogTail, "%v's log tail", sv.ID)
		for i, l := range sv.Log {
			if i > 0 {
				assert.Greater(t, l.Zxid, sv.Log[i-1].Zxid, "%v's log tail in order", sv.ID)
			}
		}
		if n := len(sv.Log); n > 0 {
			assert.Equal(t, sv.LastLogged, sv.Log[n-1].Zxid, "%v's log tail ends at its last logged txn", sv.ID)
		}
	}

	require.Equal(t, http.StatusNoContent, a.do("DELETE", "/api/ensembles/"+id, "", nil))
	for i, v := range vs {
		select {
		case <-v.done:
		case <-time.After(5 * time.Second):
			t.Fatalf("viewer %d: the websocket stayed open after DELETE", i)
		}
		_, _, err := v.stats()
		assert.NoError(t, err, "viewer %d", i)
		assert.Equal(t, "deleted", v.reason, "viewer %d", i)
	}
	lc.tr.CloseIdleConnections()
	after := settledUsage()

	cpu := end.cpu - start.cpu
	wall := end.at.Sub(start.at)
	t.Logf("%s\n| 1 ensemble (3 servers), %d viewers (%d stalled), %v | %.0f (%d) | %.0f | %d / %d / 0 | %.1f (%.2f) | %s / %s / %s |",
		figuresHead, viewers, stalled, dur, run.perSecond(), rate, float64(final.Seq-seq0)/wall.Seconds(), complete, gapped,
		cpu.Seconds(), cpu.Seconds()/wall.Seconds(), mb(before.rss), mb(s.peakRSS.Load()), mb(after.rss))
	t.Logf("writes: %d done, %d failed, %d skipped (all %d workers busy) of %d asked in %v; first error: %q",
		run.done, run.failed, run.skipped, workers, run.asked, run.elapsed.Round(time.Millisecond), run.firstErr)
	t.Logf("stream: %d events; viewers read %d events, %d MB; longest viewer queue %d (bound %d); last write's answer %d KB with %d of %d actions",
		final.Seq, events, read>>20, maxQ, a.m.opts.ViewerBuffer, run.respBytes>>10, len(final.Actions), final.ActionsTotal)
	checkRSS(t, before, s.peakRSS.Load(), after)
}

func checkRSS(t *testing.T, before usage, peak int64, after usage) {
	t.Helper()
	if before.rss < 0 {
		t.Logf("RSS not measured: no /proc/self/status here")
		return
	}
	if raceEnabled() {
		// The race detector's shadow memory is never given back to the OS.
		t.Logf("RSS bounds not checked under -race")
		return
	}
	assert.Less(t, peak-before.rss, int64(rssGrowthMax), "RSS grew by %s MB during the load", mb(peak-before.rss))
	assert.Less(t, after.rss-before.rss, int64(rssKeptMax), "RSS kept %s MB after DELETE", mb(after.rss-before.rss))
}

func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// 20 ensembles at once (the default cap of serve), each with one viewer and
// a few writes: every one elects a leader and commits on every server; then
// DELETE all: every viewer is told, every data dir is gone, the goroutines
// go back to where they were and RSS comes back down.
func TestLoad20Ensembles(t *testing.T) {
	const n, writes = 20, 5
	before := settledUsage()
	o := testOptions(t)
	o.MaxEnsembles, o.MaxPerClient = n, n
	a := newAPI(t, o)
	lc := newLoadClient(a)
	defer lc.tr.CloseIdleConnections()
	baseG := runtime.NumGoroutine()
	start := readUsage()
	s := startSampler()

	ids := make([]string, n)
	vs := make([]*loadViewer, n)
	finals := make([]State, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = func() error {
				code, b, err := lc.do("POST", "/api/ensembles", `{"voters":3}`)
				if err != nil || code != http.StatusCreated {
					return fmt.Errorf("create: %d %s %v", code, b, err)
				}
				var c created
				if err := json.Unmarshal(b, &c); err != nil {
					return err
				}
				ids[i] = c.ID
				if vs[i], err = dialViewer(a, c.ID, nil); err != nil {
					return err
				}
				vs[i].startReading()
				if _, err := lc.waitFor(c.ID, 20*time.Second, synced); err != nil {
					return fmt.Errorf("a leader: %w", err)
				}
				var paths []string
				for k := range writes {
					p := fmt.Sprintf("/e%d-%d", i, k)
					if _, err := lc.write(c.ID, "create "+p+" v"); err != nil {
						return err
					}
					paths = append(paths, p)
				}
				finals[i], err = lc.waitFor(c.ID, 10*time.Second, func(st State) (bool, string) {
					if ok, why := synced(st); !ok {
						return false, why
					}
					return committedEverywhere(st, paths)
				})
				return err
			}()
		}()
	}
	wg.Wait()
	during := readUsage()
	peakG := runtime.NumGoroutine()
	for i, err := range errs {
		require.NoError(t, err, "ensemble %d (%s)", i, ids[i])
	}
	for i, v := range vs {
		require.NoError(t, v.waitSeq(finals[i].Seq, time.Now().Add(10*time.Second)), "ensemble %d's viewer", i)
		assert.Nil(t, finals[i].Violation, "ensemble %d", i)
	}
	require.Len(t, a.m.IDs(), n)
	dirs, err := os.ReadDir(a.m.Root())
	require.NoError(t, err)
	require.Len(t, dirs, n, "one data dir per ensemble")

	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, b, err := lc.do("DELETE", "/api/ensembles/"+id, "")
			if err == nil && code != http.StatusNoContent {
				err = fmt.Errorf("%d %s", code, b)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "DELETE ensemble %d", i)
	}
	events := 0
	for i, v := range vs {
		select {
		case <-v.done:
		case <-time.After(5 * time.Second):
			t.Fatalf("ensemble %d's viewer: the websocket stayed open after DELETE", i)
		}
		c, _, err := v.stats()
		assert.NoError(t, err, "ensemble %d's viewer", i)
		assert.Equal(t, "deleted", v.reason, "ensemble %d's viewer", i)
		events += c.events
	}
	assert.Empty(t, a.m.IDs())
	dirs, err = os.ReadDir(a.m.Root())
	require.NoError(t, err)
	assert.Empty(t, dirs, "every data dir is gone")
	for _, d := range dirs {
		t.Logf("left behind: %s", filepath.Join(a.m.Root(), d.Name()))
	}

	lc.tr.CloseIdleConnections()
	http.DefaultClient.CloseIdleConnections()
	var endG int
	deadline := time.Now().Add(10 * time.Second)
	for {
		if endG = runtime.NumGoroutine(); endG <= baseG+goroutineMax || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !assert.LessOrEqual(t, endG, baseG+goroutineMax, "goroutines after DELETE (%d at the start)", baseG) {
		var b strings.Builder
		pprof.Lookup("goroutine").WriteTo(&b, 1)
		t.Logf("goroutines left:\n%s", b.String())
	}
	s.finish()
	after := settledUsage()
	cpu := during.cpu - start.cpu
	wall := during.at.Sub(start.at)
	t.Logf("%s\n| %d ensembles (3 servers, 1 viewer, %d writes each), up in %v | - | %.0f | %d / 0 / 0 | %.1f (%.2f) | %s / %s / %s |",
		figuresHead, n, writes, wall.Round(100*time.Millisecond), float64(events)/wall.Seconds(), n,
		cpu.Seconds(), cpu.Seconds()/wall.Seconds(), mb(before.rss), mb(s.peakRSS.Load()), mb(after.rss))
	t.Logf("goroutines: %d at the start, %d with %d ensembles, %d after DELETE", baseG, peakG, n, endG)
	checkRSS(t, before, s.peakRSS.Load(), after)
}

// causality records, from now on, every Proposal, Ack or Commit delivered
// in e's stream before its send (README: "a deliver-msg never precedes its
// send"). Those are sent once a leader is established, so the startup
// exception (a send published before the hub had a subscriber) is not one of
// them.
type causality struct {
	mu    sync.Mutex
	sent  map[uint64]bool
	found []string
}

func watchCausality(e *Ensemble) *causality {
	c := &causality{sent: map[uint64]bool{}}
	s := e.stream
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.inflight {
		c.sent[id] = true
	}
	s.onEvent = func(ev core.Event) {
		c.mu.Lock()
		defer c.mu.Unlock()
		switch {
		case ev.Kind == core.EvSend:
			c.sent[ev.ID] = true
		case ev.Kind == core.EvDeliverMsg && (ev.Msg == core.MsgProposal || ev.Msg == core.MsgAck || ev.Msg == core.MsgCommit):
			if !c.sent[ev.ID] && len(c.found) < 10 {
				c.found = append(c.found, fmt.Sprintf("t=%d %s", ev.At, ev.Text))
			}
			delete(c.sent, ev.ID)
		}
	}
	return c
}

func (c *causality) breaks() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.found...)
}

// committedEverywhere: every running server's tree holds every path.
func committedEverywhere(st State, paths []string) (bool, string) {
	for _, s := range st.Servers {
		have := map[string]bool{}
		for _, z := range s.Tree {
			have[z.Path] = true
		}
		for _, p := range paths {
			if !have[p] {
				return false, fmt.Sprintf("%v has no %s", s.ID, p)
			}
		}
	}
	return true, ""
}
