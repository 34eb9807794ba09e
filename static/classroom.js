// classroom.js: shared classroom sessions (server/classroom/README.md is the
// API). A bar above each playground widget offers "Share with the class"
// (the teacher: a short code and a link to project) and "Follow a class" (a
// student: type the code, or open the link). The simulator is deterministic,
// so the room relays the teacher's run, not frames: the configuration, the
// action list and the time position. A follower's widget rebuilds the run and
// keeps to the teacher's clock; touching its controls (or "Detach") detaches
// it onto its own copy, and "Back to the teacher" follows again.
//
// The widget's own module (playground.js) knows nothing of this: the
// adapter below reads and drives a mounted widget (element.__zw) through the
// few members it needs, all in one place (widgetRun, loadRun, keepClock,
// watchLive).

export const TEXT = {
  en: {
    share: 'Share with the class',
    shareTitle: 'Let students follow this playground on their screens, through a code or a link',
    follow: 'Follow a class',
    code: 'Class code',
    go: 'Follow',
    cancel: 'Cancel',
    sharing: 'Your class follows with the code',
    orLink: 'or the link',
    copy: 'Copy link',
    copied: 'Link copied.',
    copyThis: (u) => 'Copy this link: ' + u,
    stop: 'Stop sharing',
    following: (n) => (n === 1 ? '1 student following' : `${n} students following`),
    opening: 'Opening a class room…',
    joining: (c) => `Joining ${c}…`,
    followingCode: (c) => `Following the class ${c}: this is the teacher's run.`,
    waiting: (c) => `Following the class ${c}: waiting for the teacher…`,
    teacherAway: 'The teacher\'s page is away; the run waits where it was.',
    liveFollow: 'The teacher switched to Live: you are watching the same real servers.',
    detach: 'Detach',
    detachTitle: 'Explore on your own copy of the run; the teacher goes on without you',
    detached: (c) => `Detached from ${c}: this is your own copy. Anything you do stays on your screen.`,
    rejoin: 'Back to the teacher',
    leave: 'Leave the class',
    left: 'You left the class.',
    stopped: 'You stopped sharing: the class room is closed.',
    closed: (why) => `The class room closed: ${why}.`,
    badCode: 'A class code is 8 letters and digits, such as K7QM-XP2D.',
    noRoom: 'No class with that code. Check it with your teacher.',
    noServer: 'Shared classes need a zabplay serve behind the page (this site has none).',
    noWidget: 'This page has no such playground to follow.',
    lost: 'Connection to the class lost; reconnecting…',
    gone: 'the server no longer has it',
    tooMany: (n) => `This run has more than ${n} actions: your class sees it up to the ${n}th. Start a fresh run to share more.`,
    failed: (why) => `Could not share: ${why}`,
    runFailed: (why) => `The teacher's run could not be rebuilt here: ${why}`,
  },
  zh: {
    share: '与全班共享',
    shareTitle: '让学生通过课堂码或链接，在自己的屏幕上跟随这个演练场',
    follow: '跟随课堂',
    code: '课堂码',
    go: '跟随',
    cancel: '取消',
    sharing: '学生用这个课堂码跟随',
    orLink: '或打开链接',
    copy: '复制链接',
    copied: '链接已复制。',
    copyThis: (u) => '请复制这个链接：' + u,
    stop: '停止共享',
    following: (n) => `${n} 名学生正在跟随`,
    opening: '正在开设课堂……',
    joining: (c) => `正在加入 ${c}……`,
    followingCode: (c) => `正在跟随课堂 ${c}：你看到的就是老师屏幕上的运行。`,
    waiting: (c) => `正在跟随课堂 ${c}：等待老师……`,
    teacherAway: '老师的页面暂时离开了，运行停在原处。',
    liveFollow: '老师切换到了 Live 模式：你看到的是同一组真实的服务器。',
    detach: '脱离跟随',
    detachTitle: '在你自己的副本上自由探索；老师那边照常进行',
    detached: (c) => `已脱离 ${c}：这是你自己的副本，你做的一切只留在你的屏幕上。`,
    rejoin: '回到老师这边',
    leave: '离开课堂',
    left: '你已离开课堂。',
    stopped: '你已停止共享，课堂已关闭。',
    closed: (why) => `课堂已关闭：${why}。`,
    badCode: '课堂码是 8 位字母和数字，例如 K7QM-XP2D。',
    noRoom: '没有这个课堂码的课堂，请向老师核对。',
    noServer: '共享课堂需要页面背后运行 zabplay serve（本站没有）。',
    noWidget: '这个页面上没有要跟随的那个演练场。',
    lost: '与课堂的连接断开了，正在重连……',
    gone: '服务器上已经没有这个课堂了',
    tooMany: (n) => `这次运行的操作超过了 ${n} 个：学生只能看到前 ${n} 个。重新开始一次运行才能继续共享。`,
    failed: (why) => `无法共享：${why}`,
    runFailed: (why) => `无法在这里重现老师的运行：${why}`,
  },
};

export function lang() {
  return (document.documentElement.lang || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

const T = TEXT[lang()];
const API = '/api/rooms';
const TICK_MS = 100; // how often the teacher's page looks at its widget
const MAX_ACTIONS = 2000; // server/classroom's MaxActions
const CLOCK_EVERY_MS = 250; // the time position while playing
const CODE = /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-?[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}$/;

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null && v !== false) el.setAttribute(k, v === true ? '' : v);
  for (const k of kids) if (k != null) el.append(k);
  return el;
}

function wsURL(path) {
  const u = new URL(path, location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.href;
}

// pagePath is a path without its language prefix: a room made on /zh/... is
// followed in English on /... and the other way round (the run is the same).
function pagePath(p) {
  return p.replace(/^\/zh(?=\/|$)/, '') || '/';
}

function inMyLang(p) {
  const bare = pagePath(p);
  return lang() === 'zh' ? '/zh' + (bare === '/' ? '/' : bare) : bare;
}

// ---- The adapter: what this module reads from and does to a widget. ----

// isLive: the widget shows a live ensemble (real time).
function isLive(w) {
  return w.caps ? !!w.caps.realTime : w.mode === 'live';
}

// widgetRun is the widget's run as a room relays it.
function widgetRun(w) {
  const st = w.state;
  const c = st.config || {};
  const config = w.cfg && w.cfg.scenario ? {scenario: w.cfg.scenario}
    : {voters: c.voters || 3, observers: c.observers || 0, seed: c.seed || 0};
  if (st.bugs && st.bugs.length) config.bugs = st.bugs.slice();
  return {config, actions: (st.actions || []).map((a) => ({step: a.step, t: a.t, text: a.text}))};
}

function widgetClock(w) {
  return {t: Math.max(0, +w.vt || 0), playing: !!w.playing, speed: +w.speed || 1};
}

// loadRun replaces the widget's run with the room's (a fresh simulator with
// the teacher's config and actions, replayed to the teacher's time), the way
// the widget itself loads a shared link.
function loadRun(w, run, clock) {
  if (isLive(w)) w.goSim();
  const cfg = {...run.config, actions: run.actions.slice(), lang: lang()};
  // start() builds the run from config(): this one, once (a later start, a
  // bug's "Watch it happen", reads the widget's own again).
  w.config = function config() {
    this.cfg = cfg;
    this.shared = {t: Math.floor(clock.t), bugs: cfg.bugs || [], actions: cfg.actions};
    return cfg;
  };
  // A run this page's simulator refuses (an action it cannot parse) leaves
  // the widget as it was, with an error in the class bar.
  const probe = w.api.create(cfg);
  if (!probe || probe.error) throw new Error((probe && probe.error) || 'no simulator');
  probe.destroy();
  try {
    w.sim.destroy();
  } catch { /* already gone */ }
  w.alarmKey = '';
  if (w.alarm) w.alarm.el.hidden = true;
  w.maxT = 0;
  try {
    w.start();
  } finally {
    delete w.config;
  }
  setClock(w, clock, true);
}

// setClock keeps the widget at the teacher's time position: forward by
// running on (cheap), back by a seek (a replay), and the same play state
// and speed.
function setClock(w, clock, exact) {
  if (isLive(w) || !w.sim) return;
  if (+w.speed !== clock.speed && clock.speed > 0) {
    w.speed = clock.speed;
    if (w.tr && w.tr.speed) w.tr.speed.value = String(clock.speed);
  }
  const t = clock.t;
  const ahead = w.vt - t;
  if (ahead > (exact ? 1 : Math.max(300, 600 * clock.speed))) {
    w.maxT = Math.max(w.maxT, t);
    w.seek(t);
  } else if (ahead < -1) {
    w.vt = t; // the next frame runs the simulator up to it
    w.maxT = Math.max(w.maxT, t);
    w.dirty = true;
  }
  if (w.playing !== clock.playing) w.setPlaying(clock.playing);
  w.kick();
}

// watchLive shows the teacher's live ensemble in the widget, watched (no
// token: a follower cannot act on it), as the widget's own Live switch does.
async function watchLive(w, id) {
  const resp = await fetch('/api/ensembles/' + encodeURIComponent(id));
  if (!resp.ok) throw new Error('HTTP ' + resp.status);
  const body = await resp.json();
  const mod = await import('./live.js');
  const live = new mod.LiveSim('/api/ensembles', id, '', body.state);
  // A watcher must not DELETE the teacher's ensemble when it stops watching.
  live.destroy = () => {
    if (!live.destroyed) { live.destroyed = true; live.stop(); }
    return Promise.resolve();
  };
  if (isLive(w)) w.goSim();
  w.saved = {sim: w.sim, vt: w.vt, maxT: w.maxT, playing: w.playing};
  w.sim = live;
  w.mode = 'live';
  w.captions?.reset([]);
  w.pendingSeek = null;
  w.alarmKey = '';
  if (w.alarm) w.alarm.el.hidden = true;
  w.playing = true;
  w.syncMode();
  const res = live.frame(0);
  const c = res.state.config || {};
  const servers = res.state.servers || [];
  w.narr = w.api.narrator?.({voters: c.voters || servers.filter((s) => !s.observer).length,
    observers: c.observers ?? servers.filter((s) => s.observer).length,
    tickMs: c.tickMs || 0, syncLimit: c.syncLimit || 0, initLimit: c.initLimit || 0, lang: lang()}) || null;
  w.maxT = res.state.t;
  w.liveFrame(res);
  w.task?.rebase(res.state);
  w.kick();
}

const TEACHING = 'zabplay-teaching-v1';

function keepTeaching(v) {
  try { sessionStorage.setItem(TEACHING, JSON.stringify(v)); } catch { /* no storage: a reload ends sharing */ }
}

function forgetTeaching() {
  try { sessionStorage.removeItem(TEACHING); } catch { /* nothing kept */ }
}

function teaching() {
  try { return JSON.parse(sessionStorage.getItem(TEACHING) || 'null'); } catch { return null; }
}

// roomGone reports whether the server says the room does not exist (404).
async function roomGone(code) {
  try {
    const r = await fetch(`${API}/${encodeURIComponent(code)}`);
    return r.status === 404;
  } catch {
    return false;
  }
}

// ---- Teacher ----

class Teacher {
  constructor(bar, w, index) {
    this.bar = bar;
    this.w = w;
    this.index = index;
    this.sent = null; // {configKey, actions, clock, live}
  }

  // open opens a class room, or (resume: what a reload of this tab kept)
  // takes the one it had up again.
  async open(resume) {
    let body = resume;
    if (resume) {
      if (await roomGone(resume.code)) { forgetTeaching(); return false; }
    } else {
      this.bar.say(T.opening);
      let resp;
      try {
        resp = await fetch(API, {method: 'POST', headers: {'Content-Type': 'application/json'},
          body: JSON.stringify({page: location.pathname, widget: this.index})});
        body = await resp.json().catch(() => null);
      } catch {
        this.bar.say(T.failed(T.noServer));
        return false;
      }
      if (resp.status === 404 || resp.status === 405 || resp.status === 501) { this.bar.say(T.failed(T.noServer)); return false; }
      if (!resp.ok || !body || !body.code) { this.bar.say(T.failed((body && body.error) || 'HTTP ' + resp.status)); return false; }
    }
    this.code = body.code;
    // The token lives in this tab only (sessionStorage): a reload of the
    // teacher's page goes on teaching the same room; closing the tab ends it
    // for this page (the room closes when its teacher was away --room-idle).
    this.token = body.token;
    keepTeaching({path: location.pathname, widget: this.index, code: body.code, token: body.token, follow: body.follow});
    this.link = new URL(inMyLang(body.follow.split('?')[0]) + '?follow=' + body.code, location.href).href;
    this.connect();
    this.timer = setInterval(() => this.look(), TICK_MS);
    // An action goes out as soon as the widget has taken it, not at the next tick.
    const w = this.w;
    const act = w.act;
    if (typeof act === 'function' && !Object.hasOwn(w, 'act')) {
      w.act = async function classroomAct(...args) {
        const res = await act.apply(this, args);
        queueMicrotask(() => { if (w.__zwTeacher) w.__zwTeacher.look(); });
        return res;
      };
    }
    w.__zwTeacher = this;
    return true;
  }

  connect() {
    if (this.stopped) return;
    const ws = new WebSocket(wsURL(`${API}/${encodeURIComponent(this.code)}/teach`));
    this.ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({type: 'auth', token: this.token}));
      this.sent = null; // a (re)connected room gets the whole run again
    };
    ws.onmessage = (e) => {
      let m;
      try { m = JSON.parse(e.data); } catch { return; }
      if (m.type === 'ready') { this.ready = true; this.fails = 0; this.look(); }
      if (m.type === 'followers') this.bar.showCount(m.n);
      if (m.type === 'closed') { this.stop(false); this.bar.stoppedBy(T.closed(m.reason)); }
      if (m.type === 'error') console.warn('classroom:', m.error); // eslint-disable-line no-console
    };
    ws.onclose = async () => {
      this.ready = false;
      if (this.stopped) return;
      this.fails = (this.fails || 0) + 1;
      if (this.fails >= 3 && await roomGone(this.code)) {
        this.stop(false);
        this.bar.stoppedBy(T.closed(T.gone));
        return;
      }
      setTimeout(() => this.connect(), Math.min(10000, 1000 * this.fails));
    };
  }

  send(m) {
    if (this.ready && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  // look compares the widget with what the room has and sends the difference.
  look() {
    const w = this.w;
    if (!this.ready || !w.state) return;
    const now = performance.now();
    if (isLive(w)) {
      const id = w.sim && w.sim.id;
      if (id && (!this.sent || this.sent.live !== id)) {
        this.send({type: 'live', ensemble: id});
        if (this.sent) this.sent.live = id;
      }
      return;
    }
    const run = widgetRun(w);
    if (run.actions.length > MAX_ACTIONS) {
      // The room holds the first MAX_ACTIONS; the class sees the run up to there.
      if (!this.overflow) { this.overflow = true; this.bar.say(T.tooMany(MAX_ACTIONS)); }
      run.actions = run.actions.slice(0, MAX_ACTIONS);
    }
    const clock = widgetClock(w);
    const key = JSON.stringify(run.config);
    const s = this.sent;
    if (!s || s.configKey !== key) {
      this.send({type: 'reset', config: run.config, actions: run.actions, clock});
      this.sent = {configKey: key, actions: run.actions, clock, at: now, live: ''};
      return;
    }
    if (s.live) {
      this.send({type: 'live', ensemble: ''});
      s.live = '';
    }
    // Actions: the first that differs, and every one after it.
    let k = 0;
    const a = run.actions, b = s.actions;
    while (k < a.length && k < b.length && a[k].step === b[k].step && a[k].text === b[k].text) k++;
    if (k < a.length || k < b.length) {
      // Going back and acting cuts the list: "act" at index k replaces the rest.
      for (let i = k; i < a.length; i++) this.send({type: 'act', index: i, action: a[i]});
      performance.mark('classroom:sent-act');
      if (k === a.length) this.send({type: 'reset', config: run.config, actions: a, clock});
      s.actions = a;
      s.clock = clock;
      s.at = now;
      this.send({type: 'clock', clock});
      return;
    }
    const moved = clock.playing !== s.clock.playing || clock.speed !== s.clock.speed ||
      Math.abs(clock.t - (s.clock.t + (s.clock.playing ? (now - s.at) * s.clock.speed : 0))) > 50 * Math.max(1, clock.speed);
    if (moved || (clock.playing && now - s.at >= CLOCK_EVERY_MS) || (!clock.playing && clock.t !== s.clock.t)) {
      this.send({type: 'clock', clock});
      s.clock = clock;
      s.at = now;
    }
  }

  // stop ends sharing; with close, the room is closed for its followers too.
  stop(close = true) {
    this.stopped = true;
    if (this.w.__zwTeacher === this) this.w.__zwTeacher = null;
    clearInterval(this.timer);
    if (this.ws) { this.ws.onclose = null; this.ws.close(); }
    if (close) forgetTeaching();
    if (close && this.code) {
      fetch(`${API}/${encodeURIComponent(this.code)}`, {method: 'DELETE', keepalive: true,
        headers: {'Content-Type': 'application/json', Authorization: 'Bearer ' + this.token}}).catch(() => {});
    }
  }
}

// ---- Follower ----

class Follower {
  constructor(bar, w, code) {
    this.bar = bar;
    this.w = w;
    this.code = code;
    this.detached = false;
    this.room = null; // the latest state: {config, actions, clock, at, live, started}
    this.loaded = ''; // the run loaded in the widget (its key)
    this.attempt = 0;
  }

  start() {
    this.bar.say(T.joining(this.code));
    // The class sees what the teacher shows: the widget on the screen, and
    // no prediction holding it (predict.js).
    this.w.__zwHeld = this.w.__zwHeld || 'following';
    this.bar.el.scrollIntoView({block: 'start'});
    this.connect();
    this.timer = setInterval(() => this.keep(), TICK_MS);
    this.guard = (e) => this.touched(e);
    // Touching the widget's controls detaches (capture: before the widget acts).
    this.w.root.addEventListener('click', this.guard, true);
    this.w.root.addEventListener('input', this.guard, true);
    document.addEventListener('keydown', this.guard, true);
  }

  connect() {
    if (this.stopped) return;
    const ws = new WebSocket(wsURL(`${API}/${encodeURIComponent(this.code)}/follow`));
    this.ws = ws;
    ws.onopen = () => { this.attempt = 0; };
    ws.onmessage = (e) => {
      let m;
      try { m = JSON.parse(e.data); } catch { return; }
      this.take(m);
    };
    ws.onclose = async () => {
      if (this.stopped) return;
      this.bar.say(T.lost);
      const wait = Math.min(10000, 500 * 2 ** this.attempt++);
      // A websocket does not say why it failed: after a few tries, ask
      // whether the room is still there.
      if (this.attempt >= 3 && await roomGone(this.code)) {
        this.stop();
        this.bar.left(T.closed(T.gone));
        return;
      }
      setTimeout(() => this.connect(), wait);
    };
  }

  take(m) {
    const now = performance.now();
    switch (m.type) {
      case 'state':
        this.room = {started: m.started, config: m.config, actions: m.actions, clock: m.clock, at: now, live: m.live, teacher: m.teacher};
        this.loaded = '';
        break;
      case 'act':
        if (!this.room) return;
        performance.mark('classroom:got-act');
        this.room.actions = this.room.actions.slice(0, m.index).concat([m.action]);
        this.room.clock = {...this.room.clock, t: Math.max(this.room.clock.t, m.action.t)};
        this.room.at = now;
        this.loaded = '';
        break;
      case 'clock':
        if (!this.room) return;
        this.room.clock = m.clock;
        this.room.at = now;
        break;
      case 'live':
        if (!this.room) return;
        this.room.live = m.live;
        this.loaded = '';
        break;
      case 'teacher':
        if (this.room) this.room.teacher = m.teacher;
        break;
      case 'closed':
        this.stop();
        this.bar.left(T.closed(m.reason));
        return;
      default:
        return;
    }
    this.apply();
  }

  // clock is the teacher's time position now (played on since it came).
  clock() {
    const c = this.room.clock;
    return c.playing ? {...c, t: c.t + (performance.now() - this.room.at) * c.speed} : c;
  }

  apply() {
    const r = this.room;
    if (this.detached || !r) return;
    if (!r.started) { this.bar.say(T.waiting(this.code)); return; }
    const w = this.w;
    const key = r.live ? 'live:' + r.live : JSON.stringify([r.config, r.actions]);
    if (key !== this.loaded) {
      this.loaded = key;
      if (r.live) {
        watchLive(w, r.live).then(() => this.bar.say(T.liveFollow), (err) => this.bar.say(T.runFailed(err.message)));
        return;
      }
      this.applying = true;
      try {
        loadRun(w, r, this.clock());
        performance.mark('classroom:loaded');
        this.failed = '';
      } catch (err) {
        // Said until the next run comes (clock messages do not hide it).
        this.failed = T.runFailed(err.message);
        this.bar.say(this.failed);
        return;
      } finally {
        this.applying = false;
      }
    } else if (!r.live) {
      setClock(w, this.clock(), false);
    }
    this.bar.say(this.failed || (r.teacher === false ? T.teacherAway : T.followingCode(this.code)));
    if (!w.root.dataset.following && w.say) w.say('');
    w.root.dataset.following = this.code;
  }

  keep() {
    if (!this.detached && this.room && this.room.started && !this.room.live && this.loaded) setClock(this.w, this.clock(), false);
  }

  touched(e) {
    if (this.detached || this.applying) return;
    const t = e.target;
    if (e.type === 'keydown') {
      if (e.altKey || e.ctrlKey || e.metaKey || (t && t.closest && t.closest('input, textarea, select, .class-bar'))) return;
      if (!/^([ nNkKfFhHpPwW[\]1-9])$/.test(e.key)) return;
    } else {
      if (!t || !t.closest || !t.closest('button, input, select, .zw-node, .zw-pkt')) return;
      if (t.closest('.zw-detail, .zw-alarm, .zw-legend, details summary')) return;
      if (t.closest('.zw-node, .zw-pkt') && e.type === 'click') return; // looking at a server or a packet is not acting
    }
    this.detach();
  }

  detach() {
    if (this.detached) return;
    this.detached = true;
    delete this.w.root.dataset.following;
    this.bar.detached(this.code);
  }

  rejoin() {
    this.detached = false;
    this.loaded = '';
    this.bar.following(this.code);
    this.apply();
  }

  stop() {
    this.stopped = true;
    clearInterval(this.timer);
    this.w.root.removeEventListener('click', this.guard, true);
    this.w.root.removeEventListener('input', this.guard, true);
    document.removeEventListener('keydown', this.guard, true);
    delete this.w.root.dataset.following;
    if (this.ws) { this.ws.onclose = null; this.ws.close(); }
  }
}

// ---- The bar above a widget ----

class Bar {
  constructor(el, index) {
    this.widgetEl = el;
    this.index = index;
    const uid = 'cls' + index;
    this.shareBtn = h('button', {type: 'button', class: 'class-btn', title: T.shareTitle, 'data-testid': 'class-share'}, T.share);
    this.followBtn = h('button', {type: 'button', class: 'class-btn', 'aria-expanded': 'false', 'aria-controls': uid + '-form', 'data-testid': 'class-follow'}, T.follow);
    this.input = h('input', {id: uid + '-code', class: 'class-code-input', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'characters',
      maxlength: '12', placeholder: 'K7QM-XP2D', 'data-testid': 'class-code-input'});
    this.form = h('form', {id: uid + '-form', class: 'class-form', hidden: true},
      h('label', {for: uid + '-code'}, T.code), this.input,
      h('button', {type: 'submit', class: 'class-btn class-primary'}, T.go),
      h('button', {type: 'button', class: 'class-btn', 'data-cancel': ''}, T.cancel));
    this.info = h('div', {class: 'class-info', hidden: true});
    this.status = h('p', {class: 'class-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'class-status'});
    this.el = h('div', {class: 'class-bar', 'data-testid': 'class-bar'},
      h('div', {class: 'class-row'}, this.shareBtn, this.followBtn), this.form, this.info, this.status);
    el.before(this.el);
    this.shareBtn.addEventListener('click', () => this.share());
    this.followBtn.addEventListener('click', () => this.toggleForm());
    this.form.querySelector('[data-cancel]').addEventListener('click', () => this.toggleForm(false));
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.follow(this.input.value); });
  }

  widget() {
    const w = this.widgetEl.__zw;
    return w && typeof w === 'object' && w.state ? w : null;
  }

  say(msg) { this.status.textContent = msg; }

  toggleForm(open = this.form.hidden) {
    this.form.hidden = !open;
    this.followBtn.setAttribute('aria-expanded', String(open));
    if (open) this.input.focus();
  }

  idle() {
    this.info.hidden = true;
    this.info.textContent = '';
    this.shareBtn.hidden = false;
    this.followBtn.hidden = false;
    this.el.classList.remove('is-sharing', 'is-following');
  }

  async share(resume) {
    const w = this.widget();
    if (!w || this.teacher) return;
    this.toggleForm(false);
    const t = new Teacher(this, w, this.index);
    this.shareBtn.disabled = true;
    const ok = await t.open(resume);
    this.shareBtn.disabled = false;
    if (!ok) return;
    this.teacher = t;
    this.shareBtn.hidden = true;
    this.followBtn.hidden = true;
    this.el.classList.add('is-sharing');
    const copy = h('button', {type: 'button', class: 'class-btn'}, T.copy);
    const stop = h('button', {type: 'button', class: 'class-btn class-danger'}, T.stop);
    this.count = h('span', {class: 'class-count', 'data-testid': 'class-count'}, T.following(0));
    this.info.textContent = '';
    this.info.append(
      h('p', {class: 'class-code-line'}, T.sharing + ' ', h('strong', {class: 'class-code', 'data-testid': 'class-code'}, t.code)),
      h('p', {class: 'class-link-line'}, T.orLink + ' ', h('a', {href: t.link, class: 'class-link', 'data-testid': 'class-link'}, t.link)),
      h('p', {class: 'class-row'}, copy, stop, this.count));
    this.info.hidden = false;
    this.say('');
    copy.addEventListener('click', async () => {
      try { await navigator.clipboard.writeText(t.link); this.say(T.copied); } catch { this.say(T.copyThis(t.link)); }
    });
    stop.addEventListener('click', () => {
      t.stop(true);
      this.teacher = null;
      this.idle();
      this.say(T.stopped);
    });
    // Leaving the page (or reloading it) keeps the room: a reload takes it up again.
    addEventListener('pagehide', () => { if (this.teacher) this.teacher.stop(false); });
  }

  // stoppedBy ends sharing that the server ended.
  stoppedBy(msg) {
    this.teacher = null;
    this.count = null;
    this.idle();
    this.say(msg);
  }

  showCount(n) {
    if (this.count) this.count.textContent = T.following(n);
  }

  // follow joins a class by its code: on this page if the room is this
  // page's (in either language), otherwise on the room's page.
  async follow(raw) {
    const code = String(raw || '').trim().toUpperCase().replace(/\s+/g, '');
    if (!CODE.test(code)) { this.say(T.badCode); this.input.focus(); return; }
    const w = this.widget();
    if (!w || this.teacher) return;
    this.say(T.joining(code));
    let resp, room;
    try {
      resp = await fetch(`${API}/${encodeURIComponent(code)}`);
      room = await resp.json().catch(() => null);
    } catch {
      this.say(T.noServer);
      return;
    }
    if (resp.status === 404 && room && room.error) { this.say(T.noRoom); return; }
    if (!resp.ok || !room) { this.say((room && room.error) || T.noServer); return; }
    if (pagePath(room.page) !== pagePath(location.pathname)) {
      location.assign(inMyLang(room.page) + '?follow=' + encodeURIComponent(room.code));
      return;
    }
    const els = [...document.querySelectorAll('[data-widget]')];
    const bar = bars.get(els[room.widget]);
    if (!bar) { this.say(T.noWidget); return; }
    bar.startFollowing(room.code);
  }

  startFollowing(code) {
    const w = this.widget();
    if (!w) return;
    this.toggleForm(false);
    if (this.follower) this.follower.stop();
    this.follower = new Follower(this, w, code);
    this.following(code);
    this.follower.start();
  }

  following(code) {
    this.shareBtn.hidden = true;
    this.followBtn.hidden = true;
    this.el.classList.add('is-following');
    this.el.classList.remove('is-detached');
    const leave = h('button', {type: 'button', class: 'class-btn'}, T.leave);
    const detach = h('button', {type: 'button', class: 'class-btn class-primary', title: T.detachTitle, 'data-testid': 'class-detach'}, T.detach);
    this.info.textContent = '';
    this.info.append(h('p', {class: 'class-row'}, h('strong', {class: 'class-code'}, code), detach, leave));
    this.info.hidden = false;
    detach.addEventListener('click', () => this.follower?.detach());
    leave.addEventListener('click', () => this.leave());
  }

  detached(code) {
    this.el.classList.add('is-detached');
    const back = h('button', {type: 'button', class: 'class-btn class-primary', 'data-testid': 'class-rejoin'}, T.rejoin);
    const leave = h('button', {type: 'button', class: 'class-btn'}, T.leave);
    this.info.textContent = '';
    this.info.append(h('p', {class: 'class-row'}, h('strong', {class: 'class-code'}, code), back, leave));
    back.addEventListener('click', () => this.follower?.rejoin());
    leave.addEventListener('click', () => this.leave());
    this.say(T.detached(code));
  }

  leave() {
    this.follower?.stop();
    this.follower = null;
    this.idle();
    this.say(T.left);
    if (new URLSearchParams(location.search).has('follow')) {
      const u = new URL(location.href);
      u.searchParams.delete('follow');
      history.replaceState(history.state, '', u.href);
    }
  }

  left(msg) {
    this.follower = null;
    this.idle();
    this.say(msg);
  }
}

const bars = new Map();

// attach puts a bar above every mounted widget (widgets mount once the
// simulator has loaded) and follows ?follow=CODE.
function attach() {
  const els = [...document.querySelectorAll('[data-widget]')];
  if (!document.querySelector('link[data-classroom-css]')) {
    document.head.append(h('link', {rel: 'stylesheet', href: new URL('./classroom.css', import.meta.url).href, 'data-classroom-css': ''}));
  }
  els.forEach((el, i) => {
    // A site with no server behind it (data-live-off: the Workers edition)
    // has no class rooms either.
    if (!bars.has(el) && !el.dataset.liveOff) bars.set(el, new Bar(el, i));
  });
  const kept = teaching();
  if (kept && kept.path === location.pathname && els[kept.widget] && bars.has(els[kept.widget])) {
    const bar = bars.get(els[kept.widget]);
    const resume = () => { if (!bar.widget()) { setTimeout(resume, 100); return; } bar.share(kept); };
    resume();
    return;
  }
  const code = new URLSearchParams(location.search).get('follow');
  if (!code) return;
  const waitFor = () => {
    const first = bars.get(els[0]);
    if (!first) return;
    if (!first.widget()) { setTimeout(waitFor, 100); return; }
    first.follow(code);
  };
  waitFor();
}

if (document.querySelector('[data-widget]') && !document.documentElement.dataset.classroomOff) {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', attach);
  else attach();
}
