/**
 * Child process of tests/pool_test.ts (run with HC_THREADS=2): one AdamW
 * training step of each small family, sized so every fused kernel splits
 * over the helper threads, run three ways: with the helpers and the SIMD
 * loops, on the main thread alone with the SIMD loops, and on the main
 * thread with the JS loops. Prints one JSON line: the threads used, whether
 * SIMD ran, what was compared and which outputs differ from the JS loops'
 * in any bit.
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend.ts";
import {
  poolStarted,
  poolThreads,
  setPoolEnabled,
  setSimdEnabled,
  simdActive,
  splitCounts,
} from "../lib/kernels/pool.ts";
import { defaultConfig, type ModelConfig } from "../lib/model/config.ts";
import { createModel, crossEntropy, disposeModel, forward } from "../lib/model/model.ts";
import { initParams } from "../lib/model/params.ts";
import { adamwStep, createAdamW, disposeAdamW } from "../lib/train/adamw.ts";

await initBackend("wasm");
await poolStarted(); // helpers start in the background

// B * T = 1024 rows: norms, GELU (rows x 4E), attention (B * H heads) and
// AdamW (>= 8 tensors) all exceed the per-thread minimums of lib/kernels/.
const FAMILIES: [string, ModelConfig][] = [
  ["gpt2", defaultConfig("gpt2", { hiddenSize: 64, numHeads: 4, numLayers: 2, maxPositions: 128 })],
  [
    "llama GQA",
    defaultConfig("llama", {
      hiddenSize: 64,
      numHeads: 4,
      numKvHeads: 2,
      numLayers: 2,
      intermediateSize: 160,
      maxPositions: 128,
      tieWordEmbeddings: false,
    }),
  ],
];

function step(cfg: ModelConfig): Map<string, Float32Array> {
  const model = createModel(cfg, initParams(cfg, 3));
  const opt = createAdamW(model.vars);
  const B = 8, T = cfg.maxPositions, V = cfg.vocabSize;
  const ids = tf.tensor2d(
    Int32Array.from({ length: B * T }, (_, i) => (i * 7 + 3) % V),
    [B, T],
    "int32",
  );
  const tg = tf.tensor1d(Int32Array.from({ length: B * T }, (_, i) => (i * 13 + 1) % V), "int32");
  const out = new Map<string, Float32Array>();
  const { value, grads } = tf.variableGrads(() => crossEntropy(forward(model, ids), tg), [
    ...model.vars.values(),
  ]);
  out.set("loss", value.dataSync() as Float32Array);
  for (const [n, g] of Object.entries(grads)) out.set(`grad ${n}`, g.dataSync() as Float32Array);
  const norm = adamwStep(model.vars, grads, opt, 1e-2, {
    beta1: 0.9,
    beta2: 0.95,
    eps: 1e-8,
    weightDecay: 0.1,
    gradClip: 0.5,
  });
  out.set("grad norm", norm.dataSync() as Float32Array);
  for (const [n, p] of model.vars) out.set(`updated ${n}`, p.dataSync() as Float32Array);
  tf.dispose([ids, tg, value, norm, ...Object.values(grads)]);
  disposeAdamW(opt);
  disposeModel(model);
  return out;
}

const threads = poolThreads(), simd = simdActive();
const differing: string[] = [];
let compared = 0;
const same = (a: Float32Array, b: Float32Array) =>
  a.length === b.length &&
  new Uint32Array(a.buffer).every((x, i) => x === new Uint32Array(b.buffer)[i]);
for (const [label, cfg] of FAMILIES) {
  const run = (helpers: boolean, simdLoops: boolean) => {
    setPoolEnabled(helpers), setSimdEnabled(simdLoops);
    return step(cfg);
  };
  const ways = { "threads + SIMD": run(true, true), "main + SIMD": run(false, true) };
  const js = run(false, false);
  for (const [way, out] of Object.entries(ways)) {
    for (const [name, want] of js) {
      compared++;
      if (!same(out.get(name)!, want)) differing.push(`${label}, ${way}: ${name}`);
    }
  }
}
console.log(
  JSON.stringify({ threads, simd, compared, differing, split: Object.fromEntries(splitCounts()) }),
);
Deno.exit(0);
