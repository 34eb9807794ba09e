package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestPresenterView steps through lesson 2 from the keyboard in the
// presenter view, at 1920×1080 and 1280×720: the first scenario opens with
// its prediction for the room and the widget waiting at its start; → steps
// one narrated event, ← goes back to where it was, Enter plays to each key
// moment of the scenario (the line marked beside the ring) and, at the last,
// the answer is shown; Shift+→ moves to the next scenario. It logs the
// smallest text of the bar and the prediction.
func TestPresenterView(t *testing.T) {
	base := startSite(t)
	for _, sc := range []struct {
		w, h int
		lang string
	}{{1920, 1080, ""}, {1280, 720, "/zh"}} {
		t.Run(fmt.Sprintf("%dx%d%s", sc.w, sc.h, sc.lang), func(t *testing.T) {
			b := newBrowser(t, sc.w, sc.h)
			p := newPage(t, b, base+sc.lang+"/lessons/roles-votes-zxid?present", sc.w, sc.h)
			p.wait("the presenter bar", `!!document.querySelector('[data-testid="pres-bar"]')`, 10*time.Second)
			p.wait("the widget to mount", widgetJS(1)+`?.dataset.simTime !== undefined && `+widgetJS(1)+`.__zw?.sim`, 30*time.Second)
			count := eval[string](p, `document.querySelector('[data-testid="pres-count"]').textContent`)
			if want := map[string]string{"": "Scenario 1 of 2", "/zh": "场景 1 / 2"}[sc.lang]; count != want {
				t.Errorf("count %q, want %q", count, want)
			}
			// One scenario on the screen: the first widget and its prediction, nothing of the lesson's text.
			if n := eval[int](p, `[...document.querySelectorAll('article > *')].filter(e => e.offsetParent !== null && !e.classList.contains('pres-off')).length`); n > 4 {
				t.Errorf("%d parts of the lesson shown, want the bar, the prediction, the class bar and the widget", n)
			}
			if !eval[bool](p, `(() => { const b = document.querySelector('aside[data-predict="roles-votes-zxid-1"]'); return b.offsetParent !== null && !b.dataset.result; })()`) {
				t.Fatalf("the prediction is not shown to the room before its answer")
			}
			sizes := eval[string](p, `JSON.stringify({title: parseFloat(getComputedStyle(document.querySelector('.pres-title')).fontSize),
				question: parseFloat(getComputedStyle(document.querySelector('.predict-question')).fontSize),
				choice: parseFloat(getComputedStyle(document.querySelector('.predict-choice')).fontSize),
				smallest: Math.min(...[...document.querySelectorAll('.pres-bar *, aside.predict *')].filter(e => e.offsetParent !== null && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())).map(e => parseFloat(getComputedStyle(e).fontSize)))})`)
			t.Logf("text sizes (px): %s", sizes)
			p.shot(fmt.Sprintf("presenter-%dx%d%s-question", sc.w, sc.h, strings.TrimPrefix(sc.lang, "/")))

			simT := func() int { v, _ := strconv.Atoi(eval[string](p, widgetJS(1)+`.dataset.simTime`)); return v }
			p.wait("the widget at its start", widgetJS(1)+`.dataset.playing === 'false'`, 10*time.Second)
			steps := func() int { return eval[int](p, `window.__presenter.slide.history.length`) }
			status := func() string { return eval[string](p, widgetJS(1)+`.querySelector('.zw-status').textContent`) }
			held := status()
			p.key(kb.ArrowRight) // ArrowRight: one narrated step (its caption in the widget's status)
			p.wait("a step", `window.__presenter.slide.history.length === 1 && `+widgetJS(1)+`.querySelector('.zw-status').textContent !== `+jsString(held), 10*time.Second)
			// The caption shows at once; the widget writes its time on its next
			// frame: read it after two (a CI run read the time before the step).
			eval[bool](p, `(window.__frames = 0, requestAnimationFrame(() => requestAnimationFrame(() => { window.__frames = 2; })), true)`)
			p.wait("two frames", `window.__frames === 2`, 10*time.Second)
			t1 := simT()
			first := status()
			p.key(kb.ArrowRight)
			p.wait("another step", `window.__presenter.slide.history.length === 2 && `+widgetJS(1)+`.querySelector('.zw-status').textContent !== `+jsString(first), 10*time.Second)
			p.key(kb.ArrowLeft) // ArrowLeft: back where the second step started
			p.wait("a step back", `window.__presenter.slide.history.length === 1 && `+widgetJS(1)+`.dataset.simTime == `+strconv.Itoa(t1), 10*time.Second)
			if steps() != 1 {
				t.Errorf("after two steps and one back, %d steps to go back", steps())
			}

			// Enter: to each key moment in turn, until the scenario's end shows the answer.
			for i := 0; i < 12 && eval[string](p, `document.querySelector('aside[data-predict="roles-votes-zxid-1"]').dataset.result || ''`) == ""; i++ {
				before := simT()
				p.key("\r")
				p.wait("a key moment", `document.querySelector('[data-testid="pres-status"]').textContent !== '' && (`+widgetJS(1)+`.dataset.playing === 'false' && `+widgetJS(1)+`.dataset.simTime > `+strconv.Itoa(before)+` || !!document.querySelector('aside[data-predict="roles-votes-zxid-1"]').dataset.result)`, 60*time.Second)
			}
			if res := eval[string](p, `document.querySelector('aside[data-predict="roles-votes-zxid-1"]').dataset.result || ''`); res != "shown" {
				t.Fatalf("after the last key moment the prediction is %q, want its answer shown", res)
			}
			if !eval[bool](p, leaderJS(1)) {
				t.Errorf("the first scenario's end shows no leader")
			}
			p.shot(fmt.Sprintf("presenter-%dx%d%s-answer", sc.w, sc.h, strings.TrimPrefix(sc.lang, "/")))

			p.key("a") // already shown: nothing changes
			if err := p.keyShift(kb.ArrowRight); err != nil {
				t.Fatal(err)
			}
			p.wait("the second scenario", `document.documentElement.dataset.presSlide === '2'`, 10*time.Second)
			if !eval[bool](p, `document.querySelectorAll('[data-widget]')[1].offsetParent !== null && document.querySelectorAll('[data-widget]')[0].offsetParent === null`) {
				t.Errorf("the second scenario is not the one shown")
			}
		})
	}
}

// inViewJS is true when every element that selector matches in the
// document is drawn, whole, inside the viewport, with the page not scrolled.
func inViewJS(selector string) string {
	return `(() => { const els = [...document.querySelectorAll(` + jsString(selector) + `)]; return scrollY === 0 && els.length > 0 && els.every(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.top >= -1 && r.left >= -1 && r.bottom <= innerHeight + 1 && r.right <= innerWidth + 1; }); })()`
}

// TestPresenterFits: on a 1280×720 and a 1920×1080 projector, in English
// and in Chinese, the presenter view shows the ring and the prediction's
// question with its choices on one screen, without scrolling and side by
// side; after a step, the ring and the step's caption (the widget's status
// line); after the answer, the ring and why. Lesson 8 has five servers and the
// longest answer.
func TestPresenterFits(t *testing.T) {
	base := startSite(t)
	for _, sz := range []struct{ w, h int }{{1280, 720}, {1920, 1080}} {
		b := newBrowser(t, sz.w, sz.h)
		for _, lang := range []string{"en", "zh"} {
			for _, slug := range []string{"roles-votes-zxid", "partitions"} {
				t.Run(fmt.Sprintf("%dx%d/%s/%s", sz.w, sz.h, lang, slug), func(t *testing.T) {
					prefix := map[string]string{"en": "", "zh": "/zh"}[lang]
					p := newPage(t, b, base+prefix+"/lessons/"+slug+"?present", sz.w, sz.h)
					w := widgetJS(1)
					p.wait("the widget to mount in the presenter view", `!!document.querySelector('[data-testid="pres-bar"]') && `+w+`?.dataset.simTime !== undefined && !!`+w+`.__zw?.sim`, 30*time.Second)
					ring := `[data-widget]:not(.pres-off) .zw-ring`
					question := `[data-widget]:not(.pres-off) .predict-question, [data-widget]:not(.pres-off) .predict-choice`
					p.wait("the ring and the question with its choices inside the viewport", inViewJS(ring)+` && `+inViewJS(question), 10*time.Second)
					if !eval[bool](p, `(() => { const r = document.querySelector(`+jsString(ring)+`).getBoundingClientRect(), q = document.querySelector('[data-widget]:not(.pres-off) .predict').getBoundingClientRect(); return q.left >= r.right; })()`) {
						t.Errorf("the question is not beside the ring")
					}
					p.shotScreen(fmt.Sprintf("presenter-fits-%dx%d-%s-%s", sz.w, sz.h, lang, slug))
					held := eval[string](p, w+`.querySelector('.zw-status').textContent`)
					p.key(kb.ArrowRight)
					p.wait("a step's caption in the widget's status line", w+`.querySelector('.zw-status').textContent !== `+jsString(held), 10*time.Second)
					p.wait("the ring and the caption inside the viewport", inViewJS(ring)+` && `+inViewJS(`[data-widget]:not(.pres-off) .zw-status`), 10*time.Second)
					p.key("a")
					p.wait("the answer and why shown", `document.querySelector('[data-widget]:not(.pres-off) .predict')?.dataset.result === 'shown'`, 10*time.Second)
					p.wait("the ring and why inside the viewport", inViewJS(ring)+` && `+inViewJS(`[data-widget]:not(.pres-off) .predict-reveal p`), 10*time.Second)
					p.shotScreen(fmt.Sprintf("presenter-fits-%dx%d-%s-%s-answer", sz.w, sz.h, lang, slug))
				})
			}
		}
	}
}

// keyShift sends one key press with Shift held.
func (p *page) keyShift(k string) error {
	return chromedp.Do(p.ctx, chromedp.KeyEvent(k, chromedp.KeyModifiers(chromedp.ModifierShift)))
}
