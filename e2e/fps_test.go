package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BenchmarkFrameRate measures the playground's frames per second with 9
// servers at 1× and 100× (headless Chromium, software rendering). It measures;
// it asserts nothing, so it is not part of the test suite:
//
//	go test ./e2e -run XXX -bench FrameRate -benchtime 1x
func BenchmarkFrameRate(b *testing.B) {
	base := startSite(b)
	br := newBrowser(b, 1280, 1000)
	for _, speed := range []string{"1", "100"} {
		b.Run(speed+"x", func(b *testing.B) {
			var sum float64
			for range b.N {
				p := newPage(b, br, base+"/playground?seed=1&voters=9&observers=0", 1280, 1000)
				w := widgetJS(1)
				p.wait("9 servers", w+`?.querySelectorAll('[data-node]').length === 9`, 30*time.Second)
				p.wait("a leader", leaderJS(1), 60*time.Second)
				eval[bool](p, `(() => { const s = `+w+`.querySelector('select.zw-speed'); s.value = [...s.options].find(o => parseFloat(o.value) === `+speed+`)?.value ?? s.value; s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`)
				fps, err := chromedp.Run(p.ctx, chromedp.Evaluate[float64](`new Promise(r => { let n = 0; const t0 = performance.now(); const f = () => { n++; if (performance.now() - t0 < 3000) requestAnimationFrame(f); else r(n * 1000 / (performance.now() - t0)); }; requestAnimationFrame(f); })`,
					chromedp.EvalAwaitPromise))
				if err != nil {
					b.Fatal(err)
				}
				sum += fps
			}
			b.ReportMetric(sum/float64(b.N), "frames/s")
		})
	}
}
