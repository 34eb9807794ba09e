package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// lesson3Task reads the task of lesson 3's first widget.
func lesson3Task(t *testing.T, p *page) task {
	t.Helper()
	p.wait("the widgets to mount", `[...document.querySelectorAll('[data-widget]')].every(w => w.dataset.simTime !== undefined)`, 30*time.Second)
	var tk task
	if err := json.Unmarshal([]byte(eval[string](p, widgetJS(1)+`.dataset.task || ''`)), &tk); err != nil || len(tk.Steps) == 0 {
		t.Fatalf("lesson 3's first widget has no task: %v", err)
	}
	return tk
}

// TestLesson3OnAPhone: a learner on a 390 px touch screen does lesson 3's
// task, and the page never scrolls sideways.
func TestLesson3OnAPhone(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 390, 844)
	p := newPage(t, b, base+"/lessons/leader-dies", 390, 844)
	if err := chromedp.Do(p.ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		t.Fatal(err)
	}
	tk := lesson3Task(t, p)
	if w := eval[int](p, `document.documentElement.scrollWidth`); w > 390 {
		p.shot("FAILED-phone-overflow")
		t.Fatalf("the page is %d px wide on a 390 px screen", w)
	}
	completeTask(t, p, 1, tk)
	p.shot("lesson-leader-dies-phone")
	buf, err := chromedp.Run(p.ctx, chromedp.Screenshot(`(//section[@data-widget])[1]`))
	if err != nil {
		t.Fatalf("widget screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join("artifacts", "lesson-leader-dies-phone-widget.png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLesson3KeyboardOnly: a learner with only a keyboard does lesson 3's
// task: Tab into the widget, shortcuts for kill, speed and write, Tab to the
// restart button.
func TestLesson3KeyboardOnly(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 1000)
	p := newPage(t, b, base+"/lessons/leader-dies", 1280, 1000)
	tk := lesson3Task(t, p)
	w := widgetJS(1)
	inWidget := w + `.contains(document.activeElement)`
	for i := 0; i < 60 && !eval[bool](p, inWidget); i++ {
		p.key("\t")
	}
	if !eval[bool](p, inWidget) {
		t.Fatalf("Tab never reached lesson 3's widget")
	}
	faster(p, 4)
	if eval[string](p, w+`.dataset.playing`) != "true" {
		// Held at its start by the prediction before it (static/predict.js):
		// Play, from the keyboard (Space on a focused button presses that button).
		eval[bool](p, w+`.querySelector('.zw-play').focus(), true`)
		p.key("\r")
	}
	waitScenario(p, 1)
	met := func(k int) {
		p.wait(fmt.Sprintf("step %d: %s", k+1, tk.Steps[k].Label),
			fmt.Sprintf(`%s.querySelectorAll('.zw-task-step')[%d].classList.contains('is-met')`, w, k), 120*time.Second)
	}
	for k, st := range tk.Steps {
		switch st.Check {
		case "leader crashed":
			p.wait("a leader in broadcast", w+`.querySelector('[data-node][data-role="leading"][data-phase="broadcast"]') !== null`, 60*time.Second)
			p.key("k")
		case "write committed":
			p.wait("a leader in broadcast", w+`.querySelector('[data-node][data-role="leading"][data-phase="broadcast"]') !== null`, 90*time.Second)
			p.key("w")
			p.wait("w to focus the value input", `document.activeElement?.classList.contains('zw-value') ?? false`, 5*time.Second)
			p.key("\r")
			p.key("\x1b")
		case "server restarted":
			name := eval[string](p, `(`+w+`.querySelector('[data-node][data-role="down"]') || {dataset: {}}).dataset.node || ''`)
			if name == "" {
				t.Fatalf("no server is down to restart: %s", p.describe())
			}
			p.key(name[1:]) // digit: select the server
			restart := fmt.Sprintf(`document.activeElement?.textContent === %q`, "Restart "+name)
			for i := 0; i < 80 && !eval[bool](p, restart); i++ {
				p.key("\t")
			}
			if !eval[bool](p, restart) {
				p.shot("FAILED-keyboard-restart")
				t.Fatalf("Tab never reached the Restart %s button", name)
			}
			p.key("\r")
		}
		met(k)
	}
	p.wait(`"Task complete"`, fmt.Sprintf(`[...%s.querySelectorAll('[aria-live]')].some(e => e.textContent.includes('Task complete'))`, w), 10*time.Second)
	p.shot("lesson-leader-dies-keyboard")
}
