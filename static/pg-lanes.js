// pg-lanes.js: one row per server: role, phase lane (election → discovery →
// sync → broadcast), epochs, last zxid, the current vote with the comparison
// that last changed it, and the log strip (proposed vs committed, epoch colors).

import {h, attr, text, cls, zxid, epochColor} from './pg-util.js';

const PHASES = ['election', 'discovery', 'sync', 'broadcast'];
const LOG_SLOTS = 24;

export class Lanes {
  constructor({onServer}) {
    this.onServer = onServer;
    this.el = h('div', {class: 'zw-lanes', role: 'list', 'aria-label': 'Servers: phase, vote and log'});
    this.rows = new Map();
  }

  row(sv) {
    let r = this.rows.get(sv.id);
    if (r) return r;
    const name = h('button', {type: 'button', class: 'zw-lane-name', 'aria-label': `Select ${sv.name}`}, sv.name);
    name.addEventListener('click', (e) => this.onServer(sv.id, e));
    const role = h('span', {class: 'zw-lane-role'});
    const phases = PHASES.map((p) => h('span', {class: 'zw-ph', 'data-ph': p, title: p}, p === 'discovery' ? 'disc' : p === 'broadcast' ? 'bcast' : p === 'election' ? 'elect' : p));
    const phase = h('span', {class: 'zw-lane-phase', role: 'img'}, phases);
    const epoch = h('span', {class: 'zw-lane-epoch'});
    const zxEl = h('span', {class: 'zw-lane-zxid'});
    const vote = h('span', {class: 'zw-lane-vote'});
    const slots = [];
    for (let i = 0; i < LOG_SLOTS; i++) slots.push(h('span', {class: 'zw-log-e'}));
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
    }
    for (const sv of servers) {
      const r = this.row(sv);
      const role = sv.up === false ? 'down' : sv.role;
      cls(r.el, 'is-down', role === 'down');
      cls(r.el, 'is-paused', !!sv.paused);
      cls(r.el, 'is-selected', selected.has(sv.id));
      attr(r.el, 'data-role', role);
      text(r.role, role + (sv.paused ? ' (paused)' : '') + (sv.observer ? ' · observer' : ''));
      for (const p of r.phases) cls(p, 'is-on', role !== 'down' && p.dataset.ph === sv.phase);
      attr(r.phase, 'aria-label', `phase ${role === 'down' ? 'none (down)' : sv.phase}`);
      text(r.epoch, `epoch ${sv.currentEpoch}` + (sv.acceptedEpoch !== sv.currentEpoch ? ` (accepted ${sv.acceptedEpoch})` : ''));
      attr(r.epoch, 'title', `currentEpoch ${sv.currentEpoch}, acceptedEpoch ${sv.acceptedEpoch}`);
      const z = zxid(sv.lastZxid);
      text(r.zx, `zxid ${z.epoch}·${z.counter}`);
      attr(r.zx, 'title', `lastZxid ${z.hex}; committed ${sv.committed || '-'}; last logged ${sv.lastLogged || '-'}`);
      text(r.vote, voteText(sv, role, lastVote.get(sv.id)));
      this.drawLog(r, sv);
    }
  }

  drawLog(r, sv) {
    const log = sv.log || [];
    const start = Math.max(0, log.length - LOG_SLOTS);
    for (let i = 0; i < LOG_SLOTS; i++) {
      const el = r.slots[i];
      const e = log[start + i];
      if (!e) {
        cls(el, 'is-empty', true);
        attr(el, 'style', null);
        attr(el, 'title', null);
        continue;
      }
      const z = zxid(e.zxid);
      const color = epochColor(z.epoch);
      cls(el, 'is-empty', false);
      cls(el, 'is-prop', !e.committed);
      attr(el, 'style', e.committed ? `background:${color};border-color:${color}` : `border-color:${color};color:${color}`);
      attr(el, 'title', `${z.epoch}·${z.counter} (${z.hex}) ${e.text || ''} — ${e.committed ? 'committed' : 'proposed, not committed'}`);
    }
    const committed = log.filter((e) => e.committed).length;
    attr(r.log, 'aria-label', `log: ${log.length} recent entries, ${committed} committed, ${log.length - committed} proposed`);
  }
}

function voteText(sv, role, ev) {
  if (role === 'down') return '';
  const v = sv.vote;
  if (role === 'looking' && v) {
    const z = zxid(v.zxid);
    let t = `votes s${v.leader} (e${v.peerEpoch}, ${z.epoch}·${z.counter}, s${v.leader})`;
    if (ev && ev.text) t += ' — ' + (ev.peer && ev.peer !== sv.id ? `from s${ev.peer}: ` : '') + ev.text;
    return t;
  }
  if (sv.leader) return role === 'leading' ? `leads epoch ${sv.currentEpoch}` : `follows s${sv.leader}` + (sv.lastSync ? ` · synced by ${sv.lastSync}` : '');
  return '';
}
