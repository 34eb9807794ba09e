// progress.js: the course progress, kept in this browser only (localStorage,
// no account). On a lesson page (article[data-lesson]) it records the visit,
// each widget task completed (the widget marks its .zw-task is-complete) and
// each prediction answered (predict.js: the choice and whether it was right;
// or only its reveal opened, which counts as answered). On the lessons index
// ([data-testid="progress"]) it shows the totals and a mark per lesson.
// Slugs are the same in every language, so progress carries across them.
// Every string comes from the page (data-* attributes the templates fill
// from the language's table): this module has none of its own.

const KEY = 'zabplay-progress-v1';

export function load(storage = globalThis.localStorage) {
  try {
    const p = JSON.parse(storage.getItem(KEY) || '{}');
    return {visited: p.visited || {}, tasks: p.tasks || {}, predicts: p.predicts || {}};
  } catch {
    return {visited: {}, tasks: {}, predicts: {}};
  }
}

function save(p, storage = globalThis.localStorage) {
  try {
    storage.setItem(KEY, JSON.stringify(p));
  } catch {
    // Storage full or disabled: progress is a convenience, never an error.
  }
}

// record changes the stored progress with f and saves it.
function record(f) {
  const p = load();
  f(p);
  save(p);
}

// recordAnswer keeps a prediction's answer: the choice (1-based) and whether
// it was right. The first answer stands.
export function recordAnswer(id, choice, right) {
  record((p) => {
    if (!(p.predicts[id] && p.predicts[id].choice)) p.predicts[id] = {choice, right: !!right};
  });
}

// answerOf is a prediction's recorded answer: {choice, right}, true (its
// answer was only revealed), or undefined.
export function answerOf(id) {
  return load().predicts[id];
}

// trackLesson records a visit, then tasks and predictions as they happen.
function trackLesson(article) {
  const slug = article.dataset.lesson;
  record((p) => { p.visited[slug] = true; });
  document.querySelectorAll('[data-widget]').forEach((w, i) => {
    if (!w.dataset.task) return;
    const id = `${slug}/${i + 1}`;
    const check = () => {
      if (w.querySelector('.zw-task.is-complete')) {
        record((p) => { p.tasks[id] = true; });
        obs.disconnect();
      }
    };
    const obs = new MutationObserver(check);
    obs.observe(w, {subtree: true, childList: true, attributes: true, attributeFilter: ['class']});
    check();
  });
  document.querySelectorAll('[data-predict]').forEach((box) => {
    const reveal = box.querySelector('details');
    if (!reveal) return;
    reveal.addEventListener('toggle', () => {
      if (reveal.open) record((p) => { p.predicts[box.dataset.predict] ||= true; });
    });
  });
}

// count returns how many keys of set start with prefix.
function count(set, prefix) {
  return Object.keys(set).filter((k) => k.startsWith(prefix)).length;
}

// showIndex fills the progress summary and one mark per lesson.
function showIndex(box) {
  const p = load();
  const items = [...document.querySelectorAll('[data-testid="lessons"] li[data-slug]')];
  let visited = 0, tasks = 0, taskTotal = 0, predicts = 0, predictTotal = 0, right = 0;
  for (const li of items) {
    const slug = li.dataset.slug;
    const nt = Number(li.dataset.tasks) || 0, np = Number(li.dataset.predicts) || 0;
    const v = !!p.visited[slug];
    const t = Math.min(count(p.tasks, slug + '/'), nt);
    const q = Math.min(count(p.predicts, slug + '-'), np);
    const r = Math.min(Object.entries(p.predicts).filter(([k, a]) => k.startsWith(slug + '-') && a && a.right === true).length, q);
    visited += v ? 1 : 0; tasks += t; predicts += q; taskTotal += nt; predictTotal += np; right += r;
    const marks = [];
    if (v) marks.push('✓ ' + box.dataset.tVisited);
    if (nt && t >= nt) marks.push('✓ ' + box.dataset.tTask);
    if (np && q) marks.push(`${box.dataset.tPredict} ${q}/${np}`);
    if (r) marks.push((box.dataset.tRight || '✓ {n}').replace('{n}', String(r)));
    const span = li.querySelector('[data-lesson-progress]');
    if (span) span.textContent = marks.join(' · ');
    li.classList.toggle('is-visited', v);
  }
  const fill = {visited, lessons: items.length, tasks, taskTotal, predicts, predictTotal, right};
  const line = box.querySelector('[data-progress-line]');
  if (line && (visited || tasks || predicts)) {
    line.textContent = box.dataset.progressSummary.replace(/\{(\w+)\}/g, (m, k) => (k in fill ? String(fill[k]) : m));
  }
  const reset = box.querySelector('[data-progress-reset]');
  if (reset) {
    reset.hidden = !(visited || tasks || predicts);
    reset.onclick = () => {
      try { localStorage.removeItem(KEY); } catch { /* nothing stored */ }
      location.reload();
    };
  }
}

const article = document.querySelector('article[data-lesson]');
if (article) trackLesson(article);
const box = document.querySelector('[data-testid="progress"]');
if (box) showIndex(box);
