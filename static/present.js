// present.js: the presenter view of a lesson (/lessons/{slug}?present), for
// a projector. One scenario of the lesson at a time, in large type, the
// widget taking the screen (widget.css's presentation layout), driven from
// the keyboard or a presentation remote:
//
//   → or PageDown       the next narrated step (one caption)
//   ← or PageUp         the step before (a deterministic replay back to it)
//   Enter or .          play to the next key moment (the next statement of the
//                       lesson's scenario, the line marked beside the ring)
//   a                   show the prediction's answer to the room
//   Shift+→, Shift+←    the next or previous scenario of the lesson
//
// A scenario that a prediction comes before opens with the question and
// its choices shown big, the widget waiting at its start: the room answers
// first. The answer is revealed when the run reaches its last key moment
// (or on a). The widget's own keys (space, k, f, h, [ ] ...) still work.

import {predictions, moments, whenMounted} from './predict.js';

export const TEXT = {
  en: {
    present: 'Present this lesson',
    presentTitle: 'A projector view: one scenario at a time, in large type, driven from the keyboard',
    exit: 'Exit',
    exitTitle: 'Back to the lesson page',
    scenario: (i, n) => `Scenario ${i} of ${n}`,
    prevScene: 'Previous scenario',
    nextScene: 'Next scenario',
    prevStep: 'Step back',
    nextStep: 'Next step',
    toMoment: 'Play to the next key moment',
    answer: 'Show the answer',
    keys: '→ next step · ← step back · Enter play to the next key moment · A answer · Shift+→ next scenario · Space play/pause',
    roomAsk: 'Ask the room first',
    atMoment: (line) => `Key moment: line ${line} of the scenario.`,
    ended: 'The scenario has run to its end. Shift+→ for the next one.',
    noStepBack: 'This is where the scenario starts.',
    answerIs: (l) => `Answer: ${l}.`,
  },
  zh: {
    present: '演示本课',
    presentTitle: '投影用的演示视图：一次一个场景，大字号，用键盘操作',
    exit: '退出',
    exitTitle: '回到课程页面',
    scenario: (i, n) => `场景 ${i} / ${n}`,
    prevScene: '上一个场景',
    nextScene: '下一个场景',
    prevStep: '后退一步',
    nextStep: '下一步',
    toMoment: '播放到下一个关键时刻',
    answer: '揭晓答案',
    keys: '→ 下一步 · ← 后退一步 · Enter 播放到下一个关键时刻 · A 揭晓答案 · Shift+→ 下一个场景 · 空格 播放/暂停',
    roomAsk: '先请全班作答',
    atMoment: (line) => `关键时刻：场景脚本第 ${line} 行。`,
    ended: '这个场景已经运行完了。按 Shift+→ 进入下一个。',
    noStepBack: '这里是场景的开头。',
    answerIs: (l) => `答案：${l}。`,
  },
};

const MAX_PLAY_MS = 8000; // the longest "play to the next key moment" plays before it jumps

const lang = (document.documentElement.lang || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
const T = TEXT[lang];

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null && v !== false) el.setAttribute(k, v === true ? '' : v);
  for (const k of kids) if (k != null) el.append(k);
  return el;
}

function button(label, testid, f, cls = '', keys = '') {
  const b = h('button', {type: 'button', class: 'pres-btn ' + cls, 'data-testid': testid,
    'aria-keyshortcuts': keys || null, title: keys ? `${label} (${keys.replace(/ /g, ', ')})` : null}, label);
  b.addEventListener('click', f);
  return b;
}

class Presenter {
  constructor(article) {
    this.article = article;
    this.widgets = [...article.querySelectorAll('[data-widget]')];
    this.slides = this.widgets.map((el) => ({
      el,
      title: headingBefore(el, article),
      prediction: predictions.find((p) => p.widgetEl === el) || null,
      history: [], // the times before each step, for step back
    }));
    this.i = -1;
    // The ring fits the screen's height below the bar, whatever wraps above it.
    this.sizes = new ResizeObserver(() => this.fit());
    addEventListener('resize', () => this.fit());
    this.build();
    this.sizes.observe(this.bar);
    for (const el of article.querySelectorAll('.class-bar')) this.sizes.observe(el);
    this.show(0);
    document.addEventListener('keydown', (e) => this.key(e), true);
  }

  build() {
    document.documentElement.classList.add('is-presenting');
    document.head.append(h('link', {rel: 'stylesheet', href: new URL('./present.css', import.meta.url).href}));
    const lessonTitle = this.article.querySelector('h1')?.textContent || document.title;
    this.count = h('span', {class: 'pres-count', 'data-testid': 'pres-count'});
    this.title = h('h2', {class: 'pres-title', 'data-testid': 'pres-title'});
    this.status = h('p', {class: 'pres-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'pres-status'});
    const exit = h('a', {class: 'pres-exit', href: location.pathname, title: T.exitTitle, 'data-testid': 'pres-exit'}, '✕ ' + T.exit);
    this.answerBtn = button(T.answer, 'pres-answer', () => this.revealAnswer(), '', 'A');
    this.prevSceneBtn = button('◀◀ ' + T.prevScene, 'pres-prev-scene', () => this.show(this.i - 1), '', 'Shift+ArrowLeft');
    this.nextSceneBtn = button(T.nextScene + ' ▶▶', 'pres-next-scene', () => this.show(this.i + 1), '', 'Shift+ArrowRight');
    this.bar = h('header', {class: 'pres-bar', 'data-testid': 'pres-bar'},
      h('div', {class: 'pres-heads'}, h('p', {class: 'pres-lesson'}, lessonTitle, ' · ', this.count, ' · ', exit), this.title),
      h('div', {class: 'pres-controls'},
        this.prevSceneBtn,
        button('◀ ' + T.prevStep, 'pres-prev', () => this.prevStep(), '', 'ArrowLeft PageUp'),
        button(T.nextStep + ' ▶', 'pres-next', () => this.nextStep(), 'pres-primary', 'ArrowRight PageDown'),
        button(T.toMoment + ' ▶▶', 'pres-moment', () => this.toMoment(), 'pres-primary', 'Enter .'),
        this.answerBtn,
        this.nextSceneBtn),
      h('p', {class: 'pres-keys'}, T.keys),
      this.status);
    this.article.prepend(this.bar);
  }

  get slide() { return this.slides[this.i]; }

  // show makes scenario i the only thing on the page (with its prediction
  // and its class bar).
  show(i) {
    if (i < 0 || i >= this.slides.length || i === this.i) return;
    this.i = i;
    const s = this.slide;
    // The question goes beside the ring, above the widget's controls
    // (present.css: its grid area), so the room sees both on one screen.
    if (s.prediction && s.prediction.box.parentElement !== s.el) s.el.prepend(s.prediction.box);
    const keep = new Set([this.bar, s.el]);
    const bar = s.el.previousElementSibling;
    if (bar && bar.classList.contains('class-bar')) keep.add(bar);
    for (const el of this.article.children) el.classList.toggle('pres-off', !keep.has(el));
    this.count.textContent = T.scenario(i + 1, this.slides.length);
    this.title.textContent = s.title;
    this.answerBtn.hidden = !s.prediction;
    this.prevSceneBtn.disabled = i === 0;
    this.nextSceneBtn.disabled = i === this.slides.length - 1;
    this.say(s.prediction && !s.prediction.answered ? T.roomAsk : '');
    document.documentElement.dataset.presSlide = String(i + 1);
    scrollTo({top: 0});
    whenMounted(s.el, (w) => {
      this.widget = w;
      // What sits above the ring's row: the switch and the status beside it.
      for (const el of s.el.querySelectorAll(':scope > .zw-modebar, :scope > .zw-status')) this.sizes.observe(el);
      this.fit();
      if (!s.seen) {
        // The presenter drives: a scenario waits at its start for the first key.
        s.seen = true;
        if (w.playing) w.setPlaying(false);
        if (w.vt > 0) w.seek(0);
      }
      // The widget the keys drive (playground.js picks the one that has the focus).
      s.el.dispatchEvent(new PointerEvent('pointerdown', {bubbles: true}));
    });
  }

  // fit sizes the ring to the height left below everything above it
  // (present.css --pres-ringh): at 1280×720 as at 1920×1080, the ring and
  // the question or caption beside it are both in view without scrolling.
  fit() {
    const stage = this.slide && this.slide.el.querySelector('.zw-stage');
    if (!stage || !stage.offsetParent) return;
    const top = stage.getBoundingClientRect().top + scrollY;
    const h = Math.max(240, Math.floor(innerHeight - top - 8));
    if (this.ringH !== h) {
      this.ringH = h;
      document.documentElement.style.setProperty('--pres-ringh', h + 'px');
    }
  }

  w() {
    const w = this.slide && this.slide.el.__zw;
    return w && typeof w === 'object' && w.sim ? w : null;
  }

  say(msg) { this.status.textContent = msg; }

  // reveal scrolls the widget into view when its ring is off the screen.
  reveal() {
    const r = this.slide.el.getBoundingClientRect();
    if (r.top > innerHeight * 0.45 || r.bottom < innerHeight * 0.3) this.slide.el.scrollIntoView({block: 'start'});
  }

  nextStep() {
    const w = this.w();
    if (!w) return;
    this.reveal();
    this.stopPlaying();
    this.slide.history.push(w.vt);
    w.step();
    this.checkEnd(w);
  }

  prevStep() {
    const w = this.w();
    if (!w) return;
    this.stopPlaying();
    const t = this.slide.history.pop();
    if (t == null) { this.say(T.noStepBack); return; }
    if (w.playing) w.setPlaying(false);
    w.seek(t);
  }

  // toMoment plays to the next key moment: the next time a statement of the
  // scenario ran.
  toMoment() {
    const w = this.w();
    if (!w) return;
    this.stopPlaying();
    const ms = moments(w);
    const target = ms.find((t) => t > w.vt + 0.5);
    if (target == null) { this.say(T.ended); this.revealAnswer(); return; }
    this.slide.history.push(w.vt);
    this.reveal();
    const line = ((w.sim.script || []).filter((l) => l.t === target).at(-1) || {}).line;
    if (w.__zwHeld) w.__zwHeld = null;
    w.setPlaying(true);
    const slide = this.slide;
    const t0 = performance.now();
    this.playing = setInterval(() => {
      if (!w.sim || this.slide !== slide) { this.stopPlaying(); return; }
      if (performance.now() - t0 > MAX_PLAY_MS && w.vt < target) {
        // A moment far away at this speed: jump there (a replay) rather than keep the room waiting.
        w.setPlaying(false);
        w.maxT = Math.max(w.maxT, target);
        w.seek(target);
      }
      if (w.vt >= target || (w.state && w.state.t >= target)) {
        this.stopPlaying();
        w.setPlaying(false);
        this.say(line ? T.atMoment(line) : '');
        this.checkEnd(w);
      } else if (!w.playing) {
        w.setPlaying(true);
      }
    }, 30);
  }

  stopPlaying() {
    clearInterval(this.playing);
    this.playing = 0;
  }

  // checkEnd reveals the prediction once the run has passed its last key
  // moment: the room has seen the answer happen.
  checkEnd(w) {
    const ms = moments(w);
    if (ms.length && w.vt >= ms[ms.length - 1]) this.revealAnswer();
  }

  revealAnswer() {
    const p = this.slide && this.slide.prediction;
    if (!p || p.answered) return;
    p.revealToRoom();
    this.say(T.answerIs(String.fromCharCode(64 + p.answer)));
  }

  key(e) {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    const t = e.target;
    if (t && t.closest && t.closest('input, textarea, select, [contenteditable]')) return;
    const onButton = t && t.closest && t.closest('button, a, summary');
    let f = null;
    switch (e.key) {
      case 'ArrowRight': case 'PageDown': f = e.shiftKey ? () => this.show(this.i + 1) : () => this.nextStep(); break;
      case 'ArrowLeft': case 'PageUp': f = e.shiftKey ? () => this.show(this.i - 1) : () => this.prevStep(); break;
      case 'Enter': if (!onButton) f = () => this.toMoment(); break;
      case '.': f = () => this.toMoment(); break;
      case 'a': case 'A': f = () => this.revealAnswer(); break;
      default: return;
    }
    if (!f) return;
    e.preventDefault();
    e.stopPropagation();
    f();
  }
}

// headingBefore is the text of the last h2 before el in the article (the
// section a scenario belongs to), or the lesson's title.
function headingBefore(el, article) {
  let title = article.querySelector('h1')?.textContent || '';
  for (const hd of article.querySelectorAll('h2')) {
    if (hd.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) title = hd.textContent;
  }
  return title;
}

const article = document.querySelector('article[data-lesson]');
if (article && article.querySelector('[data-widget]')) {
  if (new URLSearchParams(location.search).has('present')) {
    window.__presenter = new Presenter(article);
  } else {
    const a = h('a', {class: 'present-open', href: '?present', title: T.presentTitle, 'data-testid': 'present-open'}, T.present);
    (article.querySelector('.lesson-number') || article.firstElementChild).after(a);
  }
}
