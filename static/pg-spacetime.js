// pg-spacetime.js: the space-time (Lamport) diagram. One lane per server,
// virtual time on the x axis, an arrow per message from send to delivery
// (or to the drop, or still in flight). A cursor marks the current time;
// clicking seeks. Only the last KEEP ms of events are kept, so it stays fast,
// and it is redrawn only when what it shows changed: new events, the cursor
// moved a pixel, a filter, its size (read from a ResizeObserver, never from
// the layout in a frame).

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
    this.servers = [];
    this.dirty = true;
    this.drawnAt = 0;
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

  // labelWidth measures a message label once per font size.
  labelWidth(g, fs, label) {
    const k = fs + ':' + label;
    let w = this.widths?.get(k);
    if (w == null) {
      if (!this.widths) this.widths = new Map();
      w = g.measureText(label).width;
      this.widths.set(k, w);
    }
    return w;
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
    if (!this.dirty && key === this.drawnKey) return;
    // While it only scrolls, 25 times a second is smooth enough and leaves
    // a slow CPU the time to animate the ring at every frame.
    const wall = performance.now();
    if (!this.dirty && !force && wall - this.drawnAt < MIN_MS) return;
    this.drawnAt = wall;
    this.drawnKey = key;
    this.gutter = GUTTER;
    if (cv.dataset.fontPx !== String(fs)) cv.dataset.fontPx = fs; // for tests: the diagram's text size
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
    g.font = fs + 'px system-ui, sans-serif';
    g.textBaseline = 'middle';
    // Time axis.
    g.fillStyle = colors.muted;
    g.strokeStyle = colors.grid;
    g.lineWidth = 1;
    const stepMs = niceStep((t1 - t0) / 6);
    for (let t = Math.ceil(t0 / stepMs) * stepMs; t <= t1; t += stepMs) {
      const x = X(t);
      g.beginPath(); g.moveTo(x, AXIS - 4); g.lineTo(x, cssH); g.stroke();
      g.textAlign = 'center';
      g.fillText(stepMs >= 1000 ? (t / 1000).toFixed(0) + 's' : (t / 1000).toFixed(stepMs >= 100 ? 1 : 2) + 's', x, AXIS / 2 - 2);
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
      g.fillStyle = colors.ink;
      g.textAlign = 'left';
      g.fillText(sv.name, 6, y);
    }
    // Message arrows.
    this.drawn = [];
    for (const m of log.msgs.values()) {
      const fam = msgInfo(m.msg).fam;
      if (!this.fam.has(fam)) continue;
      const y1 = laneY.get(m.from), y2 = laneY.get(m.to);
      if (y1 == null || y2 == null) continue;
      let end = m.end, how = m.how;
      if (end == null || end > vt) { end = Math.min(vt, m.arrive ?? vt); how = 'flight'; }
      if (m.t > vt || end < t0 || m.t > t1) continue;
      const info = msgInfo(m.msg);
      const x1 = X(m.t), x2 = X(end);
      let yy2 = y2;
      if (how === 'flight' && m.arrive > m.t) yy2 = y1 + (y2 - y1) * Math.min(1, (end - m.t) / (m.arrive - m.t));
      g.strokeStyle = info.color;
      g.fillStyle = info.color;
      g.lineWidth = fam === 'ping' ? 1 : 1.6;
      g.setLineDash(how === 'flight' ? [4, 3] : how === 'drop' ? [2, 2] : []);
      g.beginPath(); g.moveTo(x1, y1); g.lineTo(x2, yy2); g.stroke();
      g.setLineDash([]);
      if (how === 'drop') {
        g.beginPath(); g.moveTo(x2 - 4, yy2 - 4); g.lineTo(x2 + 4, yy2 + 4); g.moveTo(x2 + 4, yy2 - 4); g.lineTo(x2 - 4, yy2 + 4); g.stroke();
      } else if (how === 'ok') {
        arrowHead(g, x1, y1, x2, yy2);
      }
      const len = Math.hypot(x2 - x1, yy2 - y1);
      if (info.label && len > 34) {
        const mx = (x1 + x2) / 2, my = (y1 + yy2) / 2;
        g.fillStyle = colors.bg;
        const w = this.labelWidth(g, fs, info.label) + 4;
        g.fillRect(mx - w / 2, my - fs * 0.55, w, fs * 1.1);
        g.fillStyle = colors.ink;
        g.textAlign = 'center';
        g.fillText(info.label, mx, my);
      }
      this.drawn.push({x1, y1, x2, y2: yy2, m});
    }
    // Marks: roles, crashes, leaders established, violations.
    g.textAlign = 'center';
    g.font = 'bold ' + fs + 'px system-ui, sans-serif';
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
      g.fillStyle = k.kind === 'crash' ? colors.bg : colors.ink;
      g.fillText(k.label, x, y - fs * 0.9);
    }
    // Cursor.
    const cx = X(vt);
    g.strokeStyle = colors.accent;
    g.lineWidth = 2;
    g.beginPath(); g.moveTo(cx, AXIS - 6); g.lineTo(cx, cssH); g.stroke();
    g.fillStyle = colors.accent;
    g.textAlign = cx > cssW - 60 ? 'right' : 'left';
    g.font = fs + 'px system-ui, sans-serif';
    g.fillText(fmtMs(vt), cx + (cx > cssW - 60 ? -4 : 4), AXIS + fs * 0.2);
    this.dirty = false;
  }
}

function arrowHead(g, x1, y1, x2, y2) {
  const a = Math.atan2(y2 - y1, x2 - x1), l = 6;
  g.beginPath();
  g.moveTo(x2, y2);
  g.lineTo(x2 - l * Math.cos(a - 0.45), y2 - l * Math.sin(a - 0.45));
  g.lineTo(x2 - l * Math.cos(a + 0.45), y2 - l * Math.sin(a + 0.45));
  g.closePath();
  g.fill();
}

function niceStep(x) {
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(1, x))));
  for (const m of [1, 2, 5, 10]) if (p * m >= x) return p * m;
  return p * 10;
}
