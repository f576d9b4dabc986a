// Clones compute the source's function: every variant, both families, head
// modes, tie modes, GQA/MQA, through save/load and the streaming checkpoint path.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { initBackend } from "../lib/backend.ts";
import { sharpModel } from "./small_families.ts";
import type { Family } from "../lib/model/config.ts";
import { initParams } from "../lib/model/params.ts";
import { computeLogits } from "../lib/model/model.ts";
import { loadCheckpoint, saveCheckpoint } from "../lib/io/checkpoint.ts";
import {
  CLONE_FILE,
  cloneCheckpoint,
  CloneOptionError,
  cloneParams,
  CloneVerificationError,
  type HeadMode,
  noiseGainOf,
  sha256File,
  type TiedMode,
  validateCloneOptions,
  VARIANTS,
  verifyClone,
} from "../lib/clone/mod.ts";

await initBackend("cpu");

/** Test models have 64 ids. */
const TOK = { type: "test", vocabSize: 64 };

const model = sharpModel;

const FACTORS: [number, number][] = [[2, 2], [2, 1], [3, 1], [4, 2]];
const TIED: TiedMode[] = ["untie", "fold-norm"];

async function grid(family: Family, heads: HeadMode, kvHeads: number[]): Promise<void> {
  const failures: string[] = [];
  let worst = 0;
  for (const kv of kvHeads) {
    const { cfg, params } = model(family, { numKvHeads: kv });
    for (const [n, m] of FACTORS) {
      for (const variant of VARIANTS) {
        for (const tied of TIED) {
          const c = cloneParams(cfg, params, { width: n, ffn: m, variant, heads, tied, seed: 7 });
          const r = await verifyClone(cfg, params, c.config, c.params, {
            randomSequences: 2,
            seqLen: 12,
            noiseGain: noiseGainOf(variant, 10),
          });
          worst = Math.max(worst, r.maxRelDiff / r.tolerance);
          if (!r.pass) {
            failures.push(
              `kv ${kv} n ${n} m ${m} ${variant} ${tied}: ${r.maxRelDiff} > ${r.tolerance}`,
            );
          }
        }
      }
    }
  }
  assert.deepStrictEqual(failures, []);
  // The tolerance is a bound, not a coin flip: keep a wide margin.
  assert(worst < 0.5, `worst error / tolerance = ${worst}`);
}

Deno.test("gpt2 clones with more heads keep the logits (every variant, n/m grid, untie and fold-norm)", () =>
  grid("gpt2", "more", [4]));
Deno.test("gpt2 clones with wider heads keep the logits", () => grid("gpt2", "wider", [4]));
Deno.test("llama clones with more heads keep the logits (MHA, GQA and MQA)", () =>
  grid("llama", "more", [4, 2, 1]));
Deno.test("llama clones with wider heads keep the logits under RoPE (MHA, GQA and MQA)", () =>
  grid("llama", "wider", [4, 2, 1]));

Deno.test("clone config: more heads multiplies heads and KV heads, except a single MQA KV head", () => {
  const gqa = model("llama", { numKvHeads: 2 }).cfg;
  const c = cloneParams(gqa, initParams(gqa, 0), { width: 2, ffn: 3 }).config;
  assert.deepStrictEqual([c.hiddenSize, c.numHeads, c.numKvHeads, c.headDim, c.intermediateSize], [
    32,
    8,
    4,
    4,
    3 * gqa.intermediateSize,
  ]);
  const mqa = model("llama", { numKvHeads: 1 }).cfg;
  assert.deepStrictEqual(cloneParams(mqa, initParams(mqa, 0), { width: 2 }).config.numKvHeads, 1);
  const w = cloneParams(gqa, initParams(gqa, 0), { width: 2, heads: "wider" }).config;
  assert.deepStrictEqual([w.numHeads, w.numKvHeads, w.headDim], [4, 2, 8]);
});

Deno.test("a tied source stays tied under fold-norm and gets its own head under untie", () => {
  const { cfg, params } = model("gpt2", {});
  const fold = cloneParams(cfg, params, { width: 2, tied: "fold-norm" });
  assert(fold.config.tieWordEmbeddings && !fold.params.has("lm_head.weight"));
  const lnf = fold.params.get("transformer.ln_f.weight")!.data;
  assert.deepStrictEqual(lnf[0], Math.fround(params.get("transformer.ln_f.weight")!.data[0] / 2));
  const untie = cloneParams(cfg, params, { width: 2, tied: "untie" });
  assert(!untie.config.tieWordEmbeddings && untie.params.has("lm_head.weight"));
});

Deno.test("saved and reloaded clones give the same logits (fold-norm and untie, both families)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hc-clone-save-" });
  try {
    const seqs = [Int32Array.from([3, 1, 4, 1, 5, 9, 2, 6])];
    for (const family of ["gpt2", "llama"] as const) {
      const { cfg, params } = model(family, { numKvHeads: family === "llama" ? 2 : 4 });
      const [src] = await computeLogits(cfg, params, seqs);
      for (const tied of TIED) {
        const c = cloneParams(cfg, params, { width: 2, tied, variant: "noisy-symmetric" });
        const out = join(dir, `${family}-${tied}`);
        await saveCheckpoint(out, c.config, c.params, { tokenizer: TOK });
        const back = await loadCheckpoint(out);
        assert.deepStrictEqual(back.config, c.config);
        const [a] = await computeLogits(c.config, c.params, seqs);
        const [b] = await computeLogits(back.config, back.params, seqs);
        assert.deepStrictEqual(b, a); // bit-identical: the 1/n lives in the saved weights
        const r = await verifyClone(cfg, params, back.config, back.params, {
          noiseGain: noiseGainOf("noisy-symmetric", 10),
        });
        assert(r.pass, `${family} ${tied}: ${r.maxRelDiff} > ${r.tolerance}`);
        let scale = 0;
        for (const x of src) scale = Math.max(scale, Math.abs(x));
        assert(scale > 1, "test model should have logits of order 1 or more");
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cloneCheckpoint streams the same tensors as cloneParams and records provenance", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hc-clone-ckpt-" });
  try {
    for (const family of ["gpt2", "llama"] as const) {
      const { cfg, params } = model(family, { numKvHeads: family === "llama" ? 1 : 4 });
      const src = join(dir, `${family}-src`), out = join(dir, `${family}-x2`);
      await saveCheckpoint(src, cfg, params, { tokenizer: TOK });
      const opts = {
        width: 2,
        ffn: 1,
        variant: "noisy-diagonal" as const,
        seed: 3,
        tied: "untie" as const,
      };
      const res = await cloneCheckpoint(src, out, opts);
      const mem = cloneParams(cfg, params, opts);
      const back = await loadCheckpoint(out);
      assert.deepStrictEqual(back.config, mem.config);
      for (const [name, t] of mem.params) assert.deepStrictEqual(back.params.get(name), t, name);
      const rec = JSON.parse(await Deno.readTextFile(join(out, CLONE_FILE)));
      assert.deepStrictEqual(rec.source.sha256, await sha256File(join(src, "model.safetensors")));
      assert.deepStrictEqual(
        [rec.width, rec.ffn, rec.variant, rec.heads, rec.tied, rec.seed, rec.snrDb],
        [2, 1, "noisy-diagonal", "more", "untie", 3, 10],
      );
      assert(rec.verification.pass && res.record.verification!.pass);
      assert.deepStrictEqual(back.tokenizer, TOK);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a clone that fails verification is removed and raises CloneVerificationError", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hc-clone-fail-" });
  try {
    const { cfg, params } = model("gpt2", {});
    params.get("transformer.ln_f.bias")!.data[0] = NaN; // NaN logits can never match
    const src = join(dir, "src"), out = join(dir, "out");
    await saveCheckpoint(src, cfg, params, { tokenizer: TOK });
    await assert.rejects(() => cloneCheckpoint(src, out, { width: 2 }), CloneVerificationError);
    assert(!existsSync(out));
    assert.deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["src"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad clone options throw one-line errors naming the option", async () => {
  const g = model("gpt2", {}).cfg;
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ width: 0 }, /^clone width: must be a positive integer, got 0$/],
    [{ width: 1.5 }, /^clone width: must be a positive integer/],
    [{ width: "2" }, /^clone width: must be a positive integer/],
    [{ width: 2, ffn: -1 }, /^clone ffn: must be a positive integer, got -1$/],
    [{ width: 2, variant: "noisy" }, /^clone variant: 'noisy' is not one of symmetric, diagonal/],
    [{ width: 2, heads: "taller" }, /^clone heads: 'taller' is not one of more, wider$/],
    [{ width: 2, tied: "keep" }, /^clone tied: 'keep' is not one of untie, fold-norm$/],
    [{ width: 2, snrDb: NaN }, /^clone snrDb: must be a finite number/],
    [{ width: 2, seed: -1 }, /^clone seed: must be an integer/],
  ];
  for (const [o, re] of cases) {
    assert.throws(() => validateCloneOptions(g, o as never), CloneOptionError);
    assert.throws(() => validateCloneOptions(g, o as never), { message: re });
  }
  // camelCase variant names are accepted.
  assert.deepStrictEqual(
    validateCloneOptions(g, { width: 2, variant: "noisyDiagonal" as never }).variant,
    "noisy-diagonal",
  );
  // Heads that cannot be grouped.
  const bad = { ...model("llama", {}).cfg, numKvHeads: 3 };
  assert.throws(() => validateCloneOptions(bad, { width: 2 }), { message: /numKvHeads/ });
  // cloneCheckpoint validates before writing anything.
  const dir = await Deno.makeTempDir({ prefix: "hc-clone-opts-" });
  try {
    await saveCheckpoint(join(dir, "src"), g, initParams(g, 0), { tokenizer: TOK });
    await assert.rejects(
      () => cloneCheckpoint(join(dir, "src"), join(dir, "out"), { width: 0 }),
      CloneOptionError,
    );
    assert(!existsSync(join(dir, "out")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
