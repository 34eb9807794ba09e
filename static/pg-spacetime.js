// pg-spacetime.js: the space-time (Lamport) diagram. One lane per server,
// virtual time on the x axis, an arrow per message from send to delivery
// (or to the drop, or still in flight). A cursor marks the current time;
// clicking seeks. Only the last KEEP ms of events are kept, so it stays fast,
// and it is redrawn only when what it shows changed: new events, the cursor
// moved a pixel, a filter, its size (read from a ResizeObserver, never from
// the layout in a frame); and only while it is on screen.

import {h, msgInfo, FAMILIES, fmtMs} from './pg-util.js';
import {pick} from './i18n.js';

// TEXT is every user-visible string of the diagram, per language (i18n.js);
// T is the page's.
export const TEXT = {
  en: {
    aria: 'Space-time diagram: one lane per server, arrows are messages. Click to seek.',
    title: 'Space-time', window: 'window ', fams: 'Show message types', servers: 'Show servers',
    crash: 'crash', restart: 'restart', pause: 'pause', resume: 'resume', established: (e) => `established epoch ${e}`,
  },
  zh: {
    aria: '时空图：每台服务器一条泳道，箭头是消息。点击可跳转到该时刻。',
    title: '时空图', window: '时间窗 ', fams: '显示的消息类型', servers: '显示的服务器',
    crash: '宕机', restart: '重启', pause: '暂停', resume: '恢复', established: (e) => `确立 epoch ${e}`,
  },
};
const T = pick(TEXT);

export const KEEP = 10000;
const MIN_MS = 40; // wall ms between two draws while the diagram only scrolls
// Sizes at the smallest; draw() scales them with the diagram's width (fs).
const BASE_FS = 11;
const PHASE_COLOR = {election: '#E69F00', discovery: '#56B4E9', sync: '#009E73', broadcast: '#0072B2', down: '#8c8c8c'};
const FONT = 'system-ui, sans-serif';
const ZOOMS = [[200, '0.2 s'], [500, '0.5 s'], [1000, '1 s'], [2000, '2 s'], [5000, '5 s'], [10000, '10 s']];

// EventLog keeps recent events and indexes messages by id.
export class EventLog {
  constructor() {
    this.version = 0; // changes whenever what the diagram draws changed
    this.reset(null, 0);
  }

  // reset starts over from a state (after create/seek/setBug).
  reset(state, t) {
    this.version++;
    this.events = [];
    this.msgs = new Map(); // id -> {id, from, to, msg, t, end, how, text}
    this.marks = []; // {t, node, kind, label, text}
    this.phases = new Map(); // node -> [{t, phase}]
    if (state) {
      for (const sv of state.servers || []) this.phases.set(sv.id, [{t: -1, phase: sv.up === false ? 'down' : sv.phase}]);
      for (const p of state.inflight || []) this.msgs.set(p.id, {id: p.id, from: p.from, to: p.to, msg: p.msg, t: p.sent, arrive: p.arrive, end: null, how: '', text: p.text});
    }
    this.t = t;
  }

  add(events) {
    if (events.length) this.version++;
    for (const e of events) {
      this.events.push(e);
      switch (e.kind) {
        case 'send':
          this.msgs.set(e.id, {id: e.id, from: e.node, to: e.peer, msg: e.msg, t: e.t, arrive: e.arrive, end: null, how: '', text: e.text});
          break;
        case 'deliver-msg': case 'drop': {
          const m = this.msgs.get(e.id);
          if (m) { m.end = e.t; m.how = e.kind === 'drop' ? 'drop' : 'ok'; m.reason = e.reason; }
          break;
        }
        case 'phase': this.phase(e.node, e.t, e.phase); break;
        case 'crash': this.phase(e.node, e.t, 'down'); this.marks.push({t: e.t, node: e.node, kind: 'crash', label: '✕', text: T.crash}); break;
        case 'restart': this.phase(e.node, e.t, 'election'); this.marks.push({t: e.t, node: e.node, kind: 'restart', label: '↻', text: T.restart}); break;
        case 'pause': this.marks.push({t: e.t, node: e.node, kind: 'pause', label: '❚❚', text: T.pause}); break;
        case 'resume': this.marks.push({t: e.t, node: e.node, kind: 'pause', label: '▶', text: T.resume}); break;
        case 'established': this.marks.push({t: e.t, node: e.node, kind: 'lead', label: '★', text: T.established(e.epoch)}); break;
        case 'role':
          if (e.role === 'looking') this.phase(e.node, e.t, 'election');
          this.marks.push({t: e.t, node: e.node, kind: 'role', label: e.role === 'leading' ? 'L' : e.role === 'following' ? 'F' : e.role === 'observing' ? 'O' : e.role === 'looking' ? '?' : '', text: `${e.role}: ${e.text || ''}`});
          break;
        case 'violation': this.marks.push({t: e.t, node: 0, kind: 'violation', label: '!', text: e.text}); break;
      }
      if (e.t > this.t) this.t = e.t;
    }
  }

  phase(node, t, phase) {
    let a = this.phases.get(node);
    if (!a) this.phases.set(node, (a = []));
    a.push({t, phase});
  }

  // prune drops what is older than KEEP before now.
  prune(now) {
    const lo = now - KEEP;
    if (this.events.length > 2000 && this.events[0].t < lo) {
      let i = 0;
      while (i < this.events.length && this.events[i].t < lo) i++;
      this.events.splice(0, i);
    }
    if (this.msgs.size > 1500) {
      for (const [id, m] of this.msgs) if ((m.end ?? m.arrive) < lo) { this.msgs.delete(id); this.version++; }
    }
    if (this.marks.length > 500) {
      const n = this.marks.length;
      this.marks = this.marks.filter((m) => m.t >= lo);
      if (this.marks.length !== n) this.version++;
    }
    for (const a of this.phases.values()) {
      let k = 0;
      while (k + 1 < a.length && a[k + 1].t < lo) k++;
      if (k > 0) { a.splice(0, k); this.version++; }
    }
  }
}

export class SpaceTime {
  constructor({onSeek, onPacket, uid}) {
    this.onSeek = onSeek;
    this.onPacket = onPacket;
    this.fam = new Set(FAMILIES.map(([f]) => f).filter((f) => f !== 'ping'));
    this.fam.add('other');
    this.hiddenServers = new Set();
    this.span = 1000;
    this.canvas = h('canvas', {class: 'zw-st-canvas', role: 'img', 'aria-label': T.aria});
    const zoom = h('select', {class: 'zw-st-zoom', id: uid + '-zoom'},
      ZOOMS.map(([ms, l]) => h('option', {value: ms, selected: ms === this.span}, l)));
    zoom.addEventListener('change', () => { this.span = +zoom.value; this.dirty = true; });
    const famBoxes = FAMILIES.map(([f, label]) => {
      const cb = h('input', {type: 'checkbox', checked: this.fam.has(f), 'data-fam': f});
      cb.addEventListener('change', () => { cb.checked ? this.fam.add(f) : this.fam.delete(f); this.dirty = true; });
      return h('label', {class: 'zw-chip'}, cb, ' ', label);
    });
    this.serverBoxes = h('span', {class: 'zw-st-servers'});
    this.el = h('div', {class: 'zw-st'},
      h('div', {class: 'zw-st-bar'},
        h('span', {class: 'zw-st-title'}, T.title),
        h('label', {class: 'zw-chip', for: uid + '-zoom'}, T.window, zoom),
        h('span', {class: 'zw-st-fams', role: 'group', 'aria-label': T.fams}, famBoxes),
        h('span', {role: 'group', 'aria-label': T.servers}, this.serverBoxes)),
      h('div', {class: 'zw-st-wrap'}, this.canvas));
    this.canvas.addEventListener('click', (e) => this.click(e));
    this.cssW = 0; // the diagram's width, measured by the observer
    this.ro = new ResizeObserver(() => { this.cssW = this.el.clientWidth; this.dirty = true; });
    this.ro.observe(this.el);
    // Off screen (on a laptop the diagram is below the ring) the canvas is
    // hidden and not drawn: without a GPU the browser copies a canvas in the
    // page for the compositor at nearly every frame, drawn or not (1.4 ms a
    // frame at 4× with 9 servers, README "Off screen"); a hidden one is not.
    // Drawn while the run is paused (force), so it comes back current.
    this.onScreen = true;
    this.io = new IntersectionObserver((es) => {
      const on = es[es.length - 1].isIntersecting;
      if (on === this.onScreen) return;
      this.onScreen = on;
      this.canvas.style.visibility = on ? '' : 'hidden';
      if (on) this.dirty = true;
    }, {rootMargin: '50px'});
    this.io.observe(this.canvas);
    this.servers = [];
    this.dirty = true;
    this.drawnAt = 0;
    this.text = new TextSprites();
  }

  destroy() {
    this.ro.disconnect();
    this.io.disconnect();
  }

  setServers(servers) {
    const names = servers.map((s) => s.id).join(',');
    if (names === this.serverKey) return;
    this.serverKey = names;
    this.servers = servers.map((s) => ({id: s.id, name: s.name}));
    this.serverBoxes.textContent = '';
    for (const sv of this.servers) {
      const cb = h('input', {type: 'checkbox', checked: !this.hiddenServers.has(sv.id)});
      cb.addEventListener('change', () => { cb.checked ? this.hiddenServers.delete(sv.id) : this.hiddenServers.add(sv.id); this.dirty = true; });
      this.serverBoxes.append(h('label', {class: 'zw-chip'}, cb, ' ', sv.name));
    }
  }

  window(vt) {
    const t1 = Math.max(this.span, vt + this.span * 0.08);
    return [t1 - this.span, t1];
  }

  lanes() {
    return this.servers.filter((s) => !this.hiddenServers.has(s.id));
  }

  click(e) {
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left, y = e.clientY - rect.top;
    const hit = this.hitArrow(x, y);
    if (hit) { this.onPacket(hit); return; }
    const gut = this.gutter || 40;
    if (x < gut) return;
    const [t0, t1] = this.last || [0, 1];
    const t = Math.round(t0 + ((x - gut) / (rect.width - gut)) * (t1 - t0));
    this.onSeek(Math.max(0, t));
  }

  hitArrow(x, y) {
    let best = null, bd = 6;
    for (const a of this.drawn || []) {
      const dx = a.x2 - a.x1, dy = a.y2 - a.y1, l2 = dx * dx + dy * dy || 1;
      const u = Math.max(0, Math.min(1, ((x - a.x1) * dx + (y - a.y1) * dy) / l2));
      const d = Math.hypot(a.x1 + u * dx - x, a.y1 + u * dy - y);
      if (d < bd) { bd = d; best = a.m; }
    }
    return best;
  }

  // draw renders the diagram at display time vt; maxT is the furthest time reached.
  // force: draw now even if the last draw was a moment ago (the run stopped).
  draw(log, vt, maxT, colors, force) {
    const cv = this.canvas;
    const lanes = this.lanes();
    const cssW = Math.max(200, this.cssW || 600);
    // Text grows with the diagram: 11 px at 600 px wide, up to 17 px.
    const fs = Math.round(Math.max(BASE_FS, Math.min(17, cssW / 60)));
    const GUTTER = Math.round(fs * 3.8), LANE = Math.round(fs * 2.7), AXIS = Math.round(fs * 1.9);
    // Nothing it shows changed (not a pixel of the cursor): keep the canvas.
    const px = (cssW - GUTTER) / this.span;
    const key = `${cssW}|${lanes.length}|${log.version}|${Math.round(vt * px)}|${Math.round(Math.min(maxT, vt + this.span) * px)}|${colors.ink}${colors.bg}`;
    // How long a frame of the page takes (the time between two calls, on
    // average): on a slow CPU the diagram is redrawn every third frame or
    // so, which leaves it the time to animate the ring at every frame.
    const wall = performance.now();
    if (this.calledAt) this.frameMs = 0.9 * (this.frameMs || 16) + 0.1 * Math.min(100, wall - this.calledAt);
    this.calledAt = wall;
    if (!this.dirty && key === this.drawnKey) return;
    if (!this.onScreen && !force) return;
    // While it only scrolls, 25 times a second is smooth enough.
    if (!this.dirty && !force && wall - this.drawnAt < Math.max(MIN_MS, 2.5 * (this.frameMs || 0))) return;
    this.drawnAt = wall;
    this.drawnKey = key;
    this.gutter = GUTTER;
    if (cv.dataset.fontPx !== String(fs)) cv.dataset.fontPx = fs; // for tests: the diagram's text size
    cv.dataset.t = Math.floor(vt); // for tests: the virtual time drawn
    const cssH = AXIS + LANE * Math.max(1, lanes.length) + 8;
    const dpr = window.devicePixelRatio || 1;
    if (cv.width !== Math.round(cssW * dpr) || cv.height !== Math.round(cssH * dpr)) {
      cv.width = Math.round(cssW * dpr);
      cv.height = Math.round(cssH * dpr);
      cv.style.height = cssH + 'px';
    }
    const g = cv.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, cssW, cssH);
    const [t0, t1] = this.window(vt);
    this.last = [t0, t1];
    const X = (t) => GUTTER + ((t - t0) / (t1 - t0)) * (cssW - GUTTER);
    const laneY = new Map();
    lanes.forEach((sv, i) => laneY.set(sv.id, AXIS + LANE * i + LANE / 2));
    const font = fs + 'px ' + FONT, bold = 'bold ' + font;
    const tx = this.text;
    tx.begin(dpr);
    // Time axis.
    g.fillStyle = colors.muted;
    g.strokeStyle = colors.grid;
    g.lineWidth = 1;
    const stepMs = niceStep((t1 - t0) / 6);
    for (let t = Math.ceil(t0 / stepMs) * stepMs; t <= t1; t += stepMs) {
      const x = X(t);
      g.beginPath(); g.moveTo(x, AXIS - 4); g.lineTo(x, cssH); g.stroke();
      tx.draw(g, stepMs >= 1000 ? (t / 1000).toFixed(0) + 's' : (t / 1000).toFixed(stepMs >= 100 ? 1 : 2) + 's', x, AXIS / 2 - 2, 'center', font, colors.muted);
    }
    // Future beyond what has been computed.
    if (maxT < t1) {
      g.fillStyle = colors.future;
      g.fillRect(X(Math.max(t0, maxT)), AXIS, cssW - X(Math.max(t0, maxT)), cssH - AXIS);
    }
    // Lanes with their phase band.
    for (const sv of lanes) {
      const y = laneY.get(sv.id);
      const ph = log.phases.get(sv.id) || [];
      for (let i = 0; i < ph.length; i++) {
        const a = Math.max(t0, ph[i].t), b = Math.min(vt, i + 1 < ph.length ? ph[i + 1].t : vt);
        if (b <= a) continue;
        g.fillStyle = PHASE_COLOR[ph[i].phase] || colors.grid;
        g.globalAlpha = ph[i].phase === 'down' ? 0.35 : 0.22;
        g.fillRect(X(a), y - fs * 0.45, X(b) - X(a), fs * 0.9);
      }
      g.globalAlpha = 1;
      g.strokeStyle = colors.ink;
      g.beginPath(); g.moveTo(GUTTER, y); g.lineTo(cssW, y); g.stroke();
      tx.draw(g, sv.name, 6, y, 'left', font, colors.ink);
    }
    // Message arrows, drawn in batches: one path per color, dash and width
    // for the lines, one per color for the heads, then the labels on top
    // (a line never crosses a label). A label that would cover one already
    // drawn is left out: where arrows crowd (an election of 9) neither
    // would be legible.
    this.drawn = [];
    const lines = new Map(), heads = new Map(), labels = [];
    const path = (map, key, style) => {
      let b = map.get(key);
      if (!b) map.set(key, (b = {p: new Path2D(), ...style}));
      return b.p;
    };
    for (const m of log.msgs.values()) {
      const info = msgInfo(m.msg);
      const fam = info.fam;
      if (!this.fam.has(fam)) continue;
      const y1 = laneY.get(m.from), y2 = laneY.get(m.to);
      if (y1 == null || y2 == null) continue;
      let end = m.end, how = m.how;
      if (end == null || end > vt) { end = Math.min(vt, m.arrive ?? vt); how = 'flight'; }
      if (m.t > vt || end < t0 || m.t > t1) continue;
      const x1 = X(m.t), x2 = X(end);
      let yy2 = y2;
      if (how === 'flight' && m.arrive > m.t) yy2 = y1 + (y2 - y1) * Math.min(1, (end - m.t) / (m.arrive - m.t));
      const width = fam === 'ping' ? 1 : 1.6;
      const dash = how === 'flight' ? 'f' : how === 'drop' ? 'd' : '';
      const lp = path(lines, info.color + dash + width, {color: info.color, dash, width});
      lp.moveTo(x1, y1); lp.lineTo(x2, yy2);
      if (how === 'drop') {
        const cp = path(lines, info.color + width, {color: info.color, dash: '', width});
        cp.moveTo(x2 - 4, yy2 - 4); cp.lineTo(x2 + 4, yy2 + 4); cp.moveTo(x2 + 4, yy2 - 4); cp.lineTo(x2 - 4, yy2 + 4);
      } else if (how === 'ok') {
        arrowHead(path(heads, info.color, {color: info.color}), x1, y1, x2, yy2);
      }
      if (info.label && Math.hypot(x2 - x1, yy2 - y1) > 34) labels.push({label: info.label, mx: (x1 + x2) / 2, my: (y1 + yy2) / 2});
      this.drawn.push({x1, y1, x2, y2: yy2, m});
    }
    for (const b of lines.values()) {
      g.strokeStyle = b.color;
      g.lineWidth = b.width;
      g.setLineDash(b.dash === 'f' ? [4, 3] : b.dash === 'd' ? [2, 2] : []);
      g.stroke(b.p);
    }
    g.setLineDash([]);
    for (const b of heads.values()) {
      g.fillStyle = b.color;
      g.fill(b.p);
    }
    const boxes = [], lh = fs * 1.1, bg = new Path2D();
    for (const l of labels) {
      const w = tx.width(l.label, font) + 4;
      const x = l.mx - w / 2, y = l.my - fs * 0.55;
      if (boxes.some((b) => x < b.x + b.w && b.x < x + w && y < b.y + lh && b.y < y + lh)) continue;
      boxes.push({x, y, w, l});
      bg.rect(x, y, w, lh);
    }
    g.fillStyle = colors.bg;
    g.fill(bg);
    for (const b of boxes) tx.draw(g, b.l.label, b.l.mx, b.l.my, 'center', font, colors.ink);
    // Marks: roles, crashes, leaders established, violations.
    for (const k of log.marks) {
      if (k.t < t0 || k.t > vt) continue;
      const x = X(k.t);
      if (k.kind === 'violation') {
        g.strokeStyle = colors.alarm; g.lineWidth = 2;
        g.beginPath(); g.moveTo(x, AXIS); g.lineTo(x, cssH); g.stroke();
        continue;
      }
      const y = laneY.get(k.node);
      if (y == null || !k.label) continue;
      g.fillStyle = k.kind === 'crash' ? colors.alarm : colors.bg;
      g.strokeStyle = k.kind === 'crash' ? colors.alarm : colors.ink;
      g.lineWidth = 1;
      g.beginPath(); g.arc(x, y - fs * 0.9, fs * 0.65, 0, Math.PI * 2); g.fill(); g.stroke();
      tx.draw(g, k.label, x, y - fs * 0.9, 'center', bold, k.kind === 'crash' ? colors.bg : colors.ink);
    }
    // Cursor.
    const cx = X(vt);
    g.strokeStyle = colors.accent;
    g.lineWidth = 2;
    g.beginPath(); g.moveTo(cx, AXIS - 6); g.lineTo(cx, cssH); g.stroke();
    const right = cx > cssW - 60;
    tx.draw(g, fmtMs(vt), cx + (right ? -4 : 4), AXIS + fs * 0.2, right ? 'right' : 'left', font, colors.accent);
    this.dirty = false;
  }
}

// TextSprites writes the diagram's words from glyph atlases: each character
// of a font and color is written once, on a canvas outside the document,
// and copied where it goes. A fillText (or measureText) on a canvas in the
// page makes the browser bring the whole page's style up to date first, in
// the middle of a frame that has just changed the ring: on a slow CPU that
// forced update was the largest cost of a frame. (A whole string per image
// would make a new canvas for every new time on the axis and the cursor.)
// What the diagram writes is short Latin: names, labels, times, marks.
class TextSprites {
  constructor() {
    this.atlases = new Map(); // font|color -> {c, g, cells: Map(char -> {sx, sy, w, adv}), x, y, h}
    this.dpr = 1;
  }

  // begin starts a draw at this device pixel ratio (the atlases are drawn
  // at it).
  begin(dpr) {
    if (dpr !== this.dpr) { this.dpr = dpr; this.atlases.clear(); }
  }

  atlas(font, color) {
    const k = font + '|' + color;
    let a = this.atlases.get(k);
    if (!a) {
      const size = parseFloat(font.replace(/^bold /, '')) || 11;
      const h = Math.ceil(size * 1.5), W = 512, H = h * 6;
      const d = this.dpr;
      const c = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(W * d, H * d) : Object.assign(document.createElement('canvas'), {width: W * d, height: H * d});
      const g = c.getContext('2d');
      g.scale(d, d);
      g.font = font;
      g.fillStyle = color;
      g.textBaseline = 'middle';
      a = {c, g, cells: new Map(), x: 0, y: 0, h, W, H};
      if (this.atlases.size > 24) this.atlases.clear();
      this.atlases.set(k, a);
    }
    return a;
  }

  cell(a, ch) {
    let e = a.cells.get(ch);
    if (!e) {
      const adv = a.g.measureText(ch).width;
      const w = Math.ceil(adv) + 4; // room for ink past the advance
      if (a.x + w > a.W) { a.x = 0; a.y += a.h; }
      if (a.y + a.h > a.H) { a.g.clearRect(0, 0, a.W, a.H); a.cells.clear(); a.x = 0; a.y = 0; }
      a.g.fillText(ch, a.x + 2, a.y + a.h / 2);
      e = {sx: a.x, sy: a.y, w, adv};
      a.x += w;
      a.cells.set(ch, e);
    }
    return e;
  }

  width(text, font) {
    const a = this.atlas(font, '#000');
    let w = 0;
    for (const ch of text) w += this.cell(a, ch).adv;
    return w;
  }

  // draw writes text at (x, y) (y its middle; align left, center or right)
  // in font and color.
  draw(g, text, x, y, align, font, color) {
    const a = this.atlas(font, color);
    const cells = [];
    let w = 0;
    for (const ch of text) { const e = this.cell(a, ch); cells.push(e); w += e.adv; }
    const d = this.dpr;
    let px = align === 'center' ? x - w / 2 : align === 'right' ? x - w : x;
    const top = Math.round((y - a.h / 2) * d) / d;
    for (const e of cells) {
      g.drawImage(a.c, e.sx * d, e.sy * d, e.w * d, a.h * d, Math.round((px - 2) * d) / d, top, e.w, a.h);
      px += e.adv;
    }
  }
}

// arrowHead adds an arrow's head at (x2, y2) to the path p.
function arrowHead(p, x1, y1, x2, y2) {
  const a = Math.atan2(y2 - y1, x2 - x1), l = 6;
  p.moveTo(x2, y2);
  p.lineTo(x2 - l * Math.cos(a - 0.45), y2 - l * Math.sin(a - 0.45));
  p.lineTo(x2 - l * Math.cos(a + 0.45), y2 - l * Math.sin(a + 0.45));
  p.closePath();
}

function niceStep(x) {
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(1, x))));
  for (const m of [1, 2, 5, 10]) if (p * m >= x) return p * m;
  return p * 10;
}
