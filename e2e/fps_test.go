package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestFrameRate reports the playground's frames per second with 9 servers at
// 1× and 100× (a figure for README.md, not asserted: speed is measured, never
// asserted by timed tests). go test ./e2e -run TestFrameRate -v
func TestFrameRate(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 1000)
	for _, speed := range []string{"1", "100"} {
		p := newPage(t, b, base+"/playground?seed=1&voters=9&observers=0", 1280, 1000)
		w := widgetJS(1)
		p.wait("9 servers", w+`?.querySelectorAll('[data-node]').length === 9`, 30*time.Second)
		p.wait("a leader", leaderJS(1), 60*time.Second)
		eval[bool](p, `(() => { const s = `+w+`.querySelector('select'); s.value = [...s.options].find(o => parseFloat(o.value) === `+speed+`)?.value ?? s.value; s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`)
		fps, err := chromedp.Run(p.ctx, chromedp.Evaluate[float64](`new Promise(r => { let n = 0; const t0 = performance.now(); const f = () => { n++; if (performance.now() - t0 < 3000) requestAnimationFrame(f); else r(n * 1000 / (performance.now() - t0)); }; requestAnimationFrame(f); })`,
			chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("9 servers at %s×: %.0f frames/s (headless Chromium, software rendering)", speed, fps)
		if fps <= 0 {
			t.Errorf("no frames at %s×", speed)
		}
	}
}
