package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/zabplay/zabplay/server/ensemble"
)

// Step (n) moves from one narrated event to the next: every press ends on a
// caption in plain words, never on "No more events" while the ensemble is
// still electing, syncing or committing.
func TestNarrationStep(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 900)
	p := newPage(t, b, base+"/playground?seed=3", 1280, 900)
	w := widgetJS(1)
	p.wait("the widget", w+`?.querySelector('.zw-captions') != null && `+w+`.dataset.simTime != null`, 30*time.Second)
	p.click("Pause", button(1, "Pause"))
	var captions []string
	for i := 0; i < 40; i++ {
		before := eval[string](p, w+`.querySelector('.zw-status').textContent`)
		p.key("n")
		p.wait("a caption after step", w+`.querySelector('.zw-status').textContent !== `+jsString(before), 10*time.Second)
		status := eval[string](p, w+`.querySelector('.zw-status').textContent`)
		newest := eval[string](p, w+`.querySelector('.zw-caption-new')?.textContent || ''`)
		if !strings.Contains(status, ": ") || newest == "" {
			t.Fatalf("step %d: status %q, newest caption %q", i, status, newest)
		}
		if strings.Contains(status, "No more events") {
			t.Fatalf("step %d said %q", i, status)
		}
		captions = append(captions, status)
	}
	all := strings.Join(captions, "\n")
	for _, want := range []string{"decides s5 leads", "the new epoch is 1", "promises to follow epoch 1", "picks"} {
		if !strings.Contains(all, want) {
			t.Errorf("no caption says %q in:\n%s", want, all)
		}
	}
	p.shot("narration-playground-1280")
}

// A lesson's widget shows its scenario beside the ring: the running line is
// marked, and each expect shows whether it held once it ran.
func TestNarrationScript(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 900)
	p := newPage(t, b, base+"/lessons/leader-dies", 1280, 900)
	w := `document.querySelector('[data-widget][data-scenario]')`
	p.wait("a scenario widget with its script", w+`?.querySelector('.zw-script-list li') != null`, 30*time.Second)
	// The widget runs only while it is on screen.
	eval[bool](p, w+`.scrollIntoView(), true`)
	lines := eval[int](p, w+`.dataset.scenario.split('\n').length`)
	rows := eval[int](p, w+`.querySelectorAll('.zw-script-list li').length`)
	if rows != lines {
		t.Fatalf("script rows %d, scenario lines %d", rows, lines)
	}
	// A prediction before it holds the widget at its start (static/predict.js): play.
	if eval[string](p, w+`.dataset.playing`) != "true" {
		eval[bool](p, w+`.querySelector('.zw-play').click(), true`)
	}
	p.wait("the running line", w+`.querySelector('.zw-script-now') != null`, 30*time.Second)
	p.wait("an expect that held", w+`.querySelector('.zw-script-list li[data-expect="passed"]') != null || `+w+`.querySelectorAll('[data-expect]').length === 0`, 60*time.Second)
	p.shot("narration-lesson-1280")
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Live mode is narrated too: the live ensemble's events go through the same
// narrator, so killing the leader is told in words.
func TestNarrationLive(t *testing.T) {
	base, _ := startLiveSite(t, ensemble.Options{})
	b := newBrowser(t, 1280, 900)
	p := newPage(t, b, base+"/playground?voters=3&observers=0", 1280, 900)
	w := widgetJS(1)
	p.wait("the widget", w+`?.dataset.simTime != null`, 30*time.Second)
	p.click("Live", button(1, "Live"))
	p.wait("live mode", w+`.dataset.mode === 'live'`, 30*time.Second)
	p.wait("a leader", w+`.querySelector('[data-node][data-role="leading"][data-phase="broadcast"]') !== null`, 60*time.Second)
	p.wait("Kill leader to be enabled", `!document.evaluate(`+jsString(button(1, "Kill leader"))+`, document, null, 9, null).singleNodeValue.disabled`, 10*time.Second)
	// The panel keeps the last few captions; record every one that appears.
	eval[bool](p, `(() => { window.__told = []; const list = `+w+`.querySelector('.zw-captions-list');
	  new MutationObserver(() => { for (const li of list.children) window.__told.push(li.textContent); }).observe(list, {childList: true});
	  return true })()`)
	p.click("Kill leader", button(1, "Kill leader"))
	// The crash's own caption, then the failover it causes. (The panel once
	// kept only four captions, and a live burst pushed the crash's out in the
	// frame it came: never on screen.)
	p.wait("the crash told", `window.__told.some(t => /crashed/.test(t))`, 30*time.Second)
	p.wait("the failover told", `window.__told.some(t => /decides|LOOKING|election|vote/.test(t))`, 30*time.Second)
}
