// Depth growth: identity insertion keeps the logits (alone and with every
// width variant, both families, in memory and streamed), stacking repeats
// layers bit for bit, depth-grown checkpoints save and reload with the right
// HF names, and what the optimiser sees at step 0.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend.ts";
import { defaultConfig, type Family, type ModelConfig } from "../lib/model/config.ts";
import { initParams, paramSpecs } from "../lib/model/params.ts";
import {
  computeLogits,
  createModel,
  crossEntropy,
  disposeModel,
  forward,
} from "../lib/model/model.ts";
import type { TensorMap } from "../lib/tensor_map.ts";
import { loadCheckpoint, saveCheckpoint } from "../lib/io/checkpoint.ts";
import { readSafetensors } from "../lib/io/safetensors.ts";
import {
  CLONE_FILE,
  cloneCheckpoint,
  CloneOptionError,
  type CloneOptions,
  cloneParams,
  CloneVerificationError,
  depthLayers,
  depthSymmetry,
  layerPrefix,
  noiseGainOf,
  RESIDUAL_OUT,
  validateCloneOptions,
  VARIANTS,
  verifyClone,
} from "../lib/clone/mod.ts";
import { parseTrainConfig } from "../lib/train/config.ts";
import { train } from "../lib/train/loop.ts";
import { readMetrics } from "../lib/io/run_folder.ts";
import { hc, tmpDir } from "./cli_helpers.ts";
import { sharpModel } from "./small_families.ts";

await initBackend("cpu");

const TOK = { type: "test", vocabSize: 64 };
const SEQS = [Int32Array.from([3, 1, 4, 1, 5, 9, 2, 6, 5, 3]), Int32Array.from([7, 0, 63, 2])];

const model = sharpModel;

/** gpt2 (tied), llama GQA tied, llama GQA untied. */
const MODELS: [string, { cfg: ModelConfig; params: TensorMap }][] = [
  ["gpt2", model("gpt2", {})],
  ["llama-gqa-tied", model("llama", { numKvHeads: 2 })],
  ["llama-gqa-untied", model("llama", { numKvHeads: 2, tieWordEmbeddings: false })],
];

/** Depth only, and 2x width with each of the paper's variants. */
const WIDTHS: CloneOptions[] = [
  { width: 1, ffn: 1 },
  ...VARIANTS.map((variant) => ({ width: 2, ffn: 2, variant, seed: 5 })),
];

const label = (o: CloneOptions) => `width ${o.width}${o.width > 1 ? ` ${o.variant}` : ""}`;

Deno.test("identity depth (K = 2, 3), alone and with every width variant, keeps the logits in memory: gpt2, llama GQA tied and untied", async () => {
  for (const [name, { cfg, params }] of MODELS) {
    const [srcLogits] = await computeLogits(cfg, params, SEQS);
    for (const w of WIDTHS) {
      const wide = cloneParams(cfg, params, w);
      const wideLogits = await computeLogits(wide.config, wide.params, SEQS);
      for (const depth of [2, 3]) {
        const c = cloneParams(cfg, params, { ...w, depth, depthMode: "identity" });
        assert.equal(c.config.numLayers, depth * cfg.numLayers);
        const r = await verifyClone(cfg, params, c.config, c.params, {
          sequences: SEQS,
          noiseGain: noiseGainOf(c.options.variant, c.options.snrDb),
        });
        assert(r.pass, `${name} ${label(w)} depth ${depth}: ${r.maxRelDiff} > ${r.tolerance}`);
        // A new layer adds exactly 0 to the residual stream, so the deeper
        // clone's logits are the width clone's, bit for bit (the source's
        // for width 1).
        const deep = await computeLogits(c.config, c.params, SEQS);
        assert.deepStrictEqual(deep, wideLogits, `${name} ${label(w)} depth ${depth}`);
        if (w.width === 1) assert.deepStrictEqual(deep[0], srcLogits);
      }
    }
  }
});

Deno.test("identity depth streamed through cloneCheckpoint gives the in-memory tensors and the source's logits", async () => {
  const dir = tmpDir("hc-depth-stream-");
  try {
    for (const [name, { cfg, params }] of MODELS) {
      const src = join(dir, `${name}-src`);
      await saveCheckpoint(src, cfg, params, { tokenizer: TOK });
      const srcLogits = await computeLogits(cfg, params, SEQS);
      for (const w of WIDTHS) {
        for (const depth of [2, 3]) {
          const opts = { ...w, depth, depthMode: "identity" as const };
          const out = join(dir, `${name}-${w.width}-${w.variant ?? "d"}-${depth}`);
          const res = await cloneCheckpoint(src, out, {
            ...opts,
            verifyOptions: { sequences: SEQS },
          });
          const mem = cloneParams(cfg, params, opts);
          const back = await loadCheckpoint(out);
          assert.deepStrictEqual(back.config, mem.config);
          for (const [n, t] of mem.params) assert.deepStrictEqual(back.params.get(n), t, n);
          const rec = JSON.parse(fs.readFileSync(join(out, CLONE_FILE), "utf8"));
          assert.equal(rec.depth, depth);
          assert.equal(rec.depthMode, "identity");
          assert.equal(rec.functionPreserving, true);
          assert.equal(rec.verification.pass, true);
          assert.equal(rec.operators.at(-1), `depth x${depth} identity`);
          assert.equal(rec.operators.length, w.width > 1 ? 2 : 1);
          assert(res.record.verification!.pass);
          // Against the source's logits directly, with the same tolerance.
          const logits = await computeLogits(back.config, back.params, SEQS);
          let diff = 0, scale = 0;
          for (let s = 0; s < SEQS.length; s++) {
            for (let i = 0; i < logits[s].length; i++) {
              diff = Math.max(diff, Math.abs(logits[s][i] - srcLogits[s][i]));
              scale = Math.max(scale, Math.abs(srcLogits[s][i]));
            }
          }
          assert(
            diff / scale <= res.record.verification!.tolerance,
            `${name} ${label(w)} ${depth}`,
          );
          if (w.width === 1) assert.deepStrictEqual(logits, srcLogits);
          fs.rmSync(out, { recursive: true });
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

/** Tensors of layer `l` of a params map, by suffix. */
function layerTensors(family: Family, params: TensorMap, l: number): Map<string, Float32Array> {
  const p = layerPrefix(family, l);
  return new Map(
    [...params].filter(([n]) => n.startsWith(p)).map(([n, t]) => [n.slice(p.length), t.data]),
  );
}

Deno.test("stack: clone layer i + jL equals clone layer i bit for bit (interleave: iK + j equals iK)", () => {
  for (const [name, { cfg, params }] of MODELS) {
    const L = cfg.numLayers;
    for (const w of WIDTHS) {
      for (const K of [2, 3]) {
        const stack = cloneParams(cfg, params, { ...w, depth: K, depthMode: "stack" });
        const wide = cloneParams(cfg, params, w);
        assert.equal(stack.config.numLayers, K * L);
        for (let i = 0; i < L; i++) {
          const base = layerTensors(cfg.family, stack.params, i);
          // Layer i of the stack is the width clone's layer i.
          assert.deepStrictEqual(base, layerTensors(cfg.family, wide.params, i));
          for (let j = 1; j < K; j++) {
            assert.deepStrictEqual(
              layerTensors(cfg.family, stack.params, i + j * L),
              base,
              `${name} ${label(w)} K ${K} layer ${i + j * L}`,
            );
          }
        }
        const inter = cloneParams(cfg, params, { ...w, depth: K, depthMode: "interleave" });
        for (let i = 0; i < L; i++) {
          const base = layerTensors(cfg.family, wide.params, i);
          for (let j = 0; j < K; j++) {
            assert.deepStrictEqual(layerTensors(cfg.family, inter.params, i * K + j), base);
          }
        }
      }
    }
  }
});

Deno.test("identity: a new layer is its source layer with only the residual-writing projections zeroed", () => {
  for (const [, { cfg, params }] of MODELS) {
    const c = cloneParams(cfg, params, { width: 2, variant: "noisy-symmetric", depth: 3 });
    // Written out rather than taken from depthLayers: layer t copies source
    // layer floor(t/3), held by clone layer 3*floor(t/3); t mod 3 > 0 is new.
    let zeroedLayers = 0;
    for (let t = 0; t < 3 * cfg.numLayers; t++) {
      const fresh = t % 3 > 0;
      const got = layerTensors(cfg.family, c.params, t);
      const orig = layerTensors(cfg.family, c.params, t - (t % 3));
      zeroedLayers += fresh ? 1 : 0;
      for (const [suffix, x] of got) {
        if (fresh && RESIDUAL_OUT[cfg.family].includes(suffix)) {
          assert(x.every((v) => v === 0), suffix);
          assert(orig.get(suffix)!.some((v) => v !== 0));
        } else assert.deepStrictEqual(x, orig.get(suffix), `${t} ${suffix}`);
      }
    }
    assert.equal(zeroedLayers, 2 * cfg.numLayers);
    assert.deepStrictEqual(
      depthLayers(cfg.numLayers, 3, "identity").map((l) => l.zeroed),
      [false, true, true, false, true, true],
    );
  }
});

Deno.test("a stacked clone is written with verification 'not function-preserving' instead of failing", async () => {
  const dir = tmpDir("hc-depth-stack-");
  try {
    const { cfg, params } = MODELS[0][1];
    const src = join(dir, "src"), out = join(dir, "out");
    await saveCheckpoint(src, cfg, params, { tokenizer: TOK });
    const r = await cloneCheckpoint(src, out, { width: 2, depth: 2, depthMode: "stack" });
    const rec = JSON.parse(fs.readFileSync(join(out, CLONE_FILE), "utf8"));
    assert.equal(rec.functionPreserving, false);
    assert.equal(rec.verification.status, "not function-preserving");
    assert.equal(rec.verification.pass, null);
    // The difference is measured and is far beyond rounding: stacking changes the function.
    assert(rec.verification.maxRelDiff > 1e-2, String(rec.verification.maxRelDiff));
    assert.deepStrictEqual(rec.operators, [
      "width n=2 m=2 noisy-symmetric heads=more tied=fold-norm",
      "depth x2 stack",
    ]);
    assert.equal(r.config.numLayers, 4);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

Deno.test("a depth-grown checkpoint reloads with the same logits, HF names and shapes for the new layer count", async () => {
  const dir = tmpDir("hc-depth-save-");
  try {
    for (const [name, { cfg, params }] of MODELS) {
      for (const depthMode of ["identity", "stack"] as const) {
        const c = cloneParams(cfg, params, { width: 2, depth: 3, depthMode });
        const out = join(dir, `${name}-${depthMode}`);
        await saveCheckpoint(out, c.config, c.params, { tokenizer: TOK });
        const back = await loadCheckpoint(out);
        assert.deepStrictEqual(back.config, c.config);
        assert.deepStrictEqual(
          await computeLogits(back.config, back.params, SEQS),
          await computeLogits(c.config, c.params, SEQS),
        );
        const hf = JSON.parse(fs.readFileSync(join(out, "config.json"), "utf8"));
        assert.equal(cfg.family === "gpt2" ? hf.n_layer : hf.num_hidden_layers, 6);
        const st = await readSafetensors(join(out, "model.safetensors"));
        const want = paramSpecs(c.config).map((s) => `${s.name}:${s.shape}`).sort();
        assert.deepStrictEqual([...st.tensors].map(([n, t]) => `${n}:${t.shape}`).sort(), want);
        assert(st.tensors.has(`${layerPrefix(cfg.family, 5)}${RESIDUAL_OUT[cfg.family][0]}`));
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

Deno.test("step 0 of an identity layer: only its residual-writing projections get gradients", () => {
  for (const [name, { cfg, params }] of MODELS) {
    const c = cloneParams(cfg, params, { width: 1, depth: 2 });
    const m = createModel(c.config, c.params);
    try {
      const grads = tf.tidy(() => {
        const ids = tf.tensor2d(SEQS[0].subarray(0, 9), [1, 9], "int32");
        const targets = tf.tensor1d(SEQS[0].subarray(1, 10), "int32");
        const { grads } = tf.variableGrads(
          () => crossEntropy(forward(m, ids), targets),
          [...m.vars.values()],
        );
        return Object.fromEntries(
          Object.entries(grads).map(([k, g]) => [k, g.dataSync() as Float32Array]),
        );
      });
      const byName = new Map([...m.vars].map(([n, v]) => [v.name, n]));
      const newLayer = layerPrefix(cfg.family, 1);
      let zero = 0, live = 0;
      for (const [v, g] of Object.entries(grads)) {
        const n = byName.get(v) ?? v;
        if (!n.startsWith(newLayer)) continue;
        const suffix = n.slice(newLayer.length);
        const nonzero = g.some((x) => x !== 0);
        if (RESIDUAL_OUT[cfg.family].includes(suffix)) {
          assert(nonzero, `${name} ${suffix} should get a gradient`), live++;
        } else assert(!nonzero, `${name} ${suffix} should get exactly zero gradient`), zero++;
      }
      assert.equal(live, RESIDUAL_OUT[cfg.family].length);
      assert(zero >= (cfg.family === "gpt2" ? 8 : 6), `${name}: ${zero}`);
    } finally {
      disposeModel(m);
    }
  }
});

Deno.test("a depth clone that fails verification is removed and raises CloneVerificationError", async () => {
  const dir = tmpDir("hc-depth-fail-");
  try {
    const { cfg, params } = model("llama", { numKvHeads: 2 });
    params.get("model.norm.weight")!.data[0] = NaN; // NaN logits can never match
    const src = join(dir, "src"), out = join(dir, "out");
    await saveCheckpoint(src, cfg, params, { tokenizer: TOK });
    await assert.rejects(
      () => cloneCheckpoint(src, out, { width: 2, depth: 2 }),
      CloneVerificationError,
    );
    assert.deepStrictEqual(fs.readdirSync(dir), ["src"]);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

Deno.test("bad depth options throw one-line errors naming the option", () => {
  const g = MODELS[0][1].cfg;
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ width: 1, depth: 0 }, /^clone depth: must be a positive integer, got 0$/],
    [{ width: 1, depth: 1.5 }, /^clone depth: must be a positive integer, got 1.5$/],
    [
      { width: 1, depth: 2, depthMode: "sideways" },
      /^clone depthMode: 'sideways' is not one of identity, stack, interleave$/,
    ],
  ];
  for (const [o, re] of cases) {
    assert.throws(() => validateCloneOptions(g, o as never), CloneOptionError);
    assert.throws(() => validateCloneOptions(g, o as never), { message: re });
  }
});

// The CLI, as a user runs it.
const cliSource = async () => {
  const dir = `${tmpDir("hc-depth-cli-")}/src`;
  const { cfg, params } = model("llama", { numKvHeads: 2, numLayers: 1, vocabSize: 256 });
  await saveCheckpoint(dir, cfg, params);
  return dir;
};

for (
  const [what, args, pattern] of [
    ["depth 0", ["--depth", "0"], /--depth: must be a positive integer, got '0'/],
    [
      "a non-integer depth",
      ["--width", "2", "--depth", "1.5"],
      /--depth: must be a positive integer, got '1.5'/,
    ],
    [
      "an unknown depth mode",
      ["--depth", "2", "--depth-mode", "sideways"],
      /--depth-mode: must be one of identity, stack, interleave, got 'sideways'/,
    ],
  ] as [string, string[], RegExp][]
) {
  Deno.test(`hc clone rejects ${what}: exit 2, the flag named, nothing written`, async () => {
    const s = await cliSource();
    const out = `${s}-out`;
    const r = await hc("clone", s, out, ...args);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, pattern);
    assert.equal(r.err.trim().split("\n").length, 1);
    assert(!fs.existsSync(out));
  });
}

Deno.test("hc clone grows width and depth in one command and records the operators", async () => {
  const s = await cliSource();
  const deep = `${s}-deep`, both = `${s}-both`;
  let r = await hc("clone", s, deep, "--width", "1", "--ffn", "1", "--depth", "3");
  assert.equal(r.code, 0, r.err);
  let rec = JSON.parse(fs.readFileSync(`${deep}/clone.json`, "utf8"));
  assert.deepStrictEqual(rec.operators, ["depth x3 identity"]);
  assert.equal(rec.verification.pass, true);
  assert.equal(JSON.parse(fs.readFileSync(`${deep}/config.json`, "utf8")).num_hidden_layers, 3);
  r = await hc(
    "clone",
    s,
    both,
    "--width",
    "2",
    "--ffn",
    "2",
    "--depth",
    "2",
    "--depth-mode",
    "stack",
    "--variant",
    "symmetric",
  );
  assert.equal(r.code, 0, r.err);
  rec = JSON.parse(fs.readFileSync(`${both}/clone.json`, "utf8"));
  assert.equal(rec.functionPreserving, false);
  assert.equal(rec.verification.status, "not function-preserving");
  const hf = JSON.parse(fs.readFileSync(`${both}/config.json`, "utf8"));
  assert.deepStrictEqual([hf.num_hidden_layers, hf.hidden_size], [2, 32]);
});

Deno.test("depth symmetry: 1 for fresh copies, logged during training and falling as new layers move", async () => {
  const { cfg, params } = MODELS[0][1];
  for (const depthMode of ["identity", "stack"] as const) {
    const c = cloneParams(cfg, params, {
      width: 2,
      variant: "noisy-symmetric",
      depth: 2,
      depthMode,
    });
    const fresh = depthSymmetry(c.config, c.params, { depth: 2, depthMode });
    assert.deepStrictEqual(
      fresh.map((e) => [e.layer, e.from]),
      depthMode === "identity"
        ? [["layer 1", "layer 0"], ["layer 3", "layer 2"]]
        : [["layer 2", "layer 0"], ["layer 3", "layer 1"]],
    );
    for (const e of fresh) assert.equal(e.meanCosine, 1);
  }
  // Training from a depth clone logs `depthSymmetry` at every evaluation;
  // the new layers' matrices move away from their originals.
  const dir = tmpDir("hc-depth-train-");
  try {
    const gpt = defaultConfig("gpt2", {
      hiddenSize: 16,
      numLayers: 1,
      numHeads: 2,
      maxPositions: 32,
    });
    await saveCheckpoint(`${dir}/src`, gpt, initParams(gpt, 5));
    await cloneCheckpoint(`${dir}/src`, `${dir}/deep`, { width: 1, depth: 2, depthMode: "stack" });
    const cfg2 = parseTrainConfig({
      init: `${dir}/deep`,
      data: { seqLen: 32, batchSize: 8 },
      optim: { lr: 1e-2, warmupSteps: 2 },
      steps: 20,
      evalEvery: 20,
      evalBatches: 1,
      checkpointEvery: 20,
    });
    await initBackend("wasm");
    await train(cfg2, `${dir}/run`, { progress: "silent" });
    const lines = readMetrics(`${dir}/run`).map((l) =>
      l.depthSymmetry as { layer: string; from: string; meanCosine: number }[]
    );
    assert.equal(lines.length, 2);
    assert.deepStrictEqual(lines[0], [{ layer: "layer 1", from: "layer 0", meanCosine: 1 }]);
    assert(lines[1][0].meanCosine < 1 - 1e-4, String(lines[1][0].meanCosine));
  } finally {
    fs.rmSync(dir, { recursive: true });
    await initBackend("cpu");
  }
});
