// pg-fake.js: a small stand-in for the wasm simulator, with the same JSON
// shapes (wasm/README.md), used by dev.html?fake=1 to develop and test the UI
// without the wasm build. It is NOT ZAB: just enough election, sync and
// broadcast traffic, crashes, partitions and pauses to exercise every view.

const TICK = 100;

function rng(seed) {
  let x = (seed >>> 0) || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
}

const hex = (e, c) => '0x' + ((BigInt(e) << 32n) | BigInt(c)).toString(16);
const ep = (z) => Number(BigInt(z) >> 32n);

class World {
  constructor(config) {
    this.cfg = {voters: config.voters || 3, observers: config.observers || 0, seed: config.seed || 1};
    if (config.scenario) {
      const m = /voters=(\d+)/.exec(config.scenario), o = /observers=(\d+)/.exec(config.scenario), sd = /seed=(\d+)/.exec(config.scenario);
      if (m) this.cfg.voters = +m[1];
      if (o) this.cfg.observers = +o[1];
      if (sd) this.cfg.seed = +sd[1];
    }
    this.bugs = new Set(config.bugs || []);
    this.actions = (config.actions || []).slice();
    this.rand = rng(this.cfg.seed * 2654435761);
    this.now = 0; this.steps = 0; this.msgId = 0; this.seq = 0;
    this.q = []; this.out = []; this.inflight = new Map();
    this.violation = null; this.faults = false; this.cuts = new Set();
    this.nextAction = 0;
    const n = this.cfg.voters + this.cfg.observers;
    this.servers = [];
    for (let i = 1; i <= n; i++) {
      this.servers.push({id: i, name: 's' + i, observer: i > this.cfg.voters, up: true, paused: false, pausedUntil: 0,
        role: 'looking', phase: 'election', leader: 0, acceptedEpoch: 0, currentEpoch: 0, counter: 0, lastEpoch: 0,
        vote: {leader: i, zxid: '0x0', round: 1, peerEpoch: 0}, votes: new Map(), round: 1, lastSync: '',
        log: [], committedN: 0, tree: new Map(), heard: 0, acks: new Map(), synced: new Set(), deciding: false});
    }
    for (const sv of this.servers) this.at(1 + sv.id, () => this.startElection(sv, 'startup'));
    this.at(TICK, () => this.tick());
    this.at(1800, () => this.autoWrite());
  }
  get quorum() { return Math.floor(this.cfg.voters / 2) + 1; }
  srv(id) { return this.servers[id - 1]; }
  at(t, fn) { this.q.push({t, seq: this.seq++, fn}); }
  emit(e) { this.out.push({t: this.now, ...e}); this.steps++; }
  lastZxid(sv) { const c = sv.log.slice(0, sv.committedN).at(-1); return c ? c.zxid : hex(sv.lastEpoch, 0); }
  lastLogged(sv) { return sv.log.length ? sv.log.at(-1).zxid : hex(sv.lastEpoch, 0); }
  linkOK(a, b) { return !this.cuts.has(a + '-' + b); }

  send(from, to, msg, extra = {}) {
    const f = this.srv(from), t = this.srv(to);
    if (!f.up) return;
    const id = ++this.msgId;
    const arrive = this.now + 2 + Math.floor(this.rand() * 9);
    const text = `s${from}->s${to} ${msg}` + (extra.zxid ? ' z=' + extra.zxid : '') + (extra.vote ? ` vote=s${extra.vote.leader}` : '');
    this.emit({kind: 'send', node: from, peer: to, msg, id, arrive, text});
    if (!this.linkOK(from, to) || !t.up) {
      this.at(this.now + 1, () => this.emit({kind: 'drop', node: from, peer: to, id, msg, reason: t.up ? 'partition' : 'down', text}));
      return;
    }
    this.inflight.set(id, {id, from, to, msg, text, sent: this.now, arrive});
    this.at(arrive, () => this.deliver(id, extra));
  }
  deliver(id, extra) {
    const p = this.inflight.get(id);
    if (!p) return;
    const t = this.srv(p.to);
    if (!t.up) { this.inflight.delete(id); this.emit({kind: 'drop', node: p.from, peer: p.to, id, msg: p.msg, reason: 'down', text: p.text}); return; }
    if (t.paused) { this.at(t.pausedUntil + 1, () => this.deliver(id, extra)); return; }
    this.inflight.delete(id);
    this.emit({kind: 'deliver-msg', node: p.to, peer: p.from, msg: p.msg, id, text: p.text});
    this.handle(t, this.srv(p.from), p.msg, extra);
  }
  setRole(sv, role, text, leader = 0) {
    sv.role = role; sv.leader = leader;
    this.emit({kind: 'role', node: sv.id, role, epoch: sv.currentEpoch, leader: leader || undefined, text});
  }
  setPhase(sv, phase) {
    if (sv.phase === phase) return;
    sv.phase = phase;
    this.emit({kind: 'phase', node: sv.id, phase});
  }
  better(a, b) {
    if (a.peerEpoch !== b.peerEpoch) return a.peerEpoch > b.peerEpoch ? `peerEpoch ${a.peerEpoch} > ${b.peerEpoch}` : '';
    const za = BigInt(a.zxid), zb = BigInt(b.zxid);
    if (za !== zb) return za > zb ? `zxid ${a.zxid} > ${b.zxid}` : '';
    return a.leader > b.leader ? `sid ${a.leader} > ${b.leader}` : '';
  }
  startElection(sv, why) {
    if (!sv.up) return;
    if (sv.role !== 'looking') this.setRole(sv, 'looking', why);
    this.setPhase(sv, 'election');
    sv.round++; sv.deciding = false; sv.votes = new Map();
    sv.vote = {leader: sv.observer ? 0 : sv.id, zxid: this.lastLogged(sv), round: sv.round, peerEpoch: sv.currentEpoch};
    if (!sv.observer) sv.votes.set(sv.id, sv.vote);
    this.emit({kind: 'vote', node: sv.id, peer: sv.id, vote: sv.vote, text: 'initial vote for itself'});
    this.broadcastVote(sv);
  }
  broadcastVote(sv) {
    for (const o of this.servers) if (o !== sv && !o.observer) this.send(sv.id, o.id, 'NOTIFICATION', {vote: {...sv.vote}, state: sv.role});
  }
  handle(me, from, msg, x) {
    switch (msg) {
      case 'NOTIFICATION': {
        if (me.role !== 'looking') {
          if (x.state === 'looking' && me.leader) this.send(me.id, from.id, 'NOTIFICATION', {vote: {leader: me.leader, zxid: this.lastZxid(me), round: me.round, peerEpoch: me.currentEpoch}, state: me.role});
          return;
        }
        if (x.state !== 'looking' && x.vote.leader && this.srv(x.vote.leader).up && this.srv(x.vote.leader).role === 'leading') {
          this.decide(me, x.vote.leader, `s${from.id} is ${x.state} s${x.vote.leader}`);
          return;
        }
        if (me.observer) return;
        const why = this.better(x.vote, me.vote);
        if (why) {
          me.vote = {...x.vote, round: me.round};
          this.emit({kind: 'vote', node: me.id, peer: from.id, vote: me.vote, text: why});
          me.votes.set(me.id, me.vote);
          this.broadcastVote(me);
        }
        me.votes.set(from.id, x.vote);
        let n = 0;
        for (const v of me.votes.values()) if (v.leader === me.vote.leader) n++;
        if (n >= this.quorum && !me.deciding) {
          me.deciding = true;
          this.at(this.now + 200, () => { if (me.role === 'looking' && me.deciding) this.decide(me, me.vote.leader, `a quorum voted for s${me.vote.leader}`); });
        }
        return;
      }
      case 'FOLLOWERINFO': case 'OBSERVERINFO':
        if (me.role === 'leading') this.send(me.id, from.id, 'LEADERINFO', {epoch: me.acceptedEpoch});
        return;
      case 'LEADERINFO':
        me.acceptedEpoch = x.epoch;
        this.emit({kind: 'accepted-epoch', node: me.id, epoch: x.epoch});
        this.send(me.id, from.id, 'ACKEPOCH', {zxid: this.lastLogged(me)});
        return;
      case 'ACKEPOCH': {
        if (me.role !== 'leading') return;
        const mode = BigInt(x.zxid) === BigInt(this.lastZxid(me)) ? 'EMPTY-DIFF' : 'DIFF';
        this.emit({kind: 'sync-mode', node: me.id, peer: from.id, mode, zxid: this.lastZxid(me)});
        this.send(me.id, from.id, 'DIFF', {zxid: this.lastZxid(me), log: me.log.slice(0, me.committedN)});
        this.send(me.id, from.id, 'NEWLEADER', {epoch: me.acceptedEpoch});
        return;
      }
      case 'DIFF':
        me.log = x.log.map((e) => ({...e})); me.committedN = me.log.length; me.lastSync = 'DIFF';
        me.tree = new Map(); for (const e of me.log) me.tree.set(e.path, {data: e.data, version: 0});
        this.setPhase(me, 'sync');
        return;
      case 'NEWLEADER':
        me.currentEpoch = x.epoch;
        this.emit({kind: 'current-epoch', node: me.id, epoch: x.epoch});
        this.send(me.id, from.id, 'ACK', {zxid: hex(x.epoch, 0), newleader: true});
        return;
      case 'ACK': {
        if (me.role !== 'leading') return;
        if (x.newleader) {
          me.synced.add(from.id);
          if (me.phase !== 'broadcast' && me.synced.size + 1 >= this.quorum) {
            me.currentEpoch = me.acceptedEpoch;
            this.emit({kind: 'current-epoch', node: me.id, epoch: me.currentEpoch});
            this.setPhase(me, 'broadcast');
            this.emit({kind: 'established', node: me.id, epoch: me.currentEpoch, zxid: this.lastZxid(me)});
            for (const f of me.synced) this.send(me.id, f, 'UPTODATE', {});
          } else if (me.phase === 'broadcast') this.send(me.id, from.id, 'UPTODATE', {});
          return;
        }
        const acks = me.acks.get(x.zxid);
        if (!acks) return;
        acks.add(from.id);
        if (acks.size >= this.quorum && !acks.done) {
          acks.done = true;
          const i = me.log.findIndex((e) => e.zxid === x.zxid);
          this.commit(me, i);
          for (const f of this.servers) if (f !== me && f.role === 'following' && f.leader === me.id) this.send(me.id, f.id, 'COMMIT', {zxid: x.zxid});
          for (const f of this.servers) if (f !== me && f.role === 'observing' && f.leader === me.id) this.send(me.id, f.id, 'INFORM', {zxid: x.zxid, entry: me.log[i]});
        }
        return;
      }
      case 'UPTODATE':
        this.setPhase(me, 'broadcast');
        return;
      case 'PING':
        me.heard = this.now;
        if (me.role !== 'leading') this.send(me.id, from.id, 'PING', {});
        return;
      case 'REQUEST':
        if (me.role === 'leading' && me.phase === 'broadcast') this.propose(me, x.req);
        return;
      case 'PROPOSAL':
        me.log.push({...x.entry, committed: false});
        this.emit({kind: 'persist', node: me.id, text: x.entry.text});
        this.send(me.id, from.id, 'ACK', {zxid: x.entry.zxid});
        return;
      case 'COMMIT': {
        const i = me.log.findIndex((e) => e.zxid === x.zxid);
        if (i >= 0) this.commit(me, i);
        return;
      }
      case 'INFORM':
        me.log.push({...x.entry}); this.commit(me, me.log.length - 1);
        return;
    }
  }
  commit(sv, i) {
    if (i < 0) return;
    for (let k = sv.committedN; k <= i; k++) {
      const e = sv.log[k];
      e.committed = true;
      sv.tree.set(e.path, {data: e.data, version: (sv.tree.get(e.path)?.version ?? -1) + 1});
      this.emit({kind: 'deliver', node: sv.id, zxid: e.zxid, text: e.text, client: sv.role === 'leading' ? e.client : undefined});
      if (this.bugs.has('FAKE-LOSE-COMMIT') && sv.role === 'leading' && !this.violation && this.now > 2500) {
        this.violation = {property: 'Agreement', text: `Agreement: s1 and s${sv.id} delivered different txns at ${e.zxid}`, t: this.now};
        this.emit({kind: 'violation', text: this.violation.text});
      }
    }
    sv.committedN = Math.max(sv.committedN, i + 1);
  }
  propose(ld, req) {
    ld.counter++;
    const zxid = hex(ld.currentEpoch, ld.counter);
    const entry = {zxid, text: `${req.op} ${req.path} "${req.data}"`, path: req.path, data: req.data, client: req.client, committed: false};
    ld.log.push(entry);
    this.emit({kind: 'propose', node: ld.id, zxid, epoch: ld.currentEpoch, text: entry.text});
    const acks = new Set([ld.id]);
    ld.acks.set(zxid, acks);
    for (const f of this.servers) if (f !== ld && f.role === 'following' && f.leader === ld.id && f.phase === 'broadcast') this.send(ld.id, f.id, 'PROPOSAL', {entry: {...entry}});
  }
  decide(sv, leader, why) {
    sv.deciding = false;
    if (leader === sv.id) {
      const e = Math.max(...this.servers.map((o) => o.acceptedEpoch)) + 1;
      sv.acceptedEpoch = e; sv.synced = new Set(); sv.lastEpoch = e; sv.counter = 0;
      this.emit({kind: 'accepted-epoch', node: sv.id, epoch: e});
      this.setRole(sv, 'leading', why);
      this.setPhase(sv, 'discovery');
    } else {
      this.setRole(sv, sv.observer ? 'observing' : 'following', why, leader);
      this.setPhase(sv, 'discovery');
      sv.heard = this.now;
      this.send(sv.id, leader, sv.observer ? 'OBSERVERINFO' : 'FOLLOWERINFO', {epoch: sv.acceptedEpoch});
    }
  }
  tick() {
    this.at(this.now + TICK, () => this.tick());
    if (this.faults && this.rand() < 0.01) {
      const v = this.servers[Math.floor(this.rand() * this.servers.length)];
      this.apply(v.up ? `crash ${v.name}` : `restart ${v.name}`);
    }
    for (const sv of this.servers) {
      if (!sv.up || sv.paused) continue;
      if (sv.paused === false && sv.pausedUntil && this.now >= sv.pausedUntil) sv.pausedUntil = 0;
      if (sv.role === 'leading') {
        let live = 1;
        for (const f of this.servers) {
          if (f === sv || f.leader !== sv.id || f.observer) continue;
          this.send(sv.id, f.id, 'PING', {});
          if (f.up && !f.paused && this.linkOK(sv.id, f.id) && this.linkOK(f.id, sv.id)) live++;
        }
        for (const f of this.servers) if (f.observer && f.leader === sv.id) this.send(sv.id, f.id, 'PING', {});
        if (live < this.quorum) { this.setPhase(sv, 'election'); this.startElection(sv, 'lost the quorum'); }
      } else if ((sv.role === 'following' || sv.role === 'observing') && this.now - sv.heard > 5 * TICK) {
        this.startElection(sv, 'the leader went silent');
      } else if (sv.role === 'looking' && this.now % 1000 < TICK) {
        this.broadcastVote(sv);
      }
    }
  }
  autoWrite() {
    this.at(this.now + 2500, () => this.autoWrite());
    const ld = this.servers.find((x) => x.role === 'leading' && x.up && x.phase === 'broadcast');
    if (ld) this.clientOp('set', '/counter', String(Math.floor(this.now / 1000)), ld);
  }
  clientOp(op, path, data, via) {
    const req = {op, path, data, client: 1};
    this.emit({kind: 'request', client: 1, req: {session: 1, cxid: 1, op, path, data}, node: via.id});
    if (via.role === 'leading') this.propose(via, req);
    else if (via.leader) this.send(via.id, via.leader, 'REQUEST', {req});
  }
  resolve(name) {
    if (name === 'leader') return this.servers.find((x) => x.role === 'leading' && x.up);
    if (name === 'follower') return this.servers.find((x) => x.role === 'following' && x.up);
    const m = /^s(\d+)$/.exec(name);
    return m ? this.srv(+m[1]) : null;
  }
  apply(text) {
    const f = text.trim().split(/\s+/);
    const need = (n) => { const v = this.resolve(n); if (!v) throw new Error(`no server ${n}`); return v; };
    switch (f[0]) {
      case 'crash': {
        const v = need(f[1]);
        if (!v.up) throw new Error(`${v.name} is already down`);
        v.up = false; v.log = v.log.slice(0, v.committedN);
        this.emit({kind: 'crash', node: v.id});
        this.setRole(v, 'down', 'crashed');
        for (const [id, p] of this.inflight) if (p.to === v.id || p.from === v.id) { this.inflight.delete(id); this.emit({kind: 'drop', node: p.from, peer: p.to, id, msg: p.msg, reason: 'connection broken'}); }
        return `crash ${v.name}`;
      }
      case 'restart': {
        const v = need(f[1]);
        if (v.up) throw new Error(`${v.name} is running`);
        v.up = true; v.leader = 0;
        this.emit({kind: 'restart', node: v.id});
        this.startElection(v, 'restarted');
        return `restart ${v.name}`;
      }
      case 'pause': {
        const v = need(f[1]);
        const ms = f[3] ? parseFloat(f[3]) * (f[3].endsWith('ms') ? 1 : 1000) : 3000;
        v.paused = true; v.pausedUntil = this.now + ms;
        this.emit({kind: 'pause', node: v.id});
        this.at(this.now + ms, () => { v.paused = false; v.heard = this.now; this.emit({kind: 'resume', node: v.id}); });
        return `pause ${v.name} for ${ms / 1000}s`;
      }
      case 'partition': {
        const groups = text.slice(10).split('|').map((g) => g.trim().split(/\s+/).filter(Boolean));
        const all = this.servers.map((x) => x.name);
        if (groups.length === 2 && groups[1].length === 1 && groups[1][0] === 'rest') groups[1] = all.filter((n) => !groups[0].includes(n));
        const gid = new Map();
        groups.forEach((g, i) => g.forEach((n) => gid.set(need(n).id, i)));
        this.cuts.clear();
        for (const a of this.servers) for (const b of this.servers) if (a !== b && gid.get(a.id) !== gid.get(b.id)) this.cuts.add(a.id + '-' + b.id);
        const t = 'partition ' + groups.map((g) => g.join(' ')).join(' | ');
        this.emit({kind: 'partition', text: t});
        return t;
      }
      case 'heal':
        this.cuts.clear();
        this.emit({kind: 'heal', text: 'heal'});
        return 'heal';
      case 'faults':
        this.faults = f[1] === 'on';
        return text;
      case 'create': case 'set': {
        const via = need(f[f.indexOf('via') + 1] || 'leader');
        this.clientOp(f[0], f[1], f[2] || '', via);
        return `${f[0]} ${f[1]} ${f[2] || ''} via ${via.name} async`;
      }
      default: throw new Error(`unknown action ${JSON.stringify(text)}`);
    }
  }
  runTo(toMs, maxSteps = Infinity) {
    let n = 0;
    for (;;) {
      while (this.nextAction < this.actions.length && this.actions[this.nextAction].step <= this.steps) {
        try { this.apply(this.actions[this.nextAction].text); } catch { /* replay keeps going */ }
        this.nextAction++;
      }
      if (this.violation) return;
      if (!this.q.length) { this.now = Math.max(this.now, toMs); return; }
      let bi = 0;
      for (let i = 1; i < this.q.length; i++) {
        const a = this.q[i], b = this.q[bi];
        if (a.t < b.t || (a.t === b.t && a.seq < b.seq)) bi = i;
      }
      const ev = this.q[bi];
      if (ev.t > toMs || n >= maxSteps) { if (n < maxSteps) this.now = Math.max(this.now, toMs); return; }
      this.q[bi] = this.q[this.q.length - 1]; this.q.pop();
      this.now = Math.max(this.now, ev.t);
      const before = this.out.length;
      ev.fn();
      if (this.out.length > before) n++;
    }
  }
  state() {
    const leader = this.servers.find((x) => x.up && x.role === 'leading');
    return {
      t: this.now, steps: this.steps, leader: leader ? leader.id : 0, faults: this.faults, bugs: [...this.bugs],
      violation: this.violation,
      config: {...this.cfg, tickMs: TICK, initLimit: 10, syncLimit: 5, latencyMs: [2, 10], fsyncMs: [1, 5]},
      servers: this.servers.map((v) => ({
        id: v.id, name: v.name, observer: v.observer, up: v.up, paused: v.paused,
        role: v.up ? v.role : 'down', phase: v.phase, leader: v.leader,
        acceptedEpoch: v.acceptedEpoch, currentEpoch: v.currentEpoch,
        lastZxid: this.lastZxid(v), committed: this.lastZxid(v), lastLogged: this.lastLogged(v),
        vote: v.vote, round: v.round, lastSync: v.lastSync,
        log: v.log.slice(-24).map((e) => ({zxid: e.zxid, text: e.text, committed: !!e.committed})),
        tree: [...v.tree].map(([path, x]) => ({path, data: x.data, version: x.version})),
      })),
      links: this.servers.flatMap((a) => this.servers.filter((b) => b !== a).map((b) => ({from: a.id, to: b.id, cut: !this.linkOK(a.id, b.id)}))),
      inflight: [...this.inflight.values()].map((p) => ({...p})),
      actions: this.actions.slice(),
    };
  }
}

class FakeSim {
  constructor(config) {
    this.config = JSON.parse(JSON.stringify(config));
    this.w = new World(this.config);
  }
  take() { const e = this.w.out; this.w.out = []; return e; }
  frame(toMs) { this.w.runTo(toMs); return {events: this.take(), state: this.w.state()}; }
  step() { this.w.runTo(Infinity, 1); return {events: this.take(), state: this.w.state()}; }
  act(text) {
    const w = this.w;
    w.actions = w.actions.filter((a) => a.step <= w.steps);
    let resolved;
    try { resolved = w.apply(text.replace(/\bvia\b\s+\S+/, (m) => m)); } catch (e) { return {error: e.message}; }
    w.actions.push({step: w.steps, t: w.now, text: resolved});
    w.nextAction = w.actions.length;
    return {events: this.take(), state: w.state()};
  }
  seek(toMs, windowMs = 5000) {
    const actions = this.w.actions;
    this.w = new World({...this.config, actions, bugs: [...this.w.bugs]});
    this.w.runTo(toMs);
    const ev = this.take().filter((e) => e.t >= toMs - windowMs);
    return {events: ev, state: this.w.state()};
  }
  setBug(name, on) {
    const b = new Set(this.w.bugs);
    if (on) b.add(name); else b.delete(name);
    const t = this.w.now, actions = this.w.actions;
    this.config.bugs = [...b];
    this.w = new World({...this.config, actions});
    this.w.runTo(t);
    return {events: this.take().filter((e) => e.t >= t - 5000), state: this.w.state()};
  }
  exportTrace() {
    const w = new World({...this.config, actions: this.w.actions});
    w.runTo(this.w.now);
    return {config: this.config, actions: this.w.actions, events: w.out};
  }
  destroy() { return {}; }
  static bugs() {
    return [{name: 'FAKE-LOSE-COMMIT', title: 'fake: report an Agreement violation after 2.5 s'},
      {name: 'FAKE-NOTHING', title: 'fake: does nothing'}];
  }
}

// loadSim mirrors sim.js.
export async function loadSim() {
  return {create: (config) => new FakeSim(config), bugs: () => FakeSim.bugs()};
}
