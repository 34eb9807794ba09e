// pg-lanes.js: one row per server: role, phase lane (election → discovery →
// sync → broadcast), epochs, last zxid, the current vote with the comparison
// that last changed it, and the log strip. The strips are one table: a column
// per zxid, the same columns for every server, so a txn one server lacks is
// a gap under its neighbours' entry. An entry is committed (solid, epoch
// color) when the ensemble committed it: at or below the leader's commit and
// in its history (with no leader: held by a quorum of voters); an entry a server has that the leader does not
// (a proposal no quorum took, replayed from its disk) looks proposed (dashed),
// and when a TRUNC removes it, it is struck out for a moment, then gone.

import {h, attr, text, cls, zxid, epochColor} from './pg-util.js';
import {pick} from './i18n.js';

// TEXT is every user-visible string of the lanes, per language (i18n.js); T
// is the page's. Roles and protocol terms stay as ZooKeeper spells them.
export const TEXT = {
  en: {
    aria: 'Servers: phase, vote and log', select: (n) => `Select ${n}`,
    paused: ' (paused)', observer: ' · observer',
    phase: {election: 'elect', discovery: 'disc', sync: 'sync', broadcast: 'bcast'},
    phaseTitle: {election: 'election', discovery: 'discovery', sync: 'sync', broadcast: 'broadcast'},
    phaseAria: (p) => `phase ${p}`, phaseNone: 'none (down)',
    epoch: (c) => `epoch ${c}`, accepted: (a) => ` (accepted ${a})`,
    zxid: (e, c) => `zxid ${e}·${c}`,
    zxTitle: (hex, committed, logged) => `lastZxid ${hex}; committed ${committed}; last logged ${logged}`,
    notInLog: (label, name) => `${label}: not in ${name}'s log`,
    truncated: 'truncated: the leader never committed it (TRUNC)',
    snapshot: 'committed, now in its snapshot (the log before it was purged)',
    committed: 'committed',
    appliedNotCommitted: 'applied here, but the leader does not have it committed: not committed',
    proposed: 'proposed, not committed',
    logAria: (shown, nc, notc, nt) => `log: ${shown} entries shown, ${nc} committed, ${notc} not committed` + (nt ? `, ${nt} truncated` : ''),
    votes: (l, pe, e, c) => `votes s${l} (e${pe}, ${e}·${c}, s${l})`, from: (peer) => `from s${peer}: `,
    // why: the core's reason for a vote (core/election.go: "own vote",
    // "newer round 2: zxid 1·3 > 1·2", "sid s3 > s2").
    why: (text) => text,
    leads: (e) => `leads epoch ${e}`, follows: (l) => `follows s${l}`, syncedBy: (m) => ` · synced by ${m}`,
  },
  zh: {
    aria: '服务器：阶段、选票和日志', select: (n) => `选择 ${n}`,
    paused: '（已暂停）', observer: ' · Observer',
    phase: {election: '选举', discovery: '发现', sync: '同步', broadcast: '广播'},
    phaseTitle: {election: '选举阶段（election）', discovery: '发现阶段（discovery）', sync: '同步阶段（sync）', broadcast: '广播阶段（broadcast）'},
    phaseAria: (p) => `阶段 ${p}`, phaseNone: '无（宕机）',
    epoch: (c) => `epoch ${c}`, accepted: (a) => `（accepted ${a}）`,
    zxid: (e, c) => `zxid ${e}·${c}`,
    zxTitle: (hex, committed, logged) => `lastZxid ${hex}；已提交 ${committed}；最新日志 ${logged}`,
    notInLog: (label, name) => `${label}：不在 ${name} 的日志里`,
    truncated: '已截断：Leader 从未提交它（TRUNC）',
    snapshot: '已提交，现在在它的快照里（之前的日志已清理）',
    committed: '已提交',
    appliedNotCommitted: '在这里已应用，但 Leader 并未提交它：未提交',
    proposed: '已提议，未提交',
    logAria: (shown, nc, notc, nt) => `日志：显示 ${shown} 条，${nc} 条已提交，${notc} 条未提交` + (nt ? `，${nt} 条已截断` : ''),
    votes: (l, pe, e, c) => `投给 s${l}（e${pe}，${e}·${c}，s${l}）`, from: (peer) => `来自 s${peer}：`,
    why: (text) => text.replace(/^own vote$/, '自己的选票').replace(/^newer round (\d+): /, '更新的选举轮次 $1：'),
    leads: (e) => `领导 epoch ${e}`, follows: (l) => `跟随 s${l}`, syncedBy: (m) => ` · 以 ${m} 同步`,
  },
};
const T = pick(TEXT);

const PHASES = ['election', 'discovery', 'sync', 'broadcast'];
const COLS = 20; // zxid columns shown (the newest), the same for every server
const TRUNC_MS = 2500; // virtual ms a truncated entry stays struck out

// inkOn picks black or white text for a fill, whichever contrasts more.
function inkOn(hex) {
  const v = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((x) => (x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4));
  const l = 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000' : '#fff';
}

export class Lanes {
  constructor({onServer}) {
    this.onServer = onServer;
    this.el = h('div', {class: 'zw-lanes', role: 'list', 'aria-label': T.aria});
    this.rows = new Map();
  }

  row(sv) {
    let r = this.rows.get(sv.id);
    if (r) return r;
    const name = h('button', {type: 'button', class: 'zw-lane-name', 'aria-label': T.select(sv.name)}, sv.name);
    name.addEventListener('click', (e) => this.onServer(sv.id, e));
    const role = h('span', {class: 'zw-lane-role'});
    const phases = PHASES.map((p) => h('span', {class: 'zw-ph', 'data-ph': p, title: T.phaseTitle[p]}, T.phase[p]));
    const phase = h('span', {class: 'zw-lane-phase', role: 'img'}, phases);
    const epoch = h('span', {class: 'zw-lane-epoch'});
    const zxEl = h('span', {class: 'zw-lane-zxid'});
    const vote = h('span', {class: 'zw-lane-vote'});
    const slots = [];
    for (let i = 0; i < COLS; i++) slots.push(h('span', {class: 'zw-log-e'}));
    const log = h('span', {class: 'zw-lane-log', role: 'img'}, slots);
    const el = h('div', {class: 'zw-lane', role: 'listitem', 'data-lane': sv.name},
      h('div', {class: 'zw-lane-head'}, name, role, epoch, zxEl),
      h('div', {class: 'zw-lane-mid'}, phase, vote),
      log);
    this.el.append(el);
    r = {el, role, phase, phases, epoch, zx: zxEl, vote, log, slots};
    this.rows.set(sv.id, r);
    return r;
  }

  // update redraws the rows from state; lastVote maps server id → last vote event.
  update(state, lastVote, selected) {
    const servers = state.servers || [];
    if (this.rows.size !== servers.length || servers.some((sv) => !this.rows.has(sv.id))) {
      this.el.textContent = '';
      this.rows.clear();
      this.key = '';
    }
    // Most frames change nothing here (only time moved): skip them. A
    // struck-out entry fades with time, so while one shows, draw.
    const key = laneKey(servers, lastVote, selected);
    if (key === this.key && !(this.trunc && [...this.trunc.values()].some((m) => m.size)) && !(this.lastT != null && (state.t || 0) < this.lastT)) {
      this.lastT = state.t || 0;
      return;
    }
    this.key = key;
    this.columns(state, servers);
    for (const sv of servers) {
      const r = this.row(sv);
      const role = sv.up === false ? 'down' : sv.role;
      cls(r.el, 'is-down', role === 'down');
      cls(r.el, 'is-paused', !!sv.paused);
      cls(r.el, 'is-selected', selected.has(sv.id));
      attr(r.el, 'data-role', role);
      text(r.role, role + (sv.paused ? T.paused : '') + (sv.observer && role !== 'observing' ? T.observer : ''));
      for (const p of r.phases) cls(p, 'is-on', role !== 'down' && p.dataset.ph === sv.phase);
      attr(r.phase, 'aria-label', T.phaseAria(role === 'down' ? T.phaseNone : sv.phase));
      text(r.epoch, T.epoch(sv.currentEpoch) + (sv.acceptedEpoch !== sv.currentEpoch ? T.accepted(sv.acceptedEpoch) : ''));
      attr(r.epoch, 'title', `currentEpoch ${sv.currentEpoch}, acceptedEpoch ${sv.acceptedEpoch}`);
      const z = zxid(sv.lastZxid);
      text(r.zx, T.zxid(z.epoch, z.counter));
      attr(r.zx, 'title', T.zxTitle(z.hex, sv.committed || '-', sv.lastLogged || '-'));
      text(r.vote, voteText(sv, role, lastVote.get(sv.id)));
      this.drawLog(r, sv);
    }
  }

  // columns picks the zxids shown (the newest COLS over every server's
  // log, struck-out entries included), notes truncations and decides what
  // the ensemble committed.
  columns(state, servers) {
    const t = state.t || 0;
    if (this.lastT != null && t < this.lastT) { this.prev = null; this.trunc = null; this.kept = null; }
    this.lastT = t;
    const prev = this.prev || new Map();
    const trunc = this.trunc || new Map(); // id -> Map(zxid hex -> {t, e})
    // Entries that left the log into a snapshot (a learner snapshots after a
    // TRUNC or SNAP, and purges its log): still its history, still shown.
    const kept = this.kept || new Map(); // id -> Map(zxid hex -> e)
    const now = new Map();
    const all = new Set();
    for (const sv of servers) {
      const m = new Map();
      for (const e of sv.log || []) m.set(zxid(e.zxid).hex, e);
      now.set(sv.id, m);
      // Gone from the log: above what it has applied, a TRUNC cut it;
      // at or below, it went into a snapshot.
      const last = zxid(sv.lastZxid).big;
      const old = prev.get(sv.id);
      let tr = trunc.get(sv.id), kp = kept.get(sv.id);
      if (sv.up === false) { kept.delete(sv.id); kp = null; }
      if (old && sv.up !== false) {
        for (const [k, e] of old) {
          if (m.has(k)) continue;
          if (zxid(k).big > last) {
            if (!tr) trunc.set(sv.id, (tr = new Map()));
            if (!tr.has(k)) tr.set(k, {t, e});
          } else {
            if (!kp) kept.set(sv.id, (kp = new Map()));
            kp.set(k, {...e, kept: true});
          }
        }
      }
      if (tr) for (const [k, x] of tr) if (t - x.t > TRUNC_MS || m.has(k)) tr.delete(k);
      if (kp) {
        for (const k of kp.keys()) if (m.has(k) || zxid(k).big > last) kp.delete(k);
        while (kp.size > COLS) kp.delete(kp.keys().next().value);
        for (const [k, e] of kp) m.set(k, e);
      }
      for (const k of m.keys()) all.add(k);
      if (tr) for (const k of tr.keys()) all.add(k);
    }
    this.prev = now;
    this.trunc = trunc;
    this.kept = kept;
    const cols = [...all].map((k) => zxid(k)).sort((a, b) => (a.big < b.big ? -1 : a.big > b.big ? 1 : 0)).slice(-COLS);
    this.cols = cols;
    const L = servers.find((sv) => sv.up !== false && sv.role === 'leading' && sv.established) ||
      servers.find((sv) => sv.up !== false && sv.role === 'leading' && !sv.paused) || null;
    this.leaderLog = L ? now.get(L.id) : null;
    // Without a leader: committed when a quorum of voters holds it.
    this.voterLogs = servers.filter((sv) => !sv.observer).map((sv) => now.get(sv.id));
    this.leaderCommitted = L ? zxid(L.committed).big : null;
    this.leaderFirst = L && (L.log || []).length ? zxid(L.log[0].zxid).big : null;
  }

  // committed: did the ensemble commit this entry (as far as the view shows)?
  committed(e, z) {
    if (!e.committed) return false;
    if (this.leaderLog == null) return 2 * this.voterLogs.filter((m) => m && m.has(z.hex)).length > this.voterLogs.length;
    if (z.big > this.leaderCommitted) return false;
    return this.leaderLog.has(z.hex) || (this.leaderFirst != null && z.big < this.leaderFirst);
  }

  drawLog(r, sv) {
    const mine = this.prev.get(sv.id) || new Map();
    const tr = this.trunc.get(sv.id);
    let shown = 0, nc = 0, nt = 0;
    for (let i = 0; i < COLS; i++) {
      const el = r.slots[i];
      const z = this.cols[i];
      if (!z) { cls(el, 'is-none', true); attr(el, 'data-zxid', null); continue; }
      cls(el, 'is-none', false);
      const e = mine.get(z.hex);
      const cut = !e && tr && tr.get(z.hex);
      const label = `${z.epoch}·${z.counter}`;
      text(el, e || cut ? label : '');
      if (!e && !cut) {
        attr(el, 'data-zxid', null);
        cls(el, 'is-empty', true); cls(el, 'is-prop', false); cls(el, 'is-trunc', false);
        attr(el, 'style', null);
        attr(el, 'title', T.notInLog(label, sv.name));
        continue;
      }
      shown++;
      const x = e || cut.e;
      const color = epochColor(z.epoch);
      const ok = !cut && this.committed(x, z);
      if (ok) nc++;
      if (cut) nt++;
      cls(el, 'is-empty', false);
      cls(el, 'is-prop', !ok && !cut);
      cls(el, 'is-trunc', !!cut);
      attr(el, 'data-zxid', z.hex);
      attr(el, 'style', ok ? `background:${color};color:${inkOn(color)}` : `--zw-epoch:${color}`);
      cls(el, 'is-snap', !!x.kept);
      attr(el, 'title', `${label} (${z.hex}) ${x.text || ''} — ` + (cut ? T.truncated
        : x.kept ? T.snapshot
        : ok ? T.committed : x.committed ? T.appliedNotCommitted : T.proposed));
    }
    attr(r.log, 'aria-label', T.logAria(shown, nc, shown - nc - nt, nt));
  }
}

// laneKey is what the rows show, as one string: equal keys, equal rows.
function laneKey(servers, lastVote, selected) {
  let k = [...selected].join(',');
  for (const sv of servers) {
    const log = sv.log || [];
    const v = sv.vote || {};
    const ev = lastVote.get(sv.id);
    k += `|${sv.id}:${sv.up}:${sv.paused}:${sv.role}:${sv.phase}:${sv.observer}:${sv.leader}:${sv.established}:${sv.currentEpoch}:${sv.acceptedEpoch}` +
      `:${sv.lastZxid}:${sv.committed}:${sv.lastLogged}:${sv.lastSync || ''}:${v.leader}/${v.zxid}/${v.peerEpoch}/${v.round}:${ev ? ev.t + (ev.text || '') : ''}` +
      `:${log.length}:${log.length ? log[0].zxid + '/' + log[log.length - 1].zxid + '/' + log[log.length - 1].committed : ''}`;
  }
  return k;
}

function voteText(sv, role, ev) {
  if (role === 'down') return '';
  const v = sv.vote;
  if (role === 'looking' && v) {
    const z = zxid(v.zxid);
    let t = T.votes(v.leader, v.peerEpoch, z.epoch, z.counter);
    if (ev && ev.text) t += ' — ' + (ev.peer && ev.peer !== sv.id ? T.from(ev.peer) : '') + T.why(ev.text);
    return t;
  }
  if (sv.leader) return role === 'leading' ? T.leads(sv.currentEpoch) : T.follows(sv.leader) + (sv.lastSync ? T.syncedBy(sv.lastSync) : '');
  return '';
}
