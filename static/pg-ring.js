// pg-ring.js: the ensemble view. Servers sit on a ring; links join them;
// packets move along the links by virtual time (sent → arrive). SVG nodes are
// created once per server/link and pooled per packet, never rebuilt per frame.
//
// Every server wears its timers, read from its core (state.servers[].timers,
// in the server's own clock .now), as RaftScope draws election timeouts: a
// follower's arc is the time left before it gives up on a silent leader
// (syncLimit; initLimit while it syncs) and jumps back to full at every PING;
// a LOOKING server's arc is its finalize wait; a leader's arc is its initLimit
// until a quorum acknowledges it, then one arc per learner (ticks left before
// that learner counts as lost) and a meter "hears 3 of 3 · needs 2". Packets
// sent on one link are queued along it like a train, never on one spot; with
// reduced motion they wait at their sender's end, in order, with an arrow.
//
// Each packet in flight is a small SVG of its own in an HTML layer over the
// ring (.zw-ring-pkts), moved only by its CSS transform (will-change:
// transform): the compositor moves it, so moving a packet repaints neither
// it nor the ring (moving groups inside the ring's SVG made the browser
// restyle and repaint the ring for them).

import {pick} from './i18n.js';
import {h, s, attr, text, cls, msgInfo, shapePath, zxid, zx} from './pg-util.js';

const SIZE = 500, C = SIZE / 2;
const FINALIZE_MS = 200; // FLE's finalizeWait (core.Config default)
const POOL = 12; // hidden packets kept per message kind, to reuse (drawPackets)
const CALLOUT_MS = 2500; // how long (virtual ms) a sync decision stays up after the learner is up to date
// The modes a callout explains (an empty DIFF, the common case, says nothing new).
const SYNC_MODES = new Set(['DIFF', 'TRUNC', 'SNAP', 'TRUNC+DIFF']);

// RING is every user-visible string of the ring, per language (i18n.js); R
// is the page's.
export const RING = {
  en: {
    aria: 'Ensemble: servers on a ring with their timers, packets in flight',
    starting: 'starting…',
    role: {leading: 'leader', following: 'follower', looking: 'looking', observing: 'observer', down: 'down'},
    paused: 'paused',
    infoDown: (e) => `e${e} · down`,
    zxidTitle: (e, z) => `currentEpoch ${e}; last zxid ${z.epoch}·${z.counter} (${z.hex}): epoch·counter`,
    label: (name, role, paused, phase, e, z) => `${name}: ${role}${paused ? ', paused' : ''}, ${phase} phase, epoch ${e}, last zxid ${z.epoch}·${z.counter} (${z.hex})`,
    heard: (limit, ms) => `${limit} ${ms} ms`,
    heardTitle: (limit, ms, total) => `Time left before this server gives up on its silent leader (${limit}: ${total} ms without a word). A PING or any packet from the leader fills it again.`,
    finalize: (ms) => `finalize ${ms} ms`,
    finalizeTitle: 'A quorum agrees on this vote; the server waits finalizeWait (200 ms) for a better vote before it decides.',
    init: (ms, what) => `initLimit ${ms} ms · ${what}`,
    initWhat: {epoch: 'epochs', ackepoch: 'ACKEPOCHs', newleader: 'NEWLEADER acks'},
    initTitle: 'A new leader must hear a quorum within initLimit, or it steps down.',
    hears: (k, n, q) => `hears ${k}/${n} · needs ${q}`,
    hearsTitle: (k, n, q) => `The leader still hears ${k} of ${n} voters (itself included) within syncLimit; it needs ${q}. Below that it steps down at its next tick.`,
    acked: (z, k, n) => `${z}: ${k}/${n} acked`,
    ackedTitle: 'Proposals waiting for a quorum of ACKs (the leader counts its own once it is on its disk).',
    zxidKey: 'zxid = epoch·counter · e·0: epoch e has begun, no txn in it yet',
    more: (k) => `+${k}`,
    frozen: (ms) => `frozen · clock ${ms} ms behind`,
    frozenTitle: 'Paused: its clock stopped, so its timers stand still while everyone else\'s run. Its connections stay open; only its silence shows. When it resumes, it finds out how much time passed.',
    fell: 'stepped down: no quorum',
    fellPaused: 'woke up, stepped down: no quorum',
    fellTitle: 'A leader steps down when fewer than a quorum of voters answered within syncLimit (or a new leader needs a quorum within initLimit).',
    epochStart: (e) => `${e}·0 means epoch ${e} has begun and holds no transaction yet; the last transaction this server really has is shown after it.`,
    sync: {
      'DIFF': (l, lo, hi) => `${l} within ${lo}…${hi}`,
      'EMPTY-DIFF': (l) => `${l}: same as leader`,
      'TRUNC': (l, lo, hi) => `${l} > ${hi}`,
      'TRUNC+DIFF': (l, lo, hi) => `${l} > ${hi}`,
      'SNAP': (l, lo) => `${l} < ${lo}`,
    },
    syncTitle: (name, mode, l, lo, hi) => `The leader chose ${mode} for ${name}: ${name}'s last zxid ${l} against the leader's committed log ${lo}…${hi}. ` +
      'Inside it: DIFF sends what is missing. Past its end: TRUNC cuts the txns no quorum committed. Below its start (and too far for the txn log): SNAP sends the whole tree.',
  },
  zh: {
    aria: '集群：环上的服务器及其计时器，以及正在传输的数据包',
    starting: '启动中…',
    role: {leading: 'leader', following: 'follower', looking: 'looking', observing: 'observer', down: '宕机'},
    paused: '已暂停',
    infoDown: (e) => `e${e} · 宕机`,
    zxidTitle: (e, z) => `currentEpoch ${e}；最大 zxid ${z.epoch}·${z.counter}（${z.hex}）：epoch·计数器`,
    label: (name, role, paused, phase, e, z) => `${name}：${role}${paused ? '，已暂停' : ''}，${phase} 阶段，epoch ${e}，最大 zxid ${z.epoch}·${z.counter}（${z.hex}）`,
    heard: (limit, ms) => `${limit} ${ms} ms`,
    heardTitle: (limit, ms, total) => `这台服务器还要等多久才放弃沉默的 Leader（${limit}：${total} ms 收不到任何消息）。Leader 的一个 PING 或任何数据包都会把它重新填满。`,
    finalize: (ms) => `finalize 等待 ${ms} ms`,
    finalizeTitle: '过半节点同意这张选票；服务器再等 finalizeWait（200 ms），看有没有更好的选票，然后做出决定。',
    init: (ms, what) => `initLimit ${ms} ms · ${what}`,
    initWhat: {epoch: 'epoch', ackepoch: 'ACKEPOCH', newleader: 'NEWLEADER 的 ACK'},
    initTitle: '新 Leader 必须在 initLimit 内收到过半节点的应答，否则退出 Leader 角色。',
    hears: (k, n, q) => `收到 ${k}/${n} · 需要 ${q}`,
    hearsTitle: (k, n, q) => `Leader 在 syncLimit 内仍能收到 ${n} 个投票成员中 ${k} 个的消息（含自己）；它需要 ${q} 个。少于这个数，它会在下一个 tick 退出 Leader 角色。`,
    acked: (z, k, n) => `${z}：${k}/${n} 已 ACK`,
    ackedTitle: '等待过半 ACK 的提案（Leader 自己的 ACK 在写入它的磁盘之后才算）。',
    zxidKey: 'zxid = epoch·计数器 · e·0：epoch e 已开始，还没有事务',
    more: (k) => `+${k}`,
    frozen: (ms) => `已冻结 · 时钟落后 ${ms} ms`,
    frozenTitle: '已暂停：它的时钟停了，所以别人的计时器在走，它的却不动。它的连接仍然打开，只有它的沉默会暴露它。恢复之后，它才发现过去了多久。',
    fell: '退出 Leader 角色：不足过半',
    fellPaused: '醒来后退出 Leader 角色：不足过半',
    fellTitle: '在 syncLimit 内回应的投票成员不足过半时，Leader 退出 Leader 角色（新 Leader 则要在 initLimit 内得到过半应答）。',
    epochStart: (e) => `${e}·0 表示 epoch ${e} 已经开始，还没有任何事务；这台服务器真正拥有的最后一个事务显示在它后面。`,
    sync: {
      'DIFF': (l, lo, hi) => `${l} 在 ${lo}…${hi} 之内`,
      'EMPTY-DIFF': (l) => `${l}：与 Leader 相同`,
      'TRUNC': (l, lo, hi) => `${l} > ${hi}`,
      'TRUNC+DIFF': (l, lo, hi) => `${l} > ${hi}`,
      'SNAP': (l, lo) => `${l} < ${lo}`,
    },
    syncTitle: (name, mode, l, lo, hi) => `Leader 为 ${name} 选择了 ${mode}：${name} 的最后一个 zxid ${l}，对比 Leader 的已提交日志 ${lo}…${hi}。` +
      '在窗口之内：DIFF 补发缺少的事务。超过窗口末尾：TRUNC 截断没有被过半节点提交的事务。早于窗口开头（而且事务日志也太远）：SNAP 发送整棵数据树。',
  },
};
export const R = pick(RING);

export class RingView {
  // onServer(id, event) when a server is activated; onPacket(packet) when a packet is.
  constructor({onServer, onPacket}) {
    this.onServer = onServer;
    this.onPacket = onPacket;
    this.svg = s('svg', {class: 'zw-ring', viewBox: `0 0 ${SIZE} ${SIZE}`, role: 'group', 'aria-label': R.aria});
    const defs = s('defs', null, s('marker', {id: 'zw-arrow', viewBox: '0 0 10 10', refX: 5, refY: 5, markerWidth: 5, markerHeight: 5, orient: 'auto-start-reverse'},
      s('path', {d: 'M0,0L10,5L0,10z', class: 'zw-arrowhead'})));
    this.gLinks = s('g', {class: 'zw-links'});
    this.gNodes = s('g', {class: 'zw-nodes'});
    // The packets fly in a layer of their own over the ring (see the top).
    this.over = h('div', {class: 'zw-ring-pkts'});
    this.gCallouts = s('g', {class: 'zw-callouts'});
    // How to read a zxid, once, at the bottom of the drawing.
    this.key = s('text', {class: 'zw-zxid-key', x: C, y: SIZE - 4, 'text-anchor': 'middle'}, R.zxidKey);
    this.cy = C; // the ring's centre, down (taller than wide on a phone with 7 or more)
    this.svg.append(defs, this.key, this.gLinks, this.gNodes, this.gCallouts);
    this.nodes = new Map(); // id -> {g, parts, x, y}
    this.links = new Map(); // "a-b" -> line
    this.packets = new Map(); // id -> g
    this.pools = new Map(); // message kind -> packets hidden, to reuse
    this.n = 0;
    this.scale = 1; // CSS px per user unit, measured
    this.syncSeen = new Map(); // "leader:learner:epoch" -> {mode, text, title, upAt}
    if (typeof ResizeObserver === 'function') {
      this.ro = new ResizeObserver(() => this.measure());
      this.ro.observe(this.svg);
    }
  }

  // measure reads how big the ring is drawn and keeps text and packets
  // readable: at least these CSS px however small the ring gets.
  // isNarrow: the ring's box is phone-sized.
  isNarrow() {
    const box = this.svg.parentElement;
    const w = (box && box.clientWidth) || this.svg.clientWidth || 0;
    return w > 0 && w < 520;
  }

  measure() {
    const w = this.svg.clientWidth || this.svg.getBoundingClientRect().width;
    if (!w) return;
    if (this.n && this.isNarrow() !== this.narrow) this.n = -1; // lay out again at the next frame
    this.scale = w / (SIZE + 2 * (this.padX || 0));
    const k = (px, units) => Math.max(units, px / this.scale).toFixed(2);
    const st = this.svg.style;
    st.setProperty('--zw-fs-name', k(15, 19) + 'px');
    st.setProperty('--zw-fs-role', k(11, 12.5) + 'px');
    st.setProperty('--zw-fs-info', k(11, 13) + 'px');
    st.setProperty('--zw-fs-timer', k(10.5, 11.5) + 'px');
    st.setProperty('--zw-fs-pkt', k(10.5, 11.5) + 'px');
    st.setProperty('--zw-pkt-sw', k(1.6, 2.2) + 'px');
    for (const v of ['--zw-fs-pkt', '--zw-pkt-sw']) this.over.style.setProperty(v, st.getPropertyValue(v));
    this.pr = +k(9, this.n > 7 ? 10 : 12);
    this.dpr = window.devicePixelRatio || 1;
    this.placePackets(); // the packets' layer is in CSS px: follow the ring's new size
    this.packetsDirty = true;
  }

  layout(servers) {
    const n = servers.length;
    this.n = n;
    this.r = n <= 3 ? 44 : n <= 5 ? 40 : n <= 7 ? 34 : 29;
    // Five or more: the servers at the sides write beside themselves,
    // outward (under them run the links), so the ring leaves room there.
    // ... and the drawing widens for them (its height stays); not on a small
    // screen, where that would shrink the servers.
    this.narrow = this.isNarrow();
    this.wide = n >= 5 && !this.narrow;
    const R0 = SIZE / 2 - this.r - (this.wide ? 92 : 66);
    this.padX = this.wide ? 70 : 0;
    // On a phone, 7 or 9 servers on a circle sit so close that each one's
    // words (under it) lie on its neighbour below: the ring grows taller
    // there (a phone has room down, not across), an ellipse.
    const tall = this.narrow && n >= 7 ? (n >= 9 ? 160 : 120) : 0;
    const H = SIZE + tall;
    this.cy = H / 2;
    attr(this.key, 'y', H - 4);
    attr(this.svg, 'viewBox', `${-this.padX} 0 ${SIZE + 2 * this.padX} ${H}`);
    attr(this.svg, 'data-tall', tall ? 'true' : null);
    attr(this.svg, 'data-wide', this.padX ? 'true' : null);
    // The widget widens its ring's column for it (widget.css): said on the
    // widget itself, as a :has() there would restyle the widget at every
    // change inside it.
    const w = this.svg.closest('.zab-widget');
    if (w) attr(w, 'data-wide-ring', this.padX ? 'true' : null);
    this.gNodes.textContent = '';
    this.gLinks.textContent = '';
    this.gCallouts.textContent = '';
    this.nodes.clear();
    this.links.clear();
    this.measure();
    servers.forEach((sv, i) => {
      const a = -Math.PI / 2 + (i * 2 * Math.PI) / n;
      const x = C + R0 * Math.cos(a), y = this.cy + (R0 + tall / 2) * Math.sin(a);
      const node = this.makeNode(sv, x, y, a);
      if (!this.svg.__a?.['data-starting']) attr(node.g, 'data-node', node.name);
      this.nodes.set(sv.id, node);
      this.gNodes.append(node.g);
    });
  }

  makeNode(sv, x, y, a) {
    const r = this.r;
    const name = sv.name || 's' + sv.id;
    const g = s('g', {class: 'zw-node', transform: `translate(${x.toFixed(1)},${y.toFixed(1)})`,
      tabindex: 0, role: 'button'});
    const sel = s('circle', {class: 'zw-node-sel', r: r + 12});
    const body = sv.observer
      ? s('rect', {class: 'zw-node-body', x: -r, y: -r, width: 2 * r, height: 2 * r, rx: 10})
      : s('circle', {class: 'zw-node-body', r});
    // The timer: a track and an arc that shrinks as the deadline nears.
    const tr = r + 7;
    const track = s('circle', {class: 'zw-timer-track', r: tr});
    const arc = s('circle', {class: 'zw-timer', r: tr, transform: 'rotate(-90)', 'stroke-dasharray': `0 ${2 * Math.PI * tr}`});
    const wedges = s('g', {class: 'zw-wedges'});
    const nm = s('text', {class: 'zw-node-name', y: -5, 'text-anchor': 'middle'}, name);
    const role = s('text', {class: 'zw-node-role', y: 14, 'text-anchor': 'middle'});
    // Epoch and zxid, then the timer's words, go under the server.
    const below = Math.sin(a) < -0.5 ? -1 : 1; // servers at the top write above themselves
    const side = this.wide && Math.abs(Math.cos(a)) > 0.45 ? Math.sign(Math.cos(a)) : 0;
    const infoY = side ? -8 : below > 0 ? r + 26 : -(r + 40);
    // Two servers side by side at the ring's bottom (7 or 9 servers) would
    // write over each other: their words lean outward, away from the other.
    // So do the ones writing above themselves beside the top one on a phone
    // (a leader's "hears 9/9 · needs 5" reached the top server).
    const c = Math.cos(a);
    const lean = !side && Math.abs(c) > 0.05 && (Math.abs(c) < 0.5 || (this.narrow && below < 0)) ? Math.sign(c) : 0;
    const tx = side ? side * (r + 13) : -lean * r * 0.5;
    const dir = side || lean;
    const anchor = dir > 0 ? 'start' : dir < 0 ? 'end' : 'middle';
    const info = s('text', {class: 'zw-node-info', x: tx, y: infoY, 'text-anchor': anchor});
    const tcap = s('text', {class: 'zw-node-timer', x: tx, y: infoY + 16, 'text-anchor': anchor});
    const qcap = s('text', {class: 'zw-node-quorum', x: tx, y: infoY + 31, 'text-anchor': anchor});
    const pause = s('g', {class: 'zw-node-pause', transform: `translate(${(r * 0.62).toFixed(1)},${(-r * 0.9).toFixed(1)})`},
      s('circle', {r: 11}), s('rect', {x: -4.5, y: -5.5, width: 3, height: 11}), s('rect', {x: 1.5, y: -5.5, width: 3, height: 11}));
    const title = s('title');
    const tinfo = s('title'), ttimer = s('title'), tq = s('title');
    info.append(tinfo); tcap.append(ttimer); qcap.append(tq);
    g.append(title, sel, track, arc, wedges, body, nm, role, info, tcap, qcap, pause);
    const activate = (e) => this.onServer(sv.id, e);
    g.addEventListener('click', activate);
    g.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); activate(e); }
    });
    return {g, body, role, info, tinfo, tcap, ttimer, qcap, tq, title, arc, track, tr, wedges, wedgeEls: new Map(), x, y, a, name, below, side};
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

  // placeholder draws the servers before the simulator runs: on their ring,
  // linked, marked as starting, without data-node (nothing runs yet).
  placeholder(servers) {
    attr(this.svg, 'data-starting', 'true');
    this.layout(servers);
    for (const sv of servers) {
      const n = this.nodes.get(sv.id);
      text(n.role, R.starting);
      attr(n.g, 'aria-label', `${n.name}: ${R.starting}`);
      for (const p of servers) if (p.id > sv.id) this.linkEl(sv.id, p.id);
    }
  }

  // update draws one frame: state from the simulator, vt the display time.
  // throttle: the run is playing (timer words may lag a tenth of a second).
  update(state, vt, {reduced, selected, focus, hidePing, throttle}) {
    this.throttle = !!throttle;
    this.wall = performance.now();
    const servers = state.servers || [];
    if (servers.length !== this.n || servers.some((sv) => !this.nodes.has(sv.id))) this.layout(servers);
    if (this.svg.__a?.['data-starting']) {
      attr(this.svg, 'data-starting', null);
      for (const n of this.nodes.values()) attr(n.g, 'data-node', n.name);
    }
    const cfg = state.config || {};
    const tickMs = cfg.tickMs || 100, syncLimit = cfg.syncLimit || 5, initLimit = cfg.initLimit || 10;
    // The leader's view decides what the learners' callouts say.
    const leader = servers.find((sv) => sv.up !== false && sv.role === 'leading' && sv.id === state.leader) ||
      servers.find((sv) => sv.up !== false && sv.role === 'leading');
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
      text(n.role, sv.paused && role !== 'down' ? R.paused : R.role[role] || role);
      const lastTxn = zxid(sv.lastLogged);
      const real = role !== 'down' && z.counter === 0 && lastTxn.big > 0n && lastTxn.big < z.big ? ` (txn ${lastTxn.epoch}·${lastTxn.counter})` : '';
      text(n.info, role === 'down' ? R.infoDown(sv.currentEpoch) : `e${sv.currentEpoch} · ${zx(sv.lastZxid)}${real}`);
      text(n.tinfo, role !== 'down' && z.counter === 0 ? R.epochStart(z.epoch) : R.zxidTitle(sv.currentEpoch, z));
      const label = R.label(n.name, R.role[role] || role, sv.paused, sv.phase, sv.currentEpoch, z);
      attr(n.g, 'aria-label', label);
      text(n.title, label);
      this.drawTimer(n, sv, role, {tickMs, syncLimit, initLimit, servers, t: state.t || 0});
    }
    this.drawCallouts(leader, servers, state.t);
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

  // drawTimer sets a server's arc, its words and (on a leader) one wedge
  // per learner.
  drawTimer(n, sv, role, {tickMs, syncLimit, initLimit, servers, t: at}) {
    const t = sv.timers || {};
    const now = sv.now || 0;
    let frac = -1, kind = '', cap = '', capTitle = '', q = '', qTitle = '';
    const wedges = new Map();
    // A leader that stops leading says why for a moment (its quorum meter
    // is gone with its role).
    if (n.lastRole === 'leading' && role !== 'leading' && role !== 'down') n.fell = {at, paused: n.wasPaused};
    if (n.fell && (at < n.fell.at || at - n.fell.at > CALLOUT_MS || role === 'leading' || role === 'down')) n.fell = null;
    n.lastRole = role;
    n.wasPaused = !!sv.paused;
    const behind = sv.paused && role !== 'down' ? Math.max(0, at - now) : 0;
    if (n.fell) {
      q = n.fell.paused ? R.fellPaused : R.fell;
      qTitle = R.fellTitle;
    }
    if (role === 'down') {
      // nothing runs
    } else if ((role === 'following' || role === 'observing') && t.heardTimeoutMs) {
      const left = Math.max(0, t.heardTimeoutMs - (now - t.heardAt));
      frac = left / t.heardTimeoutMs;
      kind = 'heard';
      cap = R.heard(t.heardLimit || 'syncLimit', Math.round(left));
      capTitle = R.heardTitle(t.heardLimit || 'syncLimit', Math.round(left), t.heardTimeoutMs);
    } else if (role === 'looking' && t.finalizeAt) {
      const left = Math.max(0, t.finalizeAt - now);
      frac = left / FINALIZE_MS;
      kind = 'finalize';
      cap = R.finalize(Math.round(left));
      capTitle = R.finalizeTitle;
    } else if (role === 'leading' && t.initDeadline) {
      const total = initLimit * tickMs;
      const left = Math.max(0, t.initDeadline - now);
      frac = left / total;
      kind = 'init';
      cap = R.init(Math.round(left), R.initWhat[t.initWaiting] || t.initWaiting || '');
      capTitle = R.initTitle;
    } else if (role === 'leading' && t.quorum) {
      kind = 'quorum';
      const voters = servers.filter((x) => !x.observer).length;
      cap = R.hears(t.synced || 0, voters, t.quorum);
      capTitle = R.hearsTitle(t.synced || 0, voters, t.quorum);
      attr(n.g, 'data-hears', `${t.synced || 0}/${voters}`);
      for (const l of t.learners || []) {
        const f = Math.max(0, Math.min(1, (l.ackDeadline - (t.tick || 0)) / syncLimit));
        wedges.set(l.id, {f, synced: l.synced, observer: l.observer});
      }
      const props = t.proposals || [];
      if (props.length) {
        const p = props[0];
        q = R.acked(zx(p.zxid), p.acks.length, voters) + (props.length > 1 ? ` +${props.length - 1}` : '');
        qTitle = R.ackedTitle + ' ' + props.map((x) => `${zx(x.zxid)}: ${x.acks.map((id) => 's' + id).join(', ') || 'none'}`).join('; ');
      }
    }
    if (behind > 0) {
      // Frozen: its clock stopped, so its timers stand still while the
      // others' run; it finds out how late it is when it resumes.
      cap = R.frozen(Math.round(behind));
      capTitle = R.frozenTitle;
    }
    if (role !== 'leading') attr(n.g, 'data-hears', null);
    attr(n.g, 'data-fell', n.fell ? 'true' : null);
    attr(n.g, 'data-timer', kind || null);
    attr(n.g, 'data-timer-left', frac >= 0 ? frac.toFixed(2) : null);
    const circ = 2 * Math.PI * n.tr;
    attr(n.arc, 'stroke-dasharray', frac >= 0 ? `${(Math.max(0, Math.min(1, frac)) * circ).toFixed(1)} ${circ.toFixed(1)}` : `0 ${circ.toFixed(1)}`);
    cls(n.arc, 'is-low', frac >= 0 && frac < 0.34);
    attr(n.track, 'visibility', frac >= 0 || kind === 'quorum' ? null : 'hidden');
    // While the run plays, the countdown's words change at most 10 times a
    // second (the arc moves every frame): a number rewritten every frame
    // cannot be read, and each rewrite lays the ring's text out again.
    const shape = cap.replace(/\d+/g, '#');
    if (!this.throttle || shape !== n.capShape || this.wall - (n.capAt || 0) >= 100) {
      n.capShape = shape;
      n.capAt = this.wall;
      text(n.tcap, cap);
      text(n.ttimer, capTitle);
    }
    text(n.qcap, q);
    text(n.tq, qTitle);
    cls(n.tcap, 'is-low', (frac >= 0 && frac < 0.34) || (kind === 'quorum' && (t.synced || 0) < t.quorum));
    this.drawWedges(n, wedges);
  }

  // drawWedges: on a leader, an arc toward each learner, as long as the
  // ticks left before it stops counting that learner as synced.
  drawWedges(n, wedges) {
    for (const [id, el] of n.wedgeEls) {
      if (!wedges.has(id)) { el.remove(); n.wedgeEls.delete(id); }
    }
    const span = 0.5; // radians at full
    const rr = n.tr;
    for (const [id, w] of wedges) {
      const p = this.nodes.get(id);
      if (!p) continue;
      let el = n.wedgeEls.get(id);
      if (!el) {
        el = s('path', {class: 'zw-wedge', 'data-learner': 's' + id});
        n.wedgeEls.set(id, el);
        n.wedges.append(el);
      }
      const a = Math.atan2(p.y - n.y, p.x - n.x);
      const h = Math.max(0.02, span * w.f);
      const x1 = rr * Math.cos(a - h), y1 = rr * Math.sin(a - h), x2 = rr * Math.cos(a + h), y2 = rr * Math.sin(a + h);
      attr(el, 'd', `M${x1.toFixed(1)},${y1.toFixed(1)}A${rr},${rr} 0 0,1 ${x2.toFixed(1)},${y2.toFixed(1)}`);
      cls(el, 'is-lost', !w.synced);
      cls(el, 'is-observer', !!w.observer);
    }
  }

  // drawCallouts: on each learner the leader is syncing (and for a while
  // after), the mode the leader chose and the comparison behind it.
  drawCallouts(leader, servers, t) {
    const want = new Map();
    if (leader && leader.timers) {
      const lt = leader.timers;
      for (const l of lt.learners || []) {
        if (!SYNC_MODES.has(l.syncMode)) continue;
        const key = `${leader.id}:${l.id}:${leader.acceptedEpoch}:${l.syncMode}:${l.lastZxid}`; // one decision
        let c = this.syncSeen.get(key);
        if (!c) {
          const sv = servers.find((x) => x.id === l.id);
          const lz = zx(l.lastZxid), lo = zx(lt.minCommitted || leader.lastZxid), hi = zx(lt.maxCommitted || leader.lastZxid);
          const mk = R.sync[l.syncMode] || ((x) => x);
          c = {id: l.id, mode: l.syncMode, cmp: mk(lz, lo, hi), title: R.syncTitle(sv ? sv.name : 's' + l.id, l.syncMode, lz, lo, hi), upAt: null};
          this.syncSeen.set(key, c);
          if (this.syncSeen.size > 64) this.syncSeen.delete(this.syncSeen.keys().next().value);
        }
        if (l.stage === 'uptodate' && c.upAt == null) c.upAt = t;
        if (c.upAt == null || t - c.upAt < CALLOUT_MS) want.set(l.id, c);
      }
    }
    for (const [id, n] of this.nodes) {
      const c = want.get(id);
      if (!c) { if (n.callout) n.callout.g.style.display = 'none'; attr(n.g, 'data-sync', null); continue; }
      if (!n.callout) n.callout = this.makeCallout();
      const co = n.callout;
      co.g.style.display = '';
      text(co.mode, c.mode);
      text(co.cmp, c.cmp);
      text(co.title, c.title);
      attr(co.g, 'data-mode', c.mode);
      attr(co.g, 'data-node', null);
      attr(n.g, 'data-sync', c.mode);
      // Size the box to its text, then put it beside the server, away from
      // the ring's centre (where the packets come from).
      // Measured once per text and size (a measure forces a layout).
      const wkey = `${c.mode}|${c.cmp}|${this.scale}`;
      if (co.wkey !== wkey) {
        co.wkey = wkey;
        co.w = Math.max(co.mode.getComputedTextLength?.() || 40, co.cmp.getComputedTextLength?.() || 80) + 18;
      }
      const w = co.w;
      const hgt = co.hgt;
      attr(co.box, 'x', (-w / 2).toFixed(1));
      attr(co.box, 'width', w.toFixed(1));
      const out = n.x >= C ? 1 : -1;
      let cx = n.x + out * (this.r + 14 + w / 2), cy = n.y;
      if (n.side) {
        // Its words are beside it: the callout goes under (over) it.
        cx = Math.max(w / 2 + 2 - this.padX, Math.min(SIZE + this.padX - w / 2 - 2, n.x + n.side * 20));
        cy = n.y > this.cy ? n.y + this.r + 12 + hgt / 2 : n.y - this.r - 12 - hgt / 2;
      } else if (cx - w / 2 < 2 || cx + w / 2 > SIZE - 2) {
        // No room outward: under (or over) the server's words.
        cx = Math.max(w / 2 + 2, Math.min(SIZE - w / 2 - 2, n.x));
        cy = n.below > 0 ? n.y + this.r + 62 + hgt / 2 : n.y - this.r - 70 - hgt / 2;
      }
      attr(co.g, 'transform', `translate(${cx.toFixed(1)},${cy.toFixed(1)})`);
    }
  }

  makeCallout() {
    const hgt = 40;
    const box = s('rect', {class: 'zw-callout-box', x: -50, y: -hgt / 2, width: 100, height: hgt, rx: 6});
    const mode = s('text', {class: 'zw-callout-mode', x: 0, y: -4, 'text-anchor': 'middle'});
    const cmp = s('text', {class: 'zw-callout-cmp', x: 0, y: 13, 'text-anchor': 'middle'});
    const title = s('title');
    const g = s('g', {class: 'zw-callout'}, title, box, mode, cmp);
    this.gCallouts.append(g);
    return {g, box, mode, cmp, title, hgt};
  }

  // fly moves the packets of state to where they are at vt, and nothing
  // else (a frame that only moves the packets: playground.js, SLOW_MS); vt
  // may run ahead of state.t by one frame.
  fly(state, vt, reduced, hidePing) {
    if (this.svg.__a?.['data-starting'] || !this.n) return;
    this.drawPackets(state, vt, reduced, hidePing);
  }

  // hidePing: the space-time diagram's PING box is off, so the ring leaves
  // the heartbeats out too (with a 300 ms live delay they crowd every link).
  drawPackets(state, vt, reduced, hidePing) {
    const live = new Set();
    const pr = this.pr || 12;
    const byLink = new Map(); // "from>to" -> [{p, g, f}]
    const placed = [];
    // Nothing flies to or from a server that is down (a live state may
    // still list what was sent to it: it is never delivered).
    const down = new Set((state.servers || []).filter((sv) => sv.up === false).map((sv) => sv.id));
    for (const p of state.inflight || []) {
      if (hidePing && p.msg === 'PING') continue;
      if (down.has(p.to) || down.has(p.from)) continue;
      const a = this.nodes.get(p.from), b = this.nodes.get(p.to);
      if (!a || !b) continue;
      live.add(p.id);
      let g = this.packets.get(p.id);
      if (!g) {
        // A packet of the same kind from the pool keeps its shape and
        // words: only what differs per packet is written.
        g = this.pools.get(p.msg)?.pop() || this.makePacket();
        this.packets.set(p.id, g);
        if (!g.parentNode) this.over.append(g);
        text(g.__title, p.text || p.msg);
        attr(g, 'data-from', 's' + p.from);
        attr(g, 'data-to', 's' + p.to);
        attr(g, 'aria-label', `${p.msg} from s${p.from} to s${p.to}`);
        g.__hidden = false;
        g.style.visibility = '';
      }
      if (g.__pr !== pr || g.__msg !== p.msg) {
        const info = msgInfo(p.msg);
        g.__pr = pr;
        g.__msg = p.msg;
        attr(g.__more, 'y', (-pr * 1.5).toFixed(1));
        attr(g.__path, 'd', shapePath(info.shape, pr));
        attr(g.__path, 'fill', info.color);
        attr(g.__label, 'fill', info.ink);
        attr(g.__dir, 'd', `M${pr * 1.25},${-pr * 0.55}L${pr * 1.25 + pr * 0.8},0L${pr * 1.25},${pr * 0.55}z`);
        text(g.__label, info.label);
        attr(g, 'data-msg', p.msg);
      }
      g.__packet = p;
      const span = Math.max(1, p.arrive - p.sent);
      const f = reduced ? 0 : Math.min(1, Math.max(0, (vt - p.sent) / span));
      const key = p.from + '>' + p.to;
      let list = byLink.get(key);
      if (!list) byLink.set(key, (list = []));
      list.push({p, g, f});
    }
    // One link's packets form a train in sending order (FIFO): the oldest
    // is furthest along; a later one never sits on an earlier one.
    for (const list of byLink.values()) {
      const {p: p0} = list[0];
      const a = this.nodes.get(p0.from), b = this.nodes.get(p0.to);
      const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy) || 1;
      const ux = dx / len, uy = dy / len;
      const edge = this.r + 9 + pr;
      // With reduced motion a link's packets wait in the sender's half.
      const usable = Math.max(1, (len - 2 * edge) * (reduced ? 0.5 : 1) - (reduced ? pr : 0));
      list.sort((x, y) => x.p.id - y.p.id);
      // One row, 2.6 radii apart; when that is too short, two rows in a
      // zigzag (1.7 radii along the link, 3.5 across: no two shapes touch,
      // whatever the link's angle);
      // the newest beyond that wait unseen and the last shown says how many
      // ("+3").
      const gap1 = pr * 2.6;
      const cap1 = Math.max(1, Math.floor(usable / gap1) + 1);
      const two = list.length > cap1;
      const gap = two ? pr * 1.7 : gap1;
      const cap = two ? Math.max(1, Math.floor(usable / gap) + 1) : cap1;
      for (let i = 0; i < list.length; i++) {
        const hide = i >= cap;
        if (hide !== !!list[i].g.__hidden) { list[i].g.__hidden = hide; list[i].g.style.visibility = hide ? 'hidden' : ''; }
        text(list[i].g.__more, i === cap - 1 && list.length > cap ? R.more(list.length - cap) : '');
      }
      if (list.length > cap) list.length = cap;
      let prev = Infinity;
      // Place from the oldest (front) back.
      for (const it of list) {
        let d = it.f * usable;
        if (reduced) d = 0;
        d = Math.min(d, prev - gap);
        prev = d;
        it.d = d;
      }
      // If the train runs off the sender's end, push it forward.
      const back = list[list.length - 1].d;
      if (back < 0) for (const it of list) it.d -= back;
      const side = pr * 1.35 + 2; // the two directions of a link pass side by side, clear
      const ang = (Math.atan2(uy, ux) * 180 / Math.PI).toFixed(1);
      list.gap = gap;
      list.forEach((it, i) => {
        Object.assign(it, {ax: a.x, ay: a.y, ux, uy, edge, len: usable, train: list, off: side + (two && i % 2 ? pr * 3.5 : 0)});
        it.x = a.x + ux * (edge + it.d) - uy * it.off;
        it.y = a.y + uy * (edge + it.d) + ux * it.off;
        attr(it.g.__dir, 'transform', `rotate(${ang})`);
        placed.push(it);
      });
    }
    // Packets of different links can meet where the links do (beside a
    // server they share), and a packet pushed aside can meet its own
    // train's second row: the newer one steps aside, outward across its
    // link (the spacing along the link stays).
    placed.sort((x, y) => x.p.id - y.p.id);
    const minD = pr * 2.5;
    // Until nothing moves (a crowded phone ring can need more than a few
    // rounds: a packet stepped aside can land on a third one).
    for (let round = 0, moved = true; moved && round < 12; round++) {
      moved = false;
      for (let j = 1; j < placed.length; j++) {
        const b2 = placed[j];
        for (let i = 0; i < j; i++) {
          const a2 = placed[i];
          const d = Math.hypot(a2.x - b2.x, a2.y - b2.y);
          if (d >= minD) continue;
          // Outward only: never into the lane of the link's other direction.
          const step = minD - d + 1;
          moved = true;
          b2.off += step;
          b2.x += -b2.uy * step;
          b2.y += b2.ux * step;
        }
      }
    }
    this.placed = placed;
    this.placePackets();
    for (const [id, g] of this.packets) {
      if (live.has(id)) continue;
      this.packets.delete(id);
      g.__packet = null;
      // Hidden, not taken out of the page: a packet that leaves the layout
      // and comes back costs the whole page a layout and a repaint. An
      // election's burst would leave hundreds: beyond POOL of a kind, out.
      let pool = this.pools.get(g.__msg);
      if (!pool) this.pools.set(g.__msg, (pool = []));
      if (pool.length >= POOL) { g.remove(); continue; }
      g.style.visibility = 'hidden';
      pool.push(g);
    }
  }

  // placePackets moves each packet drawn to its place (ring units) by its
  // CSS transform: the compositor moves it, nothing is repainted. Its box is
  // 2.6 radii around its centre (the direction arrow, the "+k" above it) in
  // whole CSS px, drawn at the ring's scale; the translate is on whole device
  // pixels (crisp at any pixel ratio) and written only when it changed.
  placePackets() {
    const k = this.scale, dpr = this.dpr || 1, px = this.padX || 0;
    for (const it of this.placed || []) {
      const g = it.g;
      if (g.__packet !== it.p) continue; // gone since (back in the pool)
      const sk = g.__pr + '|' + k;
      if (g.__sk !== sk) {
        g.__sk = sk;
        const H = Math.ceil(g.__pr * 2.6 * k), u = +(H / k).toFixed(3);
        g.__H = H;
        attr(g, 'width', 2 * H);
        attr(g, 'height', 2 * H);
        attr(g, 'viewBox', `${-u} ${-u} ${2 * u} ${2 * u}`);
      }
      const X = Math.round(((it.x + px) * k - g.__H) * dpr) / dpr, Y = Math.round((it.y * k - g.__H) * dpr) / dpr;
      const tf = `translate(${X}px,${Y}px)`;
      if (g.__tf !== tf) { g.__tf = tf; g.style.transform = tf; }
    }
  }

  makePacket() {
    const path = s('path', {class: 'zw-pkt-shape'});
    const dir = s('path', {class: 'zw-pkt-dir'});
    const label = s('text', {class: 'zw-pkt-label', 'text-anchor': 'middle', dy: '0.35em'});
    const title = s('title');
    const more = s('text', {class: 'zw-pkt-more', x: 0, y: -14, 'text-anchor': 'middle'});
    const g = s('svg', {class: 'zw-pkt', tabindex: -1, role: 'button'}, title, dir, path, label, more);
    g.__path = path; g.__label = label; g.__title = title; g.__dir = dir; g.__more = more;
    g.addEventListener('click', (e) => { e.stopPropagation(); if (g.__packet) this.onPacket(g.__packet); });
    return g;
  }
}
