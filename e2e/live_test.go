package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zabplay/zabplay/lessons"
	"github.com/zabplay/zabplay/server/ensemble"
	"github.com/zabplay/zabplay/server/site"
	"github.com/zabplay/zabplay/static"
)

// startLiveSite serves the site and the live ensemble API (server/ensemble)
// in-process, as `zabplay serve` mounts them: /api/ on the manager, the rest
// on the site. The manager's servers run on loopback with data under a temp dir.
func startLiveSite(t *testing.T, opts ensemble.Options) (string, *ensemble.Manager) {
	t.Helper()
	fsys := os.DirFS(filepath.Join("..", "static"))
	if !static.HasWasmIn(fsys) {
		t.Fatalf("static/zab.wasm or static/wasm_exec.js is missing: run go tool -modfile=tools/go.mod task wasm")
	}
	ls, err := lessons.All()
	if err != nil {
		t.Fatalf("lessons.All() = %v", err)
	}
	if opts.Root == "" {
		opts.Root = t.TempDir()
	}
	m, err := ensemble.New(opts)
	if err != nil {
		t.Fatalf("ensemble.New: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	mux := http.NewServeMux()
	mux.Handle("/api/", site.SecurityHeaders(m.Handler()))
	mux.Handle("/", site.Handler(site.Options{Static: fsys, Lessons: ls}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, m
}

// waitFor polls a Go condition (no fixed sleeps).
func waitFor(t testing.TB, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out after %v", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// expectFailedLoad waits for the browser's console error about a failed
// load of a URL containing part (an expected 404/405/429), and removes it from
// the errors the page reports at the end.
func (p *page) expectFailedLoad(part string) {
	p.t.Helper()
	waitFor(p.t, "the console to report the failed load of "+part, 10*time.Second, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		kept := p.bad[:0]
		found := false
		for _, b := range p.bad {
			if strings.Contains(b, "Failed to load resource") && strings.Contains(b, part) {
				found = true
				continue
			}
			kept = append(kept, b)
		}
		p.bad = kept
		return found
	})
}

// shotWidget saves two screenshots of widget n under artifacts/ (a lesson
// page is too long to look at whole on a phone): the screen with the
// widget's top at the top (name-top.png), and the whole widget (name.png).
func (p *page) shotWidget(n int, name string) {
	p.t.Helper()
	eval[bool](p, `(`+widgetJS(n)+`.scrollIntoView({block: 'start'}), true)`)
	top, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return
	}
	whole, err := chromedp.Run(p.ctx, chromedp.Screenshot(fmt.Sprintf(`(//section[@data-widget])[%d]`, n)))
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll("artifacts", 0o755); err != nil {
		p.t.Fatal(err)
	}
	for suffix, buf := range map[string][]byte{"-top": top, "": whole} {
		path := filepath.Join("artifacts", name+suffix+".png")
		if err := os.WriteFile(path, buf, 0o644); err != nil {
			p.t.Fatal(err)
		}
		p.t.Logf("screenshot: e2e/%s", path)
	}
}

// TestLiveLeaderDies opens lesson 3 on a phone-sized screen, switches its
// widget to Live (real servers on this machine), kills the leader, sees
// another server lead a higher epoch, writes, restarts the old leader and
// sees every server converge on one zxid, with the lesson's task checked off
// from the live events. Switching back to Simulated stops the servers.
func TestLiveLeaderDies(t *testing.T) {
	base, m := startLiveSite(t, ensemble.Options{})
	b := newBrowser(t, 390, 844)
	p := newPage(t, b, base+"/lessons/leader-dies", 390, 844)
	w := widgetJS(1)
	p.wait("the widget to mount", w+`?.dataset.simTime !== undefined`, 30*time.Second)

	p.click("Live", button(1, "Live"))
	p.wait("live mode", w+`.dataset.mode === 'live'`, 30*time.Second)
	if ids := m.IDs(); len(ids) != 1 {
		t.Fatalf("after Live: %d ensembles running (%v), want 1", len(ids), ids)
	}
	badge := eval[string](p, w+`.querySelector('.zw-badge').textContent`)
	if badge != "Live: real servers on this machine" {
		t.Errorf("badge = %q", badge)
	}
	for _, hidden := range []string{"Step", "Random faults"} {
		if eval[bool](p, fmt.Sprintf(`document.evaluate(%s, document, null, 9, null).singleNodeValue?.checkVisibility() ?? false`, strconv.Quote(button(1, hidden)))) {
			t.Errorf("%q is visible in live mode", hidden)
		}
	}
	p.wait("a leader", leaderJS(1)+` && `+w+`.querySelector('[data-node][data-role="leading"][data-phase="broadcast"]') !== null`, 60*time.Second)
	p.shotWidget(1, "live-leader")
	// The page holds the ensemble's token in memory only, and the server
	// refuses an action without it (another page, or a guessed id, has none).
	sim := w + `.__zw.sim`
	if !eval[bool](p, sim+`.token?.length === 43 && ![...Object.values(sessionStorage), ...Object.values(localStorage), location.href].some(v => String(v).includes(`+sim+`.token))`) {
		t.Errorf("the token is not kept in memory only")
	}
	eval[bool](p, `(window.__noToken = 0, fetch(`+sim+`.url + '/actions', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{"text":"crash s1"}'}).then(r => { window.__noToken = r.status; }), true)`)
	p.wait("an action without the token refused", `window.__noToken === 403`, 10*time.Second)
	p.expectFailedLoad("/actions")
	// A dropped websocket comes back by itself and says so.
	p.wait("the websocket open", w+`.__zw.sim.ws?.readyState === 1`, 10*time.Second)
	eval[bool](p, `(`+w+`.__zw.sim.ws.close(), true)`)
	p.wait("the reconnect announced", w+`.querySelector('.zw-status').textContent.includes('Live connection restored')`, 30*time.Second)
	old, oldEpoch := leaderOf(t, servers(p, 1))
	t0 := eval[string](p, w+`.dataset.simTime`)
	p.wait("wall-clock time to move", w+`.dataset.simTime !== `+strconv.Quote(t0), 5*time.Second)

	p.wait("Kill leader to be enabled", `!document.evaluate(`+strconv.Quote(button(1, "Kill leader"))+`, document, null, 9, null).singleNodeValue.disabled`, 10*time.Second)
	p.click("Kill leader", button(1, "Kill leader"))
	p.wait("the old leader down", fmt.Sprintf(`%s.querySelector('[data-node=%q]').dataset.role === 'down'`, w, old), 15*time.Second)
	p.wait("a new leader with a higher epoch", fmt.Sprintf(`[...%s.querySelectorAll('[data-node][data-role="leading"]')].some(e => e.dataset.node !== %q && +e.dataset.epoch > %d && e.dataset.phase === 'broadcast')`, w, old, oldEpoch), 90*time.Second)
	nl, ne := leaderOf(t, servers(p, 1))
	if nl == old || ne <= oldEpoch {
		t.Fatalf("after Kill leader: leader %s epoch %d, want a server other than %s with epoch > %d", nl, ne, old, oldEpoch)
	}
	p.wait("every running server in broadcast", `[...`+w+`.querySelectorAll('[data-node]')].every(e => e.dataset.role === 'down' || e.dataset.phase === 'broadcast')`, 60*time.Second)
	p.click("Write", button(1, "Write"))
	p.wait("the write committed in the new epoch", convergedJS(1), 60*time.Second)

	p.click("server "+old, fmt.Sprintf(`(//section[@data-widget])[1]//*[@data-node=%q]`, old))
	p.click("Restart "+old, button(1, "Restart "+old))
	p.wait("the old leader back", fmt.Sprintf(`%s.querySelector('[data-node=%q]').dataset.role !== 'down'`, w, old), 15*time.Second)
	p.wait("every server's zxid to converge", convergedJS(1)+` && `+w+`.querySelectorAll('[data-node][data-role="down"]').length === 0`, 90*time.Second)
	ss := servers(p, 1)
	if ss[old][0] != "following" {
		t.Errorf("restarted old leader %s: role %q, want following", old, ss[old][0])
	}
	p.wait("every task step met on live events", w+`.querySelectorAll('.zw-task-step:not(.is-met)').length === 0`, 30*time.Second)
	p.shotWidget(1, "live-after-restart")
	t.Logf("live, after failover and restart: %v", ss)

	p.click("Simulated", button(1, "Simulated"))
	p.wait("simulated mode", w+`.dataset.mode === 'sim'`, 30*time.Second)
	waitFor(t, "the live ensemble deleted", 30*time.Second, func() bool { return len(m.IDs()) == 0 })
	// The lesson's prediction above the widget holds the simulation at its
	// start until it is answered (predict.js): a learner presses Play.
	if eval[string](p, w+`.dataset.playing`) != "true" {
		p.click("Play", button(1, "Play"))
	}
	p.wait("the simulation shown again", w+`.querySelector('[data-node][data-role="leading"]') !== null`, 30*time.Second)
	p.shotWidget(1, "live-back-to-sim")
}

// TestLiveGap: a viewer that falls behind the server's bounded buffer gets
// a gap marker and a fresh snapshot; the widget says events were skipped and
// goes on drawing the ensemble.
func TestLiveGap(t *testing.T) {
	base, _ := startLiveSite(t, ensemble.Options{ViewerBuffer: 2})
	b := newBrowser(t, 1280, 1000)
	p := newPage(t, b, base+"/playground", 1280, 1000)
	w := widgetJS(1)
	p.wait("the widget to mount", w+`?.dataset.simTime !== undefined`, 30*time.Second)
	p.click("Live", button(1, "Live"))
	p.wait("the gap reported", w+`.querySelector('.zw-status').textContent.includes('some events were skipped')`, 60*time.Second)
	p.wait("a leader all the same", leaderJS(1), 60*time.Second)
	if mode := eval[string](p, w+`.dataset.mode`); mode != "live" {
		t.Errorf("data-mode = %q, want live", mode)
	}
}

// TestLiveAbsent: a site without the ensemble API (the sim-only edition)
// answers 404; the widget says so plainly and stays simulated.
func TestLiveAbsent(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 390, 844)
	p := newPage(t, b, base+"/playground", 390, 844)
	w := widgetJS(1)
	p.wait("the widget to mount", w+`?.dataset.simTime !== undefined`, 30*time.Second)
	p.click("Live", button(1, "Live"))
	p.wait("the plain message", w+`.querySelector('.zw-status').textContent.includes('simulated only')`, 30*time.Second)
	if mode := eval[string](p, w+`.dataset.mode`); mode != "sim" {
		t.Errorf("data-mode = %q, want sim", mode)
	}
	if pressed := eval[string](p, fmt.Sprintf(`document.evaluate(%s, document, null, 9, null).singleNodeValue.getAttribute('aria-pressed')`, strconv.Quote(button(1, "Simulated")))); pressed != "true" {
		t.Errorf("Simulated aria-pressed = %q, want true", pressed)
	}
	p.expectFailedLoad("/api/ensembles")
	p.shotWidget(1, "live-absent")
}

// TestLiveCap: over the per-client cap the server answers 429; the widget
// says so and stays simulated.
func TestLiveCap(t *testing.T) {
	base, m := startLiveSite(t, ensemble.Options{MaxEnsembles: 1})
	if _, err := m.Create("someone else", ensemble.Spec{Voters: 1}); err != nil {
		t.Fatalf("fill the cap: %v", err)
	}
	b := newBrowser(t, 1280, 1000)
	p := newPage(t, b, base+"/playground", 1280, 1000)
	w := widgetJS(1)
	p.wait("the widget to mount", w+`?.dataset.simTime !== undefined`, 30*time.Second)
	p.click("Live", button(1, "Live"))
	p.wait("the plain message", w+`.querySelector('.zw-status').textContent.includes('as many live ensembles')`, 30*time.Second)
	if mode := eval[string](p, w+`.dataset.mode`); mode != "sim" {
		t.Errorf("data-mode = %q, want sim", mode)
	}
	p.expectFailedLoad("/api/ensembles")
	if n := len(m.IDs()); n != 1 {
		t.Errorf("ensembles running = %d, want 1 (the one filling the cap)", n)
	}
}
