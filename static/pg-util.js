// pg-util.js: small helpers shared by the playground modules (DOM building,
// zxid formatting, the message palette). No build step; its strings come in
// both languages through i18n.js.

import {pick} from './i18n.js';
export const SVGNS = 'http://www.w3.org/2000/svg';

// h builds an HTML element: h('button', {type: 'button', class: 'x'}, 'text', child...).
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  setAll(el, attrs);
  for (const k of kids.flat()) if (k != null && k !== false) el.append(k);
  return el;
}

// s builds an SVG element.
export function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVGNS, tag);
  setAll(el, attrs);
  for (const k of kids.flat()) if (k != null && k !== false) el.append(k);
  return el;
}

function setAll(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

// attr sets an attribute only when its value changed (frames touch the DOM as
// little as possible so 9 servers stay at 60 fps).
export function attr(el, name, value) {
  const c = el.__a || (el.__a = Object.create(null));
  const v = value == null ? null : String(value);
  if (c[name] === v) return;
  c[name] = v;
  if (v == null) el.removeAttribute(name);
  else el.setAttribute(name, v);
}

// text sets textContent only when it changed.
export function text(el, value) {
  const v = String(value);
  if (el.__t === v) return;
  el.__t = v;
  el.textContent = v;
}

// prop sets a DOM property (disabled, checked) only when it changed.
export function prop(el, name, value) {
  if (el[name] !== value) el[name] = value;
}

// cls sets or clears a class only when it changed.
export function cls(el, name, on) {
  on = !!on;
  const c = el.__c || (el.__c = Object.create(null));
  if (c[name] === on) return;
  c[name] = on;
  el.classList.toggle(name, on);
}

// zxid parses "0x200000003" (or a number) into {epoch, counter, hex}.
export function zxid(z) {
  if (z == null || z === '') return {epoch: 0, counter: 0, hex: '0x0', big: 0n};
  let big;
  try {
    big = typeof z === 'bigint' ? z : BigInt(z);
  } catch {
    return {epoch: 0, counter: 0, hex: String(z), big: 0n};
  }
  return {epoch: Number(big >> 32n), counter: Number(big & 0xffffffffn), hex: '0x' + big.toString(16), big};
}

// zx formats a zxid as "epoch·counter", the form the lessons use.
export function zx(z) {
  const p = zxid(z);
  return p.epoch + '·' + p.counter;
}

// cmpZxid compares two zxid strings.
export function cmpZxid(a, b) {
  const x = zxid(a).big, y = zxid(b).big;
  return x < y ? -1 : x > y ? 1 : 0;
}

// fmtMs prints virtual time: "4.20 s".
export function fmtMs(ms) {
  return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
}

// Okabe-Ito, the color-blind-safe palette. Message colors follow the ZAB phase
// that uses the message (election orange, discovery sky blue, sync green,
// broadcast blue/yellow/vermillion, clients purple); shapes and a short label
// tell types of one family apart, so color is never the only cue. Labels are
// black on every fill but blue (4.5:1 or more); a packet's outline (the
// widget's ink, widget.css) gives its shape 3:1 against the background.
export const OKABE = {
  orange: '#E69F00', sky: '#56B4E9', green: '#009E73', yellow: '#F0E442',
  blue: '#0072B2', vermillion: '#D55E00', purple: '#CC79A7', grey: '#8c8c8c',
};

// MSG_DESC says what each message type does, per language (i18n.js).
export const MSG_DESC = {
  en: {
    NOTIFICATION: 'a vote (Fast Leader Election)',
    FOLLOWERINFO: 'follower tells the leader its accepted epoch',
    OBSERVERINFO: 'observer registers with the leader',
    LEADERINFO: 'leader proposes the new epoch',
    ACKEPOCH: 'learner accepts the epoch, sends its last zxid',
    DIFF: 'sync: missing txns follow',
    TRUNC: 'sync: cut your log back first',
    SNAP: 'sync: a whole snapshot follows',
    NEWLEADER: 'leader: the initial history is sent, ack it',
    UPTODATE: 'leader: start serving',
    PROPOSAL: 'leader proposes a txn',
    ACK: 'follower logged the txn',
    COMMIT: 'a quorum acked: apply it',
    INFORM: 'committed txn for an observer',
    PING: 'heartbeat',
    REQUEST: 'a write forwarded to the leader',
    SYNC: 'reply to a client sync()',
  },
  zh: {
    NOTIFICATION: '一张选票（快速 Leader 选举）',
    FOLLOWERINFO: 'Follower 告诉 Leader 自己的 acceptedEpoch',
    OBSERVERINFO: 'Observer 向 Leader 注册',
    LEADERINFO: 'Leader 提出新的 epoch',
    ACKEPOCH: 'Learner 接受这个 epoch，并报上自己的最后一个 zxid',
    DIFF: '同步：随后补发缺少的事务',
    TRUNC: '同步：先把你的日志截断回去',
    SNAP: '同步：随后发送整份快照',
    NEWLEADER: 'Leader：初始历史已发完，请确认',
    UPTODATE: 'Leader：开始对外服务',
    PROPOSAL: 'Leader 提议一个事务',
    ACK: 'Follower 已把事务写入日志',
    COMMIT: '过半节点已 ACK：应用它',
    INFORM: '发给 Observer 的已提交事务',
    PING: '心跳',
    REQUEST: '转发给 Leader 的写请求',
    SYNC: '对客户端 sync() 的回复',
  },
};
const DESC = pick(MSG_DESC);

// MSG describes every message type: family (filter group), color, shape, label.
export const MSG = {
  NOTIFICATION: {fam: 'election', color: OKABE.orange, shape: 'diamond', label: 'N', ink: '#000', desc: DESC.NOTIFICATION},
  FOLLOWERINFO: {fam: 'discovery', color: OKABE.sky, shape: 'triangle', label: 'FI', ink: '#000', desc: DESC.FOLLOWERINFO},
  OBSERVERINFO: {fam: 'discovery', color: OKABE.sky, shape: 'triangle', label: 'OI', ink: '#000', desc: DESC.OBSERVERINFO},
  LEADERINFO: {fam: 'discovery', color: OKABE.sky, shape: 'square', label: 'LI', ink: '#000', desc: DESC.LEADERINFO},
  ACKEPOCH: {fam: 'discovery', color: OKABE.sky, shape: 'circle', label: 'AE', ink: '#000', desc: DESC.ACKEPOCH},
  DIFF: {fam: 'sync', color: OKABE.green, shape: 'square', label: 'D', ink: '#000', desc: DESC.DIFF},
  TRUNC: {fam: 'sync', color: OKABE.green, shape: 'triangle', label: 'T', ink: '#000', desc: DESC.TRUNC},
  SNAP: {fam: 'sync', color: OKABE.green, shape: 'pentagon', label: 'S', ink: '#000', desc: DESC.SNAP},
  NEWLEADER: {fam: 'sync', color: OKABE.green, shape: 'diamond', label: 'NL', ink: '#000', desc: DESC.NEWLEADER},
  UPTODATE: {fam: 'sync', color: OKABE.green, shape: 'circle', label: 'U', ink: '#000', desc: DESC.UPTODATE},
  PROPOSAL: {fam: 'broadcast', color: OKABE.blue, shape: 'square', label: 'P', ink: '#fff', desc: DESC.PROPOSAL},
  ACK: {fam: 'broadcast', color: OKABE.yellow, shape: 'circle', label: 'A', ink: '#000', desc: DESC.ACK},
  COMMIT: {fam: 'broadcast', color: OKABE.vermillion, shape: 'diamond', label: 'C', ink: '#000', desc: DESC.COMMIT},
  INFORM: {fam: 'broadcast', color: OKABE.vermillion, shape: 'square', label: 'I', ink: '#000', desc: DESC.INFORM},
  PING: {fam: 'ping', color: OKABE.grey, shape: 'circle', label: '', ink: '#000', desc: DESC.PING},
  REQUEST: {fam: 'client', color: OKABE.purple, shape: 'triangle', label: 'R', ink: '#000', desc: DESC.REQUEST},
  SYNC: {fam: 'client', color: OKABE.purple, shape: 'square', label: 'Sy', ink: '#000', desc: DESC.SYNC},
};

// FAMILY_NAMES names the message families, per language (i18n.js).
export const FAMILY_NAMES = {
  en: {election: 'Election', discovery: 'Discovery', sync: 'Sync', broadcast: 'Broadcast', client: 'Client', ping: 'PING'},
  zh: {election: '选举', discovery: '发现', sync: '同步', broadcast: '广播', client: '客户端', ping: 'PING'},
};
const FAM = pick(FAMILY_NAMES);
export const FAMILIES = ['election', 'discovery', 'sync', 'broadcast', 'client', 'ping'].map((f) => [f, FAM[f]]);

export function msgInfo(type) {
  return MSG[type] || {fam: 'other', color: OKABE.grey, shape: 'circle', label: '?', ink: '#000', desc: type};
}

// shapePath returns an SVG path for a packet shape of radius r centred on 0,0.
export function shapePath(shape, r) {
  switch (shape) {
    case 'square': return `M${-r * .85},${-r * .85}h${r * 1.7}v${r * 1.7}h${-r * 1.7}z`;
    case 'diamond': return `M0,${-r * 1.15}L${r * 1.15},0L0,${r * 1.15}L${-r * 1.15},0z`;
    case 'triangle': return `M0,${-r * 1.15}L${r * 1.1},${r * .8}L${-r * 1.1},${r * .8}z`;
    case 'pentagon': {
      let d = '';
      for (let i = 0; i < 5; i++) {
        const a = -Math.PI / 2 + i * 2 * Math.PI / 5;
        d += (i ? 'L' : 'M') + (Math.cos(a) * r * 1.1).toFixed(2) + ',' + (Math.sin(a) * r * 1.1).toFixed(2);
      }
      return d + 'z';
    }
    default: return `M${-r},0a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0`;
  }
}

// EPOCH_COLORS colors log entries by epoch (cycled); distinct from the roles.
export const EPOCH_COLORS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#8c8c8c'];
export function epochColor(e) {
  return EPOCH_COLORS[((e % EPOCH_COLORS.length) + EPOCH_COLORS.length) % EPOCH_COLORS.length];
}

// PROPERTY_TEXT explains every checked property in plain words, per
// language (i18n.js); PROPERTIES is the page's.
export const PROPERTY_TEXT = {
  en: {
    Integrity: 'A server delivered a transaction that no leader ever broadcast, or delivered one twice. Replicas may only apply what a leader proposed, once.',
    Agreement: 'Two servers delivered different transactions at the same place in their history. All replicas must apply the same sequence.',
    TotalOrder: 'Two servers delivered the same transactions in different orders. Every replica must apply them in one order.',
    GlobalPrimaryOrder: 'Transactions of an older leader (epoch) were delivered after a newer leader\'s. History must follow the order of the leaders.',
    PrimaryIntegrity: 'A new leader broadcast its own transactions before every transaction committed under earlier leaders was delivered. It must first catch up everyone.',
    OneLeaderPerEpoch: 'Two servers led the same epoch. Each epoch has at most one leader, otherwise two histories can grow at once.',
    CommittedNeverLost: 'A transaction that a quorum had committed disappeared (for example a TRUNC or a lost fsync removed it). Once committed, a write must survive every crash.',
    FIFOClientOrder: 'A client got the answers to its requests out of the order it sent them. ZooKeeper promises each client FIFO order.',
    MonotonicReads: 'A client read older data after it had already seen newer data: time went backwards for that client.',
    SyncThenRead: 'A read issued after sync() missed a write committed before the sync. sync + read must be up to date.',
    LinearizableWrites: 'The writes cannot be placed in one order that respects real time: a client saw a result no single copy could give.',
    AckDurable: 'A server acknowledged something before it was safely on its disk. An ACK is a promise that survives a crash: a txn must be logged and fsynced first, and an epoch written, before the server says yes.',
    EpochMonotonic: 'A server\'s acceptedEpoch or currentEpoch went down (or currentEpoch passed acceptedEpoch). Epochs only grow: that is how old leaders are refused.',
    EpochPromise: 'A server broke its promise to a new epoch: it acked or led an older one, or promised before the promise was on disk.',
    LeaderMostRecent: 'A leader was elected with an older history than a server of the quorum that elected it. The leader must hold the most recent history of its quorum, or committed writes can be lost.',
    VoterQuorum: 'A leader acted without a quorum of voters: it was established, or committed a write, before enough voters (itself only once durable) had acknowledged.',
    DurableLog: 'A server restarted without a transaction its log had already fsynced: the disk lost a write it promised to keep.',
    NoFatal: 'A server found the leader\'s stream of packets inconsistent (a gap in proposals, a COMMIT for nothing pending), where ZooKeeper would exit.',
    EphemeralsDie: 'An ephemeral node outlived its session: it was created after the session\'s closeSession, or a server that had applied the close still showed it.',
    WatchOrder: 'A client saw new data before the watch event for it, or watch events out of order. ZooKeeper sends a watch\'s event before any reply that shows the change.',
    ClientWriteOrder: 'A client\'s writes were applied out of the order it sent them (for example a write its old server forwarded late, after the client had moved on and written again). ZooKeeper applies each client\'s updates in order.',
  },
  zh: {
    Integrity: '有服务器交付了一个从没有哪个 Leader 广播过的事务，或把同一个事务交付了两次。副本只能应用 Leader 提议过的事务，而且只应用一次。',
    Agreement: '两台服务器在各自历史的同一位置交付了不同的事务。所有副本必须应用同一个序列。',
    TotalOrder: '两台服务器以不同的顺序交付了相同的事务。每个副本都必须按同一个顺序应用它们。',
    GlobalPrimaryOrder: '较早 Leader（epoch）的事务在较新 Leader 的事务之后才被交付。历史必须遵循 Leader 的先后顺序。',
    PrimaryIntegrity: '新 Leader 在之前各任 Leader 提交的事务全部交付之前，就广播了自己的事务。它必须先让所有人追平。',
    OneLeaderPerEpoch: '两台服务器领导了同一个 epoch。每个 epoch 至多一个 Leader，否则两份历史会同时增长。',
    CommittedNeverLost: '一个已被过半节点提交的事务消失了（例如被 TRUNC 或一次丢失的 fsync 删掉）。写一旦提交，就必须挺过每一次宕机。',
    FIFOClientOrder: '一个客户端收到回复的顺序和它发出请求的顺序不一致。ZooKeeper 承诺每个客户端的 FIFO 顺序。',
    MonotonicReads: '一个客户端在已经看到较新数据之后，又读到了较旧的数据：对这个客户端来说，时间倒流了。',
    SyncThenRead: 'sync() 之后发出的读，漏掉了 sync 之前已提交的写。sync 再读必须是最新的。',
    LinearizableWrites: '这些写无法排成一个符合真实时间的顺序：某个客户端看到的结果，任何单一副本都给不出。',
    AckDurable: '有服务器在内容安全落盘之前就做了确认。ACK 是一个能挺过宕机的承诺：事务必须先写入日志并 fsync，epoch 必须先写入磁盘，服务器才能说“好”。',
    EpochMonotonic: '某台服务器的 acceptedEpoch 或 currentEpoch 变小了（或 currentEpoch 超过了 acceptedEpoch）。epoch 只增不减：旧 Leader 正是靠这一点被拒绝的。',
    EpochPromise: '某台服务器违背了对新 epoch 的承诺：它确认或领导了一个更旧的 epoch，或者在承诺落盘之前就做了承诺。',
    LeaderMostRecent: '当选的 Leader 的历史，比选它的过半节点中某台服务器的历史还旧。Leader 必须拥有它那个过半集合中最新的历史，否则已提交的写可能丢失。',
    VoterQuorum: 'Leader 在没有过半投票成员的情况下行动：在足够多的投票成员（它自己只在落盘后才算）确认之前，它就确立了自己，或提交了一次写。',
    DurableLog: '有服务器重启后缺了一个日志中已经 fsync 过的事务：磁盘丢了一次它承诺保存的写。',
    NoFatal: '有服务器发现 Leader 发来的数据包流不一致（提案中有缺口，或 COMMIT 对不上任何待提交事务），ZooKeeper 在这种情况下会退出进程。',
    EphemeralsDie: '一个临时节点活得比它的会话还久：它在会话的 closeSession 之后才被创建，或者已经应用了关闭的服务器仍然显示它。',
    WatchOrder: '客户端先看到了新数据，后收到对应的监听(Watcher)事件，或者监听事件乱了顺序。ZooKeeper 会在任何体现该变化的回复之前先发出监听事件。',
    ClientWriteOrder: '一个客户端的写没有按它发送的顺序生效（例如它的旧服务器在它换到别的服务器并再次写入之后，才转发出一次迟到的写）。ZooKeeper 按顺序应用每个客户端的更新。',
  },
};
export const PROPERTIES = pick(PROPERTY_TEXT);

// throttle returns fn wrapped to run at most once per ms (trailing call kept).
export function throttle(fn, ms) {
  let last = 0, timer = 0;
  return (...args) => {
    const now = Date.now();
    clearTimeout(timer);
    if (now - last >= ms) {
      last = now;
      fn(...args);
    } else {
      timer = setTimeout(() => { last = Date.now(); fn(...args); }, ms - (now - last));
    }
  };
}

// Requests by session and cxid, so that a reply that does not carry its path
// (a CONNECTIONLOSS: the server answered without looking at the request) is
// still told with it. noteRequest takes every "request" event.
const requests = new Map();
export function noteRequest(e) {
  const r = e.req || {};
  requests.set(`${e.client ?? r.session}:${r.cxid}`, r);
  if (requests.size > 512) requests.delete(requests.keys().next().value);
}

// HINTS says what a failed reply means for the write, in plain words.
const HINTS = {
  CONNECTIONLOSS: 'the server was not serving (no leader, or it lost its leader) and dropped the connection: the outcome is unknown, the write may or may not commit; read the path to find out, and write again once a leader is in broadcast',
  NODEEXISTS: 'the znode already exists: set it instead (the Write button sets a path the leader already has)',
  NONODE: 'no such znode (or its parent is missing)',
  BADVERSION: 'the znode changed since that version',
  NOTEMPTY: 'the znode has children',
};

// replyText tells what a client got back: "4.21 s: s1 answered create /a: OK (zxid 2·1)".
export function replyText(e) {
  const r = e.reply;
  const req = requests.get(`${e.client ?? r.session}:${r.cxid}`) || {};
  const ok = r.err === 'OK' || r.err === 0 || r.err == null;
  const op = r.op || req.op || '';
  const path = r.path || req.path || '';
  const what = [op, path].filter(Boolean).join(' ');
  return `${fmtMs(e.t)}: s${r.server || e.node} answered ${what}: ${ok ? 'OK' : r.err}` +
    (ok && r.zxid && r.zxid !== '0x0' ? ` (zxid ${zx(r.zxid)})` : '') +
    (ok ? '' : ' — ' + (HINTS[r.err] || 'the request failed'));
}

export function describe(e) {
  if (e.text) return `${e.kind} ${e.node ? 's' + e.node : ''} ${e.text}`;
  return `${e.kind}${e.node ? ' s' + e.node : ''}${e.msg ? ' ' + e.msg : ''}${e.zxid ? ' ' + zx(e.zxid) : ''}`;
}

export function typing(t) {
  if (!t || !t.closest) return false;
  if (t.isContentEditable) return true;
  const tag = t.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return !['checkbox', 'radio', 'button', 'submit', 'range'].includes(t.type);
  return false;
}

