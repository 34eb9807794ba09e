// playground.js mounts every [data-widget] on the page (markup in
// static/README.md): a ZAB ensemble in the browser with a ring view, phase
// lanes and log strips, controls, a space-time diagram, a live invariant
// alarm and an optional task checklist. One requestAnimationFrame loop and one
// sim.frame call per frame per widget; the loop sleeps when the widget is
// off-screen or paused.
//
// Every widget has a "Simulated | Live" switch. Live mode swaps the Sim for a
// LiveSim (live.js): real servers on the machine serving the page, in real
// time, drawn by the same renderer with the same DOM contract. The widget
// asks its source what it can do (its caps: seek, step, pause, speed, bugs,
// realTime, ...; sim.js CAPS) and shows the controls that fit; only the
// switch itself knows which mode it is in.

import {h, attr, text, cls, prop, zxid, fmtMs, PROPERTIES, throttle, replyText, noteRequest, typing} from './pg-util.js';
import {RingView} from './pg-ring.js';
import {Lanes} from './pg-lanes.js';
import {SpaceTime, EventLog, KEEP} from './pg-spacetime.js';
import {Task} from './pg-task.js';
import {buildTransport, buildActions, buildLegend, buildPanel, buildMode, jsonish, serverTable, valueOK, quoteValue, freezeText, showBugs, bugRow, SPEEDS, DEFAULT_SPEED, L} from './pg-controls.js';
import {readShare, writeShare} from './pg-share.js';
import {Captions, ScriptView, lang, T as NT} from './pg-narrate.js';
import {loadSim, CAPS} from './sim.js';
import {pick} from './i18n.js';

// TEXT is every user-visible string of this module, per language (i18n.js);
// T is the page's.
export const TEXT = {
  en: {
    details: 'Details', violated: 'Invariant violated', violatedProp: (p) => `Invariant violated: ${p}`,
    badTask: (m) => 'Bad data-task: ' + m,
    noStart: (m) => 'The simulator did not start: ' + m,
    noBugs: 'No bug switches in this build.',
    checkerStopped: 'The checker stopped the run here. Scrub back to watch it happen, or turn the bug switch off and replay.',
    limited: 'The simulator runs slower than the chosen speed on this device',
    selected: (names) => 'Selected: ' + names,
    kill: (n) => `Kill ${n}`, pause: (n) => `Pause ${n}`, resume: (n) => `Resume ${n}`, restart: (n) => `Restart ${n}`,
    pauseTitle: 'Freeze the server for 3 s of virtual time (a long GC pause)',
    pauseTitleLive: 'Freeze the server until you resume it',
    clearSel: 'Clear selection',
    speed: (x) => `Speed ${x}×`,
    quiet: 'Nothing more happens on its own: only heartbeats (PING) until you act.',
    selectFirst: 'Select 1 to n-1 servers first (click them or press 1–9).',
    pathSlash: 'A path starts with /, e.g. /a',
    acted: (t, what) => `${t}: ${what}`,
    actFailed: (what, why) => `“${what}”: ${why}`,
    bugSwitched: (name, on) => `${name} ${on ? 'on' : 'off'}: replayed from 0 with the same actions.`,
    exported: (n) => `Exported ${n} events.`,
    copied: 'Link copied: it opens this exact moment.',
    copyThis: (u) => 'Copy this address: ' + u,
    selectedOne: (n) => `Selected ${n}`, deselectedOne: (n) => `Deselected ${n}`,
    nobody: 'A safety property the checker watches does not hold.',
    checkerSaw: 'What the checker saw: ',
    alarmHint: (t) => `At ${t}. The run is paused. Scrub back to watch it happen, turn the bug switch off, or export the trace.`,
    noLoad: (m) => 'The simulator could not load (' + m + '). Build it with: go tool -modfile=tools/go.mod task wasm',
    loading: 'Starting the simulator…',
    starting: 'Starting live servers on this machine…',
    liveOn: (n, ms) => `Live: ${n} real servers started, ${ms} ms per link. The clock shows wall-clock time.`,
    liveZk: (addr) => ` A real ZooKeeper client works too: zkCli.sh -server ${addr}`,
    liveOff: 'Back to the simulation: the live servers were stopped.',
    liveClosed: (why) => `The live ensemble stopped (${why}). Back to the simulation.`,
    realTimeOnly: 'Live mode runs in real time only: no pause, step, speed or seek. Switch to Simulated for those.',
  },
  zh: {
    details: '详情', violated: '不变式被破坏', violatedProp: (p) => `不变式被破坏：${p}`,
    badTask: (m) => 'data-task 有误：' + m,
    noStart: (m) => '模拟器没有启动：' + m,
    noBugs: '这个版本里没有 Bug 开关。',
    checkerStopped: '检查器在这里停下了这次运行。往回拖动时间轴，看它是怎么发生的；或者关掉 Bug 开关再重放。',
    limited: '在这台设备上，模拟器跑得比所选速度慢',
    selected: (names) => '已选：' + names,
    kill: (n) => `杀掉 ${n}`, pause: (n) => `暂停 ${n}`, resume: (n) => `恢复 ${n}`, restart: (n) => `重启 ${n}`,
    pauseTitle: '让这台服务器冻结 3 秒虚拟时间（就像一次很长的 GC 停顿）',
    pauseTitleLive: '让这台服务器一直冻结，直到你恢复它',
    clearSel: '清除选择',
    speed: (x) => `速度 ${x}×`,
    quiet: '不会再自己发生什么了：在你动手之前，只有心跳（PING）。',
    selectFirst: '请先选择 1 到 n-1 台服务器（点击它们，或按 1–9）。',
    pathSlash: '路径以 / 开头，例如 /a',
    acted: (t, what) => `${t}：${what}`,
    actFailed: (what, why) => `“${what}”：${why}`,
    bugSwitched: (name, on) => `${name} 已${on ? '打开' : '关闭'}：用同样的操作从 0 开始重放。`,
    exported: (n) => `已导出 ${n} 个事件。`,
    copied: '链接已复制：打开它就会回到这一刻。',
    copyThis: (u) => '请复制这个地址：' + u,
    selectedOne: (n) => `已选择 ${n}`, deselectedOne: (n) => `已取消选择 ${n}`,
    nobody: '检查器监视的一条安全性质不成立。',
    checkerSaw: '检查器看到的：',
    alarmHint: (t) => `发生在 ${t}。运行已暂停。往回拖动时间轴看它是怎么发生的，关掉 Bug 开关，或者导出轨迹。`,
    noLoad: (m) => '模拟器无法加载（' + m + '）。请用这条命令构建：go tool -modfile=tools/go.mod task wasm',
    loading: '正在启动模拟器…',
    starting: '正在这台机器上启动真实服务器…',
    liveOn: (n, ms) => `真实集群：已启动 ${n} 台真实服务器，每条链路 ${ms} ms。时钟显示的是真实时间。`,
    liveZk: (addr) => ` 真正的 ZooKeeper 客户端也能连上：zkCli.sh -server ${addr}`,
    liveOff: '回到模拟：真实服务器已停止。',
    liveClosed: (why) => `真实集群已停止（${why}）。回到模拟。`,
    realTimeOnly: '“真实”模式只能按真实时间运行：不能暂停、单步、调速或跳转。需要这些功能请切换到“模拟”。',
  },
};
const T = pick(TEXT);

const widgets = [];
const SLOWMO = 0.02; // virtual ms per wall ms while messages fly (slow motion)
// SIM_BUDGET_MS is the wall time the simulator may take in one frame: the
// drawing needs the rest of a 60 Hz frame (16.7 ms), even 4× slower.
const SIM_BUDGET_MS = 6;
// On a CPU too slow to draw everything 60 times a second (the frames'
// average interval above SLOW_MS), a frame's work is spread over four
// frames: the simulator, then the ring, then the side views (lanes, clock,
// controls, the captions), then the space-time diagram; the
// packets in flight move at every one of them (their CSS transforms: the
// compositor draws them). The packets keep flying smoothly and the rest is
// redrawn 11–13 times a second at 4× throttle, 4–7 at 6× (FLY_MS below).
// Every PROBE_MS a whole frame is tried again: one drawn within FAST_MS ends
// the phasing; after one that took longer the wait doubles, up to
// PROBE_MAX_MS (a whole frame on such a CPU is a visible stall).
const SLOW_MS = 18, FAST_MS = 20, PROBE_MS = 2000, PROBE_MAX_MS = 8000;
// SIM_DT_MAX is how much wall time one simulator frame may run (phased, its
// frames can be 200 ms apart); a frame held up longer does not jump the run
// ahead.
const SIM_DT_MAX = 250;
// While phased, the frames' time beyond FLY_MS (40 frames a second) is
// owed, and while something is owed a frame only moves the packets (at most
// FLY_RUN in a row): on a CPU where one part of the drawing takes longer
// than that, the packets keep flying 40 times a second where a frame that
// only moves them fits, and the rest is redrawn as often as the time left
// allows (a part at least every FLY_RUN + 1 frames).
const FLY_MS = 25, FLY_RUN = 2;
// What render draws: the ring, the side views, the space-time diagram.
const RING = 1, SIDE = 2, ST = 4, ALL = 7;
let lastActive = null;
let uidSeq = 0;
const reducedMQ = matchMedia('(prefers-reduced-motion: reduce)');
const darkMQ = matchMedia('(prefers-color-scheme: dark)');

performance.mark('zabplay:modules');
function loadApi() {
  // sim.js loads zab.wasm and wasm_exec.js from the folder this module is in
  // (it began compiling the wasm when it was evaluated, before this module).
  return loadSim(new URL('./', import.meta.url).href);
}

class Widget {
  // A widget is built and shows its servers ("starting") at once; attach
  // gives it the simulator when the wasm is ready.
  constructor(root) {
    this.root = root;
    this.api = null;
    this.uid = 'zw' + ++uidSeq;
    this.playing = true;
    this.speed = DEFAULT_SPEED;
    this.vt = 0; // display time (virtual ms, fractional)
    this.maxT = 0; // furthest virtual time reached
    this.state = null;
    this.selected = new Set();
    this.focus = 0;
    this.lastVote = new Map();
    this.log = new EventLog();
    this.alarmKey = '';
    this.visible = true;
    this.raf = 0;
    this.pendingSeek = null;
    this.dirty = true;
    this.valueSeq = 1;
    this.share = root.dataset.share === 'true';
    this.mode = 'sim'; // or 'live' (this.sim is then a LiveSim; the Sim waits in this.saved)
    this.sim = null; // the run's source: a Sim, or a LiveSim; this.caps says what it can do
    this.build();
    this.placeholder();
  }

  // attach starts the simulation once the wasm is ready.
  attach(api) {
    this.api = api;
    attr(this.root, 'aria-busy', null);
    this.say('');
    this.start();
  }

  // placeholder draws the servers the widget will run, marked as starting,
  // while the wasm downloads and compiles: never a blank box. They carry no
  // data-node (the DOM contract is for servers of a running ensemble).
  placeholder() {
    const d = this.root.dataset;
    const num = (re, def) => { const m = re.exec(d.scenario || ''); return m ? +m[1] : def; };
    const shared = this.share ? readShare(location.search) : null;
    const voters = d.scenario ? num(/\bvoters=(\d+)/, 3) : shared?.voters || +(d.voters || 3);
    const observers = d.scenario ? num(/\bobservers=(\d+)/, 0) : shared?.observers ?? +(d.observers || 0);
    const servers = [];
    for (let i = 1; i <= Math.min(13, voters + observers); i++) servers.push({id: i, name: 's' + i, observer: i > voters});
    this.ring.placeholder(servers);
    attr(this.root, 'aria-busy', 'true');
    this.say(T.loading);
    this.syncControls(); // nothing to kill or freeze yet
  }

  config() {
    const d = this.root.dataset;
    const cfg = d.scenario ? {scenario: d.scenario}
      : {voters: +(d.voters || 3), observers: +(d.observers || 0), seed: +(d.seed || 1)};
    cfg.lang = lang();
    this.shared = this.share ? readShare(location.search) : null;
    if (this.shared) {
      if (!d.scenario) {
        if (this.shared.voters) cfg.voters = this.shared.voters;
        if (this.shared.observers != null) cfg.observers = this.shared.observers;
        if (this.shared.seed != null) cfg.seed = this.shared.seed;
      }
      if (this.shared.bugs.length) cfg.bugs = this.shared.bugs;
      if (this.shared.actions.length) cfg.actions = this.shared.actions;
    }
    this.cfg = cfg;
    return cfg;
  }

  build() {
    const r = this.root;
    r.classList.add('zab-widget', 'zw-ready');
    r.querySelector('.zab-widget-fallback')?.remove();
    this.mb = buildMode(this.uid);
    if (r.dataset.liveOff) {
      // No live servers behind this site (the Workers edition): the Live
      // switch stays off and says why, in the page's language.
      this.mb.live.disabled = true;
      this.mb.live.title = r.dataset.liveOff;
      this.mb.el.append(h('p', {class: 'zw-hint zw-live-off', 'data-testid': 'live-off'}, r.dataset.liveOff));
    }
    this.tr = buildTransport(this.uid);
    this.ac = buildActions(this.uid);
    this.ring = new RingView({onServer: (id) => this.clickServer(id), onPacket: (p) => this.showPacket(p)});
    this.lanes = new Lanes({onServer: (id) => this.clickServer(id)});
    this.st = new SpaceTime({uid: this.uid, onSeek: (t) => this.seek(t), onPacket: (m) => this.showPacket(m)});
    this.detail = buildPanel('zw-detail', T.details, 'region');
    this.alarm = buildPanel('zw-alarm', T.violated, 'alert');
    this.status = h('p', {class: 'zw-status', role: 'status', 'aria-live': 'polite'});
    this.live = h('p', {class: 'zw-sr', 'aria-live': 'assertive'});
    this.taskBox = h('div', {class: 'zw-taskbox'});
    if (r.dataset.task) {
      try {
        this.task = new Task(JSON.parse(r.dataset.task), {announce: (m) => this.announce(m)});
        this.taskBox.append(this.task.el);
      } catch (err) {
        this.taskBox.append(h('p', {class: 'zw-error'}, T.badTask(err.message)));
      }
    }
    this.captions = new Captions();
    this.script = r.dataset.scenario ? new ScriptView(r.dataset.scenario) : null;
    this.stage = h('div', {class: 'zw-stage'}, h('div', {class: 'zw-ringbox'}, this.ring.svg, this.ring.over), this.captions.el);
    r.append(
      this.mb.el,
      this.tr.el,
      this.alarm.el,
      h('div', {class: 'zw-main'}, this.stage, h('div', {class: 'zw-side'}, this.taskBox, this.script?.el, this.lanes.el, this.detail.el)),
      buildLegend(),
      this.ac.el,
      this.status,
      this.st.el,
      this.live);
    this.wire();
  }

  wire() {
    const {play, step, speed, scrub} = this.tr;
    const on = (el, ev, fn) => el.addEventListener(ev, (e) => { lastActive = this; fn(e); });
    on(play, 'click', () => this.setPlaying(!this.playing));
    on(step, 'click', () => this.step());
    on(speed, 'change', () => this.setSpeed(+speed.value));
    on(scrub, 'input', () => this.seek(+scrub.value));
    // While the run plays the slider's max follows four times a second (in
    // render): before a hand or a key moves it, it reaches the furthest time.
    const reach = () => attr(scrub, 'max', Math.max(1, Math.floor(this.maxT)));
    on(scrub, 'pointerdown', reach);
    on(scrub, 'keydown', reach);
    const a = this.ac;
    on(a.killLeader, 'click', () => this.act('crash leader'));
    on(a.freezeLeader, 'click', () => this.freezeLeader()); // pg-controls.js freezeText
    on(a.heal, 'click', () => this.act('heal'));
    on(a.partition, 'click', () => this.partition());
    on(a.faults, 'click', () => this.act(this.state?.faults ? 'faults off' : 'faults on'));
    on(a.form, 'submit', (e) => { e.preventDefault(); this.write(); });
    on(a.exportBtn, 'click', () => this.exportTrace());
    on(this.mb.sim, 'click', () => this.goSim());
    on(this.mb.live, 'click', () => this.goLive());
    on(this.mb.delay, 'change', () => { if (this.caps.linkDelay) this.act(`delay ${+this.mb.delay.value}ms`); });
    if (this.share) {
      a.share.hidden = false;
      on(a.share, 'click', () => this.copyLink());
    }
    on(this.detail.close, 'click', () => this.closePanels());
    on(this.alarm.close, 'click', () => { this.alarm.el.hidden = true; });
    this.root.addEventListener('pointerdown', () => { lastActive = this; });
    this.root.addEventListener('focusin', () => { lastActive = this; });
    this.io = new IntersectionObserver((ents) => {
      for (const e of ents) this.visible = e.isIntersecting;
      if (this.visible) this.kick();
    });
    this.io.observe(this.root);
    this.writeURL = throttle(() => this.updateURL(), 2000); // replaceState is slow on a slow CPU
    this.syncMode();
  }

  start() {
    let res;
    performance.mark('zabplay:create');
    try {
      this.sim = this.api.create(this.config());
    } catch (err) {
      this.fail(T.noStart(err.message));
      return;
    }
    this.buildBugs();
    if (this.shared && this.shared.t != null) {
      // A shared moment: replay to it and stay there.
      res = this.sim.seek(this.shared.t, KEEP);
      this.playing = false;
      this.vt = this.shared.t;
    } else {
      res = this.sim.frame(0);
    }
    if (res.error) { this.fail(res.error); return; }
    this.script?.setScript(this.sim.script);
    this.syncBugs(res.state.bugs);
    this.log.reset(res.state, res.state.t);
    if (this.task) this.task.seed(res.state);
    this.ingest(res);
    this.vt = res.state.t;
    this.maxT = Math.max(this.maxT, res.state.t);
    this.syncControls();
    this.kick();
    performance.mark('zabplay:started');
  }

  // destroy frees the simulator (and stops live servers) when the widget
  // leaves the page.
  destroy() {
    this.io.disconnect();
    this.st.destroy();
    this.sim?.destroy();
    if (this.saved) this.saved.sim.destroy();
    this.sim = null;
    this.saved = null;
    const i = widgets.indexOf(this);
    if (i >= 0) widgets.splice(i, 1);
    if (lastActive === this) lastActive = null;
  }

  fail(msg) {
    this.root.append(h('p', {class: 'zw-error', role: 'alert'}, msg));
    this.playing = false;
  }

  buildBugs() {
    let list = [];
    try {
      list = (this.api.bugs && this.api.bugs()) || (this.sim.constructor.bugs && this.sim.constructor.bugs()) || [];
    } catch { list = []; }
    const on = new Set(this.cfg.bugs || []);
    this.ac.bugList.textContent = '';
    if (!list.length) this.ac.bugList.append(h('p', {class: 'zw-hint'}, T.noBugs));
    for (const b of list) { // pg-controls.js bugRow: the switch and "Watch it happen"
      this.ac.bugList.append(bugRow(b, on.has(b.name), {onToggle: (name, v) => this.setBug(name, v), onReplay: (x) => this.replayBug(x)}));
    }
  }

  syncBugs(bugs) {
    const on = new Set(bugs || []);
    for (const cb of this.ac.bugList.querySelectorAll('input[data-bug]')) cb.checked = on.has(cb.dataset.bug);
    showBugs(this.ac, bugs); // pg-controls.js: the badge and the summary say which are on
  }

  // The loop.
  kick() {
    if (!this.raf && this.sim) {
      this.lastWall = this.simWall = performance.now();
      this.raf = requestAnimationFrame((t) => this.tick(t));
    }
  }

  tick(now) {
    this.raf = 0;
    if (!this.sim) return;
    if (!this.root.isConnected) { this.destroy(); return; }
    const raw = now - this.lastWall;
    const dt = Math.min(100, Math.max(0, raw));
    this.lastWall = now;
    this.pace(raw, now);
    const probe = this.lite && !this.stale && now - (this.probeAt || 0) > (this.probeEvery || PROBE_MS);
    if (probe) this.probeAt = now;
    const phased = this.lite && !probe && this.playing && !this.caps.realTime && this.pendingSeek == null && this.state && !this.dirty;
    // What the frames took beyond FLY_MS is owed (FLY_MS above); a frame
    // held up for long (a probe, a collection) is not paid for at once.
    this.owed = phased ? Math.min(2 * FLY_MS, Math.max(0, (this.owed || 0) + raw - FLY_MS)) : 0;
    if (phased && this.owed > 0 && (this.flown || 0) < FLY_RUN) {
      this.flown = (this.flown || 0) + 1;
      this.flyAhead(now);
      if (this.visible) this.raf = requestAnimationFrame((t) => this.tick(t));
      return;
    }
    this.flown = 0;
    if (phased && this.stale) {
      // One part of the last state's drawing, and the packets moved to
      // where they are now, at most as far past the simulator's state as
      // its next frame may run (SLOW_MS above).
      this.render(this.stale & RING ? RING : this.stale & SIDE ? SIDE : ST);
      this.flyAhead(now);
      if (this.visible) this.raf = requestAnimationFrame((t) => this.tick(t));
      return;
    }
    // The simulator runs for the wall time since its last frame (frames
    // that only drew part of the last state or moved the packets included),
    // at most SIM_DT_MAX.
    const simDt = Math.min(SIM_DT_MAX, Math.max(0, now - (this.simWall ?? now - dt)));
    this.simWall = now;
    if (this.caps.realTime) {
      this.liveFrame(this.sim.frame(0));
    } else if (this.pendingSeek != null) {
      const t = this.pendingSeek;
      this.pendingSeek = null;
      this.apply(this.sim.seek(t, KEEP), true);
    } else if (this.playing) {
      // Advance by speed × wall time, but never more than the simulator can
      // run in SIM_BUDGET_MS (cost per virtual ms is measured): at 100× with
      // 9 servers, or on a slow CPU, the wasm, not the frame rate, gives way.
      let adv = simDt * this.effectiveSpeed();
      const cap = this.costPerMs > 0 ? SIM_BUDGET_MS / this.costPerMs : Infinity;
      this.nextCap = Math.max(1, cap);
      this.limited = adv > cap && adv > 1;
      if (this.limited) adv = Math.max(1, cap);
      this.vt += adv;
      const from = this.state ? this.state.t : 0;
      const t0 = performance.now();
      const res = this.sim.frame(Math.floor(this.vt));
      const cost = performance.now() - t0;
      if (res.error) { this.say(res.error); this.setPlaying(false); } else {
        const ran = res.state.t - from;
        if (ran >= 1) this.costPerMs = this.costPerMs ? 0.8 * this.costPerMs + 0.2 * (cost / ran) : cost / ran;
        this.ingest(res);
        if (res.state.violation && ran < 1 && this.playing) {
          // The simulator does not run past a violation.
          this.setPlaying(false);
          this.say(T.checkerStopped);
        }
      }
    }
    if (phased && this.dirty) {
      // The drawing at the next frames, the packets now.
      this.dirty = false;
      this.stale = ALL;
      this.fly(Math.min(this.vt, this.state.t + 0.999));
    } else if (this.dirty || this.stale) this.render();
    this.probing = probe;
    if (this.visible && (this.playing || this.dirty || this.stale || this.pendingSeek != null)) {
      this.raf = requestAnimationFrame((t) => this.tick(t));
    }
  }

  // fly moves the ring's packets of the current state to where they are at
  // vt, and nothing else (a phased frame).
  fly(vt) {
    this.ring.fly(this.state, vt, reducedMQ.matches, !this.st.fam.has('ping'));
  }

  // flyAhead moves the packets to where they are now, at most as far past
  // the simulator's state as its next frame may run (a phased frame).
  flyAhead(now) {
    const ahead = Math.min(Math.min(SIM_DT_MAX, now - this.simWall) * this.effectiveSpeed(), this.nextCap ?? Infinity);
    this.fly(Math.max(this.vt, this.state.t + ahead));
  }

  // pace follows the frames' average interval while the run plays: above
  // SLOW_MS frames are phased, until a whole frame tried (probing: the frame
  // before this one) took less than FAST_MS (SLOW_MS above).
  pace(dt, now) {
    if (!this.playing || !(dt > 0 && dt < 500)) return;
    if (this.lite) {
      if (!this.probing) return;
      if (dt >= FAST_MS) {
        this.probeEvery = Math.min(PROBE_MAX_MS, 2 * (this.probeEvery || PROBE_MS));
        return;
      }
      this.lite = false;
      this.dtAvg = dt;
    } else {
      this.dtAvg = this.dtAvg ? 0.95 * this.dtAvg + 0.05 * dt : dt;
      if (this.dtAvg > SLOW_MS) {
        this.lite = true;
        this.probeAt = now;
        this.probeEvery = PROBE_MS;
      }
    }
    attr(this.root, 'data-phased', this.lite ? 'true' : null);
  }

  // liveFrame takes what the live ensemble's websocket brought since the last
  // frame: its events, its state at wall-clock now, and what the connection
  // has to say (a gap, a reconnect, the ensemble closing).
  liveFrame(res) {
    if (res.closed) {
      this.goSim(T.liveClosed(res.closed));
      return;
    }
    if (res.notice) this.say(res.notice);
    if (this.narr && !this.caps.narrated && res.events?.length) res = {...res, captions: this.narr.narrate(res.events)};
    if (res.reset) {
      this.log.reset(res.state, res.state.t);
      this.lastVote.clear();
      if (this.task) this.task.seed(res.state);
    }
    this.ingest(res);
    this.vt = res.state.t;
    this.maxT = res.state.t;
  }

  // goLive starts a live ensemble like this one (voters, observers) and
  // shows it instead of the simulation, which waits paused. On a 429, a site
  // without the API or any other failure the widget says so and stays
  // simulated.
  async goLive() {
    if (this.mode === 'live' || this.starting || !this.state) return;
    this.starting = true;
    attr(this.mb.live, 'aria-busy', 'true');
    this.say(T.starting);
    const c = this.state.config || {};
    const servers = this.state.servers || [];
    const voters = c.voters || servers.filter((sv) => !sv.observer).length || 3;
    const observers = c.observers ?? servers.filter((sv) => sv.observer).length;
    const linkDelayMs = +this.mb.delay.value;
    let live;
    try {
      const mod = await import('./live.js');
      live = await mod.createLive({voters, observers, linkDelayMs});
    } catch (err) {
      live = {error: err.message};
    }
    this.starting = false;
    attr(this.mb.live, 'aria-busy', null);
    if (live.error) { this.say(live.error); return; }
    if (!this.sim || !this.root.isConnected) { live.destroy(); return; }
    this.saved = {sim: this.sim, vt: this.vt, maxT: this.maxT, playing: this.playing};
    this.sim = live;
    this.mode = 'live';
    this.captions.reset([]);
    this.pendingSeek = null;
    this.alarmKey = '';
    this.alarm.el.hidden = true;
    this.playing = true;
    this.syncMode();
    const res = live.frame(0);
    // Live events are narrated here, by the same narrator the simulator uses.
    const lc = res.state.config || {};
    this.narr = this.api.narrator?.({voters, observers, tickMs: lc.tickMs || 0, syncLimit: lc.syncLimit || 0,
      initLimit: lc.initLimit || 0, lang: lang()}) || null;
    this.maxT = res.state.t;
    this.liveFrame(res);
    if (this.task) this.task.rebase(res.state);
    // On this machine, a real client can join: the servers' client ports are on loopback.
    const zk = (res.state.clients || [])[0];
    const local = ['localhost', '127.0.0.1', '[::1]'].includes(location.hostname);
    this.say(T.liveOn(voters + observers, linkDelayMs) + (zk && local ? T.liveZk(zk.addr) : ''));
    this.kick();
  }

  // goSim stops the live ensemble (DELETE) and resumes the simulation where
  // it was left.
  goSim(msg) {
    if (this.mode !== 'live') return;
    const live = this.sim;
    const saved = this.saved;
    this.saved = null;
    this.sim = saved.sim;
    this.mode = 'sim';
    live.destroy();
    this.narr?.destroy();
    this.narr = null;
    this.maxT = saved.maxT;
    this.playing = saved.playing;
    this.syncMode();
    this.apply(this.sim.seek(saved.vt, KEEP), true);
    if (this.task && this.state) this.task.rebase(this.state);
    this.say(msg || T.liveOff);
  }

  // syncMode shows the switch's state and the controls the source can use:
  // a live ensemble has no transport but the clock, no bug switches, no
  // random faults and no share link.
  syncMode() {
    const live = this.mode === 'live';
    const c = this.caps;
    const m = this.mb;
    attr(this.root, 'data-mode', live ? 'live' : 'sim');
    attr(m.sim, 'aria-pressed', live ? 'false' : 'true');
    attr(m.live, 'aria-pressed', live ? 'true' : 'false');
    m.bar.hidden = !live;
    const {play, step, speedBox, slowmoBox, scrubBox, timeLabel} = this.tr;
    play.hidden = !c.pause;
    step.hidden = !c.step;
    speedBox.hidden = slowmoBox.hidden = !c.speed;
    scrubBox.hidden = !c.seek;
    this.ac.faults.hidden = !c.faults;
    this.ac.bugs.hidden = !c.bugs;
    this.ac.share.hidden = !c.share || !this.share;
    text(timeLabel, c.realTime ? L.wallTime : L.virtualTime);
    timeLabel.className = c.realTime ? 'zw-time-label' : 'zw-sr'; // visible in real time: this clock is real
    attr(timeLabel.parentNode, 'title', c.realTime ? L.wallTimeTitle : null);
    text(this.ac.help.querySelector('p'), c.realTime ? L.keysHelpLive : L.keysHelp);
    this.ac.bugs.open = false;
    this.ac.selBox.__key = '';
    this.dirty = true;
  }

  // caps: what the run's source can do (sim.js CAPS); the simulator's while
  // the wasm loads.
  get caps() { return this.sim?.caps || CAPS; }

  // effectiveSpeed is the chosen speed, except that with slow motion on (and a
  // speed of at most 1×) time slows to SLOWMO while a message other than a
  // PING is in flight: elections and writes take a few virtual ms, timeouts
  // hundreds, and both should be watchable.
  effectiveSpeed() {
    const st = this.state;
    this.slowing = false;
    if (!this.tr.slowmo.checked || this.speed > 1 || !st) return this.speed;
    for (const p of st.inflight || []) {
      if (p.msg !== 'PING' && p.arrive > this.vt) {
        this.slowing = true;
        return Math.min(this.speed, SLOWMO);
      }
    }
    return this.speed;
  }

  // apply takes a seek/setBug/act/step answer. reset: replace the event window.
  apply(res, reset) {
    if (!res) return;
    if (res.error) { this.say(res.error); return; }
    if (reset) {
      this.log.reset(res.state, res.state.t);
      this.lastVote.clear();
      if (this.task) this.task.seed(res.state);
      this.captions.reset(res.captions);
      res = {...res, captions: []};
    }
    this.ingest(res);
    this.vt = res.state.t;
    this.dirty = true;
    this.writeURL();
    this.kick();
  }

  ingest(res) {
    const st = res.state;
    const events = res.events || [];
    this.log.add(events);
    this.captions.add(res.captions);
    for (const e of events) {
      if (e.kind === 'vote') this.lastVote.set(e.node, e);
      else if (e.kind === 'reply' && e.reply) this.say(replyText(e));
      else if (e.kind === 'request') noteRequest(e); // pg-util.js: a failed reply is told with its path
    }
    this.log.prune(st.t);
    if (this.task) this.task.feed(events, st);
    this.state = st;
    if (st.t < this.vt - 1 || (this.vt < st.t && !this.playing)) this.vt = st.t;
    this.maxT = Math.max(this.maxT, st.t);
    if (st.violation) {
      const key = st.violation.property + '@' + st.violation.t;
      if (key !== this.alarmKey) {
        this.alarmKey = key;
        this.vt = st.t;
        this.setPlaying(false);
        this.showAlarm(st.violation);
      }
    } else if (this.alarmKey) {
      this.alarmKey = '';
      this.alarm.el.hidden = true;
    }
    if (this.playing) this.writeURL();
    this.dirty = true;
  }

  // render draws the state: all of it, or the parts given (RING, SIDE, ST:
  // a phased frame, SLOW_MS above).
  render(parts = ALL) {
    const st = this.state;
    if (!st) return;
    if (parts === ALL) this.dirty = false;
    this.stale = (this.stale || 0) & ~parts;
    if (!this.stale) {
      // The time of the state the whole widget now shows (a phased frame's
      // last part: tests read the views against it).
      attr(this.root, 'data-sim-time', Math.floor(st.t));
      attr(this.root, 'data-playing', this.playing ? 'true' : 'false');
    }
    if (parts & RING) {
      const reduced = reducedMQ.matches;
      this.ring.update(st, Math.min(this.vt, st.t + 0.999), {reduced, selected: this.selected, focus: this.focus, hidePing: !this.st.fam.has('ping'), throttle: this.playing});
    }
    if (parts & ST) {
      this.st.setServers(st.servers || []);
      this.st.draw(this.log, st.t, this.maxT, this.colors(), !this.playing);
    }
    if (!(parts & SIDE)) return;
    this.captions.flush();
    this.lanes.update(st, this.lastVote, this.selected);
    if (this.script) {
      // A live ensemble does not replay the lesson's script.
      this.script.el.hidden = !this.caps.script;
      this.script.update(st.t);
    }
    // The clock's words change ten times a second while the run plays (each
    // change is a text layout), at once otherwise.
    const wall = performance.now();
    if (!this.playing || !(wall - (this.timeAt || 0) < 100)) {
      this.timeAt = wall;
      text(this.tr.time, fmtMs(st.t));
    }
    const sim = !this.caps.realTime;
    attr(this.tr.time, 'title', sim && this.limited && this.playing ? T.limited : null);
    cls(this.tr.time, 'is-limited', sim && this.limited && this.playing);
    cls(this.tr.time, 'is-slow', sim && this.slowing && this.playing && !this.limited);
    // The scrubber follows the run four times a second while it plays (a
    // range input's every move costs a layout); at once otherwise.
    const sc = this.tr.scrub;
    if (!this.playing || !(wall - (this.scrubAt || 0) < 250)) {
      this.scrubAt = wall;
      attr(sc, 'max', Math.max(1, Math.floor(this.maxT)));
      if ((document.activeElement !== sc || this.playing) && sc.valueAsNumber !== Math.floor(st.t)) sc.value = Math.floor(st.t);
      attr(sc, 'aria-valuetext', fmtMs(st.t));
    }
    this.syncControls();
    if (this.detailServer && !this.detail.el.hidden) this.refreshDetail();
  }

  syncControls() {
    const st = this.state;
    text(this.tr.play, this.playing ? L.pause : L.play);
    attr(this.tr.play, 'aria-pressed', null);
    const a = this.ac;
    const hasLeader = !!(st && st.leader && st.servers.some((sv) => sv.id === st.leader && sv.up !== false && sv.role === 'leading'));
    prop(a.killLeader, 'disabled', !hasLeader);
    prop(a.freezeLeader, 'disabled', !freezeText(st, !this.caps.timedPause));
    attr(a.faults, 'aria-pressed', st && st.faults ? 'true' : 'false');
    const n = st ? st.servers.length : 0;
    prop(a.partition, 'disabled', !(this.selected.size >= 1 && this.selected.size < n));
    this.drawSelection();
  }

  drawSelection() {
    const st = this.state;
    const box = this.ac.selBox;
    const sv = st && st.servers.find((x) => x.id === this.focus && this.selected.has(x.id));
    const key = sv ? `${this.caps.timedPause}:${sv.id}:${sv.up}:${sv.paused}:${[...this.selected].join(',')}` : 'none:' + [...this.selected].join(',');
    if (box.__key === key) return;
    box.__key = key;
    box.textContent = '';
    if (!sv) { box.append(this.ac.selHint); return; }
    const names = [...this.selected].sort((x, y) => x - y).map((id) => 's' + id).join(', ');
    box.append(h('span', {class: 'zw-hint'}, T.selected(names)));
    // A button that sends a statement carries it in data-act (static/README.md:
    // tests find it there in either language).
    const btn = (label, fn, extra, act) => {
      const b = h('button', {type: 'button', class: 'zw-btn' + (extra || ''), 'data-act': act}, label);
      b.addEventListener('click', fn);
      return b;
    };
    const send = (stmt, label, extra) => btn(label, () => this.act(stmt), extra, stmt);
    if (sv.up !== false) {
      box.append(send(`crash ${sv.name}`, T.kill(sv.name), ' zw-danger'));
      if (!this.caps.timedPause) {
        // Live servers stay paused until resumed (the API has no "for 3s").
        const p = sv.paused ? send(`resume ${sv.name}`, T.resume(sv.name), ' zw-primary')
          : send(`pause ${sv.name}`, T.pause(sv.name));
        p.title = T.pauseTitleLive;
        box.append(p);
      } else {
        const p = send(`pause ${sv.name} for 3s`, T.pause(sv.name));
        p.disabled = !!sv.paused;
        p.title = T.pauseTitle;
        box.append(p);
      }
    } else {
      box.append(send(`restart ${sv.name}`, T.restart(sv.name), ' zw-primary'));
    }
    box.append(btn(T.clearSel, () => { this.selected.clear(); this.focus = 0; this.dirty = true; this.kick(); }));
  }

  colors() {
    const key = darkMQ.matches + ':' + (document.documentElement.dataset.theme || '');
    if (this._colorsKey !== key) {
      this._colorsKey = key;
      const cs = getComputedStyle(this.root);
      const v = (n, d) => cs.getPropertyValue(n).trim() || d;
      this._colors = {ink: v('--zw-ink', '#222'), muted: v('--zw-muted', '#666'), grid: v('--zw-grid', '#ddd'),
        bg: v('--zw-bg', '#fff'), accent: v('--zw-accent', '#0072B2'), alarm: v('--zw-alarm', '#D55E00'),
        future: v('--zw-future', 'rgba(0,0,0,.05)')};
    }
    return this._colors;
  }

  // Actions.
  setPlaying(on) {
    if (!this.caps.pause) on = true; // real time does not stop
    this.playing = on;
    if (on) this.lastWall = performance.now();
    this.dirty = true;
    this.syncControls();
    if (!on) this.updateURL();
    this.kick();
  }

  setSpeed(x) {
    if (!this.caps.speed) { this.say(T.realTimeOnly); return; }
    this.speed = x;
    this.tr.speed.value = String(x);
    this.say(T.speed(x));
  }

  bumpSpeed(dir) {
    const i = SPEEDS.indexOf(this.speed);
    const j = Math.max(0, Math.min(SPEEDS.length - 1, (i < 0 ? SPEEDS.indexOf(DEFAULT_SPEED) : i) + dir));
    this.setSpeed(SPEEDS[j]);
  }

  step() {
    if (!this.sim) return;
    if (!this.caps.step) { this.say(T.realTimeOnly); return; }
    this.setPlaying(false);
    const res = this.sim.step();
    if (res.error) { this.say(res.error); return; }
    this.ingest(res);
    this.vt = res.state.t;
    // One step is one narrated event, however many simulator events it took;
    // a step that sends several packets says so in its one caption.
    const c = (res.captions || []).at(-1);
    this.say(c ? `${fmtMs(c.t)}: ${c.text}` : T.quiet);
    this.dirty = true;
    this.kick();
  }

  seek(t) {
    if (!this.caps.seek) { this.say(T.realTimeOnly); return; }
    t = Math.max(0, Math.min(Math.floor(t), Math.floor(this.maxT)));
    this.pendingSeek = t;
    this.vt = t;
    lastActive = this;
    this.kick();
  }

  // act applies one action now. A Sim answers at once, a LiveSim after the
  // server did; both are awaited the same way.
  async act(text) {
    const drv = this.sim;
    if (!drv) return;
    let res;
    try {
      res = await drv.act(text);
    } catch (err) {
      res = {error: err.message};
    }
    if (drv !== this.sim) return; // the mode changed meanwhile
    if (res.error) { this.say(T.actFailed(text, res.error)); return; }
    this.say(T.acted(fmtMs(res.state.t), text));
    if (drv.caps.realTime) {
      // Real time: the action does not move the clock or cut a timeline.
      this.ingest(res);
      if (res.reply) this.say(replyText({t: res.state.t, node: 0, reply: res.reply}));
      this.kick();
      return;
    }
    // Acting drops any later timeline: the furthest time is now. A lesson's
    // scenario lines still to come are in it: say that they will not run.
    const cut = this.script?.cut(res.state.t);
    if (cut) this.say(T.acted(fmtMs(res.state.t), text) + ' ' + NT.cutSay(cut));
    this.maxT = res.state.t;
    this.ingest(res);
    this.vt = res.state.t;
    this.updateURL();
    this.kick();
  }

  // freezeLeader pauses the leader (pg-controls.js freezeText).
  freezeLeader() {
    const t = freezeText(this.state, !this.caps.timedPause);
    if (t) this.act(t);
  }

  partition() {
    if (!this.state) return;
    const n = this.state.servers.length;
    if (!(this.selected.size >= 1 && this.selected.size < n)) { this.say(T.selectFirst); return; }
    const names = [...this.selected].sort((x, y) => x - y).map((id) => 's' + id);
    this.act(`partition ${names.join(' ')} | rest`);
  }

  write() {
    const st = this.state;
    const path = this.ac.path.value.trim().replace(/[\s#]+/g, '');
    let value = this.ac.value.value.trim();
    if (!path.startsWith('/')) { this.say(T.pathSlash); this.ac.path.focus(); return; }
    if (!valueOK(this.ac, value)) { this.say(L.badValue(value)); return; } // pg-controls.js: never rewrite a value silently
    if (!value) value = 'v' + this.valueSeq;
    const ld = st && st.servers.find((sv) => sv.id === st.leader);
    const exists = ld && (ld.tree || []).some((n) => n.path === path);
    // Through the selected server when one is up (a follower forwards the
    // write to the leader as a REQUEST), otherwise through the leader.
    const via = st && st.servers.find((sv) => sv.id === this.focus && this.selected.has(sv.id) && sv.up !== false);
    this.act(`${exists ? 'set' : 'create'} ${path} ${quoteValue(value)} via ${via ? via.name : 'leader'}`);
    const m = /^(.*?)(\d+)$/.exec(value);
    this.ac.value.value = m ? m[1] + (+m[2] + 1) : value;
    this.valueSeq++;
  }

  // replayBug plays the interleaving that triggers a bug (its scenario,
  // with its switch on) in this widget, from the start.
  replayBug(b) {
    if (!this.caps.bugs || !b.scenario || !this.sim) return;
    if (this.share) {
      // The address described the free run; this one is the bug's script.
      history.replaceState(history.state, '', location.pathname);
      this.share = false;
    }
    this.root.dataset.scenario = b.scenario;
    this.sim.destroy();
    this.alarmKey = '';
    this.alarm.el.hidden = true;
    this.maxT = 0;
    this.playing = true;
    this.ac.bugs.open = false;
    this.start();
    this.say(L.replayed(b.name));
  }

  setBug(name, on) {
    if (!this.caps.bugs || !this.sim) return;
    const res = this.sim.setBug(name, on);
    if (res.error) { this.say(res.error); return; }
    this.say(T.bugSwitched(name, on));
    this.alarmKey = '';
    this.alarm.el.hidden = true;
    this.cfg.bugs = res.state.bugs || [];
    this.syncBugs(this.cfg.bugs);
    this.apply(res, true);
  }

  exportTrace() {
    if (!this.sim) return;
    const tr = this.sim.exportTrace();
    const blob = new Blob([JSON.stringify(tr, null, 1)], {type: 'application/json'});
    const a = h('a', {href: URL.createObjectURL(blob), download: `zabplay-trace-t${Math.floor(this.state?.t || 0)}.json`});
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 5000);
    this.say(T.exported((tr.events || []).length));
  }

  updateURL() {
    if (!this.share || !this.state || !this.caps.share) return;
    const url = writeShare(location.href, this.cfg, this.state);
    if (url !== location.href) history.replaceState(history.state, '', url);
  }

  async copyLink() {
    this.updateURL();
    try {
      await navigator.clipboard.writeText(location.href);
      this.say(T.copied);
    } catch {
      this.say(T.copyThis(location.href));
    }
  }

  // clickServer toggles a server in the selection (the last one selected is
  // the one the Kill/Restart/Pause buttons act on) and shows its details.
  clickServer(id) {
    lastActive = this;
    this.toggleServer(id);
    const sv = this.state?.servers.find((x) => x.id === id);
    if (sv && this.selected.has(id)) this.showServer(sv);
  }

  toggleServer(id) {
    if (this.selected.has(id)) {
      this.selected.delete(id);
      if (this.focus === id) this.focus = [...this.selected].at(-1) || 0;
    } else {
      this.selected.add(id);
      this.focus = id;
    }
    this.syncControls();
    this.dirty = true;
    this.kick();
  }

  // showServer opens the details of a server; they follow the run (refreshDetail).
  showServer(sv) {
    this.detailServer = sv.id;
    this.detailKey = '';
    this.refreshDetail();
    this.detail.el.hidden = false;
  }

  refreshDetail() {
    if (this.detail.el.hidden && this.detailKey !== '') return;
    const sv = this.state && this.state.servers.find((x) => x.id === this.detailServer);
    if (!sv) return;
    const now = performance.now();
    if (this.detailKey && now - this.detailAt < 250) return;
    const body = JSON.stringify(sv, null, 2);
    if (body === this.detailKey) return;
    this.detailKey = body;
    this.detailAt = now;
    const z = zxid(sv.lastZxid);
    this.detail.heading.textContent = `${sv.name}: ${sv.up === false ? 'down' : sv.role}, epoch ${sv.currentEpoch}, zxid ${z.epoch}·${z.counter}`;
    this.detail.body.textContent = '';
    this.detail.body.append(serverTable(sv, this.state)); // pg-controls.js: an explained table of fields
  }

  showPacket(p) {
    this.detailServer = 0;
    this.openPanel(`${p.msg} s${p.from} → s${p.to}`, p);
  }

  openPanel(title, obj) {
    const d = this.detail;
    d.heading.textContent = title;
    d.body.textContent = '';
    d.body.append(jsonish(obj));
    d.el.hidden = false;
  }

  showAlarm(v) {
    const a = this.alarm;
    const prop = v.property || String(v.text || '').split(':')[0];
    a.heading.textContent = T.violatedProp(prop);
    a.body.textContent = '';
    a.body.append(
      h('p', {class: 'zw-alarm-plain'}, PROPERTIES[prop] || T.nobody),
      h('p', null, h('strong', null, T.checkerSaw), v.text || ''),
      h('p', {class: 'zw-hint'}, T.alarmHint(fmtMs(v.t ?? this.state.t))));
    a.el.hidden = false;
    this.announce(T.violatedProp(prop));
  }

  closePanels() {
    this.detail.el.hidden = true;
    this.alarm.el.hidden = true;
  }

  say(msg) { this.status.textContent = msg; }

  announce(msg) {
    this.live.textContent = '';
    // A fresh text node makes screen readers announce repeats too.
    requestAnimationFrame(() => { this.live.textContent = msg; });
    this.say(msg);
  }

  // key handles one shortcut; returns true when used.
  key(e) {
    const k = e.key;
    if (k === 'Escape') { this.closePanels(); return true; }
    if (!this.sim) { this.say(T.loading); return false; }
    const c = this.caps;
    if ((!c.pause && (k === ' ' || k === 'Spacebar')) || (!c.step && (k === 'n' || k === 'N')) || (!c.speed && (k === '[' || k === ']'))) { this.say(T.realTimeOnly); return true; }
    if (k === ' ' || k === 'Spacebar') { this.setPlaying(!this.playing); return true; }
    if (k === 'n' || k === 'N') { this.step(); return true; }
    if (k === 'k' || k === 'K') { this.act('crash leader'); return true; }
    if (k === 'f' || k === 'F') { this.freezeLeader(); return true; }
    if (k === 'h' || k === 'H') { this.act('heal'); return true; }
    if (k === 'p' || k === 'P') { this.partition(); return true; }
    if (k === 'w' || k === 'W') { this.write(); this.ac.value.focus(); this.ac.value.select(); return true; } // write now, then the box for another
    if (k === '[') { this.bumpSpeed(-1); return true; }
    if (k === ']') { this.bumpSpeed(1); return true; }
    if (/^[1-9]$/.test(k)) {
      const id = +k;
      if (this.state && this.state.servers.some((sv) => sv.id === id)) {
        this.toggleServer(id);
        const sv = this.state.servers.find((x) => x.id === id);
        this.say(this.selected.has(id) ? T.selectedOne(sv.name) : T.deselectedOne(sv.name));
      }
      return true;
    }
    return false;
  }
}

function onKey(e) {
  if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
  if (typing(e.target)) {
    if (e.key === 'Escape') e.target.blur();
    return;
  }
  // Space and Enter on a button, checkbox or summary keep their own meaning.
  const t = e.target;
  if ((e.key === ' ' || e.key === 'Enter') && t && t.closest && t.closest('button, summary, a, [role="button"], input')) return;
  const w = widgets.find((x) => x.root.contains(document.activeElement)) || lastActive || widgets.find((x) => x.visible) || widgets[0];
  if (w && w.key(e)) e.preventDefault();
}

// mount mounts every widget under root (the document by default).
export async function mount(root = document) {
  const els = [...root.querySelectorAll('[data-widget]')].filter((el) => !el.__zw);
  if (!els.length) return [];
  const loading = loadApi();
  const made = [];
  const missing = [];
  for (const el of els) {
    // A site built without the wasm says how to build it: no widget then.
    if (el.querySelector('[data-testid="wasm-missing"]')) { missing.push(el); continue; }
    el.__zw = true; // the Widget itself once it runs (attach below)
    const w = new Widget(el);
    widgets.push(w);
    made.push(w);
  }
  if (!mount.keys) {
    mount.keys = true;
    document.addEventListener('keydown', onKey);
    reducedMQ.addEventListener?.('change', () => widgets.forEach((w) => { w.dirty = true; w.kick(); }));
    darkMQ.addEventListener?.('change', () => widgets.forEach((w) => { w.dirty = true; w.kick(); }));
    // Leaving the page stops its live servers (a keepalive DELETE); the
    // server's idle reaper is the fallback.
    addEventListener('pagehide', () => widgets.forEach((w) => { if (w.mode === 'live') w.goSim(); }));
  }
  let api;
  try {
    api = await loading;
  } catch (err) {
    const msg = T.noLoad(err.message);
    for (const el of missing) {
      const fb = el.querySelector('.zab-widget-fallback');
      if (fb) fb.textContent = msg;
    }
    for (const w of made) { attr(w.root, 'aria-busy', null); w.fail(msg); }
    return made;
  }
  for (const w of made) {
    if (!w.root.isConnected) continue;
    w.attach(api);
    // predict.js, present.js and classroom.js find a running widget here.
    w.root.__zw = w;
  }
  return made;
}

// The wasm starts downloading and compiling now, while the page's widgets
// are built (the layout preloads it too).
if (document.querySelector('[data-widget]')) loadApi().catch(() => {});
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => mount());
else mount();
