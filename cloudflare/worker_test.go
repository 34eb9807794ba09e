//go:build !js

// The Workers edition against `serve`: the Worker built by `task cloudflare`
// runs in the local Workers runtime (wrangler dev --local, from `task
// wrangler`), and every page and asset must come back as server/site answers
// them in process with live mode off. Then a browser runs a lesson's
// simulation from it.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zabplay/zabplay/internal/headless"
	"github.com/zabplay/zabplay/lessons"
	"github.com/zabplay/zabplay/server/site"
)

var (
	workerOnce sync.Once
	workerURL  string
	workerErr  error
	workerStop func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	if workerStop != nil {
		workerStop()
	}
	os.Exit(code)
}

// startWorker runs `wrangler dev --local` on a free port of 127.0.0.1 once for
// the package (its [build] command runs `task cloudflare`, which finds the
// build up to date) and returns its URL.
func startWorker(t *testing.T) string {
	t.Helper()
	workerOnce.Do(func() { workerURL, workerErr = runWrangler() })
	if workerErr != nil {
		t.Fatal(workerErr)
	}
	return workerURL
}

func runWrangler() (string, error) {
	wrangler := filepath.Join("node_modules", ".bin", "wrangler")
	if _, err := os.Stat(wrangler); err != nil {
		return "", fmt.Errorf("%s is missing: run go tool -modfile=tools/go.mod task wrangler", wrangler)
	}
	if _, err := os.Stat(filepath.Join("build", "app.wasm")); err != nil {
		return "", fmt.Errorf("build/app.wasm is missing: run go tool -modfile=tools/go.mod task cloudflare")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	state, err := os.MkdirTemp("", "zabplay-wrangler-")
	if err != nil {
		return "", err
	}
	var logs bytes.Buffer
	cmd := exec.Command(wrangler, "dev", "--local", "--ip", "127.0.0.1", "--port", strconv.Itoa(port),
		"--persist-to", state, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "CI=true", "WRANGLER_SEND_METRICS=false", "NO_COLOR=1")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	// wrangler starts workerd: stop both (the group). If the test binary dies
	// without its cleanup (a -timeout), SIGTERM tells wrangler to stop
	// workerd too, instead of both living on (seen: two orphaned pairs, 3 GB).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	workerStop = func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		os.RemoveAll(state)
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	start := time.Now()
	for time.Since(start) < 3*time.Minute {
		select {
		case <-done:
			return "", fmt.Errorf("wrangler dev exited before serving:\n%s", logs.String())
		case <-time.After(250 * time.Millisecond):
		}
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				fmt.Fprintf(os.Stderr, "wrangler dev: %s serves /healthz after %v\n", url, time.Since(start).Round(time.Millisecond))
				return url, nil
			}
		}
	}
	return "", fmt.Errorf("wrangler dev did not serve /healthz within 3 minutes:\n%s", logs.String())
}

// answer is what a test compares of one response.
type answer struct {
	status  int
	headers http.Header
	body    []byte
}

// fetch asks base for path without following redirects; the client asks
// for gzip and decodes it, so both sides compare decoded bytes.
func fetch(t *testing.T, method, base, path string, header http.Header) answer {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	c := &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return answer{resp.StatusCode, resp.Header, body}
}

// compared are the headers that must match `serve`'s: the security headers,
// the type, caching, Vary and a redirect's target. ETag and Content-Length
// may differ (Cloudflare computes its own for the assets).
var compared = []string{"Content-Type", "Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
	"X-Frame-Options", "Cache-Control", "Location"}

// TestWorkerServesWhatServeServes: every page of both languages, the
// redirects, the errors, and every file of static/ (served or not) answer
// the same status, headers and bytes from the Worker as from server/site in
// process with live mode off.
func TestWorkerServesWhatServeServes(t *testing.T) {
	worker := startWorker(t)
	ref := httptest.NewServer(site.Handler(site.Options{SimOnly: true, Static: os.DirFS(filepath.Join("..", "static"))}))
	defer ref.Close()

	type probe struct {
		method, path string
		header       http.Header
	}
	var probes []probe
	get := func(path string) { probes = append(probes, probe{"GET", path, nil}) }
	for _, prefix := range []string{"", "/zh"} {
		for _, p := range []string{"/playground", "/lessons", "/glossary", "/lessons/no-such-lesson", "/no-such-page"} {
			get(prefix + p)
		}
	}
	get("/")
	get("/zh/")
	get("/zh")
	get("/?lang=en")
	get("/healthz")
	probes = append(probes, probe{"GET", "/", http.Header{"Accept-Language": {"zh-CN,zh;q=0.9,en;q=0.8"}}},
		probe{"HEAD", "/lessons", nil}, probe{"POST", "/lessons", nil}, probe{"POST", "/api/ensembles", nil})
	for _, lang := range lessons.Langs {
		ls, err := lessons.In(lang)
		if err != nil {
			t.Fatal(err)
		}
		prefix := map[lessons.Lang]string{lessons.En: "", lessons.Zh: "/zh"}[lang]
		for _, l := range ls {
			get(prefix + "/lessons/" + l.Slug)
		}
	}
	files, err := os.ReadDir(filepath.Join("..", "static"))
	if err != nil {
		t.Fatal(err)
	}
	served := 0
	for _, f := range files {
		get("/static/" + f.Name())
	}
	start := time.Now()
	for _, p := range probes {
		want := fetch(t, p.method, ref.URL, p.path, p.header)
		got := fetch(t, p.method, worker, p.path, p.header)
		what := p.method + " " + p.path
		if got.status != want.status {
			t.Errorf("%s: status %d, serve says %d", what, got.status, want.status)
			continue
		}
		if got.headers.Get("Content-Type") == "" {
			t.Errorf("%s: no Content-Type", what)
		}
		for _, k := range compared {
			if g, w := got.headers.Get(k), want.headers.Get(k); g != w {
				t.Errorf("%s: %s %q, serve says %q", what, k, g, w)
			}
		}
		if g, w := strings.Join(got.headers.Values("Vary"), ", "), strings.Join(want.headers.Values("Vary"), ", "); !strings.HasPrefix(p.path, "/static/") && g != w {
			t.Errorf("%s: Vary %q, serve says %q", what, g, w) // assets: Cloudflare negotiates the encoding itself
		}
		if !bytes.Equal(got.body, want.body) {
			t.Errorf("%s: %d bytes differ from serve's %d bytes", what, len(got.body), len(want.body))
		}
		if strings.HasPrefix(p.path, "/static/") && got.status == http.StatusOK {
			served++
		}
	}
	if served < 10 {
		t.Errorf("only %d assets served; static/ is not built (task wasm)?", served)
	}
	t.Logf("%d requests compared (%d assets served) in %v", len(probes), served, time.Since(start).Round(time.Millisecond))
}

// TestWorkerPagesSayLiveIsOff: the footer of every page and each widget tell
// a learner that Live mode needs zabplay serve.
func TestWorkerPagesSayLiveIsOff(t *testing.T) {
	worker := startWorker(t)
	for _, path := range []string{"/lessons/leader-dies", "/zh/lessons/leader-dies", "/playground"} {
		a := fetch(t, "GET", worker, path, nil)
		body := string(a.body)
		if !strings.Contains(body, `data-testid="live-off"`) || !strings.Contains(body, "zabplay serve") {
			t.Errorf("%s: the footer does not say Live mode is off", path)
		}
		if !strings.Contains(body, "data-live-off=") {
			t.Errorf("%s: no widget carries data-live-off", path)
		}
	}
}

// TestWorkerLessonKillLeader: in headless Chromium, a lesson page served by
// the Worker loads the simulator (a Workers static asset), elects a leader,
// and after "Kill leader" another server leads a higher epoch; in both
// languages. The Live switch is disabled and says why.
func TestWorkerLessonKillLeader(t *testing.T) {
	worker := startWorker(t)
	bctx := newBrowser(t)
	for _, path := range []string{"/lessons/leader-dies", "/zh/lessons/leader-dies"} {
		t.Run(strings.TrimPrefix(strings.ReplaceAll(path, "/", "-"), "-"), func(t *testing.T) {
			ctx, cancel := chromedp.NewContext(bctx)
			defer cancel()
			ctx, cancel = context.WithTimeout(ctx, 3*time.Minute)
			defer cancel()
			var errs []string
			var mu sync.Mutex
			go func() {
				for m, err := range chromedp.Console(ctx) {
					if err != nil {
						return
					}
					if m.Type == chromedp.ConsoleException || (m.Type == chromedp.ConsoleError && !strings.HasSuffix(m.URL, "/favicon.ico")) {
						mu.Lock()
						errs = append(errs, m.Text+" "+m.URL)
						mu.Unlock()
					}
				}
			}()
			w := `document.querySelector('[data-widget]')`
			wait := func(what, expr string, d time.Duration) {
				t.Helper()
				if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
					state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify([...`+w+`.querySelectorAll('[data-node]')].map(e => [e.dataset.node, e.dataset.role, e.dataset.phase, e.dataset.epoch]))`))
					t.Fatalf("waiting for %s: %v\nservers: %s", what, err, state)
				}
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(worker+path)); err != nil {
				t.Fatalf("open %s: %v", path, err)
			}
			wait("the widget to mount", w+`?.dataset.simTime !== undefined`, time.Minute)
			liveOff, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const b = [...`+w+`.querySelectorAll('.zw-mode-btn')][1]; return b.disabled && !!`+w+`.querySelector('[data-testid="live-off"]') })()`))
			if err != nil || !liveOff {
				t.Errorf("the Live switch is not disabled with a note (%v)", err)
			}
			// A lesson's widget waits, paused, for the learner: bring it
			// into view, make it the active one, speed it up and play.
			mine := `(//section[@data-widget])[1]`
			if err := chromedp.Do(ctx, chromedp.ScrollIntoView(mine), chromedp.Click(mine+`//span[contains(@class,"zw-timebox")]`),
				chromedp.KeyEvent("]"), chromedp.KeyEvent("]"), chromedp.KeyEvent("]"), chromedp.KeyEvent("]")); err != nil {
				t.Fatalf("speed the widget up: %v", err)
			}
			if playing, err := chromedp.Run(ctx, chromedp.Evaluate[string](w+`.dataset.playing`)); err != nil || playing != "true" {
				if err := chromedp.Do(ctx, chromedp.Click(mine+`//button[contains(@class,"zw-play")]`)); err != nil {
					t.Fatalf("click Play: %v", err)
				}
			}
			wait("a leader in broadcast", w+`.querySelector('[data-node][data-role="leading"][data-phase="broadcast"]') !== null`, time.Minute)
			old, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(e => [e.dataset.node, e.dataset.epoch])(`+w+`.querySelector('[data-node][data-role="leading"]'))`))
			if err != nil {
				t.Fatal(err)
			}
			kill := `(//section[@data-widget])[1]//button[@aria-keyshortcuts="K"]` // "Kill leader" in either language
			wait("Kill leader to be enabled", `!document.evaluate(`+strconv.Quote(kill)+`, document, null, 9, null).singleNodeValue.disabled`, 10*time.Second)
			if err := chromedp.Do(ctx, chromedp.ScrollIntoView(kill), chromedp.Click(kill)); err != nil {
				t.Fatalf("click Kill leader: %v", err)
			}
			wait("the old leader down", fmt.Sprintf(`%s.querySelector('[data-node=%q]').dataset.role === 'down'`, w, old[0]), 10*time.Second)
			wait("a new leader with a higher epoch", fmt.Sprintf(`[...%s.querySelectorAll('[data-node][data-role="leading"]')].some(e => e.dataset.node !== %q && +e.dataset.epoch > %s && e.dataset.phase === 'broadcast')`, w, old[0], old[1]), 90*time.Second)
			mu.Lock()
			defer mu.Unlock()
			for _, e := range errs {
				t.Errorf("browser console: %s", e)
			}
		})
	}
}

// newBrowser starts headless Chromium (internal/headless; CHROMIUM
// overrides the path, `task chromium` installs it).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return headless.Browser(t, 1280, 1000)
}
