package e2e

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// leaderJS is true when widget n shows exactly one leading server.
func leaderJS(n int) string {
	return widgetJS(n) + `.querySelectorAll('[data-node][data-role="leading"]').length === 1`
}

// convergedJS is true when every running server of widget n is in broadcast
// with the same last zxid, whose epoch is the leader's and counter is >= 1.
func convergedJS(n int) string {
	return `(() => {
		const els = [...` + widgetJS(n) + `.querySelectorAll('[data-node]')].filter(e => e.dataset.role !== 'down');
		const ld = els.find(e => e.dataset.role === 'leading');
		if (!ld || els.length < 2) return false;
		const z = BigInt(ld.dataset.zxid);
		if (Number(z >> 32n) !== +ld.dataset.epoch || (z & 0xffffffffn) === 0n) return false;
		return els.every(e => e.dataset.zxid === ld.dataset.zxid && e.dataset.phase === 'broadcast');
	})()`
}

// faster presses "]" k times (the speed shortcut) so the test does not wait
// on the watchable default speed.
func faster(p *page, k int) {
	for range k {
		p.key("]")
	}
}

func leaderOf(t *testing.T, ss map[string][4]string) (name string, epoch int) {
	t.Helper()
	for n, s := range ss {
		if s[0] == "leading" {
			e, err := strconv.Atoi(s[2])
			if err != nil {
				t.Fatalf("data-epoch of %s = %q: %v", n, s[2], err)
			}
			return n, e
		}
	}
	t.Fatalf("no leader in %v", ss)
	return "", 0
}

// TestPlaygroundKillLeader: a leader is elected; "Kill leader" makes another
// server lead a higher epoch; after a write every running server converges on
// the same zxid.
func TestPlaygroundKillLeader(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 1000)
	p := newPage(t, b, base+"/playground", 1280, 1000)
	p.wait("the widget to mount", widgetJS(1)+`?.dataset.simTime !== undefined`, 30*time.Second)
	faster(p, 4)
	p.wait("a leader", leaderJS(1), 60*time.Second)
	old, oldEpoch := leaderOf(t, servers(p, 1))
	p.wait("Kill leader to be enabled", `!document.evaluate(`+strconv.Quote(button(1, "Kill leader"))+`, document, null, 9, null).singleNodeValue.disabled`, 10*time.Second)
	p.click("Kill leader", button(1, "Kill leader"))
	p.wait("the old leader down", fmt.Sprintf(`%s.querySelector('[data-node=%q]').dataset.role === 'down'`, widgetJS(1), old), 10*time.Second)
	p.wait("a new leader with a higher epoch", fmt.Sprintf(`[...%s.querySelectorAll('[data-node][data-role="leading"]')].some(e => e.dataset.node !== %q && +e.dataset.epoch > %d)`, widgetJS(1), old, oldEpoch), 90*time.Second)
	nl, ne := leaderOf(t, servers(p, 1))
	if nl == old || ne <= oldEpoch {
		t.Fatalf("after Kill leader: leader %s epoch %d, want a server other than %s with epoch > %d", nl, ne, old, oldEpoch)
	}
	p.wait("every running server in broadcast", `[...`+widgetJS(1)+`.querySelectorAll('[data-node]')].every(e => e.dataset.role === 'down' || e.dataset.phase === 'broadcast')`, 60*time.Second)
	p.click("Write", button(1, "Write"))
	p.wait("every running server's zxid to converge", convergedJS(1), 60*time.Second)
	ss := servers(p, 1)
	if ss[old][0] != "down" {
		t.Errorf("old leader %s: role %q, want down", old, ss[old][0])
	}
	p.shot("playground-after-failover")
	t.Logf("after failover: %v", ss)
}

// TestScrubberReachesNow: while the run plays the time slider's max
// follows the clock four times a second; before a hand or a key moves it,
// it reaches the furthest time (a range input clamps a value above its
// max: the slider's right end would be up to a quarter second back).
func TestScrubberReachesNow(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 1000)
	p := newPage(t, b, base+"/playground", 1280, 1000)
	w := widgetJS(1)
	p.wait("the widget to mount", w+`?.dataset.simTime !== undefined`, 30*time.Second)
	faster(p, 4)
	for _, ev := range []string{`new PointerEvent('pointerdown', {bubbles: true})`, `new KeyboardEvent('keydown', {key: 'End', bubbles: true})`} {
		// At a moment when the slider's max is behind the clock (it is,
		// most of the time, while the run plays), the event, and what the
		// max is right after it.
		p.wait("the slider's max behind the clock, then "+ev, `(() => { const w = `+w+`, s = w.querySelector('.zw-scrub');
		  const want = Math.floor(w.__zw.maxT);
		  if (w.dataset.playing !== 'true' || want < 200 || +s.max >= want) return false;
		  s.dispatchEvent(`+ev+`);
		  window.__scrub = JSON.stringify({max: +s.max, want});
		  return true; })()`, 30*time.Second)
		var r struct{ Max, Want int }
		if err := json.Unmarshal([]byte(eval[string](p, `window.__scrub`)), &r); err != nil {
			t.Fatal(err)
		}
		if r.Max != r.Want {
			t.Errorf("after %s the slider's max is %d, want the furthest time %d", ev, r.Max, r.Want)
		}
	}
}

// TestShareURL: a paused moment's URL, opened in a fresh tab, shows the same
// roles, epochs, zxids and virtual time: on /playground (seed, voters and
// actions in the URL) and on a lesson (a scenario widget: actions only).
func TestShareURL(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 1000)
	paths := []string{"/playground", "/lessons/" + lessonSlugs(t, base)[0]}
	for _, path := range paths {
		t.Run(safeName(path), func(t *testing.T) {
			p := newPage(t, b, base+path, 1280, 1000)
			p.wait("the widget to mount", widgetJS(1)+`?.dataset.simTime !== undefined`, 30*time.Second)
			// Scroll to the widget and make it the active one (shortcuts go to it).
			p.click("the widget", `(//section[@data-widget])[1]//span[contains(@class,"zw-timebox")]`)
			faster(p, 4)
			if eval[string](p, widgetJS(1)+`.dataset.playing`) != "true" {
				p.click("Play", button(1, "Play"))
			}
			p.wait("a leader in broadcast", widgetJS(1)+`.querySelector('[data-node][data-role="leading"][data-phase="broadcast"]') !== null`, 60*time.Second)
			p.key("k") // kill the leader from the keyboard
			p.wait("a server down", widgetJS(1)+`.querySelector('[data-node][data-role="down"]') !== null`, 10*time.Second)
			p.wait("a new leader", leaderJS(1)+` && [...`+widgetJS(1)+`.querySelectorAll('[data-node]')].every(e => e.dataset.role === 'down' || e.dataset.phase === 'broadcast')`, 90*time.Second)
			p.click("Write", button(1, "Write"))
			p.wait("the write to converge", convergedJS(1), 60*time.Second)
			p.click("Pause", button(1, "Pause"))
			p.wait("paused", widgetJS(1)+`.dataset.playing === 'false'`, 5*time.Second)
			// The URL is written when the run pauses.
			p.wait("the URL to hold the moment", `new URL(location.href).searchParams.get('t') === `+widgetJS(1)+`.dataset.simTime`, 5*time.Second)
			url := eval[string](p, `location.href`)
			want := servers(p, 1)
			wantT := eval[string](p, widgetJS(1)+`.dataset.simTime`)
			p.shot("share-original" + safeName(path))
			t.Logf("shared URL: %s", url)

			q := newPage(t, b, url, 1280, 1000)
			q.wait("the shared moment", widgetJS(1)+`?.dataset.simTime === `+strconv.Quote(wantT), 60*time.Second)
			got := servers(q, 1)
			for name, w := range want {
				if got[name] != w {
					t.Errorf("%s: [role phase epoch zxid] = %v, want %v", name, got[name], w)
				}
			}
			if len(got) != len(want) {
				t.Errorf("servers: got %d, want %d", len(got), len(want))
			}
			if v := eval[string](q, widgetJS(1)+`.dataset.playing`); v != "false" {
				t.Errorf("the shared moment plays (data-playing=%s); want it paused there", v)
			}
			q.click("the widget", `(//section[@data-widget])[1]//span[contains(@class,"zw-timebox")]`)
			q.shot("share-reopened" + safeName(path))
		})
	}
}

// TestKeyboard: the widget works from the keyboard alone. Tab reaches a
// server, Enter selects it, shortcuts act, typing in an input never fires a
// shortcut, and Escape closes the details panel.
func TestKeyboard(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 1000)
	p := newPage(t, b, base+"/playground", 1280, 1000)
	w := widgetJS(1)
	p.wait("the widget to mount", w+`?.dataset.simTime !== undefined`, 30*time.Second)
	p.wait("every server in broadcast", `[...`+w+`.querySelectorAll('[data-node]')].every(e => e.dataset.phase === 'broadcast')`, 60*time.Second)
	p.key(" ") // pause from the keyboard
	p.wait("paused by Space", w+`.dataset.playing === 'false'`, 5*time.Second)
	for i := 0; i < 40 && !eval[bool](p, `document.activeElement?.matches('[data-node]') ?? false`); i++ {
		p.key("\t")
	}
	name := eval[string](p, `document.activeElement?.dataset?.node || ''`)
	if name == "" {
		t.Fatalf("Tab never reached a server; focus is on %s", eval[string](p, `document.activeElement?.outerHTML?.slice(0, 120) || ''`))
	}
	p.key("\r")
	p.wait("the focused server selected", fmt.Sprintf(`%s.querySelector('[data-node=%q]').getAttribute('aria-pressed') === 'true'`, w, name), 5*time.Second)
	p.wait("its Kill button", fmt.Sprintf(`[...%s.querySelectorAll('button')].some(b => b.textContent === 'Kill %s')`, w, name), 5*time.Second)
	p.wait("the details panel", w+`.querySelector('.zw-detail').hidden === false`, 5*time.Second)
	p.shot("keyboard-focus")
	p.key("\x1b") // Escape
	p.wait("Escape to close the panel", w+`.querySelector('.zw-detail').hidden === true`, 5*time.Second)

	// Typing "k" in the path input must not kill the leader.
	p.key("w") // focuses the value input
	p.wait("w to focus the value input", `document.activeElement?.classList.contains('zw-value') ?? false`, 5*time.Second)
	for _, k := range []string{"k", "h", " ", "n"} {
		p.key(k)
	}
	if down := eval[int](p, w+`.querySelectorAll('[data-node][data-role="down"]').length`); down != 0 {
		t.Fatalf("typing k in an input killed %d server(s)", down)
	}
	if v := eval[string](p, w+`.dataset.playing`); v != "false" {
		t.Fatalf("typing a space in an input toggled play: data-playing=%s", v)
	}
	p.key("\r")   // submits the write form
	p.key("\x1b") // Escape leaves the input
	p.wait("the input to lose focus", `!document.activeElement?.matches('input')`, 5*time.Second)
	p.key(" ") // play again
	p.wait("the write to converge", convergedJS(1), 60*time.Second)
}

// TestSpaceTimeOffScreen: below the fold (a laptop's screen shows the ring
// and the controls) the space-time diagram is hidden and not drawn while the
// run plays: without a GPU a canvas in the page is copied for the compositor
// at nearly every frame, drawn or not (README, "Off screen"). Scrolled into
// view it is shown and drawn at the run's time; paused, it is drawn even off
// screen, so it comes back current.
func TestSpaceTimeOffScreen(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1366, 900)
	p := newPage(t, b, base+"/playground?seed=1", 1366, 900)
	w := widgetJS(1)
	cv := w + `.querySelector('.zw-st-canvas')`
	p.wait("the run at 1 s", w+`?.dataset.playing === 'true' && +`+w+`.dataset.simTime > 1000`, 60*time.Second)
	if top := eval[float64](p, cv+`.getBoundingClientRect().top`); top < 900+50 {
		t.Fatalf("the diagram's top is at %.0f px: not below a 900 px screen, the test shows nothing", top)
	}
	p.wait("the diagram hidden off screen", cv+`.style.visibility === 'hidden'`, 10*time.Second)
	drawn := eval[string](p, cv+`.dataset.t`)
	now := eval[float64](p, `+`+w+`.dataset.simTime`)
	p.wait("the run 1 s further", `+`+w+`.dataset.simTime > `+strconv.Itoa(int(now)+1000), 60*time.Second)
	if got := eval[string](p, cv+`.dataset.t`); got != drawn {
		t.Errorf("off screen the diagram was drawn while the run played: data-t %s, then %s", drawn, got)
	}

	eval[bool](p, `(`+cv+`.scrollIntoView({block: 'center'}), true)`)
	p.wait("the diagram shown and drawn at the run's time", `(() => { const c = `+cv+`;
	  return c.style.visibility === '' && Math.abs(+c.dataset.t - +`+w+`.dataset.simTime) < 500; })()`, 10*time.Second)

	eval[bool](p, `(window.scrollTo(0, 0), true)`)
	p.wait("the diagram hidden again", cv+`.style.visibility === 'hidden'`, 10*time.Second)
	p.click("Pause", button(1, "Pause"))
	p.wait("the diagram drawn at the paused time, off screen", w+`.dataset.playing === 'false' && `+cv+`.dataset.t === `+w+`.dataset.simTime && `+cv+`.style.visibility === 'hidden'`, 10*time.Second)
}
