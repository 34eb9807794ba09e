// sim.js loads the simulator (zab.wasm, core/sim compiled to WebAssembly) once
// per page and wraps the raw globalThis.zabplay binding (wasm/README.md) in a
// small class. Every method returns the parsed JSON object; errors come back
// as {error: "..."}, never as exceptions.

let loading = null;

// The page's layout loads this module early (async, in the head), so the
// wasm starts compiling as its bytes arrive, while the rest of the page and
// its modules load: compile needs no Go runtime, only instantiate does.
const HERE = new URL('./', import.meta.url).href;
const compiled = new Map(); // base -> Promise<WebAssembly.Module>
const scripts = new Map(); // base -> Promise (wasm_exec.js loaded)

function compile(base) {
  if (!compiled.has(base)) {
    const url = base + 'zab.wasm';
    compiled.set(base, WebAssembly.compileStreaming(fetch(url)).catch(async () => {
      // A server without application/wasm: compile from an ArrayBuffer.
      const resp = await fetch(url);
      if (!resp.ok) throw new Error(`${url}: HTTP ${resp.status}`);
      return WebAssembly.compile(await resp.arrayBuffer());
    }));
  }
  return compiled.get(base);
}

function goLoader(base) {
  if (globalThis.Go) return Promise.resolve();
  if (!scripts.has(base)) {
    scripts.set(base, new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = base + 'wasm_exec.js';
      s.onload = resolve;
      s.onerror = () => reject(new Error('could not load ' + s.src));
      document.head.appendChild(s);
    }));
  }
  return scripts.get(base);
}

if (typeof document !== 'undefined') {
  compile(HERE).catch(() => {}); // loadSim reports the error
  goLoader(HERE).catch(() => {});
}

/** Loads the wasm once; resolves to {create(config), bugs()}. */
export function loadSim(base = HERE) {
  if (!loading) loading = boot(base);
  return loading;
}

async function boot(base) {
  performance.mark('zabplay:wasm-start');
  const [mod] = await Promise.all([compile(base), goLoader(base)]);
  performance.mark('zabplay:wasm-compiled');
  const go = new globalThis.Go();
  const ready = new Promise((resolve) => { globalThis.zabplayReady = resolve; });
  const instance = await WebAssembly.instantiate(mod, go.importObject);
  go.run(instance); // never resolves: the Go program serves calls
  await ready;
  performance.mark('zabplay:wasm-ready');
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

/**
 * CAPS says what a source of the widget's run can do, so the widget shows the
 * controls that fit without asking which kind of source it has. The
 * simulator can do everything; a live ensemble (live.js LIVE_CAPS) runs in
 * real time only.
 *   seek: go back and forth in time (scrubber, the space-time diagram, a shared moment)
 *   step: run to the next narrated event; pause: stop the clock; speed: run faster or slower
 *   bugs: historical bug switches; faults: random faults; share: the address holds the run
 *   script: a lesson's scenario replays here, line by line
 *   timedPause: "pause sN for 3s" (otherwise a pause lasts until "resume sN")
 *   narrated: frames bring their captions (otherwise the widget narrates the events)
 *   realTime: the clock is the wall clock; actions answer later (await them)
 *   linkDelay: the link delay can be set while it runs
 */
export const CAPS = Object.freeze({seek: true, step: true, pause: true, speed: true, bugs: true, faults: true,
  share: true, script: true, timedPause: true, narrated: true, realTime: false, linkDelay: false});

/** One simulated ensemble. */
export class Sim {
  constructor(api, id, first) {
    this.caps = CAPS;
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
