// sim.js loads the simulator (zab.wasm, core/sim compiled to WebAssembly) once
// per page and wraps the raw globalThis.zabplay binding (wasm/README.md) in a
// small class. Every method returns the parsed JSON object; errors come back
// as {error: "..."}, never as exceptions.

let loading = null;

/** Loads the wasm once; resolves to {create(config), bugs()}. */
export function loadSim(base = '/static/') {
  if (!loading) loading = boot(base);
  return loading;
}

async function boot(base) {
  if (!globalThis.Go) {
    await new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = base + 'wasm_exec.js';
      s.onload = resolve;
      s.onerror = () => reject(new Error('could not load ' + s.src));
      document.head.appendChild(s);
    });
  }
  const go = new globalThis.Go();
  const ready = new Promise((resolve) => { globalThis.zabplayReady = resolve; });
  const url = base + 'zab.wasm';
  let result;
  try {
    result = await WebAssembly.instantiateStreaming(fetch(url), go.importObject);
  } catch (e) {
    // A server without application/wasm: fall back to an ArrayBuffer.
    const resp = await fetch(url);
    if (!resp.ok) throw new Error(`${url}: HTTP ${resp.status}`);
    result = await WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject);
  }
  go.run(result.instance); // never resolves: the Go program serves calls
  await ready;
  const api = globalThis.zabplay;
  return {
    create(config) {
      const r = JSON.parse(api.create(JSON.stringify(config)));
      if (r.error) return r;
      return new Sim(api, r.id, r);
    },
    bugs() { return JSON.parse(api.bugs()); },
    /** A narrator for events from elsewhere (a live ensemble): {narrate(events) -> captions, destroy()}. */
    narrator(config) {
      const r = JSON.parse(api.narrator(JSON.stringify(config)));
      if (r.error) return null;
      return {
        narrate(events) {
          if (!events || !events.length) return [];
          const out = JSON.parse(api.narrate(r.id, JSON.stringify(events)));
          return out.captions || [];
        },
        destroy() { api.destroyNarrator(r.id); },
      };
    },
  };
}

/** One simulated ensemble. */
export class Sim {
  constructor(api, id, first) {
    this.api = api;
    this.id = id;
    this.first = first; // {id, events, captions, script, state} from create
    /** The scenario's statements as they ran ({line, t, step, verb, ok}), or []. */
    this.script = first.script || [];
    this.pending = first; // create's events and captions go out with the next answer
  }
  // withFirst prepends what create answered to the first answer after it.
  withFirst(r) {
    const p = this.pending;
    if (!p || r.error) return r;
    this.pending = null;
    r.events = [...(p.events || []), ...(r.events || [])];
    r.captions = [...(p.captions || []), ...(r.captions || [])];
    return r;
  }
  /** Runs virtual time up to toMs; {events and captions since last call, state}. */
  frame(toMs) { return this.withFirst(JSON.parse(this.api.frame(this.id, Math.floor(toMs)))); }
  /** Runs to the next narrated event (one caption); quiet: true when nothing more happens on its own. */
  step() { return this.withFirst(JSON.parse(this.api.step(this.id))); }
  /** One action now, e.g. "crash s3", "create /a hi via leader". */
  act(text) { return this.withFirst(JSON.parse(this.api.act(this.id, String(text)))); }
  /** Deterministic replay from 0 to toMs; events with t in [toMs-windowMs, toMs]. */
  seek(toMs, windowMs = 5000) { this.pending = null; return JSON.parse(this.api.seek(this.id, Math.floor(toMs), windowMs)); }
  /** Switch a historical bug and replay to the current time. */
  setBug(name, on) { this.pending = null; return JSON.parse(this.api.setBug(this.id, String(name), !!on)); }
  /** {config, bugs, actions, events}: the whole run so far. */
  exportTrace() { return JSON.parse(this.api.export(this.id)); }
  destroy() { this.api.destroy(this.id); }
}
