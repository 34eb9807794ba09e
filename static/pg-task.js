// pg-task.js: a lesson's task checklist (static/README.md, "Task checks").
// Steps are met in order; a step's check only looks at events after the
// previous step was met. Met steps stay met (scrubbing back does not undo them).

import {h} from './pg-util.js';
import {pick} from './i18n.js';

// TEXT is every user-visible string of this module, per language (i18n.js);
// T is the page's.
export const TEXT = {
  en: {
    task: 'Task', notDone: ' (not done)', done: ' (done)', complete: 'Task complete', completeMark: '✓ Task complete',
    next: (label, next) => `Done: ${label}. Next: ${next}`,
  },
  zh: {
    task: '任务', notDone: '（未完成）', done: '（已完成）', complete: '任务完成', completeMark: '✓ 任务完成',
    next: (label, next) => `已完成：${label}。下一步：${next}`,
  },
};
const T = pick(TEXT);

export class Task {
  constructor(task, {announce}) {
    this.title = task.title || T.task;
    this.steps = (task.steps || []).map((st) => ({check: String(st.check || '').trim(), label: st.label || st.check, met: false}));
    this.announce = announce;
    this.i = 0; // the step being evaluated
    this.leading = new Set(); // servers leading now, from role events and state
    this.epoch = 0; // the highest established epoch seen
    this.baseEpoch = 0; // that epoch when the previous step was met
    this.items = this.steps.map((st, k) => h('li', {class: 'zw-task-step', 'data-check': st.check},
      h('span', {class: 'zw-task-mark', 'aria-hidden': 'true'}, '○'),
      h('span', {class: 'zw-task-label'}, st.label),
      h('span', {class: 'zw-sr'}, T.notDone)));
    this.done = h('p', {class: 'zw-task-done', hidden: true}, T.completeMark);
    this.el = h('section', {class: 'zw-task', 'aria-label': T.task},
      h('h3', {class: 'zw-task-title'}, this.title),
      h('ol', {class: 'zw-task-list'}, this.items), this.done);
  }

  get complete() { return this.steps.length > 0 && this.i >= this.steps.length; }

  // seed takes who leads from a state (at start and after seeks).
  seed(state) {
    this.leading = new Set((state.servers || []).filter((sv) => sv.up !== false && sv.role === 'leading').map((sv) => sv.id));
    for (const sv of state.servers || []) if (sv.role === 'leading') this.epoch = Math.max(this.epoch, sv.currentEpoch);
  }

  // rebase starts epoch tracking over from a state of another run (the
  // widget switched between Simulated and Live): epochs there start again.
  // Met steps stay met.
  rebase(state) {
    this.epoch = 0;
    this.seed(state);
    this.baseEpoch = this.epoch;
  }

  // feed evaluates a batch of events, then the state-based checks.
  feed(events, state) {
    for (const e of events) {
      if (!this.complete && this.matches(this.steps[this.i].check, e)) this.meet();
      this.track(e);
    }
    if (!this.complete && this.steps[this.i].check === 'all in sync' && allInSync(state)) this.meet();
  }

  track(e) {
    if (e.kind === 'role') {
      if (e.role === 'leading') this.leading.add(e.node);
      else this.leading.delete(e.node);
    } else if (e.kind === 'crash') {
      this.leading.delete(e.node);
    } else if (e.kind === 'established') {
      this.epoch = Math.max(this.epoch, e.epoch || 0);
    }
  }

  matches(check, e) {
    switch (check) {
      case 'leader elected': return e.kind === 'established';
      case 'leader crashed': return e.kind === 'crash' && this.leading.has(e.node);
      case 'new leader': return e.kind === 'established' && (e.epoch || 0) > this.baseEpoch;
      case 'write committed': return e.kind === 'deliver' && !!e.client && this.leading.has(e.node);
      case 'server restarted': return e.kind === 'restart';
      case 'partitioned': return e.kind === 'partition' || e.kind === 'cut';
      case 'healed': return e.kind === 'heal';
      // LOOKING is the zero ServerState: the event JSON leaves its role out.
      case 'stepped down': return e.kind === 'role' && (e.role || 'looking') === 'looking' && this.leading.has(e.node);
      default: {
        const m = /^sync (.+)$/.exec(check);
        if (m) {
          if (e.kind !== 'sync-mode' || !e.mode) return false;
          const want = m[1].toUpperCase();
          return e.mode === want || (want !== 'EMPTY-DIFF' && e.mode.split('+').includes(want));
        }
        return false;
      }
    }
  }

  meet() {
    const st = this.steps[this.i];
    st.met = true;
    const li = this.items[this.i];
    li.classList.add('is-met');
    li.querySelector('.zw-task-mark').textContent = '✓';
    li.querySelector('.zw-sr').textContent = T.done;
    this.baseEpoch = this.epoch;
    this.i++;
    if (this.complete) {
      this.done.hidden = false;
      this.el.classList.add('is-complete');
      this.announce(T.complete);
    } else {
      this.announce(T.next(st.label, this.steps[this.i].label));
    }
    this.items.forEach((x, k) => x.classList.toggle('is-current', k === this.i));
  }
}

function allInSync(state) {
  if (!state || !state.leader) return false;
  const ld = (state.servers || []).find((sv) => sv.id === state.leader);
  if (!ld || ld.up === false || ld.role !== 'leading') return false;
  return state.servers.every((sv) => sv.up === false || (sv.phase === 'broadcast' && sv.lastZxid === ld.lastZxid));
}
