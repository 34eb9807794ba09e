// Package e2e drives the real site in headless Chromium: the playground
// widget (static/playground.js) on /playground and on every lesson, against
// the real simulator (static/zab.wasm).
//
// Run: go tool -modfile=tools/go.mod task wasm && go test ./e2e/ -v
// Chromium: `go tool -modfile=tools/go.mod task chromium` (or set CHROMIUM
// to its path; internal/headless starts it). Without it, or without the
// wasm build, the tests FAIL.
// Screenshots land in e2e/artifacts/ (gitignored).
package e2e

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/zabplay/zabplay/internal/headless"
	"github.com/zabplay/zabplay/lessons"
	"github.com/zabplay/zabplay/server/site"
	"github.com/zabplay/zabplay/static"
)

// startSite serves the site in-process. The assets come from the static
// folder on disk, so the test always runs the current playground.js and the
// zab.wasm that the wasm task built.
func startSite(t testing.TB) string {
	t.Helper()
	return siteServer(t, false)
}

// siteServer is startSite; with warm, its text assets are compressed before
// it returns, as a `serve` that has been up for a second has them (the
// benchmark measures that, not the first visitor after a start).
func siteServer(t testing.TB, warm bool) string {
	t.Helper()
	dir := filepath.Join("..", "static")
	fsys := os.DirFS(dir)
	if !static.HasWasmIn(fsys) {
		t.Fatalf("static/zab.wasm or static/wasm_exec.js is missing: run go tool -modfile=tools/go.mod task wasm")
	}
	ls, err := lessons.All()
	if err != nil {
		t.Fatalf("lessons.All() = %v", err)
	}
	var warmed chan struct{}
	if warm {
		warmed = make(chan struct{})
	}
	srv := httptest.NewServer(site.Handler(site.Options{Static: fsys, Lessons: ls, Warm: warm, Warmed: warmed}))
	t.Cleanup(srv.Close)
	if warm {
		<-warmed
	}
	return srv.URL
}

// page is one browser tab with the helpers the tests use.
type page struct {
	t   testing.TB
	ctx context.Context
	mu  sync.Mutex
	bad []string // uncaught exceptions and console errors
}

// newBrowser starts Chromium (internal/headless) with a window of
// width×height.
func newBrowser(t testing.TB, width, height int) context.Context {
	t.Helper()
	return headless.Browser(t, width, height)
}

// newPage opens a tab in the browser of bctx and navigates to url.
func newPage(t testing.TB, bctx context.Context, url string, width, height int) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(bctx)
	t.Cleanup(cancel)
	ctx, cancel2 := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(cancel2)
	p := &page{t: t, ctx: ctx}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			// Every failed load or console error counts (a browser may still ask for /favicon.ico).
			if m.Type == chromedp.ConsoleException || (m.Type == chromedp.ConsoleError && !strings.HasSuffix(m.URL, "/favicon.ico")) {
				p.mu.Lock()
				p.bad = append(p.bad, m.Text+" "+m.URL)
				p.mu.Unlock()
			}
		}
	}()
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(int64(width), int64(height)),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "light"}}})
			return err
		}),
		chromedp.Navigate(url))
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, b := range p.bad {
			t.Errorf("browser console on %s: %s", url, b)
		}
	})
	return p
}

// wait polls a JavaScript condition until it is truthy (no fixed sleeps).
func (p *page) wait(what, expr string, timeout time.Duration) {
	p.t.Helper()
	_, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		p.shot("FAILED-" + safeName(p.t.Name()))
		p.t.Fatalf("waiting for %s (%s): %v\nstate: %s", what, expr, err, p.describe())
	}
}

// eval evaluates an expression into T.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

// click clicks a real mouse click on the first match of an XPath (Search) selector.
func (p *page) click(what, xpath string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.ScrollIntoView(xpath), chromedp.Click(xpath)); err != nil {
		p.shot("FAILED-" + safeName(p.t.Name()))
		p.t.Fatalf("click %s (%s): %v\nstate: %s", what, xpath, err, p.describe())
	}
}

// button is the XPath of a button with this exact accessible name in widget n (1-based).
func button(n int, name string) string {
	return fmt.Sprintf(`(//section[@data-widget])[%d]//button[normalize-space(.)=%q or @aria-label=%q]`, n, name, name)
}

// actButton is the XPath of the button in widget n (1-based) whose data-act
// is act: the same button in every language (static/README.md).
func actButton(n int, act string) string {
	return fmt.Sprintf(`(//section[@data-widget])[%d]//button[@data-act=%q]`, n, act)
}

// key sends one key press to the page (as a user typing on the body).
func (p *page) key(k string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.KeyEvent(k)); err != nil {
		p.t.Fatalf("key %q: %v", k, err)
	}
}

// shot saves a full-page screenshot under artifacts/.
func (p *page) shot(name string) {
	p.t.Helper()
	buf, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return
	}
	p.save(name, buf)
}

// shotScreen saves a screenshot of what the screen shows, the viewport only
// (a full-page screenshot lays the page out on a taller screen), under
// artifacts/.
func (p *page) shotScreen(name string) {
	p.t.Helper()
	buf, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return
	}
	p.save(name, buf)
}

// save writes a PNG under artifacts/.
func (p *page) save(name string, buf []byte) {
	p.t.Helper()
	if err := os.MkdirAll("artifacts", 0o755); err != nil {
		p.t.Fatal(err)
	}
	path := filepath.Join("artifacts", name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: e2e/%s", path)
}

// describe returns every server of every widget, for failure messages.
func (p *page) describe() string {
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`JSON.stringify([...document.querySelectorAll('[data-widget]')].map(w => ({
		t: w.dataset.simTime, status: w.querySelector('.zw-status')?.textContent,
		servers: [...w.querySelectorAll('[data-node]')].map(e => [e.dataset.node, e.dataset.role, e.dataset.phase, e.dataset.epoch, e.dataset.zxid].join(' '))})))`))
	if err != nil {
		return err.Error()
	}
	return v
}

func safeName(s string) string {
	return strings.NewReplacer("/", "-", " ", "_").Replace(s)
}

// servers reads the DOM contract of widget n: name → [role, phase, epoch, zxid].
func servers(p *page, n int) map[string][4]string {
	p.t.Helper()
	raw := eval[[][]string](p, fmt.Sprintf(`[...document.querySelectorAll('[data-widget]')[%d].querySelectorAll('[data-node]')].map(e => [e.dataset.node, e.dataset.role, e.dataset.phase, e.dataset.epoch, e.dataset.zxid])`, n-1))
	out := map[string][4]string{}
	for _, r := range raw {
		out[r[0]] = [4]string{r[1], r[2], r[3], r[4]}
	}
	return out
}

// widgetJS is a JS expression for widget n's root element.
func widgetJS(n int) string {
	return fmt.Sprintf(`document.querySelectorAll('[data-widget]')[%d]`, n-1)
}
