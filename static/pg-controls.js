// pg-controls.js: the widget's controls and panels as plain DOM. The widget
// (playground.js) wires their events; this file only builds and labels them.

import {h, s, MSG, FAMILIES, msgInfo, shapePath, zx} from './pg-util.js';
import {pick} from './i18n.js';

export const SPEEDS = [0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100];
export const DEFAULT_SPEED = 0.1;
// LINK_DELAYS are the live mode's link delays (ms); 300 makes packets watchable.
export const LINK_DELAYS = [0, 100, 300, 1000];
export const DEFAULT_LINK_DELAY = 300;

// TEXT is every user-visible string of this module, one table per language
// (i18n.js); L is the page's.
export const TEXT = {
  en: {
    play: 'Play', pause: 'Pause', step: 'Step', stepTitle: 'Run exactly one more event (n)',
    speed: 'Speed ', speedTitle: 'Virtual ms per wall ms ([ and ])',
    slowmo: ' Slow-mo messages', slowmoTitle: 'At 1× or slower, slow down to 0.02× while a message (not a PING) is in flight',
    virtualTime: 'Virtual time ', wallTime: 'Wall clock ', wallTimeTitle: 'Real time since the live ensemble started',
    scrub: 'Time (seek; the run is replayed deterministically)',
    killLeader: 'Kill leader', heal: 'Heal', partition: 'Partition selected',
    faults: 'Random faults', faultsTitle: 'Random crashes, partitions and delays (as in the campaign)',
    selected: 'Selected server', selHint: 'Click servers (or press 1–9) to select them.',
    path: 'Path ', value: 'Value ', write: 'Write', writeForm: 'Write through the leader',
    bugs: 'Bug switches', exportTrace: 'Export trace', share: 'Copy link', keys: 'Keys',
    keysHelp: 'Space play/pause · n step · k kill leader · f freeze leader · h heal · p partition selected · w write now (then type a value, Enter) · [ ] speed · 1–9 select server · Esc close panels and leave a text box',
    keysHelpLive: 'k kill leader · f freeze leader · h heal · p partition selected · w write now (then type a value, Enter) · 1–9 select server · Esc close panels and leave a text box',
    legend: 'Message legend', close: 'Close', faultsGroup: 'Faults',
    mode: 'Mode', simulated: 'Simulated', live: 'Live',
    simTitle: 'A simulated ensemble in your browser: pause, step, seek, speed and bug switches',
    liveTitle: 'Real ZAB servers on the machine serving this page, in real time',
    badge: 'Live: real servers on this machine',
    liveNote: 'Real time only: no pause, step, speed, seek, bug switches or random faults here. Switch back to Simulated for those.',
    linkDelay: 'Link delay ', linkDelayTitle: 'How long each message takes between two live servers (so packets are watchable)',
    ms: (x) => x + ' ms',
    replay: 'Watch it happen', replayTitle: (name) => `Load the interleaving that triggers ${name} (the bug switched on): the checker raises the alarm when it breaks something`,
    replayed: (name) => `Playing the interleaving that triggers ${name}. Watch for the alarm.`,
    bugsOn: (n) => `Bug switches · ${n} on`,
    bugBadge: (names) => `⚠ Bug switched on: ${names.join(', ')}. This run is not ZooKeeper 3.9's: the checker watches for what the bug breaks.`,
    badValue: (v) => `“${v}” holds a control character (a tab, a line break): nothing was written.`,
    freezeLeader: 'Freeze leader', freezeTitle: 'Pause the leader for 3 s: its connections stay open, only its silence shows (heartbeats stop)',
    freezeTitleLive: 'Pause the leader until you resume it: its connections stay open, only its silence shows',
    // The server detail panel (serverTable).
    down: 'down', paused: 'paused', running: 'running', anObserver: ' (an observer)', established: ', established',
    vote: (leader, peerEpoch, zxid, round) => `s${leader} (peerEpoch ${peerEpoch}, zxid ${zxid}), round ${round}`,
    heard: (leader, ago, limitMs, limit) => `heard s${leader} ${ago} ms ago; gives up after ${limitMs} ms (${limit})`,
    finalize: (ms) => `decides in ${ms} ms (finalizeWait) unless a better vote arrives`,
    initLimit: (ms) => `steps down in ${ms} ms (initLimit) unless a quorum answers`,
    hears: (synced, ticks, quorum) => `hears ${synced} voters (itself included) within syncLimit (${ticks} ticks); needs ${quorum}`,
    ticksLeft: (n) => `${n} ticks left`, lost: 'lost',
    poll: (ms) => `sends its vote again in ${ms} ms if nobody answers`,
    acks: (zxid, n, need, who) => `${zxid}: ${n} of ${need} acks (${who || 'none'})`,
    logShown: (n, first, last, notApplied) => `${n} shown, ${first} … ${last}, ${notApplied} not applied`, empty: 'empty',
    tree: (count, bytes, digest) => `${count} znodes, ${bytes} bytes, digest ${digest}`,
  },
  zh: {
    play: '播放', pause: '暂停', step: '单步', stepTitle: '只再运行一个事件（n）',
    speed: '速度 ', speedTitle: '每 1 ms 真实时间走多少 ms 虚拟时间（[ 和 ]）',
    slowmo: ' 消息慢放', slowmoTitle: '在 1× 或更慢时，只要有消息（PING 除外）在路上，就放慢到 0.02×',
    virtualTime: '虚拟时间 ', wallTime: '真实时间 ', wallTimeTitle: '真实集群启动以来经过的真实时间',
    scrub: '时间（拖动跳转；运行会确定性地重放）',
    killLeader: '杀掉 Leader', heal: '恢复网络', partition: '分区所选节点',
    faults: '随机故障', faultsTitle: '随机宕机、网络分区和延迟（与检查活动中的一样）',
    selected: '所选服务器', selHint: '点击服务器（或按 1–9）来选择。',
    path: '路径 ', value: '值 ', write: '写入', writeForm: '通过 Leader 写入',
    bugs: 'Bug 开关', exportTrace: '导出轨迹', share: '复制链接', keys: '快捷键',
    keysHelp: '空格 播放/暂停 · n 单步 · k 杀掉 Leader · f 冻结 Leader · h 恢复网络 · p 分区所选节点 · w 立即写入（再输入值，回车）· [ ] 速度 · 1–9 选择服务器 · Esc 关闭面板并离开输入框',
    keysHelpLive: 'k 杀掉 Leader · f 冻结 Leader · h 恢复网络 · p 分区所选节点 · w 立即写入（再输入值，回车）· 1–9 选择服务器 · Esc 关闭面板并离开输入框',
    legend: '消息图例', close: '关闭', faultsGroup: '故障',
    mode: '模式', simulated: '模拟', live: '真实',
    simTitle: '在你的浏览器里模拟一个集群：可以暂停、单步、跳转、调速，也能打开 Bug 开关',
    liveTitle: '在提供本页面的机器上运行的真实 ZAB 服务器，按真实时间运行',
    badge: '真实集群：这台机器上的真实服务器',
    liveNote: '只能按真实时间运行：这里不能暂停、单步、调速、跳转，也没有 Bug 开关和随机故障。需要这些功能请切回“模拟”。',
    linkDelay: '链路延迟 ', linkDelayTitle: '两台真实服务器之间每条消息要走多久（这样才看得清数据包）',
    ms: (x) => x + ' ms',
    replay: '看它发生', replayTitle: (name) => `载入触发 ${name} 的事件交错（并打开这个 Bug）：它一旦破坏了什么，检查器就会报警`,
    replayed: (name) => `正在播放触发 ${name} 的事件交错。留意报警。`,
    bugsOn: (n) => `Bug 开关 · 已打开 ${n} 个`,
    bugBadge: (names) => `⚠ 已打开 Bug：${names.join('、')}。这次运行不是 ZooKeeper 3.9 的行为：检查器在盯着这个 Bug 会破坏的性质。`,
    badValue: (v) => `“${v}”含有控制字符（制表符、换行等）：什么都没有写入。`,
    freezeLeader: '冻结 Leader', freezeTitle: '让 Leader 暂停 3 秒：连接保持打开，只有它的沉默会暴露它（心跳停止）',
    freezeTitleLive: '让 Leader 一直暂停，直到你恢复它：连接保持打开，只有它的沉默会暴露它',
    down: '宕机', paused: '已暂停', running: '运行中', anObserver: '（Observer）', established: '，已确立',
    vote: (leader, peerEpoch, zxid, round) => `s${leader}（peerEpoch ${peerEpoch}，zxid ${zxid}），第 ${round} 轮`,
    heard: (leader, ago, limitMs, limit) => `${ago} ms 前收到 s${leader} 的消息；${limitMs} ms（${limit}）后放弃`,
    finalize: (ms) => `${ms} ms 后做出决定（finalizeWait），除非收到更好的选票`,
    initLimit: (ms) => `${ms} ms 后退出 Leader 角色（initLimit），除非有过半节点应答`,
    hears: (synced, ticks, quorum) => `在 syncLimit（${ticks} 个 tick）内收到 ${synced} 个投票成员的消息（含自己）；需要 ${quorum} 个`,
    ticksLeft: (n) => `还剩 ${n} 个 tick`, lost: '已失联',
    poll: (ms) => `若没人应答，${ms} ms 后再次发出选票`,
    acks: (zxid, n, need, who) => `${zxid}：${need} 个中已有 ${n} 个 ACK（${who || '无'}）`,
    logShown: (n, first, last, notApplied) => `显示 ${n} 条，${first} … ${last}，${notApplied} 条尚未应用`, empty: '空',
    tree: (count, bytes, digest) => `${count} 个 znode，${bytes} 字节，摘要 ${digest}`,
  },
};

export const L = pick(TEXT);

// KEYWORDS are the scenario language's words that may follow a value.
const KEYWORDS = new Set(['async', 'via', 'version', 'ephemeral', 'sequential', 'on', 'within', 'for', 'timeout']);

// quoteValue writes a value as a word of the scenario language, as
// core/script's QuoteValue does: quoted (JSON's quoting is Go's for these)
// when it is empty, holds a space, '#', a quote or a backslash, or is a
// keyword; bare otherwise. "你好 世界" stays whole.
export function quoteValue(v) {
  return v === '' || KEYWORDS.has(v) || /[\s#"\\]/.test(v) ? JSON.stringify(v) : v;
}

// valueOK checks the write form's value (no control characters; spaces, #
// and quotes are fine, quoteValue quotes them): marks the box invalid and
// focuses it when not, so nothing is rewritten behind the learner's back.
export function valueOK(ac, value) {
  const ok = !/[\u0000-\u001f\u007f]/.test(value);
  ac.value.setAttribute('aria-invalid', ok ? 'false' : 'true');
  if (!ok) ac.value.focus();
  return ok;
}

export function speedLabel(x) {
  return x + '×';
}

// buildMode: the "Simulated | Live" switch and the live mode's bar (badge,
// link delay, a note on what real time rules out).
export function buildMode(uid) {
  const sim = h('button', {type: 'button', class: 'zw-btn zw-mode-btn', 'aria-pressed': 'true', title: L.simTitle}, L.simulated);
  const live = h('button', {type: 'button', class: 'zw-btn zw-mode-btn', 'aria-pressed': 'false', title: L.liveTitle}, L.live);
  const delay = h('select', {class: 'zw-delay', id: uid + '-delay', title: L.linkDelayTitle},
    LINK_DELAYS.map((x) => h('option', {value: x, selected: x === DEFAULT_LINK_DELAY}, L.ms(x))));
  const badge = h('span', {class: 'zw-badge'}, L.badge);
  const note = h('p', {class: 'zw-hint zw-live-note'}, L.liveNote);
  const bar = h('div', {class: 'zw-livebar', hidden: true}, badge,
    h('label', {class: 'zw-field', for: uid + '-delay'}, L.linkDelay, delay), note);
  const el = h('div', {class: 'zw-modebar'},
    h('div', {class: 'zw-mode', role: 'group', 'aria-label': L.mode}, sim, live), bar);
  return {el, sim, live, delay, badge, bar, note};
}

// buildTransport: Play/Pause, Step, speed, time, scrubber.
export function buildTransport(uid) {
  const play = h('button', {type: 'button', class: 'zw-btn zw-play', 'aria-keyshortcuts': 'Space', 'data-act': 'play'}, L.pause);
  const step = h('button', {type: 'button', class: 'zw-btn', 'aria-keyshortcuts': 'N', title: L.stepTitle}, L.step);
  const speed = h('select', {class: 'zw-speed', id: uid + '-speed', title: L.speedTitle},
    SPEEDS.map((x) => h('option', {value: x, selected: x === DEFAULT_SPEED}, speedLabel(x))));
  const time = h('output', {class: 'zw-time', 'aria-live': 'off'}, '0.00 s');
  const slowmo = h('input', {type: 'checkbox', class: 'zw-slowmo-cb', checked: true});
  const scrub = h('input', {type: 'range', class: 'zw-scrub', id: uid + '-scrub', min: 0, max: 0, step: 1, value: 0,
    'aria-label': L.scrub});
  const speedBox = h('label', {class: 'zw-field', for: uid + '-speed'}, L.speed, speed);
  const slowmoBox = h('label', {class: 'zw-chip zw-slowmo', title: L.slowmoTitle}, slowmo, L.slowmo);
  const timeLabel = h('span', {class: 'zw-sr'}, L.virtualTime);
  const scrubBox = h('span', {class: 'zw-scrubbox'}, scrub);
  const el = h('div', {class: 'zw-transport'},
    play, step,
    speedBox,
    slowmoBox,
    h('span', {class: 'zw-timebox'}, timeLabel, time),
    scrubBox);
  return {el, play, step, speed, speedBox, slowmo, slowmoBox, time, timeLabel, scrub, scrubBox};
}

// buildActions: faults, client writes, bug switches, export. A button's
// data-act names what it does in either language (static/README.md).
export function buildActions(uid) {
  const killLeader = h('button', {type: 'button', class: 'zw-btn zw-danger', 'aria-keyshortcuts': 'K', 'data-act': 'crash leader'}, L.killLeader);
  const freezeLeader = h('button', {type: 'button', class: 'zw-btn', 'aria-keyshortcuts': 'F', 'data-act': 'freeze leader', title: L.freezeTitle}, L.freezeLeader);
  const heal = h('button', {type: 'button', class: 'zw-btn', 'aria-keyshortcuts': 'H', 'data-act': 'heal'}, L.heal);
  const partition = h('button', {type: 'button', class: 'zw-btn', 'aria-keyshortcuts': 'P', 'data-act': 'partition', disabled: true}, L.partition);
  const faults = h('button', {type: 'button', class: 'zw-btn zw-toggle', 'aria-pressed': 'false', 'data-act': 'faults', title: L.faultsTitle}, L.faults);
  const selBox = h('div', {class: 'zw-selected', role: 'group', 'aria-label': L.selected});
  const selHint = h('span', {class: 'zw-hint'}, L.selHint);
  selBox.append(selHint);
  const path = h('input', {type: 'text', class: 'zw-input zw-path', id: uid + '-path', value: '/a', size: 6, autocomplete: 'off', spellcheck: 'false'});
  const value = h('input', {type: 'text', class: 'zw-input zw-value', id: uid + '-value', value: 'v1', size: 6, autocomplete: 'off', spellcheck: 'false'});
  const write = h('button', {type: 'submit', class: 'zw-btn zw-primary', 'aria-keyshortcuts': 'W', 'data-act': 'write'}, L.write);
  const form = h('form', {class: 'zw-write', 'aria-label': L.writeForm},
    h('label', {class: 'zw-field', for: uid + '-path'}, L.path, path),
    h('label', {class: 'zw-field', for: uid + '-value'}, L.value, value),
    write);
  const bugList = h('div', {class: 'zw-bug-list'});
  const bugSummary = h('summary', null, L.bugs);
  const bugs = h('details', {class: 'zw-bugs'}, bugSummary, bugList);
  // Says which bug switches are on, beside the controls, in words (not
  // only a ticked box inside a closed list).
  const bugBadge = h('p', {class: 'zw-bug-badge', role: 'status', hidden: true});
  const exportBtn = h('button', {type: 'button', class: 'zw-btn'}, L.exportTrace);
  const share = h('button', {type: 'button', class: 'zw-btn', hidden: true}, L.share);
  const help = h('details', {class: 'zw-keys'}, h('summary', null, L.keys),
    h('p', null, L.keysHelp));
  const el = h('div', {class: 'zw-actions'},
    h('div', {class: 'zw-group', role: 'group', 'aria-label': L.faultsGroup}, killLeader, freezeLeader, partition, heal, faults),
    selBox,
    form,
    h('div', {class: 'zw-group zw-misc'}, bugs, exportBtn, share, help),
    bugBadge);
  return {el, bugSummary, bugBadge, killLeader, freezeLeader, heal, partition, faults, selBox, selHint, path, value, write, form, bugs, bugList, exportBtn, share, help};
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
  return h('details', {class: 'zw-legend', open: true}, h('summary', null, L.legend), h('ul', {class: 'zw-leg'}, items));
}

// buildPanel: a closable panel (details of a server or packet; the alarm).
export function buildPanel(cls, title, role) {
  const heading = h('h3', {class: 'zw-panel-title'}, title);
  const body = h('div', {class: 'zw-panel-body'});
  const close = h('button', {type: 'button', class: 'zw-btn zw-close', 'aria-label': L.close}, '✕');
  const el = h('section', {class: 'zw-panel ' + cls, hidden: true, role, 'aria-label': title, tabindex: -1},
    h('div', {class: 'zw-panel-head'}, heading, close), body);
  return {el, heading, body, close};
}

// jsonish renders an object as an indented, readable block.
export function jsonish(obj) {
  return h('pre', {class: 'zw-json'}, JSON.stringify(obj, (k, v) => (typeof v === 'bigint' ? String(v) : v), 2));
}

// FIELDS explains each field of a server in the detail panel: label,
// meaning, per language; F is the page's.
export const FIELDS = {
  en: {
    role: ['Role', 'looking: electing; leading or following: in an ensemble; observing: follows without a vote; down: crashed'],
    phase: ['Phase', 'election → discovery (agree on a new epoch) → sync (take the leader\'s history) → broadcast (serve writes)'],
    leader: ['Leader', 'the server it follows (or itself when it leads)'],
    acceptedEpoch: ['acceptedEpoch', 'the newest epoch it promised to a leader (on disk before it answers LEADERINFO); it refuses older leaders'],
    currentEpoch: ['currentEpoch', 'the epoch whose history it holds in full (on disk once synced, at NEWLEADER)'],
    lastZxid: ['Last zxid', 'the last transaction it applied, as epoch·counter; e·0 means epoch e began and has no transaction yet'],
    committed: ['Committed', 'the last transaction it knows a quorum committed'],
    lastLogged: ['Last logged', 'the last transaction on its disk, committed or not: what it reports in an election'],
    vote: ['Vote', 'whom it backs in an election: (peerEpoch, zxid, id) compare in that order; the round counts elections'],
    lastSync: ['Last sync', 'how its leader brought it up to date: DIFF (missing txns), TRUNC (cut txns no quorum took), SNAP (the whole tree)'],
    timer: ['Timer', 'the deadline that detects a failure now'],
    proposals: ['In flight', 'proposals waiting for a quorum of ACKs'],
    log: ['Log', 'transactions in its txn log (the last 24 are shown)'],
    tree: ['Tree', 'its znodes (without /zookeeper) and their digest: equal digests, equal data'],
    state: ['Running', 'paused: frozen, its clock stopped, connections open (a long GC); down: crashed'],
  },
  zh: {
    role: ['角色', 'looking：正在选举；leading 或 following：在集群中工作；observing：跟随但不投票；down：宕机'],
    phase: ['阶段', '选举 → 发现（商定新的 epoch）→ 同步（接收 Leader 的历史）→ 广播（处理写请求）'],
    leader: ['Leader', '它跟随的服务器（它自己是 Leader 时就是它自己）'],
    acceptedEpoch: ['acceptedEpoch', '它向 Leader 承诺过的最新 epoch（回复 LEADERINFO 之前先写入磁盘）；更旧的 Leader 它会拒绝'],
    currentEpoch: ['currentEpoch', '它已完整拥有其历史的 epoch（同步完成、收到 NEWLEADER 时写入磁盘）'],
    lastZxid: ['最新 zxid', '它最后应用的事务，写作 epoch·计数器；e·0 表示 epoch e 已开始但还没有事务'],
    committed: ['已提交', '它所知道的、已被过半节点提交的最后一个事务'],
    lastLogged: ['最新日志', '它磁盘上的最后一个事务，不论是否已提交：选举时它报的就是这个'],
    vote: ['选票', '选举中它支持谁：依次比较（peerEpoch, zxid, id）；轮次是选举的次数'],
    lastSync: ['上次同步', 'Leader 如何让它追平：DIFF（补发缺少的事务）、TRUNC（截断没有被过半节点接受的事务）、SNAP（整棵树的快照）'],
    timer: ['计时器', '此刻用来发现故障的超时'],
    proposals: ['进行中', '正在等待过半 ACK 的提案'],
    log: ['日志', '事务日志里的事务（显示最后 24 条）'],
    tree: ['数据树', '它的 znode（不含 /zookeeper）及其摘要：摘要相同，数据就相同'],
    state: ['运行状态', '已暂停：被冻结，时钟停止，连接仍然打开（就像一次很长的 GC）；宕机：进程崩溃'],
  },
};

export const F = pick(FIELDS);

// serverTable is the detail panel of a server: each field with its value
// and a line saying what it means (not JSON).
export function serverTable(sv, state) {
  const t = sv.timers || {};
  const role = sv.up === false ? 'down' : sv.role;
  const rows = [];
  const row = (k, v) => rows.push(h('tr', {'data-field': k}, h('th', {scope: 'row'}, F[k][0]), h('td', {class: 'zw-f-v'}, v), h('td', {class: 'zw-f-m'}, F[k][1])));
  row('state', sv.up === false ? L.down : sv.paused ? L.paused : L.running);
  row('role', role + (sv.observer && role !== 'observing' ? L.anObserver : ''));
  if (role !== 'down') row('phase', sv.phase);
  if (sv.leader) row('leader', 's' + sv.leader + (sv.established ? L.established : ''));
  row('acceptedEpoch', String(sv.acceptedEpoch));
  row('currentEpoch', String(sv.currentEpoch));
  if (role !== 'down') {
    row('lastZxid', zx(sv.lastZxid));
    row('committed', zx(sv.committed));
    row('lastLogged', zx(sv.lastLogged));
    if (sv.vote) row('vote', L.vote(sv.vote.leader, sv.vote.peerEpoch, zx(sv.vote.zxid), sv.round));
    if (sv.lastSync) row('lastSync', sv.lastSync);
    const now = sv.now || 0;
    const cfg = (state && state.config) || {};
    let timer = '';
    if (t.heardTimeoutMs) timer = L.heard(sv.leader, Math.max(0, now - t.heardAt), t.heardTimeoutMs, t.heardLimit);
    else if (t.finalizeAt) timer = L.finalize(Math.max(0, t.finalizeAt - now));
    else if (t.initDeadline) timer = L.initLimit(Math.max(0, t.initDeadline - now));
    else if (t.quorum) timer = L.hears(t.synced, cfg.syncLimit || 5, t.quorum) +
      (t.learners || []).map((l) => ` · s${l.id}: ${l.synced ? L.ticksLeft(Math.max(0, l.ackDeadline - t.tick)) : L.lost}`).join('');
    else if (t.pollAt) timer = L.poll(Math.max(0, t.pollAt - now));
    if (timer) row('timer', timer);
    if ((t.proposals || []).length) row('proposals', t.proposals.map((p) => L.acks(zx(p.zxid), p.acks.length, p.need, p.acks.map((id) => 's' + id).join(', '))).join('; '));
    const log = sv.log || [];
    row('log', log.length ? L.logShown(log.length, zx(log[0].zxid), zx(log[log.length - 1].zxid), log.filter((e) => !e.committed).length) : L.empty);
    row('tree', L.tree(sv.treeCount, sv.treeBytes, sv.treeHash));
  }
  const raw = h('details', {class: 'zw-raw'}, h('summary', null, 'JSON'), jsonish(sv));
  return h('div', null, h('table', {class: 'zw-fields'}, h('tbody', null, rows)), raw);
}

// freezeText is the action that freezes the leader: a pause, not a crash, so
// its connections stay open and only its silence gives it away (3 s of
// virtual time; live, until resumed). '' when there is no leader.
export function freezeText(state, live) {
  const ld = state && state.servers.find((sv) => sv.id === state.leader && sv.up !== false && sv.role === 'leading' && !sv.paused);
  if (!ld) return '';
  return live ? `pause ${ld.name}` : `pause ${ld.name} for 3s`;
}

// showBugs says which bug switches are on: the list's summary counts them
// and a badge beside the controls names them (empty: hidden).
export function showBugs(ac, bugs) {
  const on = bugs || [];
  const key = on.join(',');
  if (ac.bugBadge.__key === key) return;
  ac.bugBadge.__key = key;
  ac.bugSummary.textContent = on.length ? L.bugsOn(on.length) : L.bugs;
  ac.bugBadge.hidden = !on.length;
  ac.bugBadge.textContent = on.length ? L.bugBadge(on) : '';
  ac.bugs.classList.toggle('is-on', on.length > 0);
}

// bugRow is one bug switch: the checkbox, its name and title, and, when the
// bug has a scenario, a button that plays the interleaving that triggers it.
export function bugRow(b, on, {onToggle, onReplay}) {
  const cb = h('input', {type: 'checkbox', 'data-bug': b.name, checked: on});
  cb.addEventListener('change', () => onToggle(b.name, cb.checked));
  const row = h('div', {class: 'zw-bug-row'}, h('label', {class: 'zw-bug'}, cb, h('span', null, h('strong', null, b.name), ' ', b.title)));
  if (b.scenario && onReplay) {
    const btn = h('button', {type: 'button', class: 'zw-btn zw-replay', 'data-replay': b.name, title: L.replayTitle(b.name)}, L.replay);
    btn.addEventListener('click', () => onReplay(b));
    row.append(btn);
  }
  return row;
}
