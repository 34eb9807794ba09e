package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// measureJS measures widget n (0-based) from the DOM: the rendered size of
// its texts (SVG font sizes times the ring's scale), contrast ratios (text
// 4.5:1 against what is behind it, shapes and lines 3:1 against the widget's
// background) and packets drawn on one spot. The packets in flight are
// small SVGs of their own in a layer over the ring (.zw-ringbox .zw-pkt),
// measured as the ring's own texts and shapes. It returns a JSON report.
const measureJS = `(() => {
  const w = document.querySelectorAll('[data-widget]')[%d];
  const rgb = (c) => { const m = String(c).match(/rgba?\(([^)]+)\)/); if (!m) return null; const v = m[1].split(',').map(Number); return v.length > 3 && v[3] === 0 ? null : v.slice(0, 3); };
  const lum = (v) => { const c = v.map((x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); }); return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const bgOf = (el) => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c) return c; } return [255, 255, 255]; };
  const wbg = bgOf(w);
  const shown = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden' && !el.closest('[hidden]') && el.closest('[style*="display: none"]') === null; };
  const px = (el) => { const f = parseFloat(getComputedStyle(el).fontSize); const m = el.getScreenCTM && el.getScreenCTM(); return m ? f * Math.hypot(m.a, m.b) : f; };
  const minPx = (sel) => { let v = Infinity; for (const el of w.querySelectorAll(sel)) if (shown(el) && el.textContent.trim()) v = Math.min(v, px(el)); return v === Infinity ? 0 : +v.toFixed(1); };
  const bad = [];
  let minText = Infinity, minTextRatio = Infinity, minShapeRatio = Infinity;
  const check = (what, fg, bg, need, el) => {
    if (!fg || !bg) return;
    const r = ratio(fg, bg);
    if (need >= 4.5) minTextRatio = Math.min(minTextRatio, r); else minShapeRatio = Math.min(minShapeRatio, r);
    if (r < need) bad.push(what + ' ' + r.toFixed(2) + ':1 < ' + need + ' (' + (el.textContent || el.getAttribute('class') || '').trim().slice(0, 30) + ')');
  };
  // HTML text: every element with its own visible text, against the first
  // opaque background behind it (disabled controls are exempt, as in WCAG).
  for (const el of w.querySelectorAll('*')) {
    if (el instanceof SVGElement || !shown(el) || el.closest(':disabled') || el.closest('.zw-sr') || el.closest('canvas')) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const cs = getComputedStyle(el);
    if (parseFloat(cs.fontSize) < 1) continue; // no text drawn (zxid labels in a narrow log strip)
    minText = Math.min(minText, parseFloat(cs.fontSize));
    check('text', rgb(cs.color), bgOf(el), 4.5, el);
  }
  // The ring: texts on a server's body or on the background (a halo).
  for (const n of w.querySelectorAll('.zw-node')) {
    const body = rgb(getComputedStyle(n.querySelector('.zw-node-body')).fill);
    for (const t of n.querySelectorAll('.zw-node-name, .zw-node-role')) if (shown(t)) check('node text', rgb(getComputedStyle(t).fill), body, 4.5, t);
    for (const t of n.querySelectorAll('.zw-node-info, .zw-node-timer, .zw-node-quorum')) if (shown(t) && t.textContent.trim()) check('ring text', rgb(getComputedStyle(t).fill), wbg, 4.5, t);
    check('server outline', rgb(getComputedStyle(n.querySelector('.zw-node-body')).stroke), wbg, 3, n);
    const arc = n.querySelector('.zw-timer');
    if (n.dataset.timer && n.dataset.timer !== 'quorum') check('timer arc', rgb(getComputedStyle(arc).stroke), wbg, 3, arc);
  }
  for (const l of w.querySelectorAll('.zw-link')) if (getComputedStyle(l).visibility !== 'hidden') { check('link', rgb(getComputedStyle(l).stroke), wbg, 3, l); break; }
  for (const c of w.querySelectorAll('.zw-callout')) if (shown(c)) {
    const box = rgb(getComputedStyle(c.querySelector('.zw-callout-box')).fill);
    for (const t of c.querySelectorAll('text')) check('callout text', rgb(getComputedStyle(t).fill), box, 4.5, t);
  }
  const pkts = [...w.querySelectorAll('.zw-ringbox .zw-pkt')].filter(shown);
  for (const g of pkts) {
    const shape = g.querySelector('.zw-pkt-shape'), lab = g.querySelector('.zw-pkt-label');
    const cs = getComputedStyle(shape);
    const sw = parseFloat(cs.strokeWidth) * Math.hypot(shape.getScreenCTM().a, shape.getScreenCTM().b);
    if (sw < 1.5) bad.push('packet outline ' + sw.toFixed(2) + ' px');
    check('packet outline', rgb(cs.stroke), wbg, 3, g);
    if (lab.textContent) check('packet label ' + g.dataset.msg, rgb(getComputedStyle(lab).fill), rgb(cs.fill), 4.5, lab);
  }
  // Packets on one spot: no two packets of one link overlap, and no two
  // packets anywhere share a centre.
  const boxes = pkts.map((g) => { const r = g.querySelector('.zw-pkt-shape').getBoundingClientRect(); return {msg: g.dataset.msg, dir: g.dataset.from + '→' + g.dataset.to + '#' + (g.__packet ? g.__packet.id : ''), link: [g.dataset.from, g.dataset.to].sort().join('-'), r, cx: r.x + r.width / 2, cy: r.y + r.height / 2}; });
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    const hit = a.r.left < b.r.right - 0.5 && b.r.left < a.r.right - 0.5 && a.r.top < b.r.bottom - 0.5 && b.r.top < a.r.bottom - 0.5;
    if ((a.link === b.link && hit) || Math.hypot(a.cx - b.cx, a.cy - b.cy) < 4) overlaps.push(a.msg + ' ' + a.dir + ' (' + a.cx.toFixed(0) + ',' + a.cy.toFixed(0) + ') on ' + b.msg + ' ' + b.dir + ' (' + b.cx.toFixed(0) + ',' + b.cy.toFixed(0) + ')');
  }
  const ring = w.querySelector('.zw-ring').getBoundingClientRect();
  return JSON.stringify({ring: Math.round(ring.width), name: minPx('.zw-node-name'), role: minPx('.zw-node-role'), info: minPx('.zw-node-info'),
    timer: minPx('.zw-node-timer'), pkt: minPx('.zw-ringbox .zw-pkt-label'), packets: pkts.length, overlaps, bad: bad.slice(0, 12), nbad: bad.length,
    minText: minText === Infinity ? 0 : minText, minTextRatio: +minTextRatio.toFixed(2), minShapeRatio: +minShapeRatio.toFixed(2)});
})()`

type measure struct {
	Ring, Packets, Nbad                   int
	Name, Role, Info, Timer, Pkt, MinText float64
	MinTextRatio, MinShapeRatio           float64
	Overlaps, Bad                         []string
}

func (p *page) measure(n int) measure {
	p.t.Helper()
	var m measure
	if err := json.Unmarshal([]byte(eval[string](p, fmt.Sprintf(measureJS, n-1))), &m); err != nil {
		p.t.Fatalf("measure: %v", err)
	}
	return m
}

// media sets emulated media features for the tab (color scheme, reduced
// motion); the ones not named fall back to the browser's.
func (p *page) media(features ...string) {
	p.t.Helper()
	var fs []*emulation.MediaFeature
	for i := 0; i+1 < len(features); i += 2 {
		fs = append(fs, &emulation.MediaFeature{Name: features[i], Value: features[i+1]})
	}
	err := chromedp.Do(p.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: fs})
		return err
	}))
	if err != nil {
		p.t.Fatalf("media %v: %v", features, err)
	}
}

// scheme switches prefers-color-scheme for the tab.
func (p *page) scheme(value string) { p.media("prefers-color-scheme", value) }

// screens are the sizes the acceptance tests measure: a phone, a laptop, a
// 1080p projector.
var screens = []struct {
	name string
	w, h int
	// Minimum rendered sizes (CSS px) of node names and packet labels.
	name2, pkt float64
}{
	{"phone", 390, 844, 14, 10},
	{"laptop", 1280, 800, 18, 12},
	{"projector", 1920, 1080, 24, 14},
}

// pauseWithPackets waits until widget n has at least k packets in flight
// (not PINGs) and pauses it, so the frame holds still while it is measured.
func (p *page) pauseWithPackets(n, k int) {
	p.t.Helper()
	w := widgetJS(n)
	p.wait(fmt.Sprintf("%d packets in flight", k), fmt.Sprintf(`(() => { const w = %s; const c = [...w.querySelectorAll('.zw-pkt')].filter((g) => g.style.visibility !== 'hidden').length;
	  if (c >= %d && w.dataset.playing === 'true') { w.querySelector('.zw-play').click(); return true; } return c >= %d && w.dataset.playing === 'false'; })()`, w, k, k), 60*time.Second)
}

// packetsOnScreen checks that the screen shows each packet of widget n
// where the page says it is, in its color: a point inside its shape, clear of
// its label, has its fill (one of three: a neighbour's direction arrow may
// cover one). The packets are moved by the compositor, so this reads the
// screenshot, not the DOM. Packets hidden under something else (the phone's
// control bar) are left out; at least one is checked.
func (p *page) packetsOnScreen(n int) {
	p.t.Helper()
	var pk []struct {
		Msg, Dir string
		X, Y, R  float64
		Fill     [3]int
	}
	js := fmt.Sprintf(`(() => { const w = %s, k = w.__zw.ring.scale, out = [];
	  for (const g of w.querySelectorAll('.zw-ringbox .zw-pkt')) {
	    if (g.style.display === 'none') continue;
	    const b = g.getBoundingClientRect(), x = b.x + b.width / 2, y = b.y + b.height / 2, r = g.__pr * k;
	    const at = document.elementFromPoint(x, y + 0.5 * r);
	    if (!at || at.closest('.zw-pkt') !== g) continue;
	    const f = getComputedStyle(g.querySelector('.zw-pkt-shape')).fill.match(/\d+/g).slice(0, 3).map(Number);
	    out.push({msg: g.dataset.msg, dir: g.dataset.from + '→' + g.dataset.to, x, y, r, fill: f});
	  }
	  return JSON.stringify(out); })()`, widgetJS(n))
	if err := json.Unmarshal([]byte(eval[string](p, js)), &pk); err != nil {
		p.t.Fatal(err)
	}
	if len(pk) == 0 {
		p.t.Fatalf("no packet of widget %d is on screen to check", n)
	}
	dpr := eval[float64](p, `devicePixelRatio`)
	buf, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		p.t.Fatal(err)
	}
	for _, q := range pk {
		on := false
		for _, d := range [][2]float64{{-0.35, 0.5}, {0.35, 0.5}, {0, 0.58}} {
			c := img.At(int((q.X+d[0]*q.R)*dpr), int((q.Y+d[1]*q.R)*dpr))
			r, g, b, _ := c.RGBA()
			px := [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
			near := true
			for i := range px {
				if px[i]-q.Fill[i] > 24 || q.Fill[i]-px[i] > 24 {
					near = false
				}
			}
			on = on || near
		}
		if !on {
			p.t.Errorf("packet %s %s is not on the screen at (%.0f,%.0f) in its color %v", q.Msg, q.Dir, q.X, q.Y, q.Fill)
		}
	}
	p.t.Logf("%d packets on the screen where the page puts them", len(pk))
}

// clickPacket: a packet in flight in widget n (paused) takes the pointer
// where it is drawn, has a title (its hover text) and an accessible label,
// and a real click on it opens it in the details panel.
func (p *page) clickPacket(n int) {
	p.t.Helper()
	got := eval[string](p, fmt.Sprintf(`(() => { const w = %s;
	  for (const g of w.querySelectorAll('.zw-ringbox .zw-pkt')) {
	    if (g.style.display === 'none') continue;
	    const r = g.querySelector('.zw-pkt-shape').getBoundingClientRect(), x = r.x + r.width / 2, y = r.y + r.height / 2;
	    const at = document.elementFromPoint(x, y);
	    if (!at || at.closest('.zw-pkt') !== g) continue;
	    return JSON.stringify({x, y, want: g.dataset.msg + ' ' + g.dataset.from + ' → ' + g.dataset.to, title: g.querySelector('title').textContent, label: g.getAttribute('aria-label') || '', role: g.getAttribute('role') || ''});
	  }
	  return ''; })()`, widgetJS(n)))
	if got == "" {
		p.t.Fatalf("no packet of widget %d takes the pointer where it is drawn", n)
	}
	var k struct {
		X, Y                     float64
		Want, Title, Label, Role string
	}
	if err := json.Unmarshal([]byte(got), &k); err != nil {
		p.t.Fatal(err)
	}
	if k.Title == "" || k.Label == "" || k.Role != "button" {
		p.t.Errorf("packet %s: title %q, aria-label %q, role %q; want a title, a label and role button", k.Want, k.Title, k.Label, k.Role)
	}
	if err := chromedp.Do(p.ctx, chromedp.MouseClickXY(k.X, k.Y)); err != nil {
		p.t.Fatalf("click the packet %s at (%.0f,%.0f): %v", k.Want, k.X, k.Y, err)
	}
	p.wait("the packet's details", fmt.Sprintf(`(() => { const d = %s.querySelector('.zw-detail'); return !d.hidden && d.querySelector('.zw-panel-title').textContent === %q; })()`, widgetJS(n), k.Want), 5*time.Second)
}

// TestPresentationSizes: at a phone's, a laptop's and a projector's size, in
// light and dark, the playground's texts are big enough, text has 4.5:1 and
// shapes 3:1 against what is behind them, no two packets sit on one spot, the
// controls sit beside the ring (below it on a phone, in a bar that stays on
// screen), and the widget uses the width. Screenshots land in e2e/artifacts.
func TestPresentationSizes(t *testing.T) {
	base := startSite(t)
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			b := newBrowser(t, sc.w, sc.h)
			p := newPage(t, b, base+"/playground", sc.w, sc.h)
			w := widgetJS(1)
			p.wait("the widget to mount", w+`.dataset.simTime !== undefined`, 30*time.Second)
			p.wait("a leader in broadcast", w+`.querySelector('[data-node][data-role="leading"][data-phase="broadcast"]') !== null`, 60*time.Second)
			// Writes put proposals, acks and commits on every link.
			for i := 0; i < 3; i++ {
				p.click("Write", button(1, "Write"))
			}
			p.pauseWithPackets(1, 4)
			eval[bool](p, `(`+w+`.scrollIntoView({block: 'start'}), true)`)
			for _, theme := range []string{"light", "dark"} {
				p.scheme(theme)
				p.wait("the theme", fmt.Sprintf(`matchMedia('(prefers-color-scheme: %s)').matches`, theme), 5*time.Second)
				eval[bool](p, w+`.__zw.dirty = true, `+w+`.__zw.kick(), true`)
				time.Sleep(100 * time.Millisecond) // a frame to repaint in the new theme
				p.wait("the theme's transitions to end", `document.getAnimations().every((a) => a.playState !== 'running')`, 5*time.Second)
				m := p.measure(1)
				t.Logf("%s %dx%d %s: ring %d px, names %.1f px, roles %.1f, info %.1f, timers %.1f, packet labels %.1f (%d packets), smallest HTML text %.1f px, lowest text contrast %.2f:1, lowest shape contrast %.2f:1",
					sc.name, sc.w, sc.h, theme, m.Ring, m.Name, m.Role, m.Info, m.Timer, m.Pkt, m.Packets, m.MinText, m.MinTextRatio, m.MinShapeRatio)
				if m.Name < sc.name2 {
					t.Errorf("%s: node names %.1f px, want ≥ %.0f", theme, m.Name, sc.name2)
				}
				if m.Pkt < sc.pkt {
					t.Errorf("%s: packet labels %.1f px, want ≥ %.0f", theme, m.Pkt, sc.pkt)
				}
				if m.MinText < 12 {
					t.Errorf("%s: smallest text %.1f px, want ≥ 12", theme, m.MinText)
				}
				if m.Nbad > 0 {
					t.Errorf("%s: %d contrast failures: %s", theme, m.Nbad, strings.Join(m.Bad, "; "))
				}
				if len(m.Overlaps) > 0 {
					t.Errorf("%s: packets on one spot: %v", theme, m.Overlaps)
				}
				p.packetsOnScreen(1)
				p.shotWidget(1, fmt.Sprintf("present-%s-%s", sc.name, theme))
			}
			p.scheme("light")
			// The controls: Play and Kill leader on screen with the ring
			// (beside it, or on a phone in the bar at the bottom).
			vis := eval[string](p, fmt.Sprintf(`(() => { const w = %s; const inView = (el) => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight && r.width > 0; };
			  const ring = w.querySelector('.zw-ring').getBoundingClientRect();
			  return JSON.stringify({play: inView(w.querySelector('.zw-play')), step: inView(w.querySelector('.zw-transport .zw-btn:nth-child(2)')), ringTop: ring.top >= 0,
			    beside: w.querySelector('.zw-play').getBoundingClientRect().left > ring.right, wide: w.getBoundingClientRect().width / innerWidth}); })()`, w))
			var v struct {
				Play, Step, RingTop, Beside bool
				Wide                        float64
			}
			if err := json.Unmarshal([]byte(vis), &v); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: play on screen %v, step %v, beside the ring %v, widget %.0f%% of the width", sc.name, v.Play, v.Step, v.Beside, v.Wide*100)
			if !v.Play || !v.Step {
				t.Errorf("with the widget's top at the top of the screen, Play/Step are off screen: %s", vis)
			}
			if sc.w >= 1280 && !v.Beside {
				t.Errorf("at %dx%d the transport is not beside the ring: %s", sc.w, sc.h, vis)
			}
			if v.Wide < 0.9 {
				t.Errorf("the widget uses %.0f%% of the width, want ≥ 90%%", v.Wide*100)
			}
			p.clickPacket(1)
		})
	}
}

// TestRingWordsApart: the words under (or beside) each server on the ring,
// its epoch and zxid, its timer and its quorum meter, never lie on another
// server's words nor on another server (its circle and timer ring), with 7
// and 9 servers at every screen size (the two servers at the ring's bottom
// wrote over each other; on a phone each server's words lay on its
// neighbour below until the ring grew taller there).
func TestRingWordsApart(t *testing.T) {
	base := startSite(t)
	for _, sc := range screens {
		for _, voters := range []int{7, 9} {
			t.Run(fmt.Sprintf("%s/%d", sc.name, voters), func(t *testing.T) {
				b := newBrowser(t, sc.w, sc.h)
				p := newPage(t, b, fmt.Sprintf("%s/playground?voters=%d&observers=0", base, voters), sc.w, sc.h)
				w := widgetJS(1)
				p.wait("a leader in broadcast", w+`.querySelector('[data-node][data-role="leading"][data-phase="broadcast"]') !== null`, 60*time.Second)
				hits := eval[[]string](p, fmt.Sprintf(`(() => { const w = %s; const words = [];
				  for (const n of w.querySelectorAll('.zw-ring [data-node]')) for (const el of n.querySelectorAll('.zw-node-info, .zw-node-timer, .zw-node-quorum')) {
				    const r = el.getBoundingClientRect();
				    if (el.textContent.trim() && r.width > 0) words.push({node: n.dataset.node, text: el.textContent, r});
				  }
				  const out = [];
				  for (let i = 0; i < words.length; i++) for (let j = i + 1; j < words.length; j++) {
				    const a = words[i], b = words[j];
				    if (a.node === b.node) continue;
				    const dx = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left), dy = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
				    if (dx > 1 && dy > 1) out.push(a.node + ' "' + a.text + '" on ' + b.node + ' "' + b.text + '"');
				  }
				  // A server: the circle of its timer ring (its outermost part).
				  for (const n of w.querySelectorAll('.zw-ring [data-node]')) {
				    const c = n.querySelector('.zw-timer-track').getBoundingClientRect();
				    const cx = (c.left + c.right) / 2, cy = (c.top + c.bottom) / 2, rad = c.width / 2;
				    for (const a of words) {
				      if (a.node === n.dataset.node) continue;
				      const nx = Math.max(a.r.left, Math.min(cx, a.r.right)), ny = Math.max(a.r.top, Math.min(cy, a.r.bottom));
				      if (Math.hypot(nx - cx, ny - cy) < rad - 1) out.push(a.node + ' "' + a.text + '" on server ' + n.dataset.node);
				    }
				  }
				  return out; })()`, w))
				if len(hits) > 0 {
					p.shotWidget(1, fmt.Sprintf("ring-words-%s-%d", sc.name, voters))
					t.Errorf("%d servers at %dx%d: words on another server or its words: %s", voters, sc.w, sc.h, strings.Join(hits, "; "))
				}
			})
		}
	}
}
