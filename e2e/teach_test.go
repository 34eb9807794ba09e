package e2e

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zabplay/zabplay/server/ensemble"
)

// ringNode is the JS for server name's group in widget n's ring.
func ringNode(n int, name string) string {
	return fmt.Sprintf(`%s.querySelector('.zw-ring [data-node=%q]')`, widgetJS(n), name)
}

// TestFreezeLeader: "Freeze leader" pauses the leader (not a crash): its
// clock stops and says so, the followers' countdowns run out, they elect a
// new leader, and the old one, when it wakes, steps down and says why.
func TestFreezeLeader(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 900)
	p := newPage(t, b, base+"/playground", 1280, 900)
	w := widgetJS(1)
	p.wait("a leader in broadcast", w+`.querySelector('.zw-ring [data-node][data-role="leading"][data-phase="broadcast"]') !== null`, 60*time.Second)
	ld := eval[string](p, w+`.querySelector('.zw-ring [data-node][data-role="leading"]').dataset.node`)
	// The leader's meter hears every voter; each follower's arc is full-ish.
	p.wait("the leader's quorum meter", ringNode(1, ld)+`.dataset.hears === '5/5'`, 20*time.Second)
	p.click("Freeze leader", button(1, "Freeze leader"))
	p.wait("the leader paused", ringNode(1, ld)+`.dataset.paused === 'true'`, 10*time.Second)
	p.wait("its frozen clock shown", ringNode(1, ld)+`.querySelector('.zw-node-timer').textContent.startsWith('frozen')`, 20*time.Second)
	p.wait("a follower's countdown running low", `[...`+w+`.querySelectorAll('.zw-ring [data-node][data-timer="heard"]')].some((g) => +g.dataset.timerLeft < 0.34)`, 30*time.Second)
	p.shotWidget(1, "freeze-leader-countdown")
	p.wait("a new leader", fmt.Sprintf(`%s.querySelector('.zw-ring [data-node][data-role="leading"]:not([data-node=%q])') !== null`, w, ld), 60*time.Second)
	p.wait("the old leader to wake and step down", ringNode(1, ld)+`.dataset.fell === 'true'`, 60*time.Second)
	if got := eval[string](p, ringNode(1, ld)+`.querySelector('.zw-node-quorum').textContent`); !strings.Contains(got, "stepped down") {
		t.Errorf("the old leader says %q, want it to say it stepped down", got)
	}
	p.shotWidget(1, "freeze-leader-stepped-down")
}

// TestSyncPacketsVisible: in the synchronization lesson the TRUNC (widget 2)
// and the DIFF (widget 1) each fly clear of every other packet, and the
// follower's callout names the mode with the comparison behind it.
func TestSyncPacketsVisible(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1920, 1080)
	p := newPage(t, b, base+"/lessons/synchronization", 1920, 1080)
	p.wait("the widgets to mount", `[...document.querySelectorAll('[data-widget]')].length >= 2 && [...document.querySelectorAll('[data-widget]')].every(w => w.dataset.simTime !== undefined)`, 30*time.Second)
	for _, c := range []struct {
		n    int
		msg  string
		mode string
	}{{2, "TRUNC", "TRUNC"}, {1, "DIFF", "DIFF"}} {
		w := widgetJS(c.n)
		eval[bool](p, `(`+w+`.scrollIntoView({block: 'start'}), true)`)
		setSpeed(p, c.n, 1) // reach the sync sooner on a loaded machine; the packet is measured after a seek
		// Run until the leader chose the mode (the callout says so), pause,
		// then seek with the time slider to the middle of the packet's flight
		// and measure that frame.
		p.wait("the "+c.mode+" callout", fmt.Sprintf(`[...%s.querySelectorAll('.zw-callout')].some((g) => g.dataset.mode === %q && g.style.visibility !== 'hidden')`, w, c.mode), 180*time.Second)
		txt := eval[string](p, fmt.Sprintf(`[...%s.querySelectorAll('.zw-callout')].find((g) => g.dataset.mode === %q).textContent`, w, c.mode))
		t.Logf("%s callout: %q", c.mode, txt)
		if !strings.Contains(txt, "·") {
			t.Errorf("the %s callout says %q: want the comparison of zxids", c.mode, txt)
		}
		// Let the packet land before pausing, so its whole flight can be seeked.
		p.wait(c.msg+" delivered", fmt.Sprintf(`[...%s.__zw.log.msgs.values()].filter((m) => m.msg === %q).at(-1)?.end != null`, w, c.msg), 120*time.Second)
		if eval[string](p, w+`.dataset.playing`) == "true" {
			p.click("Pause", fmt.Sprintf(`(//section[@data-widget])[%d]//button[contains(@class,'zw-play')]`, c.n))
		}
		// Drawn paused: the slider's max is the furthest time now (while
		// the run plays it follows four times a second, and a range input
		// clamps a value above its max).
		p.wait("widget "+strconv.Itoa(c.n)+" drawn paused", w+`.dataset.playing === 'false'`, 10*time.Second)
		mid := eval[int](p, fmt.Sprintf(`(() => { const m = [...%s.__zw.log.msgs.values()].filter((m) => m.msg === %q).at(-1); return m ? Math.floor((m.t + m.arrive) / 2) : -1; })()`, w, c.msg))
		if mid < 0 {
			t.Fatalf("no %s message in the widget's log", c.msg)
		}
		eval[bool](p, fmt.Sprintf(`(() => { const s = %s.querySelector('.zw-scrub'); s.value = %d; s.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`, w, mid))
		// Within a millisecond: the slider's value and the replayed clock can
		// differ by one (a CI run showed 552 for 553); the packet is in
		// mid-flight either way. And only once the seek was drawn: paused
		// in slow motion, the widget can already stand within a millisecond
		// of mid before it (at the TRUNC's arrival, 554 for 553).
		near := func() bool {
			if !eval[bool](p, w+`.__zw.pendingSeek == null`) {
				return false
			}
			v, _ := strconv.Atoi(eval[string](p, w+`.dataset.simTime`))
			return v >= mid-1 && v <= mid+1
		}
		for i := 0; i < 100 && !near(); i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if got := eval[string](p, w+`.dataset.simTime`); !near() {
			t.Fatalf("seeking to %d ms: the widget shows %s ms (playing %s, max %s)", mid, got, eval[string](p, w+`.dataset.playing`), eval[string](p, w+`.querySelector('.zw-scrub').max`))
		}
		shown := fmt.Sprintf(`[...%s.querySelectorAll('.zw-ringbox .zw-pkt')].filter((g) => g.style.visibility !== 'hidden').map((g) => g.dataset.msg)`, w)
		if !strings.Contains(strings.Join(eval[[]string](p, shown), " "), c.msg) {
			p.shotWidget(c.n, "FAILED-sync-"+strings.ToLower(c.mode))
			t.Fatalf("at %d ms %s is not drawn; drawn: %v; in flight: %s", mid, c.msg, eval[[]string](p, shown),
				eval[string](p, fmt.Sprintf(`JSON.stringify(%s.__zw.state.inflight.map((m) => m.id + ' ' + m.msg + ' ' + m.sent + '-' + m.arrive))`, w)))
		}
		got := eval[string](p, fmt.Sprintf(`(() => { const w = %s;
		  const all = [...w.querySelectorAll('.zw-ringbox .zw-pkt')].filter((g) => g.style.visibility !== 'hidden');
		  const box = (g) => g.querySelector('.zw-pkt-shape').getBoundingClientRect();
		  const hit = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
		  const me = all.filter((g) => g.dataset.msg === %q);
		  return JSON.stringify({n: all.length, msgs: all.map((g) => g.dataset.msg + ' ' + g.dataset.from + '→' + g.dataset.to),
		    overlaps: me.flatMap((m) => all.filter((o) => o !== m && hit(box(m), box(o))).map((o) => o.dataset.msg + ' ' + o.dataset.from + '→' + o.dataset.to))}); })()`, w, c.msg))
		var m struct {
			N        int
			Msgs     []string
			Overlaps []string
		}
		if err := json.Unmarshal([]byte(got), &m); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s at %d ms: %d packets in flight %v; %s overlaps %v", c.msg, mid, m.N, m.Msgs, c.msg, m.Overlaps)
		if len(m.Overlaps) > 0 {
			t.Errorf("%s overlaps %v while it flies", c.msg, m.Overlaps)
		}
		p.shotWidget(c.n, "sync-"+strings.ToLower(c.mode))
	}
}

// TestReducedMotionPackets: with prefers-reduced-motion the packets wait at
// their sender's end, in order along the link, never on one spot.
func TestReducedMotionPackets(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 800)
	p := newPage(t, b, base+"/playground", 1280, 800)
	p.media("prefers-reduced-motion", "reduce", "prefers-color-scheme", "light")
	w := widgetJS(1)
	p.wait("reduced motion", `matchMedia('(prefers-reduced-motion: reduce)').matches`, 5*time.Second)
	p.wait("a leader in broadcast", w+`.querySelector('.zw-ring [data-node][data-role="leading"][data-phase="broadcast"]') !== null`, 60*time.Second)
	for range 3 {
		p.click("Write", button(1, "Write"))
	}
	p.pauseWithPackets(1, 4)
	m := p.measure(1)
	if len(m.Overlaps) > 0 {
		t.Errorf("packets on one spot with reduced motion: %v", m.Overlaps)
	}
	// Each packet sits nearer its sender than its receiver.
	far := eval[[]string](p, w+`.__zw && [...`+w+`.querySelectorAll('.zw-ringbox .zw-pkt')].filter((g) => g.style.visibility !== 'hidden').filter((g) => {
	  const c = (sel) => { const r = `+w+`.querySelector('.zw-ring [data-node="' + sel + '"] .zw-node-body').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; };
	  const r = g.querySelector('.zw-pkt-shape').getBoundingClientRect(), x = r.x + r.width / 2, y = r.y + r.height / 2;
	  const [ax, ay] = c(g.dataset.from), [bx, by] = c(g.dataset.to);
	  return Math.hypot(x - ax, y - ay) > Math.hypot(x - bx, y - by);
	}).map((g) => g.dataset.msg + ' ' + g.dataset.from + '→' + g.dataset.to)`)
	if len(far) > 0 {
		t.Errorf("with reduced motion these packets are nearer their receiver: %v", far)
	}
	p.shotWidget(1, "reduced-motion")
}

// TestWriteDefects: a value with a space is written whole (quoted in the
// action, "你好 世界" in every tree; it was once rewritten to 你好_世界, then
// refused); w writes at once; a failed write is told
// with its path and an honest hint; the key list names p, f and Esc.
func TestWriteDefects(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 900)
	p := newPage(t, b, base+"/playground", 1280, 900)
	w := widgetJS(1)
	p.wait("a leader in broadcast", w+`.querySelector('.zw-ring [data-node][data-role="leading"][data-phase="broadcast"]') !== null`, 60*time.Second)
	status := w + `.querySelector('.zw-status').textContent`
	acts := eval[int](p, w+`.__zw.state.actions.length`)
	eval[bool](p, `(`+w+`.querySelector('.zw-value').value = '你好 世界', true)`)
	p.click("Write", button(1, "Write"))
	p.wait("the write, quoted", fmt.Sprintf(`%s.__zw.state.actions.length > %d && %s.__zw.state.actions.at(-1).text.includes('"你好 世界"')`, w, acts, w), 10*time.Second)
	p.wait("the value whole in the leader's tree", w+`.__zw.state.servers.some((sv) => sv.role === 'leading' && (sv.tree || []).some((n) => n.data === '你好 世界'))`, 30*time.Second)
	if got := eval[string](p, w+`.querySelector('.zw-value').getAttribute('aria-invalid')`); got != "false" {
		t.Errorf("aria-invalid = %q, want false", got)
	}
	acts = eval[int](p, w+`.__zw.state.actions.length`)
	eval[bool](p, `(`+w+`.querySelector('.zw-value').value = 'v7', document.activeElement.blur(), true)`)
	p.key("w")
	p.wait("w to write at once", fmt.Sprintf(`%s.__zw.state.actions.length > %d && %s.__zw.state.actions.at(-1).text.includes('v7')`, w, acts, w), 10*time.Second)
	// A write through a server with no leader fails: kill the leader and
	// write through a follower before anyone is elected.
	p.key("\x1b")
	eval[bool](p, `(document.activeElement.blur(), true)`)
	p.key("k")
	p.wait("no leader", w+`.querySelector('.zw-ring [data-node][data-role="leading"]') === null`, 20*time.Second)
	fol := eval[string](p, w+`.querySelector('.zw-ring [data-node][data-role="looking"]').dataset.node`)
	p.key(fol[1:])
	eval[bool](p, `(`+w+`.querySelector('.zw-path').value = '/fail', `+w+`.querySelector('.zw-value').value = 'x', true)`)
	p.click("Write", button(1, "Write"))
	p.wait("the failed write's reply", status+`.includes('answered')`, 30*time.Second)
	got := eval[string](p, status)
	t.Logf("status: %s", got)
	if !strings.Contains(got, "/fail") || !strings.Contains(got, "CONNECTIONLOSS") || !strings.Contains(got, "may or may not") {
		t.Errorf("status = %q, want the path /fail, CONNECTIONLOSS and that the outcome is unknown", got)
	}
	keys := eval[string](p, w+`.querySelector('.zw-keys p').textContent`)
	for _, k := range []string{"p partition", "f freeze", "Esc"} {
		if !strings.Contains(keys, k) {
			t.Errorf("the key list %q lacks %q", keys, k)
		}
	}
}

// TestLogStripsTrunc: in the synchronization lesson's TRUNC widget the old
// leader's proposal that no quorum took looks uncommitted once it is back,
// is struck out when the TRUNC removes it, then disappears, while the
// committed entry before it stays.
func TestLogStripsTrunc(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 900)
	p := newPage(t, b, base+"/lessons/synchronization", 1280, 900)
	p.wait("the widgets to mount", `[...document.querySelectorAll('[data-widget]')].length >= 2 && [...document.querySelectorAll('[data-widget]')].every(w => w.dataset.simTime !== undefined)`, 30*time.Second)
	w := widgetJS(2)
	// Record, every frame, how each log cell looked (lane/zxid -> looks).
	eval[bool](p, `(() => { const w = `+w+`; const seen = window.__cells = {};
	  const look = () => {
	    for (const c of w.querySelectorAll('.zw-lane .zw-log-e[data-zxid]')) {
	      const k = c.closest('.zw-lane').dataset.lane + ' ' + c.dataset.zxid;
	      const v = c.classList.contains('is-trunc') ? 'trunc' : c.classList.contains('is-prop') ? 'prop' : c.classList.contains('is-empty') ? 'empty' : 'committed';
	      (seen[k] = seen[k] || []).at(-1) !== v && seen[k].push(v);
	    }
	    requestAnimationFrame(look);
	  };
	  requestAnimationFrame(look); return true; })()`)
	eval[bool](p, `(`+w+`.scrollIntoView({block: 'start'}), true)`)
	setSpeed(p, 2, 1) // reach the TRUNC sooner on a loaded machine
	p.wait("a struck-out entry", `Object.values(window.__cells).some((v) => v.includes('trunc'))`, 180*time.Second)
	p.shotWidget(2, "log-trunc")
	key := eval[string](p, `Object.entries(window.__cells).find(([, v]) => v.includes('trunc'))[0]`)
	lane, z, _ := strings.Cut(key, " ")
	t.Logf("%s: %v", key, eval[[]string](p, `window.__cells[`+fmt.Sprintf("%q", key)+`]`))
	if eval[string](p, w+`.dataset.playing`) != "true" {
		p.click("Play", `(//section[@data-widget])[2]//button[contains(@class,'zw-play')]`)
	}
	p.wait("the struck-out entry removed", fmt.Sprintf(`!%s.querySelector('.zw-lane[data-lane=%q] .zw-log-e[data-zxid=%q]')`, w, lane, z), 120*time.Second)
	looks := eval[[]string](p, `window.__cells[`+fmt.Sprintf("%q", key)+`]`)
	if i := indexOf(looks, "prop"); i < 0 || indexOf(looks, "trunc") < i {
		t.Errorf("%s looked %v: want uncommitted (prop) before struck out (trunc)", key, looks)
	}
	if indexOf(looks, "committed") >= 0 {
		t.Errorf("%s looked committed at some point: %v", key, looks)
	}
	// What stays, stays: the lane still shows its committed entries.
	kept := eval[int](p, fmt.Sprintf(`%s.querySelectorAll('.zw-lane[data-lane=%q] .zw-log-e[data-zxid]:not(.is-prop):not(.is-trunc):not(.is-empty)').length`, w, lane))
	if kept == 0 {
		t.Errorf("after the TRUNC %s's log strip shows no committed entry", lane)
	}
}

func indexOf(a []string, s string) int {
	for i, x := range a {
		if x == s {
			return i
		}
	}
	return -1
}

// TestLiveNoPacketsAroundDownServer: in Live mode, after a failover, no
// packet is drawn to or from the server that is down (NOTIFICATIONs to it
// used to come back about once a second).
func TestLiveNoPacketsAroundDownServer(t *testing.T) {
	base, _ := startLiveSite(t, ensemble.Options{})
	b := newBrowser(t, 1280, 900)
	p := newPage(t, b, base+"/lessons/leader-dies", 1280, 900)
	w := widgetJS(1)
	p.wait("the widget to mount", w+`?.dataset.simTime !== undefined`, 30*time.Second)
	p.click("Live", button(1, "Live"))
	p.wait("live mode", w+`.dataset.mode === 'live'`, 30*time.Second)
	p.wait("a leader in broadcast", w+`.querySelector('.zw-ring [data-node][data-role="leading"][data-phase="broadcast"]') !== null`, 60*time.Second)
	old := eval[string](p, w+`.querySelector('.zw-ring [data-node][data-role="leading"]').dataset.node`)
	p.wait("Kill leader to be enabled", `!document.evaluate(`+fmt.Sprintf("%q", button(1, "Kill leader"))+`, document, null, 9, null).singleNodeValue.disabled`, 10*time.Second)
	p.click("Kill leader", button(1, "Kill leader"))
	p.wait("a new leader in broadcast", fmt.Sprintf(`%s.querySelector('.zw-ring [data-node][data-role="leading"][data-phase="broadcast"]:not([data-node=%q])') !== null`, w, old), 90*time.Second)
	// Watch every frame for 4 s of wall-clock time.
	eval[bool](p, fmt.Sprintf(`(() => { const w = %s; const rec = window.__around = {frames: 0, seen: []}; const t0 = performance.now();
	  const look = () => {
	    rec.frames++;
	    for (const g of w.querySelectorAll('.zw-ringbox .zw-pkt')) if (g.style.visibility !== 'hidden' && (g.dataset.to === %q || g.dataset.from === %q)) rec.seen.push(g.dataset.msg + ' ' + g.dataset.from + '→' + g.dataset.to);
	    if (performance.now() - t0 < 4000) requestAnimationFrame(look); else rec.done = true;
	  };
	  requestAnimationFrame(look); return true; })()`, w, old, old))
	p.wait("4 s of frames", `window.__around.done === true`, 20*time.Second)
	var rec struct {
		Frames int
		Seen   []string
	}
	if err := json.Unmarshal([]byte(eval[string](p, `JSON.stringify(window.__around)`)), &rec); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d frames after the failover; packets around the down %s: %d", rec.Frames, old, len(rec.Seen))
	if len(rec.Seen) > 0 {
		t.Errorf("packets drawn around the down server %s: %v", old, rec.Seen[:min(len(rec.Seen), 10)])
	}
	if n := eval[int](p, fmt.Sprintf(`%s.__zw.state.inflight.filter((m) => m.to === %s || m.from === %s).length`, w, old[1:], old[1:])); n > 0 {
		t.Errorf("the live state lists %d messages to or from the down server %s", n, old)
	}
}

// TestBugSwitchSign: a bug switch turned on from the page says so beside
// the controls (a badge naming it, the list's summary counting it), and off
// again when it is turned off.
func TestBugSwitchSign(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 900)
	p := newPage(t, b, base+"/playground", 1280, 900)
	w := widgetJS(1)
	p.wait("the widget to mount", w+`.dataset.simTime !== undefined`, 30*time.Second)
	if eval[bool](p, `!`+w+`.querySelector('.zw-bug-badge').hidden`) {
		t.Fatalf("a bug badge shows before any switch is on")
	}
	p.click("Bug switches", `(//section[@data-widget])[1]//details[contains(@class,'zw-bugs')]/summary`)
	name := eval[string](p, w+`.querySelector('input[data-bug]').dataset.bug`)
	p.click("the first bug switch", `((//section[@data-widget])[1]//input[@data-bug])[1]`)
	p.wait("the badge", `!`+w+`.querySelector('.zw-bug-badge').hidden && `+w+`.querySelector('.zw-bug-badge').textContent.includes(`+fmt.Sprintf("%q", name)+`)`, 20*time.Second)
	if s := eval[string](p, w+`.querySelector('.zw-bugs > summary').textContent`); s != "Bug switches · 1 on" {
		t.Errorf("summary = %q, want it to count the switch", s)
	}
	p.shotWidget(1, "bug-switch-on")
	p.click("the first bug switch", `((//section[@data-widget])[1]//input[@data-bug])[1]`)
	p.wait("the badge gone", w+`.querySelector('.zw-bug-badge').hidden`, 20*time.Second)
}

// TestBugReplay: "Watch it happen" beside a bug switch plays the
// interleaving that triggers the bug (core/sim/testdata/bugs), with the
// switch on, and the checker raises the alarm.
func TestBugReplay(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 900)
	p := newPage(t, b, base+"/playground", 1280, 900)
	w := widgetJS(1)
	p.wait("the widget to mount", w+`.dataset.simTime !== undefined`, 30*time.Second)
	p.click("Bug switches", `(//section[@data-widget])[1]//details[contains(@class,'zw-bugs')]/summary`)
	const bug = "ZOOKEEPER-4643"
	p.click("Watch it happen", fmt.Sprintf(`(//section[@data-widget])[1]//button[@data-replay=%q]`, bug))
	p.wait("the bug's switch on", fmt.Sprintf(`%s.querySelector('input[data-bug=%q]').checked && !%s.querySelector('.zw-bug-badge').hidden`, w, bug, w), 20*time.Second)
	eval[bool](p, `(document.activeElement.blur(), true)`)
	faster(p, 11)
	p.wait("the alarm", `!`+w+`.querySelector('.zw-alarm').hidden`, 180*time.Second)
	t.Logf("alarm: %s", eval[string](p, w+`.querySelector('.zw-alarm').textContent`))
	p.shotWidget(1, "bug-replay-alarm")
}

// setSpeed sets widget n's speed selector to x (× virtual time), as a
// learner picks it.
//
// A widget a lesson's prediction holds at its start (predict.js) is then set
// playing, as a learner who skips the prediction presses Play: a test that
// sets the speed wants the run to go on.
func setSpeed(p *page, n int, x float64) {
	p.t.Helper()
	eval[bool](p, fmt.Sprintf(`(() => { const s = %s.querySelector('select.zw-speed'); const o = [...s.options].find(o => parseFloat(o.value) === %g); if (!o) return false; s.value = o.value; s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, widgetJS(n), x))
	if eval[string](p, widgetJS(n)+`.dataset.playing`) != "true" {
		p.click("Play", fmt.Sprintf(`(//section[@data-widget])[%d]//button[contains(@class,'zw-play')]`, n))
	}
}
