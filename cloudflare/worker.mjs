// worker.mjs: the Worker's entry, in place of the one workers-assets-gen
// writes. That one starts a fresh Go instance for every request, so each
// request would pay for Go's start and for parsing the whole course (~0.4 s
// of CPU under `wrangler dev`). This one starts the Go instance once per
// isolate and hands it every request after that; the Go side (main.go) keeps
// running between requests. Nothing the pages need is kept between requests
// but the parsed course, which never changes: if the instance dies, the next
// request starts another.
import "./wasm_exec.js";
import { createRuntimeContext, loadModule } from "./runtime.mjs";

let binding; // the running instance's exports (handleRequest), once ready
let starting; // the promise of binding while an instance starts

async function start(env, ctx) {
  const mod = await loadModule();
  const go = new Go();
  const b = {};
  let ready;
  const readyPromise = new Promise((resolve) => { ready = resolve; });
  const instance = new WebAssembly.Instance(mod, {
    ...go.importObject,
    workers: { ready: () => ready() },
  });
  go.run(instance, createRuntimeContext({ env, ctx, binding: b })).finally(() => {
    // The Go program ended (it never should): the next request starts another.
    if (binding === b) binding = undefined;
    starting = undefined;
  });
  await readyPromise;
  return b;
}

export default {
  async fetch(req, env, ctx) {
    if (binding === undefined) {
      starting ??= start(env, ctx);
      binding = await starting;
    }
    return binding.handleRequest(req);
  },
};
