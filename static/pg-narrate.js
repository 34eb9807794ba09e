// pg-narrate.js: the widget's words. Captions tells what just happened, one
// sentence per step with its reason (built by core/narrate from the trace, in
// the page's language); ScriptView shows a lesson scenario's text beside the
// ring with the line running now highlighted and each expect marked as it
// passes, so a learner who looked away can read what happened.

import {h, fmtMs} from './pg-util.js';
import {lang, pick} from './i18n.js';

export {lang};

// T is every user-visible string of this module (one table per language).
export const TEXT = {
  en: {
    captions: 'What just happened',
    none: 'Press n (or Step) to go one narrated step at a time.',
    script: 'Scenario',
    passed: 'held', failed: 'did not hold', pending: 'not yet',
    lineAt: (t) => `ran at ${t}`,
    cut: 'will not run: an action of yours came first',
    cutSay: (line) => `The scenario stops before line ${line}: your action came first, and its later lines will not run.`,
  },
  zh: {
    captions: '刚刚发生了什么',
    none: '按 n（或“单步”）一次前进一个有解说的步骤。',
    script: '场景脚本',
    passed: '成立', failed: '不成立', pending: '尚未运行',
    lineAt: (t) => `运行于 ${t}`,
    cut: '不会运行：你的操作在它之前',
    cutSay: (line) => `场景脚本停在第 ${line} 行之前：你的操作先发生了，后面的行不会再运行。`,
  },
};

export const T = pick(TEXT);

// How many captions the panel keeps (the newest first; about four show, the
// rest scroll). A live burst (a crash, then the votes it causes) can bring
// many captions in one frame: keeping only four dropped the crash's own
// caption before anyone saw it.
const KEPT = 50;

export class Captions {
  constructor() {
    this.list = h('ol', {class: 'zw-captions-list', reversed: true});
    this.empty = h('p', {class: 'zw-hint'}, T.none);
    this.el = h('section', {class: 'zw-captions', 'aria-label': T.captions},
      h('h3', {class: 'zw-captions-title'}, T.captions), this.empty, this.list);
    // aria-live on the newest line only: a screen reader hears each caption
    // once, not the whole list again.
    this.live = h('p', {class: 'zw-sr', 'aria-live': 'polite'});
    this.el.append(this.live);
    this.items = [];
    this.pending = [];
  }

  // add takes the captions of a frame or a step; flush shows them: their
  // rows go on top and the oldest beyond KEPT leave (the rows already shown
  // stay, so a frame lays out only what is new). The widget flushes when it
  // draws its side views (a phased frame's: playground.js SLOW_MS).
  add(captions) {
    if (!captions || !captions.length) return;
    this.items.push(...captions);
    if (this.items.length > KEPT) this.items.splice(0, this.items.length - KEPT);
    this.pending.push(...captions);
  }

  flush() {
    const captions = this.pending;
    if (!captions.length) return;
    this.pending = [];
    const fresh = captions.slice(-KEPT);
    const top = this.list.firstElementChild;
    if (top) top.className = 'zw-caption';
    this.list.prepend(...fresh.map((c, i) => this.row(c, i === fresh.length - 1)).reverse());
    while (this.list.childElementCount > this.items.length) this.list.lastElementChild.remove();
    if (!this.empty.hidden) this.empty.hidden = true;
    this.live.textContent = captions.at(-1).text;
  }

  // reset replaces the captions (after a seek: those of the replayed window).
  reset(captions) {
    this.pending = [];
    this.items = (captions || []).slice(-KEPT);
    this.draw();
  }

  latest() { return this.items.at(-1) || null; }

  row(c, newest) {
    return h('li', {class: newest ? 'zw-caption zw-caption-new' : 'zw-caption',
      'data-key': c.key, 'data-server': c.node ? 's' + c.node : null},
    h('span', {class: 'zw-caption-t'}, fmtMs(c.t)), ' ', c.text);
  }

  draw() {
    this.empty.hidden = this.items.length > 0;
    const rows = [];
    for (let i = this.items.length - 1; i >= 0; i--) rows.push(this.row(this.items[i], i === this.items.length - 1));
    this.list.replaceChildren(...rows);
  }
}

// ScriptView shows a scenario's text, one row per line. update(script, t)
// marks what ran by time t: script is the Player's list of statements as
// they ran ({line, t, verb, ok}).
export class ScriptView {
  constructor(text) {
    this.lines = text.split('\n');
    const isStmt = (line) => !!line.trim() && !line.trim().startsWith('#');
    this.rows = this.lines.map((line, i) => h('li', {class: isStmt(line) ? 'zw-script-stmt' : 'zw-script-comment',
      'data-line': i + 1}, h('code', null, line || ' ')));
    // The ensemble line, the first statement: it runs at 0 (comments may
    // come before it).
    this.first = Math.max(1, this.lines.findIndex(isStmt) + 1);
    this.list = h('ol', {class: 'zw-script-list'}, ...this.rows);
    this.el = h('details', {class: 'zw-script', open: true},
      h('summary', null, T.script), this.list);
    this.script = [];
    this.lastT = -1;
  }

  setScript(script) {
    this.script = script || [];
    this.lastT = -1;
    for (const row of this.rows) {
      if (!row.classList.contains('zw-script-cut')) continue;
      row.classList.remove('zw-script-cut');
      row.removeAttribute('title');
    }
  }

  // cut: an action of the learner's at t replaced the scenario's later
  // actions (the simulator drops them, core/sim/player Act): their lines are
  // marked as never to run. It returns the first such line, or 0.
  cut(t) {
    const later = this.script.filter((s) => s.t > t);
    if (!later.length) return 0;
    this.script = this.script.filter((s) => s.t <= t);
    for (const s of later) {
      const row = this.rows[s.line - 1];
      if (!row) continue;
      row.classList.add('zw-script-cut');
      row.title = T.cut;
      delete row.dataset.expect;
    }
    this.lastT = -1;
    return later[0].line;
  }

  update(t) {
    if (t === this.lastT) return;
    this.lastT = t;
    let current = this.first; // the ensemble line runs at 0
    const byLine = new Map(this.script.map((s) => [s.line, s]));
    for (const s of this.script) if (s.t <= t) current = s.line;
    this.rows.forEach((row, i) => {
      const n = i + 1;
      const s = byLine.get(n);
      const done = n <= this.first || (s ? s.t <= t : n < current);
      row.classList.toggle('zw-script-done', done);
      row.classList.toggle('zw-script-now', n === current);
      if (n === current) row.setAttribute('aria-current', 'step'); else row.removeAttribute('aria-current');
      if (s && s.ok != null) {
        const state = s.t <= t ? (s.ok ? 'passed' : 'failed') : 'pending';
        const title = s.t <= t ? `${T[state]}, ${T.lineAt(fmtMs(s.t))}` : T.pending;
        // Set only what changed: this runs every frame.
        if (row.dataset.expect !== state) row.dataset.expect = state;
        if (row.title !== title) row.title = title;
      }
    });
  }
}
