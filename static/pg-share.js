// pg-share.js: the shareable URL of a widget with data-share="true". The query
// string carries seed, voters, observers, bug switches, the actions (each
// "step~t~text") and the time position t; opening it replays to that moment.
//
//   /playground?seed=7&voters=3&observers=0&bugs=ZOOKEEPER-1154&a=5123~4200~crash+s3&t=6100

const KEYS = ['seed', 'voters', 'observers', 'bugs', 'a', 't'];

// readShare parses a query string; null when it holds no share parameters.
export function readShare(search) {
  const q = new URLSearchParams(search);
  if (!KEYS.some((k) => q.has(k))) return null;
  const num = (k) => (q.has(k) && q.get(k) !== '' && Number.isFinite(+q.get(k)) ? Math.floor(+q.get(k)) : null);
  const actions = [];
  for (const a of q.getAll('a')) {
    const i = a.indexOf('~'), j = i < 0 ? -1 : a.indexOf('~', i + 1);
    if (j < 0) continue;
    const step = +a.slice(0, i), t = +a.slice(i + 1, j), text = a.slice(j + 1);
    if (Number.isFinite(step) && Number.isFinite(t) && text) actions.push({step, t, text});
  }
  return {
    seed: num('seed'), voters: num('voters'), observers: num('observers'),
    bugs: (q.get('bugs') || '').split(',').map((x) => x.trim()).filter(Boolean),
    actions, t: num('t'),
  };
}

// writeShare returns href with the share parameters of this moment.
export function writeShare(href, cfg, state) {
  const u = new URL(href);
  const q = u.searchParams;
  for (const k of KEYS) q.delete(k);
  const c = state.config || {};
  if (!cfg.scenario) {
    q.set('seed', c.seed ?? cfg.seed ?? 1);
    q.set('voters', c.voters ?? cfg.voters ?? 3);
    q.set('observers', c.observers ?? cfg.observers ?? 0);
  }
  const bugs = state.bugs || [];
  if (bugs.length) q.set('bugs', bugs.join(','));
  for (const a of state.actions || []) q.append('a', `${a.step}~${a.t}~${a.text}`);
  q.set('t', Math.floor(state.t));
  u.search = q.toString();
  return u.toString();
}
