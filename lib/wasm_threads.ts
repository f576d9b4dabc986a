/**
 * Multi-threaded tfjs-wasm under Deno. tfjs 4.22 refuses threads whenever it
 * detects Node (Deno's `process` makes it think so), and forcing the flag
 * fails three ways, each fixed here before `tf.setBackend("wasm")`:
 * 1. Emscripten's Node path hands a `blob:` URL to `worker_threads.Worker`
 *    (ERR_WORKER_PATH): the pthread worker source is written to a temp `.cjs`
 *    file and `URL.createObjectURL` returns that path for it;
 * 2. that worker assigns `location`/`self` on Deno's worker global (getters
 *    only) and loads the main script from a Blob: the source is patched to
 *    skip those and to eval the threaded glue from its file;
 * 3. the thread count is capped at `os.cpus().length / 2` (a hyper-threading
 *    guess), so a 2-core box gets 1 thread: `os.cpus()` is reported doubled
 *    while the module starts.
 * See docs/performance.md for the measurements.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Prepares tfjs-wasm to start `threads` XNNPACK threads. Call after
 * `setWasmPaths` and before `tf.setBackend("wasm")`; returns a function that
 * undoes the temporary patches (call it once the backend is initialised).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { enableWasmThreads } from "./wasm_threads.ts";
 * const restore = await enableWasmThreads(2);
 * await tf.setBackend("wasm");
 * restore();
 * ```
 */
export async function enableWasmThreads(threads: number): Promise<() => void> {
  const dist = path.dirname(fileURLToPath(import.meta.resolve("@tensorflow/tfjs-backend-wasm")));
  const wasmOut = path.join(dist, "..", "wasm-out");
  const mainJs = path.join(wasmOut, "tfjs-backend-wasm-threaded-simd.js");
  const { wasmWorkerContents } = await import(
    path.join(wasmOut, "tfjs-backend-wasm-threaded-simd.worker.js")
  );
  const source = (wasmWorkerContents as string)
    .replace(/\n/g, "\\n") // as tfjs does before making its Blob
    .replace('"use strict";', '"use strict";var self=globalThis;')
    .replace("self:global,", "")
    .replace("location:{href:__filename},", "") +
    `;importScripts=function(){(0,eval)(require("fs").readFileSync(${
      JSON.stringify(mainJs)
    },"utf8"))};`;
  const workerFile = path.join(Deno.makeTempDirSync({ prefix: "hc-wasm-threads-" }), "worker.cjs");
  Deno.writeTextFileSync(workerFile, source);

  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  setThreadsCount(threads);
  const origUrl = URL.createObjectURL;
  URL.createObjectURL = (b: Blob) =>
    b instanceof Blob && b.type === "application/javascript" ? workerFile : origUrl(b);
  const os = createRequire(import.meta.url)("os");
  const origCpus = os.cpus;
  os.cpus = () => {
    const c = origCpus();
    return Array.from({ length: Math.max(c.length, 2 * threads) }, (_, i) => c[i % c.length]);
  };
  return () => {
    URL.createObjectURL = origUrl;
    os.cpus = origCpus;
  };
}
