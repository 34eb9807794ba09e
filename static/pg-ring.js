// pg-ring.js: the ensemble view. Servers sit on a ring; links join them;
// packets move along the links by virtual time (sent → arrive). SVG nodes are
// created once per server/link and pooled per packet, never rebuilt per frame.

import {s, attr, text, cls, msgInfo, shapePath, zx, zxid} from './pg-util.js';

const SIZE = 440, C = SIZE / 2;
const ROLE_SHORT = {leading: 'leader', following: 'follower', looking: 'looking', observing: 'observer', down: 'down'};

export class RingView {
  // onServer(id, event) when a server is activated; onPacket(packet) when a packet is.
  constructor({onServer, onPacket}) {
    this.onServer = onServer;
    this.onPacket = onPacket;
    this.svg = s('svg', {class: 'zw-ring', viewBox: `0 0 ${SIZE} ${SIZE}`, role: 'group', 'aria-label': 'Ensemble: servers on a ring, packets in flight'});
    this.gLinks = s('g', {class: 'zw-links'});
    this.gNodes = s('g', {class: 'zw-nodes'});
    this.gPackets = s('g', {class: 'zw-packets'});
    this.svg.append(this.gLinks, this.gNodes, this.gPackets);
    this.nodes = new Map(); // id -> {g, parts, x, y}
    this.links = new Map(); // "a-b" -> line
    this.packets = new Map(); // id -> g
    this.pool = [];
    this.n = 0;
  }

  layout(servers) {
    const n = servers.length;
    this.n = n;
    this.r = n <= 3 ? 40 : n <= 5 ? 36 : n <= 7 ? 33 : 28;
    const R = SIZE / 2 - this.r - 26;
    this.gNodes.textContent = '';
    this.gLinks.textContent = '';
    this.nodes.clear();
    this.links.clear();
    servers.forEach((sv, i) => {
      const a = -Math.PI / 2 + (i * 2 * Math.PI) / n;
      const x = C + R * Math.cos(a), y = C + R * Math.sin(a);
      const node = this.makeNode(sv, x, y, a);
      this.nodes.set(sv.id, node);
      this.gNodes.append(node.g);
    });
  }

  makeNode(sv, x, y, a) {
    const r = this.r;
    const name = sv.name || 's' + sv.id;
    const g = s('g', {class: 'zw-node', 'data-node': name, transform: `translate(${x.toFixed(1)},${y.toFixed(1)})`,
      tabindex: 0, role: 'button'});
    const sel = s('circle', {class: 'zw-node-sel', r: r + 7});
    const body = sv.observer
      ? s('rect', {class: 'zw-node-body', x: -r, y: -r, width: 2 * r, height: 2 * r, rx: 10})
      : s('circle', {class: 'zw-node-body', r});
    const nm = s('text', {class: 'zw-node-name', y: -4, 'text-anchor': 'middle'}, name);
    const role = s('text', {class: 'zw-node-role', y: 13, 'text-anchor': 'middle'});
    // Epoch and zxid go under the server (inside the drawing at any width).
    const info = s('text', {class: 'zw-node-info', x: 0, y: r + 15, 'text-anchor': 'middle'});
    const pause = s('g', {class: 'zw-node-pause', transform: `translate(${(r * 0.55).toFixed(1)},${(-r * 0.95).toFixed(1)})`},
      s('circle', {r: 10}), s('rect', {x: -4.5, y: -5, width: 3, height: 10}), s('rect', {x: 1.5, y: -5, width: 3, height: 10}));
    const title = s('title');
    g.append(title, sel, body, nm, role, info, pause);
    const activate = (e) => this.onServer(sv.id, e);
    g.addEventListener('click', activate);
    g.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); activate(e); }
    });
    return {g, body, role, info, title, x, y, name};
  }

  linkEl(a, b) {
    const key = a < b ? a + '-' + b : b + '-' + a;
    let l = this.links.get(key);
    if (!l) {
      const p = this.nodes.get(a), q = this.nodes.get(b);
      if (!p || !q) return null;
      l = s('line', {class: 'zw-link', x1: p.x.toFixed(1), y1: p.y.toFixed(1), x2: q.x.toFixed(1), y2: q.y.toFixed(1)});
      l.__cut = new Set();
      this.gLinks.append(l);
      this.links.set(key, l);
    }
    return l;
  }

  // update draws one frame: state from the simulator, vt the display time.
  update(state, vt, {reduced, selected, focus, hidePing}) {
    const servers = state.servers || [];
    if (servers.length !== this.n || servers.some((sv) => !this.nodes.has(sv.id))) this.layout(servers);
    for (const sv of servers) {
      const n = this.nodes.get(sv.id);
      const role = sv.up === false ? 'down' : sv.role;
      const z = zxid(sv.lastZxid);
      attr(n.g, 'data-role', role);
      attr(n.g, 'data-phase', sv.phase);
      attr(n.g, 'data-epoch', sv.currentEpoch);
      attr(n.g, 'data-zxid', z.hex);
      attr(n.g, 'data-paused', sv.paused ? 'true' : null);
      attr(n.g, 'aria-pressed', selected.has(sv.id) ? 'true' : 'false');
      cls(n.g, 'is-focus', focus === sv.id);
      text(n.role, sv.paused && role !== 'down' ? 'paused' : ROLE_SHORT[role] || role);
      text(n.info, role === 'down' ? 'down' : `e${sv.currentEpoch} · ${zx(sv.lastZxid)}`);
      const label = `${n.name}: ${role}${sv.paused ? ', paused' : ''}, ${sv.phase} phase, epoch ${sv.currentEpoch}, last zxid ${z.epoch}·${z.counter} (${z.hex})`;
      attr(n.g, 'aria-label', label);
      text(n.title, label);
    }
    // Links: one line per pair, dashed when either direction is cut.
    const seen = new Set();
    for (const l of state.links || []) {
      const el = this.linkEl(l.from, l.to);
      if (!el) continue;
      if (!seen.has(el)) { seen.add(el); el.__cut.clear(); }
      if (l.cut) el.__cut.add(l.from + '→' + l.to);
    }
    for (const el of this.links.values()) {
      const on = seen.has(el);
      attr(el, 'visibility', on ? null : 'hidden');
      cls(el, 'is-cut', on && el.__cut.size > 0);
    }
    this.drawPackets(state, vt, reduced, hidePing);
  }

  // hidePing: the space-time diagram's PING box is off, so the ring leaves
  // the heartbeats out too (with a 300 ms live delay they crowd every link).
  drawPackets(state, vt, reduced, hidePing) {
    const live = new Set();
    const pr = this.n > 7 ? 8 : 10;
    for (const p of state.inflight || []) {
      if (hidePing && p.msg === 'PING') continue;
      const a = this.nodes.get(p.from), b = this.nodes.get(p.to);
      if (!a || !b) continue;
      live.add(p.id);
      let g = this.packets.get(p.id);
      if (!g) {
        g = this.pool.pop() || this.makePacket();
        this.packets.set(p.id, g);
        const info = msgInfo(p.msg);
        attr(g.__path, 'd', shapePath(info.shape, pr));
        attr(g.__path, 'fill', info.color);
        attr(g.__label, 'fill', info.ink);
        text(g.__label, info.label);
        text(g.__title, p.text || p.msg);
        attr(g, 'data-msg', p.msg);
        attr(g, 'aria-label', `${p.msg} from s${p.from} to s${p.to}`);
        g.__packet = p;
        g.style.display = '';
        this.gPackets.append(g);
      }
      g.__packet = p;
      const span = Math.max(1, p.arrive - p.sent);
      let f = reduced ? 0.5 : (vt - p.sent) / span;
      f = Math.min(0.97, Math.max(0.03, f));
      // Start and end on the circles' edges; offset sideways by direction so
      // packets going both ways do not overlap.
      const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy) || 1;
      const ux = dx / len, uy = dy / len;
      const edge = this.r + 4;
      const x = a.x + ux * edge + (len - 2 * edge) * f * ux - uy * 7;
      const y = a.y + uy * edge + (len - 2 * edge) * f * uy + ux * 7;
      attr(g, 'transform', `translate(${x.toFixed(1)},${y.toFixed(1)})`);
    }
    for (const [id, g] of this.packets) {
      if (live.has(id)) continue;
      this.packets.delete(id);
      g.style.display = 'none';
      this.pool.push(g);
    }
  }

  makePacket() {
    const path = s('path', {class: 'zw-pkt-shape'});
    const label = s('text', {class: 'zw-pkt-label', 'text-anchor': 'middle', dy: '0.35em'});
    const title = s('title');
    const g = s('g', {class: 'zw-pkt', tabindex: -1, role: 'button'}, title, path, label);
    g.__path = path; g.__label = label; g.__title = title;
    g.addEventListener('click', (e) => { e.stopPropagation(); if (g.__packet) this.onPacket(g.__packet); });
    return g;
  }
}
