// pg-controls.js: the widget's controls and panels as plain DOM. The widget
// (playground.js) wires their events; this file only builds and labels them.

import {h, s, MSG, FAMILIES, msgInfo, shapePath, zx} from './pg-util.js';

export const SPEEDS = [0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100];
export const DEFAULT_SPEED = 0.1;
// LINK_DELAYS are the live mode's link delays (ms); 300 makes packets watchable.
export const LINK_DELAYS = [0, 100, 300, 1000];
export const DEFAULT_LINK_DELAY = 300;

// L is every user-visible string of this module (one place, to translate).
export const L = {
  play: 'Play', pause: 'Pause', step: 'Step', stepTitle: 'Run exactly one more event (n)',
  speed: 'Speed ', speedTitle: 'Virtual ms per wall ms ([ and ])',
  slowmo: ' Slow-mo messages', slowmoTitle: 'At 1× or slower, slow down to 0.02× while a message (not a PING) is in flight',
  virtualTime: 'Virtual time ', wallTime: 'Wall clock ', wallTimeTitle: 'Real time since the live ensemble started',
  scrub: 'Time (seek; the run is replayed deterministically)',
  killLeader: 'Kill leader', heal: 'Heal', partition: 'Partition selected',
  faults: 'Random faults', faultsTitle: 'Random crashes, partitions and delays (as in the campaign)',
  selected: 'Selected server', selHint: 'Click servers (or press 1–9) to select them.',
  path: 'Path ', value: 'Value ', write: 'Write', writeForm: 'Write through the leader',
  bugs: 'Bug switches', exportTrace: 'Export trace', share: 'Copy link', keys: 'Keys',
  keysHelp: 'Space play/pause · n step · k kill leader · f freeze leader · h heal · p partition selected · w write now (then type a value, Enter) · [ ] speed · 1–9 select server · Esc close panels and leave a text box',
  keysHelpLive: 'k kill leader · f freeze leader · h heal · p partition selected · w write now (then type a value, Enter) · 1–9 select server · Esc close panels and leave a text box',
  legend: 'Message legend', close: 'Close', faultsGroup: 'Faults',
  mode: 'Mode', simulated: 'Simulated', live: 'Live',
  simTitle: 'A simulated ensemble in your browser: pause, step, seek, speed and bug switches',
  liveTitle: 'Real ZAB servers on the machine serving this page, in real time',
  badge: 'Live: real servers on this machine',
  liveNote: 'Real time only: no pause, step, speed, seek, bug switches or random faults here. Switch back to Simulated for those.',
  linkDelay: 'Link delay ', linkDelayTitle: 'How long each message takes between two live servers (so packets are watchable)',
  ms: (x) => x + ' ms',
  replay: 'Watch it happen', replayTitle: (name) => `Load the interleaving that triggers ${name} (the bug switched on): the checker raises the alarm when it breaks something`,
  replayed: (name) => `Playing the interleaving that triggers ${name}. Watch for the alarm.`,
  bugsOn: (n) => `Bug switches · ${n} on`,
  bugBadge: (names) => `⚠ Bug switched on: ${names.join(', ')}. This run is not ZooKeeper 3.9's: the checker watches for what the bug breaks.`,
  badValue: (v) => `“${v}” has a space or #: a value is one word here (the scenario language splits on spaces). Nothing was written; try ${v.replace(/[\s#]+/g, '_')}.`,
  freezeLeader: 'Freeze leader', freezeTitle: 'Pause the leader for 3 s: its connections stay open, only its silence shows (heartbeats stop)',
  freezeTitleLive: 'Pause the leader until you resume it: its connections stay open, only its silence shows',
};

// valueOK checks the write form's value (one word, no #): marks the box
// invalid and focuses it when not, so nothing is rewritten behind the
// learner's back.
export function valueOK(ac, value) {
  const ok = !/[\s#]/.test(value);
  ac.value.setAttribute('aria-invalid', ok ? 'false' : 'true');
  if (!ok) ac.value.focus();
  return ok;
}

export function speedLabel(x) {
  return x + '×';
}

// buildMode: the "Simulated | Live" switch and the live mode's bar (badge,
// link delay, a note on what real time rules out).
export function buildMode(uid) {
  const sim = h('button', {type: 'button', class: 'zw-btn zw-mode-btn', 'aria-pressed': 'true', title: L.simTitle}, L.simulated);
  const live = h('button', {type: 'button', class: 'zw-btn zw-mode-btn', 'aria-pressed': 'false', title: L.liveTitle}, L.live);
  const delay = h('select', {class: 'zw-delay', id: uid + '-delay', title: L.linkDelayTitle},
    LINK_DELAYS.map((x) => h('option', {value: x, selected: x === DEFAULT_LINK_DELAY}, L.ms(x))));
  const badge = h('span', {class: 'zw-badge'}, L.badge);
  const note = h('p', {class: 'zw-hint zw-live-note'}, L.liveNote);
  const bar = h('div', {class: 'zw-livebar', hidden: true}, badge,
    h('label', {class: 'zw-field', for: uid + '-delay'}, L.linkDelay, delay), note);
  const el = h('div', {class: 'zw-modebar'},
    h('div', {class: 'zw-mode', role: 'group', 'aria-label': L.mode}, sim, live), bar);
  return {el, sim, live, delay, badge, bar, note};
}

// buildTransport: Play/Pause, Step, speed, time, scrubber.
export function buildTransport(uid) {
  const play = h('button', {type: 'button', class: 'zw-btn zw-play', 'aria-keyshortcuts': 'Space'}, L.pause);
  const step = h('button', {type: 'button', class: 'zw-btn', 'aria-keyshortcuts': 'N', title: L.stepTitle}, L.step);
  const speed = h('select', {class: 'zw-speed', id: uid + '-speed', title: L.speedTitle},
    SPEEDS.map((x) => h('option', {value: x, selected: x === DEFAULT_SPEED}, speedLabel(x))));
  const time = h('output', {class: 'zw-time', 'aria-live': 'off'}, '0.00 s');
  const slowmo = h('input', {type: 'checkbox', class: 'zw-slowmo-cb', checked: true});
  const scrub = h('input', {type: 'range', class: 'zw-scrub', id: uid + '-scrub', min: 0, max: 0, step: 1, value: 0,
    'aria-label': L.scrub});
  const speedBox = h('label', {class: 'zw-field', for: uid + '-speed'}, L.speed, speed);
  const slowmoBox = h('label', {class: 'zw-chip zw-slowmo', title: L.slowmoTitle}, slowmo, L.slowmo);
  const timeLabel = h('span', {class: 'zw-sr'}, L.virtualTime);
  const scrubBox = h('span', {class: 'zw-scrubbox'}, scrub);
  const el = h('div', {class: 'zw-transport'},
    play, step,
    speedBox,
    slowmoBox,
    h('span', {class: 'zw-timebox'}, timeLabel, time),
    scrubBox);
  return {el, play, step, speed, speedBox, slowmo, slowmoBox, time, timeLabel, scrub, scrubBox};
}

// buildActions: faults, client writes, bug switches, export.
export function buildActions(uid) {
  const killLeader = h('button', {type: 'button', class: 'zw-btn zw-danger', 'aria-keyshortcuts': 'K'}, L.killLeader);
  const freezeLeader = h('button', {type: 'button', class: 'zw-btn', 'aria-keyshortcuts': 'F', title: L.freezeTitle}, L.freezeLeader);
  const heal = h('button', {type: 'button', class: 'zw-btn', 'aria-keyshortcuts': 'H'}, L.heal);
  const partition = h('button', {type: 'button', class: 'zw-btn', 'aria-keyshortcuts': 'P', disabled: true}, L.partition);
  const faults = h('button', {type: 'button', class: 'zw-btn zw-toggle', 'aria-pressed': 'false', title: L.faultsTitle}, L.faults);
  const selBox = h('div', {class: 'zw-selected', role: 'group', 'aria-label': L.selected});
  const selHint = h('span', {class: 'zw-hint'}, L.selHint);
  selBox.append(selHint);
  const path = h('input', {type: 'text', class: 'zw-input zw-path', id: uid + '-path', value: '/a', size: 6, autocomplete: 'off', spellcheck: 'false'});
  const value = h('input', {type: 'text', class: 'zw-input zw-value', id: uid + '-value', value: 'v1', size: 6, autocomplete: 'off', spellcheck: 'false'});
  const write = h('button', {type: 'submit', class: 'zw-btn zw-primary', 'aria-keyshortcuts': 'W'}, L.write);
  const form = h('form', {class: 'zw-write', 'aria-label': L.writeForm},
    h('label', {class: 'zw-field', for: uid + '-path'}, L.path, path),
    h('label', {class: 'zw-field', for: uid + '-value'}, L.value, value),
    write);
  const bugList = h('div', {class: 'zw-bug-list'});
  const bugSummary = h('summary', null, L.bugs);
  const bugs = h('details', {class: 'zw-bugs'}, bugSummary, bugList);
  // Says which bug switches are on, beside the controls, in words (not
  // only a ticked box inside a closed list).
  const bugBadge = h('p', {class: 'zw-bug-badge', role: 'status', hidden: true});
  const exportBtn = h('button', {type: 'button', class: 'zw-btn'}, L.exportTrace);
  const share = h('button', {type: 'button', class: 'zw-btn', hidden: true}, L.share);
  const help = h('details', {class: 'zw-keys'}, h('summary', null, L.keys),
    h('p', null, L.keysHelp));
  const el = h('div', {class: 'zw-actions'},
    h('div', {class: 'zw-group', role: 'group', 'aria-label': L.faultsGroup}, killLeader, freezeLeader, partition, heal, faults),
    selBox,
    form,
    h('div', {class: 'zw-group zw-misc'}, bugs, exportBtn, share, help),
    bugBadge);
  return {el, bugSummary, bugBadge, killLeader, freezeLeader, heal, partition, faults, selBox, selHint, path, value, write, form, bugs, bugList, exportBtn, share, help};
}

// buildLegend: every message type with its color, shape and label.
export function buildLegend() {
  const items = [];
  for (const [fam, famLabel] of FAMILIES) {
    const types = Object.entries(MSG).filter(([, v]) => v.fam === fam);
    const chips = types.map(([name]) => {
      const info = msgInfo(name);
      const icon = s('svg', {class: 'zw-leg-icon', viewBox: '-10 -10 20 20', width: 18, height: 18, 'aria-hidden': 'true'},
        s('path', {d: shapePath(info.shape, 7), fill: info.color, class: 'zw-pkt-shape'}),
        info.label ? s('text', {class: 'zw-pkt-label', 'text-anchor': 'middle', dy: '0.35em', fill: info.ink, 'font-size': info.label.length > 1 ? 6 : 8}, info.label) : null);
      return h('li', {title: info.desc}, icon, name);
    });
    items.push(h('li', {class: 'zw-leg-fam'}, h('span', {class: 'zw-leg-famname'}, famLabel), h('ul', null, chips)));
  }
  return h('details', {class: 'zw-legend', open: true}, h('summary', null, L.legend), h('ul', {class: 'zw-leg'}, items));
}

// buildPanel: a closable panel (details of a server or packet; the alarm).
export function buildPanel(cls, title, role) {
  const heading = h('h3', {class: 'zw-panel-title'}, title);
  const body = h('div', {class: 'zw-panel-body'});
  const close = h('button', {type: 'button', class: 'zw-btn zw-close', 'aria-label': L.close}, '✕');
  const el = h('section', {class: 'zw-panel ' + cls, hidden: true, role, 'aria-label': title, tabindex: -1},
    h('div', {class: 'zw-panel-head'}, heading, close), body);
  return {el, heading, body, close};
}

// jsonish renders an object as an indented, readable block.
export function jsonish(obj) {
  return h('pre', {class: 'zw-json'}, JSON.stringify(obj, (k, v) => (typeof v === 'bigint' ? String(v) : v), 2));
}

// F explains each field of a server in the detail panel: label, meaning.
export const F = {
  role: ['Role', 'looking: electing; leading or following: in an ensemble; observing: follows without a vote; down: crashed'],
  phase: ['Phase', 'election → discovery (agree on a new epoch) → sync (take the leader\'s history) → broadcast (serve writes)'],
  leader: ['Leader', 'the server it follows (or itself when it leads)'],
  acceptedEpoch: ['acceptedEpoch', 'the newest epoch it promised to a leader (on disk before it answers LEADERINFO); it refuses older leaders'],
  currentEpoch: ['currentEpoch', 'the epoch whose history it holds in full (on disk once synced, at NEWLEADER)'],
  lastZxid: ['Last zxid', 'the last transaction it applied, as epoch·counter; e·0 means epoch e began and has no transaction yet'],
  committed: ['Committed', 'the last transaction it knows a quorum committed'],
  lastLogged: ['Last logged', 'the last transaction on its disk, committed or not: what it reports in an election'],
  vote: ['Vote', 'whom it backs in an election: (peerEpoch, zxid, id) compare in that order; the round counts elections'],
  lastSync: ['Last sync', 'how its leader brought it up to date: DIFF (missing txns), TRUNC (cut txns no quorum took), SNAP (the whole tree)'],
  timer: ['Timer', 'the deadline that detects a failure now'],
  proposals: ['In flight', 'proposals waiting for a quorum of ACKs'],
  log: ['Log', 'transactions in its txn log (the last 24 are shown)'],
  tree: ['Tree', 'its znodes (without /zookeeper) and their digest: equal digests, equal data'],
  state: ['Running', 'paused: frozen, its clock stopped, connections open (a long GC); down: crashed'],
};

// serverTable is the detail panel of a server: each field with its value
// and a line saying what it means (not JSON).
export function serverTable(sv, state) {
  const t = sv.timers || {};
  const role = sv.up === false ? 'down' : sv.role;
  const rows = [];
  const row = (k, v) => rows.push(h('tr', {'data-field': k}, h('th', {scope: 'row'}, F[k][0]), h('td', {class: 'zw-f-v'}, v), h('td', {class: 'zw-f-m'}, F[k][1])));
  row('state', sv.up === false ? 'down' : sv.paused ? 'paused' : 'running');
  row('role', role + (sv.observer && role !== 'observing' ? ' (an observer)' : ''));
  if (role !== 'down') row('phase', sv.phase);
  if (sv.leader) row('leader', 's' + sv.leader + (sv.established ? ', established' : ''));
  row('acceptedEpoch', String(sv.acceptedEpoch));
  row('currentEpoch', String(sv.currentEpoch));
  if (role !== 'down') {
    row('lastZxid', zx(sv.lastZxid));
    row('committed', zx(sv.committed));
    row('lastLogged', zx(sv.lastLogged));
    if (sv.vote) row('vote', `s${sv.vote.leader} (peerEpoch ${sv.vote.peerEpoch}, zxid ${zx(sv.vote.zxid)}), round ${sv.round}`);
    if (sv.lastSync) row('lastSync', sv.lastSync);
    const now = sv.now || 0;
    const cfg = (state && state.config) || {};
    let timer = '';
    if (t.heardTimeoutMs) timer = `heard s${sv.leader} ${Math.max(0, now - t.heardAt)} ms ago; gives up after ${t.heardTimeoutMs} ms (${t.heardLimit})`;
    else if (t.finalizeAt) timer = `decides in ${Math.max(0, t.finalizeAt - now)} ms (finalizeWait) unless a better vote arrives`;
    else if (t.initDeadline) timer = `steps down in ${Math.max(0, t.initDeadline - now)} ms (initLimit) unless a quorum answers`;
    else if (t.quorum) timer = `hears ${t.synced} voters (itself included) within syncLimit (${(cfg.syncLimit || 5)} ticks); needs ${t.quorum}` +
      (t.learners || []).map((l) => ` · s${l.id}: ${l.synced ? Math.max(0, l.ackDeadline - t.tick) + ' ticks left' : 'lost'}`).join('');
    else if (t.pollAt) timer = `sends its vote again in ${Math.max(0, t.pollAt - now)} ms if nobody answers`;
    if (timer) row('timer', timer);
    if ((t.proposals || []).length) row('proposals', t.proposals.map((p) => `${zx(p.zxid)}: ${p.acks.length} of ${p.need} acks (${p.acks.map((id) => 's' + id).join(', ') || 'none'})`).join('; '));
    const log = sv.log || [];
    row('log', log.length ? `${log.length} shown, ${zx(log[0].zxid)} … ${zx(log[log.length - 1].zxid)}, ${log.filter((e) => !e.committed).length} not applied` : 'empty');
    row('tree', `${sv.treeCount} znodes, ${sv.treeBytes} bytes, digest ${sv.treeHash}`);
  }
  const raw = h('details', {class: 'zw-raw'}, h('summary', null, 'JSON'), jsonish(sv));
  return h('div', null, h('table', {class: 'zw-fields'}, h('tbody', null, rows)), raw);
}

// freezeText is the action that freezes the leader: a pause, not a crash, so
// its connections stay open and only its silence gives it away (3 s of
// virtual time; live, until resumed). '' when there is no leader.
export function freezeText(state, live) {
  const ld = state && state.servers.find((sv) => sv.id === state.leader && sv.up !== false && sv.role === 'leading' && !sv.paused);
  if (!ld) return '';
  return live ? `pause ${ld.name}` : `pause ${ld.name} for 3s`;
}

// showBugs says which bug switches are on: the list's summary counts them
// and a badge beside the controls names them (empty: hidden).
export function showBugs(ac, bugs) {
  const on = bugs || [];
  const key = on.join(',');
  if (ac.bugBadge.__key === key) return;
  ac.bugBadge.__key = key;
  ac.bugSummary.textContent = on.length ? L.bugsOn(on.length) : L.bugs;
  ac.bugBadge.hidden = !on.length;
  ac.bugBadge.textContent = on.length ? L.bugBadge(on) : '';
  ac.bugs.classList.toggle('is-on', on.length > 0);
}

// bugRow is one bug switch: the checkbox, its name and title, and, when the
// bug has a scenario, a button that plays the interleaving that triggers it.
export function bugRow(b, on, {onToggle, onReplay}) {
  const cb = h('input', {type: 'checkbox', 'data-bug': b.name, checked: on});
  cb.addEventListener('change', () => onToggle(b.name, cb.checked));
  const row = h('div', {class: 'zw-bug-row'}, h('label', {class: 'zw-bug'}, cb, h('span', null, h('strong', null, b.name), ' ', b.title)));
  if (b.scenario && onReplay) {
    const btn = h('button', {type: 'button', class: 'zw-btn zw-replay', 'data-replay': b.name, title: L.replayTitle(b.name)}, L.replay);
    btn.addEventListener('click', () => onReplay(b));
    row.append(btn);
  }
  return row;
}
