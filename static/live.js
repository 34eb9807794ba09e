// live.js: the playground's live mode. A LiveSim drives the same renderer as
// sim.js's Sim, but the ensemble is real: ZAB servers on this machine, started
// and poked through the HTTP/websocket API of server/ensemble (its README.md is
// the contract). Time is wall-clock: state.t is the ms since the ensemble
// started, so there is no seek, step, speed or bug switch here.
//
// Surface the widget uses (the subset of Sim that makes sense in real time,
// and caps, LIVE_CAPS, which says so):
//   frame(toMs) -> {events, state, reset?, notice?, closed?}  (toMs is ignored)
//   act(text)   -> Promise<{events: [], state, reply} | {error}>
//   exportTrace(), destroy()
// created by createLive({voters, observers, linkDelayMs}).

// TEXT is every user-visible string of this module (one place, to translate).
export const TEXT = {
  busy: 'The server is already running as many live ensembles as it allows. Staying simulated; try again in a few minutes.',
  slow: (s) => `too many actions at once: try again in ${s} s`,
  absent: 'This site has no live servers (simulated only). Staying simulated.',
  unreachable: 'Could not reach the server to start live servers. Staying simulated.',
  failed: (why) => `Live servers did not start: ${why}. Staying simulated.`,
  badAnswer: 'the server sent an answer this page does not understand',
  gap: (n) => `Live: some events were skipped (${n} while this view fell behind); showing a fresh snapshot.`,
  overflow: 'Live: some events were skipped while this view was hidden; showing a fresh snapshot.',
  lost: (s) => `Live connection lost; reconnecting in ${s} s…`,
  reconnecting: 'Live: reconnecting…',
  reconnected: 'Live connection restored; showing a fresh snapshot.',
  gone: 'the live ensemble no longer exists on the server',
  actFailed: (why) => `the server did not take it (${why})`,
  network: 'the server could not be reached',
};

const API = '/api/ensembles';
const REFRESH_MS = 1000; // authoritative state, besides what events patch in between
const SOON_MS = 120; // refresh this soon after an event that changes links or logs
const MAX_PENDING = 20000; // events buffered while the widget is off-screen
const MAX_KEEP = 200000; // events kept for exportTrace (as the simulator's export)
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 10000];

// createLive starts a live ensemble. It resolves to a LiveSim, or to
// {error, reason} with reason "busy" (429), "absent" (no API: 404/405/501),
// "network" or "error"; the widget then stays simulated.
export async function createLive({voters = 3, observers = 0, linkDelayMs = 300} = {}, base = API) {
  let resp;
  try {
    resp = await fetch(base, {method: 'POST', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({voters, observers, linkDelayMs})});
  } catch {
    return {error: TEXT.unreachable, reason: 'network'};
  }
  if (resp.status === 429) return {error: TEXT.busy, reason: 'busy'};
  if (resp.status === 404 || resp.status === 405 || resp.status === 501) return {error: TEXT.absent, reason: 'absent'};
  const body = await readJSON(resp);
  if (!resp.ok) return {error: TEXT.failed((body && body.error) || `HTTP ${resp.status}`), reason: 'error'};
  if (!body || !body.id || !body.token || !body.state) return {error: TEXT.failed(TEXT.badAnswer), reason: 'error'};
  return new LiveSim(base, body.id, body.token, body.state);
}

async function readJSON(resp) {
  try {
    return JSON.parse(await resp.text());
  } catch {
    return null;
  }
}

// LIVE_CAPS: what a live ensemble can do (sim.js CAPS says what each means):
// real time only, no seek, step, speed, bug switches, random faults or shared
// moment; a pause lasts until resumed; the link delay can change.
export const LIVE_CAPS = Object.freeze({seek: false, step: false, pause: false, speed: false, bugs: false, faults: false,
  share: false, script: false, timedPause: false, narrated: false, realTime: true, linkDelay: true});

/** One live ensemble, seen through its websocket. */
export class LiveSim {
  constructor(base, id, token, state) {
    this.caps = LIVE_CAPS;
    this.live = true;
    this.id = id;
    // token is the capability the create answered: acting and DELETE send it
    // (Authorization: Bearer); watching needs none. Kept in memory only.
    this.token = token;
    this.url = new URL(base.replace(/\/$/, '') + '/' + encodeURIComponent(id), location.href).href;
    this.pending = []; // events since the last frame
    this.all = []; // events for exportTrace
    this.actions = []; // every action seen, for exportTrace (a state lists the last 100)
    this.actionsMissed = 0; // actions no state this page saw listed
    this.dropped = 0;
    this.notice = ''; // one status line for the widget, taken by frame
    this.reset = true; // the next frame replaces the widget's event window
    this.ended = ''; // set when the ensemble stopped ("closed")
    this.destroyed = false;
    this.attempt = 0;
    this.lastEventT = 0;
    this.seq = null; // the stream seq of the next event the state lacks
    this.offset = -Infinity; // ensemble ms = performance.now() + offset
    this.take(state, true);
    this.connect();
    this.poll = setInterval(() => this.refresh(), REFRESH_MS);
  }

  /** now is the ensemble's clock: ms since it started, from the server's answers. */
  now() { return performance.now() + this.offset; }

  // frame hands over what the websocket buffered since the previous call.
  frame() {
    const res = {events: this.pending, state: this.view()};
    this.pending = [];
    if (this.reset) { res.reset = true; this.reset = false; }
    if (this.notice) { res.notice = this.notice; this.notice = ''; }
    if (this.ended) res.closed = this.ended;
    return res;
  }

  // act applies one scenario statement now ("crash leader", "restart s3", ...).
  async act(text) {
    if (this.ended) return {error: this.ended};
    let resp;
    try {
      resp = await fetch(this.url + '/actions', {method: 'POST', headers: this.headers(),
        body: JSON.stringify({text: String(text)})});
    } catch {
      return {error: TEXT.network};
    }
    const body = await readJSON(resp);
    if (resp.status === 404) { this.end(TEXT.gone); return {error: TEXT.gone}; }
    if (resp.status === 429 && !(body && body.error)) return {error: TEXT.slow(resp.headers.get('Retry-After') || '1')};
    if (!resp.ok || !body || body.error) return {error: (body && body.error) || TEXT.actFailed('HTTP ' + resp.status)};
    // The answer carries no state (the websocket brings the action's events):
    // refresh soon for the rest (links, logs, actions).
    if (body.state) this.take(body.state, false);
    this.refreshSoon();
    return {events: [], state: this.view(), reply: body.reply || null};
  }

  /** {live, id, config, actions, dropped, events}: what this page saw. */
  exportTrace() {
    const st = this.state;
    return {live: true, id: this.id, config: st.config, actions: this.actions.slice(), actionsMissed: this.actionsMissed,
      dropped: this.dropped, events: this.all.slice()};
  }

  /** destroy stops every server of the ensemble (DELETE) and the websocket. */
  destroy() {
    if (this.destroyed) return Promise.resolve();
    this.destroyed = true;
    this.stop();
    if (this.ended) return Promise.resolve(); // the server already stopped it
    // keepalive: the DELETE still goes out when the page is being unloaded.
    return fetch(this.url, {method: 'DELETE', keepalive: true, headers: this.headers()}).then(() => {}, () => {});
  }

  // headers are what a change needs: JSON (the server refuses other types
  // from a page) and the ensemble's token.
  headers() {
    return {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + this.token};
  }

  stop() {
    clearInterval(this.poll);
    clearTimeout(this.retry);
    clearTimeout(this.soon);
    if (this.ws) {
      this.ws.onclose = this.ws.onmessage = this.ws.onerror = null;
      try { this.ws.close(1000); } catch { /* already closed */ }
      this.ws = null;
    }
  }

  end(reason) {
    if (this.ended) return;
    this.ended = reason || TEXT.gone;
    this.stop();
  }

  // view is the state as the renderer wants it: t is now (wall clock).
  view() {
    const st = this.state;
    st.t = Math.max(st.t || 0, Math.floor(this.now()));
    return st;
  }

  // connect opens the websocket; on a drop it retries with backoff.
  connect() {
    if (this.destroyed || this.ended) return;
    const u = new URL(this.url + '/events');
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws;
    try {
      ws = new WebSocket(u.href);
    } catch {
      this.lost();
      return;
    }
    this.ws = ws;
    ws.onmessage = (m) => this.message(m.data);
    ws.onclose = () => { if (this.ws === ws) { this.ws = null; this.lost(); } };
  }

  lost() {
    if (this.destroyed || this.ended) return;
    const wait = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt++;
    this.notice = TEXT.lost((wait / 1000).toFixed(wait < 1000 ? 1 : 0));
    this.conn = 'reconnecting';
    clearTimeout(this.retry);
    this.retry = setTimeout(async () => {
      // After a few failures, ask whether the ensemble still exists (the
      // websocket cannot tell a 404 from a network error).
      if (this.attempt >= 3 && !(await this.exists())) { this.end(TEXT.gone); return; }
      this.notice = TEXT.reconnecting;
      this.connect();
    }, wait);
  }

  async exists() {
    try {
      const r = await fetch(this.url);
      return r.status !== 404;
    } catch {
      return true; // the network, not the ensemble: keep trying
    }
  }

  message(data) {
    let m;
    try { m = JSON.parse(data); } catch { return; }
    switch (m.type) {
      case 'snapshot':
        if (this.attempt > 0) this.notice = TEXT.reconnected;
        this.attempt = 0;
        this.conn = 'open';
        this.take(m.state, true);
        this.pending = [];
        this.reset = true;
        break;
      case 'events': {
        let seq = typeof m.seq === 'number' ? m.seq : null;
        for (const e of m.events || []) this.event(e, seq == null ? null : seq++);
        break;
      }
      case 'gap':
        // A fresh snapshot follows; the events before it are stale now.
        this.notice = TEXT.gap(m.dropped || 0);
        this.pending = [];
        break;
      case 'closed':
        this.end(m.reason || TEXT.gone);
        break;
    }
  }

  // take adopts a state from the server. whole: a websocket snapshot, which
  // the events that follow continue. Otherwise (a GET or an action's answer)
  // the state may be older than events already applied: with the stream's
  // seq (state.seq counts the events it includes) it is taken only when it
  // is not older; without seq, when its t is not older, keeping the packets
  // that events drew.
  take(st, whole) {
    if (!st || !st.servers) return;
    const off = (st.t || 0) - performance.now();
    if (off > this.offset) this.offset = off;
    const hasSeq = typeof st.seq === 'number';
    if (!whole && this.state) {
      if (hasSeq && this.seq != null) {
        if (st.seq < this.seq) return;
      } else {
        if ((st.t || 0) < this.lastEventT) return;
        st.inflight = this.state.inflight;
      }
    }
    st.inflight = (st.inflight || []).slice();
    if (hasSeq) this.seq = st.seq; // the next event to apply
    this.state = st;
    this.keepActions(st);
  }

  // keepActions appends the actions of st this page had not seen: st.actions
  // are the last ones (at most 100) of st.actionsTotal.
  keepActions(st) {
    const list = st.actions || [];
    const total = typeof st.actionsTotal === 'number' ? st.actionsTotal : list.length;
    const first = total - list.length; // the index of list[0] among all actions
    const seen = this.actions.length + this.actionsMissed;
    if (first > seen) this.actionsMissed += first - seen;
    for (let i = Math.max(0, seen - first); i < list.length; i++) this.actions.push(list[i]);
  }

  async refresh() {
    if (this.destroyed || this.ended || this.fetching) return;
    this.fetching = true;
    try {
      const r = await fetch(this.url);
      if (r.status === 404) { this.end(TEXT.gone); return; }
      const body = await readJSON(r);
      if (r.ok && body && body.state && !this.destroyed) this.take(body.state, false);
    } catch {
      // the websocket's reconnect says so
    } finally {
      this.fetching = false;
    }
  }

  refreshSoon() {
    if (this.soon) return;
    this.soon = setTimeout(() => { this.soon = 0; this.refresh(); }, SOON_MS);
  }

  // event buffers one event and patches the state with it, so roles, phases,
  // epochs, zxids and packets move as events arrive, between refreshes (logs
  // and trees change only with a fresh state).
  event(e, seq) {
    if (this.pending.length >= MAX_PENDING) {
      // The widget has not asked for a while (off-screen): start over from
      // the server's state rather than hold everything.
      this.pending = [];
      this.reset = true;
      this.notice = TEXT.overflow;
      this.refresh();
    }
    this.pending.push(e);
    this.all.push(e);
    if (this.all.length > MAX_KEEP) {
      const n = this.all.length - MAX_KEEP;
      this.all.splice(0, n);
      this.dropped += n;
    }
    if (e.t > this.lastEventT) this.lastEventT = e.t;
    const now = this.now();
    if (e.t > now) this.offset += e.t - now;
    // An event the state already includes (it came from a newer answer) is
    // shown, not applied twice.
    if (seq != null && this.seq != null) {
      if (seq < this.seq) return;
      this.seq = seq + 1;
    }
    patch(this.state, e, now);
    if (CHANGES_MORE.has(e.kind)) this.refreshSoon();
  }
}

// Events whose full effect (links, logs, trees) only a fresh state shows:
// each server's log and tree are its own view (core/view), drawn as sent,
// never rebuilt here from events.
const CHANGES_MORE = new Set(['partition', 'heal', 'cut', 'truncate', 'crash', 'restart', 'established', 'deliver', 'sync-mode', 'reply']);

// patch applies one event to a state (core/event.go lists the fields).
function patch(st, e, now) {
  const sv = (st.servers || []).find((x) => x.id === e.node);
  const inflight = st.inflight;
  switch (e.kind) {
    case 'send':
      inflight.push({id: e.id, from: e.node, to: e.peer, msg: e.msg, text: e.text, sent: e.t, arrive: e.arrive || e.t});
      break;
    case 'deliver-msg': case 'drop': {
      const i = inflight.findIndex((p) => p.id === e.id);
      if (i >= 0) inflight.splice(i, 1);
      break;
    }
    case 'role':
      if (!sv) break;
      sv.role = e.role;
      if (e.epoch) sv.currentEpoch = e.epoch;
      sv.leader = e.role === 'leading' ? sv.id : e.leader || 0;
      if (e.role === 'leading') st.leader = sv.id;
      else if (st.leader === sv.id) st.leader = 0;
      break;
    case 'phase': if (sv) sv.phase = e.phase; break;
    case 'accepted-epoch': if (sv) sv.acceptedEpoch = e.epoch; break;
    case 'current-epoch': if (sv) sv.currentEpoch = e.epoch; break;
    case 'vote': if (sv && e.vote) sv.vote = e.vote; break;
    case 'deliver': if (sv && e.zxid) sv.lastZxid = e.zxid; break;
    case 'established': st.leader = e.node; break;
    case 'sync-mode': {
      const lr = (st.servers || []).find((x) => x.id === e.peer);
      if (lr) lr.lastSync = e.mode;
      break;
    }
    case 'crash':
      if (!sv) break;
      sv.up = false;
      sv.paused = false;
      sv.role = 'down';
      if (st.leader === sv.id) st.leader = 0;
      st.inflight = inflight.filter((p) => p.from !== sv.id && p.to !== sv.id);
      break;
    case 'restart':
      if (!sv) break;
      sv.up = true;
      sv.role = 'looking';
      sv.phase = 'election';
      break;
    case 'pause': if (sv) sv.paused = true; break;
    case 'resume': if (sv) sv.paused = false; break;
  }
  // A packet whose delivery was never reported (its connection broke) leaves
  // the picture a while after it was due.
  if (st.inflight.length > 0 && st.inflight[0].arrive < now - 3000) st.inflight = st.inflight.filter((p) => p.arrive >= now - 3000);
}
