package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"
)

// BenchmarkPlayground measures what a learner on a slow laptop waits for and
// sees (issue 15): for each page (the playground, a lesson, the playground
// with 9 servers) and each CPU slowdown (Chromium's CPU throttling, 1×, 4×,
// 6×), in a fresh profile (nothing cached; the server has compressed its
// assets, as serve does at start), from navigation start:
//
//   - servers-ms: the first server drawn in the widget (a [data-node]);
//   - first-frame-ms: the simulator's first frame (the widget's data-sim-time
//     set: its servers drawn from the running simulator; a lesson's
//     prediction may then hold it at 0 until answered, static/predict.js);
//   - KB: what the page transferred (Resource Timing, headers included);
//   - fps-1x, fps-100x: frames/s over 3 s at 1× and at 100× (headless
//     Chromium, software rendering);
//   - cpu-1x, cpu-100x: the page's main thread's CPU time per frame, in ms
//     (Performance.getMetrics ThreadTime), what a frame costs whatever
//     else the machine runs (frames/s move with the load of a shared
//     machine; this moves much less).
//
// It measures; it asserts nothing, so it is not part of the test suite:
//
//	go test ./e2e -run XXX -bench Playground -benchtime 1x
//
// ZABPLAY_BENCH_CPU=1,4 and ZABPLAY_BENCH_PAGES=playground,lesson,nine pick
// a subset. ZABPLAY_BENCH_TRACE=1 also records a Chrome trace of each
// 3-second window and logs where the main thread's time per frame went
// (script, style, layout, paint, other; fps_trace_test.go): tracing slows
// the page, so its runs are not the figures above. ZABPLAY_BENCH_TRACE_DIR=DIR
// also writes each raw trace there, with what was invalidated and why, and
// its JavaScript profile (.cpuprofile, for DevTools). ZABPLAY_BENCH_EVAL=JS
// runs JS in the page before the measures (an experiment: hide something
// and see what a frame costs without it; a promise is awaited, and what it
// returns is logged). ZABPLAY_BENCH_TRACE_START=1
// traces from navigation to the first frame (traced, so slower).
func BenchmarkPlayground(b *testing.B) {
	base := siteServer(b, true)
	pages := []struct {
		name, path string
		asked      bool // measured only when ZABPLAY_BENCH_PAGES names it
	}{
		{"playground", "/playground", false},
		{"lesson", "/lessons/leader-dies", false},
		{"nine", "/playground?seed=1&voters=9&observers=0", false},
		// The playground with a fixed seed, so that runs compared are the
		// same run (ZABPLAY_BENCH_PAGES=seeded).
		{"seeded", "/playground?seed=1", true},
	}
	for _, cpu := range benchList("ZABPLAY_BENCH_CPU", "1,4,6") {
		rate, err := strconv.ParseFloat(cpu, 64)
		if err != nil {
			b.Fatalf("ZABPLAY_BENCH_CPU: %v", err)
		}
		for _, pg := range pages {
			if !benchWants("ZABPLAY_BENCH_PAGES", pg.name) || pg.asked && os.Getenv("ZABPLAY_BENCH_PAGES") == "" {
				continue
			}
			b.Run(fmt.Sprintf("cpu=%sx/%s", cpu, pg.name), func(b *testing.B) {
				var m [7]float64
				for range b.N {
					r := measurePage(b, base+pg.path, rate)
					for i := range m {
						m[i] += r[i]
					}
				}
				n := float64(b.N)
				b.ReportMetric(m[0]/n, "servers-ms")
				b.ReportMetric(m[1]/n, "first-frame-ms")
				b.ReportMetric(m[2]/n/1000, "KB")
				b.ReportMetric(m[3]/n, "fps-1x")
				b.ReportMetric(m[4]/n, "fps-100x")
				b.ReportMetric(m[5]/n, "cpu-1x")
				b.ReportMetric(m[6]/n, "cpu-100x")
				b.ReportMetric(0, "ns/op") // the wall time of a run means nothing here
			})
		}
	}
}

// perfProbe runs in the page before its own scripts: it notes when the
// first server is drawn and when the simulator's first frame is. It
// scrolls to the first widget as soon as it exists, as a learner reading a
// lesson does (a widget off-screen sleeps).
const perfProbe = `(() => {
  const m = window.__zwPerf = {};
  const f = () => {
    const w = document.querySelector('[data-widget]');
    if (w) {
      if (!m.scrolled) { m.scrolled = true; w.scrollIntoView(); }
      if (m.servers == null && w.querySelector('.zw-ring .zw-node, [data-node]')) m.servers = performance.now();
      if (m.moving == null && w.dataset.simTime !== undefined && w.querySelector('[data-node]')) m.moving = performance.now();
    }
    if (m.moving == null) requestAnimationFrame(f);
  };
  requestAnimationFrame(f);
})()`

// measurePage loads url in a fresh browser with the CPU slowed down rate
// times and returns servers-ms, first-frame-ms, bytes, fps at 1× and 100×,
// CPU ms per frame at 1× and 100×.
func measurePage(b *testing.B, url string, rate float64) [7]float64 {
	b.Helper()
	br := newBrowser(b, 1366, 900)
	ctx, cancel := context.WithTimeout(br, 3*time.Minute)
	defer cancel()
	p := &page{t: b, ctx: ctx}
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1366, 900),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tg, emulation.SetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: rate}); err != nil {
				return err
			}
			if _, err := cdp.Call(ctx, tg, performance.Enable, performance.EnableParams{}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: perfProbe})
			return err
		}))
	if err != nil {
		b.Fatalf("open %s: %v", url, err)
	}
	var start *tracer
	if os.Getenv("ZABPLAY_BENCH_TRACE_START") != "" {
		start = startTrace(b, ctx) // from navigation to the first frame
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		b.Fatalf("open %s: %v", url, err)
	}
	p.wait("the first frame", `window.__zwPerf && window.__zwPerf.moving != null`, 2*time.Minute)
	if start != nil {
		classes, top, js := start.stop(b, ctx)
		var parts []string
		for _, c := range []string{"script", "style", "layout", "paint", "other"} {
			parts = append(parts, fmt.Sprintf("%s %.0f", c, classes[c]))
		}
		b.Logf("%s at %g×, main thread ms from navigation to the first frame (trace, self time): %s; most: %s", url, rate, strings.Join(parts, ", "), strings.Join(top, ", "))
		b.Logf("JavaScript, self time: %s", strings.Join(js, ", "))
	}
	var r [7]float64
	r[0] = eval[float64](p, `window.__zwPerf.servers`)
	r[1] = eval[float64](p, `window.__zwPerf.moving`)
	r[2] = eval[float64](p, `[...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].reduce((s, e) => s + e.transferSize, 0)`)
	// Where the wait went: the page's own marks (sim.js, playground.js)
	// between the HTML's arrival and the first frame.
	b.Logf("%s at %g× CPU, start (ms from navigation): %s", url, rate, eval[string](p, `(() => {
	  const n = performance.getEntriesByType('navigation')[0], m = window.__zwPerf;
	  const at = [['html', n.responseEnd], ['dom', n.domContentLoadedEventStart],
	    ...performance.getEntriesByType('mark').filter(e => e.name.startsWith('zabplay:')).map(e => [e.name.slice(8), e.startTime]),
	    ['servers', m.servers], ['first-frame', m.moving]];
	  return at.sort((a, b) => a[1] - b[1]).map(([k, v]) => k + ' ' + Math.round(v)).join(', ');
	})()`))
	// A prediction before a lesson's widget holds it at the start: play.
	eval[bool](p, `(() => { const w = `+widgetJS(1)+`; if (w.dataset.playing !== 'true') w.querySelector('.zw-play').click(); return true })()`)
	p.wait("a leader", leaderJS(1), 2*time.Minute)
	if js := os.Getenv("ZABPLAY_BENCH_EVAL"); js != "" {
		// An experiment: what a frame costs without something.
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js, chromedp.EvalAwaitPromise))
		if err != nil {
			b.Fatalf("ZABPLAY_BENCH_EVAL: %v", err)
		}
		if v != nil {
			b.Logf("ZABPLAY_BENCH_EVAL: %v", v)
		}
	}
	for i, speed := range []string{"1", "100"} {
		eval[bool](p, `(() => { const s = `+widgetJS(1)+`.querySelector('select.zw-speed'); s.value = [...s.options].find(o => parseFloat(o.value) === `+speed+`)?.value ?? s.value; s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`)
		var tr *tracer
		if os.Getenv("ZABPLAY_BENCH_TRACE") != "" {
			tr = startTrace(b, ctx)
		}
		cpu0 := threadTime(b, ctx)
		n, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`new Promise(r => { let n = 0; const t0 = performance.now(); const f = () => { n++; if (performance.now() - t0 < 3000) requestAnimationFrame(f); else r(n); }; requestAnimationFrame(f); })`,
			chromedp.EvalAwaitPromise))
		if err != nil {
			b.Fatal(err)
		}
		cpu := threadTime(b, ctx) - cpu0
		if tr != nil {
			classes, top, js := tr.stop(b, ctx)
			var parts []string
			for _, c := range []string{"script", "style", "layout", "paint", "other"} {
				parts = append(parts, fmt.Sprintf("%s %.1f", c, classes[c]/n))
			}
			b.Logf("%s at %s×, main thread ms/frame (trace, self time): %s; most: %s", url, speed, strings.Join(parts, ", "), strings.Join(top, ", "))
			b.Logf("JavaScript, self time: %s", strings.Join(js, ", "))
		}
		r[3+i] = n / 3
		r[5+i] = cpu * 1000 / n
	}
	return r
}

// threadTime is the page's main thread's CPU time so far, in seconds.
func threadTime(b *testing.B, ctx context.Context) float64 {
	b.Helper()
	var v float64
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, performance.GetMetrics, cdp.Empty{})
		if err != nil {
			return err
		}
		for _, m := range res.Metrics {
			if m.Name == "ThreadTime" {
				v = m.Value
				return nil
			}
		}
		return fmt.Errorf("no ThreadTime among the page's metrics")
	}))
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// benchList is the comma-separated list in env, or def.
func benchList(env, def string) []string {
	v := os.Getenv(env)
	if v == "" {
		v = def
	}
	return strings.Split(v, ",")
}

// benchWants reports whether name is in the list in env (all when unset).
func benchWants(env, name string) bool {
	v := os.Getenv(env)
	if v == "" {
		return true
	}
	for _, x := range strings.Split(v, ",") {
		if x == name {
			return true
		}
	}
	return false
}
