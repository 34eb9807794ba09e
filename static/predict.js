// predict.js: interactive predictions on a lesson page. Each prediction
// (aside.predict[data-predict][data-answer], lessons/README.md) belongs to the
// first playground widget after it on the page: until it is answered that
// widget waits at the start, before the moment that answers it. The learner
// picks a choice; the widget then plays to its scenario's key moment (the
// last statement of its scenario, where the scenario shows the answer), and
// the box says whether the pick was right, and why. Answers are kept in this
// browser only (static/progress.js: {choice, right} per prediction) and the
// course progress counts them.
//
// present.js (the presenter view) uses the same pieces: moments(), and
// Prediction.reveal() to show the answer to the room.

import {recordAnswer, answerOf} from './progress.js';

export const TEXT = {
  en: {
    pick: 'Pick your answer:',
    right: (l) => `Right: ${l}.`,
    wrong: (mine, l) => `Not quite: you picked ${mine}; the answer is ${l}.`,
    watching: 'Your answer is in. The playground below plays to the moment that answers it…',
    held: 'Paused before the key moment: answer the prediction above first (or press Play to watch anyway).',
    yours: 'your answer',
    answer: (l) => `Answer: ${l}.`,
  },
  zh: {
    pick: '选出你的答案：',
    right: (l) => `答对了：${l}。`,
    wrong: (mine, l) => `不对：你选了 ${mine}，答案是 ${l}。`,
    watching: '已记下你的答案。下面的演练场正播放到揭晓答案的那一刻……',
    held: '已停在关键时刻之前：请先回答上面的预测（也可以直接按“播放”观看）。',
    yours: '你的答案',
    answer: (l) => `答案：${l}。`,
  },
};

const lang = (document.documentElement.lang || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
export const T = TEXT[lang];

const letter = (i) => String.fromCharCode(65 + i); // 0-based

// moments is a widget's key moments: the virtual times at which its
// scenario's statements ran, sorted, without repeats.
export function moments(w) {
  const lines = (w && w.sim && w.sim.script) || [];
  return [...new Set(lines.map((l) => l.t).filter((t) => Number.isFinite(t)))].sort((a, b) => a - b);
}

// mounted calls f with the widget of el once it runs.
export function whenMounted(el, f) {
  const go = () => {
    const w = el.__zw;
    if (w && typeof w === 'object' && w.state && w.sim) f(w);
    else setTimeout(go, 100);
  };
  go();
}

/** One prediction box, made interactive. */
export class Prediction {
  constructor(box, slug) {
    this.box = box;
    this.id = box.dataset.predict;
    this.answer = +box.dataset.answer; // 1-based
    this.slug = slug;
    this.reveal = box.querySelector('details.predict-reveal');
    this.widgetEl = widgetAfter(box);
    this.verdict = document.createElement('p');
    this.verdict.className = 'predict-verdict';
    this.verdict.setAttribute('role', 'status');
    this.verdict.setAttribute('aria-live', 'polite');
    this.verdict.dataset.testid = 'predict-verdict';
    const list = box.querySelector('.predict-choices');
    const hint = document.createElement('p');
    hint.className = 'predict-pick';
    hint.textContent = T.pick;
    list.before(hint);
    this.buttons = [...list.children].map((li, i) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'predict-choice';
      b.dataset.choice = String(i + 1);
      b.setAttribute('aria-pressed', 'false');
      const mark = document.createElement('span');
      mark.className = 'predict-letter';
      mark.textContent = letter(i);
      b.append(mark, ...li.childNodes);
      li.append(b);
      b.addEventListener('click', () => this.pick(i + 1));
      return b;
    });
    list.classList.add('is-interactive');
    this.reveal.before(this.verdict);
    box.classList.add('is-interactive');
    const prior = answerOf(this.id);
    if (prior && prior.choice) this.show(prior.choice, false);
    else if (this.widgetEl) whenMounted(this.widgetEl, (w) => this.hold(w));
  }

  // hold keeps the widget at the start until the prediction is answered.
  hold(w) {
    // Not a moment someone shared (a link's t), nor a followed class (classroom.js).
    if (this.answered || w.__zwHeld || (w.shared && w.shared.t != null)) return;
    w.__zwHeld = this;
    if (w.playing) w.setPlaying(false);
    if (w.vt > 0) w.seek(0);
    this.held = w;
    // (In the presenter view the room answers aloud: its bar says so.)
    setTimeout(() => {
      if (!this.answered && w.say && !document.documentElement.classList.contains('is-presenting')) w.say(T.held);
    }, 50);
  }

  pick(choice) {
    if (this.answered) return;
    const right = choice === this.answer;
    recordAnswer(this.id, choice, right);
    this.answered = true;
    for (const b of this.buttons) {
      b.disabled = true;
      b.setAttribute('aria-pressed', String(+b.dataset.choice === choice));
    }
    this.buttons[choice - 1].classList.add('is-mine');
    this.box.dataset.chosen = String(choice);
    if (!this.widgetEl) { this.show(choice, true); return; }
    this.verdict.textContent = T.watching;
    whenMounted(this.widgetEl, (w) => this.playTo(w, choice));
  }

  // playTo plays the widget to its last key moment, then shows the verdict.
  playTo(w, choice) {
    const ms = moments(w);
    const target = ms.length ? ms[ms.length - 1] : 0;
    if (w.__zwHeld === this) w.__zwHeld = null;
    if (!(w.vt < target)) { this.show(choice, true); return; }
    // (The presenter view has the ring beside the question already: no scroll.)
    if (!document.documentElement.classList.contains('is-presenting')) this.widgetEl.scrollIntoView({behavior: 'smooth', block: 'center'});
    w.setPlaying(true);
    const wait = () => {
      if (!w.sim) return;
      if (w.vt >= target || w.state.t >= target) {
        w.setPlaying(false);
        this.show(choice, true);
        return;
      }
      if (!w.playing) w.setPlaying(true);
      setTimeout(wait, 50);
    };
    wait();
  }

  // revealToRoom shows the answer and why without a pick (the presenter
  // view: the room answered aloud).
  revealToRoom() {
    if (this.answered) return;
    this.answered = true;
    for (const b of this.buttons) {
      b.disabled = true;
      b.classList.toggle('is-right', +b.dataset.choice === this.answer);
    }
    this.box.dataset.result = 'shown';
    this.verdict.textContent = T.answer(letter(this.answer - 1));
    this.reveal.open = true;
  }

  // show marks the right choice and says whether choice was it, and why.
  show(choice, fresh) {
    this.answered = true;
    for (const b of this.buttons) {
      b.disabled = true;
      const n = +b.dataset.choice;
      b.classList.toggle('is-right', n === this.answer);
      b.classList.toggle('is-mine', n === choice);
      b.setAttribute('aria-pressed', String(n === choice));
    }
    const right = choice === this.answer;
    this.box.dataset.chosen = String(choice);
    this.box.dataset.result = right ? 'right' : 'wrong';
    this.verdict.textContent = right ? T.right(letter(this.answer - 1)) : T.wrong(letter(choice - 1), letter(this.answer - 1));
    this.reveal.open = true;
    if (fresh && this.held && this.held.say) this.held.say(this.verdict.textContent);
  }
}

// widgetAfter is the first playground widget after el on the page.
function widgetAfter(el) {
  for (const w of document.querySelectorAll('[data-widget]')) {
    if (el.compareDocumentPosition(w) & Node.DOCUMENT_POSITION_FOLLOWING) return w;
  }
  return null;
}

export const predictions = [];

const article = document.querySelector('article[data-lesson]');
if (article) {
  for (const box of article.querySelectorAll('aside.predict[data-predict]')) {
    predictions.push(new Prediction(box, article.dataset.lesson));
  }
}
