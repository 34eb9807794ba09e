// pg-controls.js: the widget's controls and panels as plain DOM. The widget
// (playground.js) wires their events; this file only builds and labels them.

import {h, s, MSG, FAMILIES, msgInfo, shapePath} from './pg-util.js';

export const SPEEDS = [0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100];
export const DEFAULT_SPEED = 0.1;

export function speedLabel(x) {
  return x + '×';
}

// buildTransport: Play/Pause, Step, speed, time, scrubber.
export function buildTransport(uid) {
  const play = h('button', {type: 'button', class: 'zw-btn zw-play', 'aria-keyshortcuts': 'Space'}, 'Pause');
  const step = h('button', {type: 'button', class: 'zw-btn', 'aria-keyshortcuts': 'N', title: 'Run exactly one more event (n)'}, 'Step');
  const speed = h('select', {class: 'zw-speed', id: uid + '-speed', title: 'Virtual ms per wall ms ([ and ])'},
    SPEEDS.map((x) => h('option', {value: x, selected: x === DEFAULT_SPEED}, speedLabel(x))));
  const time = h('output', {class: 'zw-time', 'aria-live': 'off'}, '0.00 s');
  const slowmo = h('input', {type: 'checkbox', class: 'zw-slowmo-cb', checked: true});
  const scrub = h('input', {type: 'range', class: 'zw-scrub', id: uid + '-scrub', min: 0, max: 0, step: 1, value: 0,
    'aria-label': 'Time (seek; the run is replayed deterministically)'});
  const el = h('div', {class: 'zw-transport'},
    play, step,
    h('label', {class: 'zw-field', for: uid + '-speed'}, 'Speed ', speed),
    h('label', {class: 'zw-chip zw-slowmo', title: 'At 1× or slower, slow down to 0.02× while a message (not a PING) is in flight'}, slowmo, ' Slow-mo messages'),
    h('span', {class: 'zw-timebox'}, h('span', {class: 'zw-sr'}, 'Virtual time '), time),
    h('span', {class: 'zw-scrubbox'}, scrub));
  return {el, play, step, speed, slowmo, time, scrub};
}

// buildActions: faults, client writes, bug switches, export.
export function buildActions(uid) {
  const killLeader = h('button', {type: 'button', class: 'zw-btn zw-danger', 'aria-keyshortcuts': 'K'}, 'Kill leader');
  const heal = h('button', {type: 'button', class: 'zw-btn', 'aria-keyshortcuts': 'H'}, 'Heal');
  const partition = h('button', {type: 'button', class: 'zw-btn', 'aria-keyshortcuts': 'P', disabled: true}, 'Partition selected');
  const faults = h('button', {type: 'button', class: 'zw-btn zw-toggle', 'aria-pressed': 'false', title: 'Random crashes, partitions and delays (as in the campaign)'}, 'Random faults');
  const selBox = h('div', {class: 'zw-selected', role: 'group', 'aria-label': 'Selected server'});
  const selHint = h('span', {class: 'zw-hint'}, 'Click servers (or press 1–9) to select them.');
  selBox.append(selHint);
  const path = h('input', {type: 'text', class: 'zw-input zw-path', id: uid + '-path', value: '/a', size: 6, autocomplete: 'off', spellcheck: 'false'});
  const value = h('input', {type: 'text', class: 'zw-input zw-value', id: uid + '-value', value: 'v1', size: 6, autocomplete: 'off', spellcheck: 'false'});
  const write = h('button', {type: 'submit', class: 'zw-btn zw-primary', 'aria-keyshortcuts': 'W'}, 'Write');
  const form = h('form', {class: 'zw-write', 'aria-label': 'Write through the leader'},
    h('label', {class: 'zw-field', for: uid + '-path'}, 'Path ', path),
    h('label', {class: 'zw-field', for: uid + '-value'}, 'Value ', value),
    write);
  const bugList = h('div', {class: 'zw-bug-list'});
  const bugs = h('details', {class: 'zw-bugs'}, h('summary', null, 'Bug switches'), bugList);
  const exportBtn = h('button', {type: 'button', class: 'zw-btn'}, 'Export trace');
  const share = h('button', {type: 'button', class: 'zw-btn', hidden: true}, 'Copy link');
  const help = h('details', {class: 'zw-keys'}, h('summary', null, 'Keys'),
    h('p', null, 'Space play/pause · n step · k kill leader · h heal · p partition selected · w write · [ ] speed · 1–9 select server · Esc close panels'));
  const el = h('div', {class: 'zw-actions'},
    h('div', {class: 'zw-group', role: 'group', 'aria-label': 'Faults'}, killLeader, partition, heal, faults),
    selBox,
    form,
    h('div', {class: 'zw-group zw-misc'}, bugs, exportBtn, share, help));
  return {el, killLeader, heal, partition, faults, selBox, selHint, path, value, write, form, bugs, bugList, exportBtn, share};
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
  return h('details', {class: 'zw-legend', open: true}, h('summary', null, 'Message legend'), h('ul', {class: 'zw-leg'}, items));
}

// buildPanel: a closable panel (details of a server or packet; the alarm).
export function buildPanel(cls, title, role) {
  const heading = h('h3', {class: 'zw-panel-title'}, title);
  const body = h('div', {class: 'zw-panel-body'});
  const close = h('button', {type: 'button', class: 'zw-btn zw-close', 'aria-label': 'Close'}, '✕');
  const el = h('section', {class: 'zw-panel ' + cls, hidden: true, role, 'aria-label': title, tabindex: -1},
    h('div', {class: 'zw-panel-head'}, heading, close), body);
  return {el, heading, body, close};
}

// jsonish renders an object as an indented, readable block.
export function jsonish(obj) {
  return h('pre', {class: 'zw-json'}, JSON.stringify(obj, (k, v) => (typeof v === 'bigint' ? String(v) : v), 2));
}
