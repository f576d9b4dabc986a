import assert from "node:assert/strict";
import * as fs from "node:fs";
import { initBackend } from "../lib/backend.ts";
import { defaultConfig } from "../lib/model/config.ts";
import { initParams } from "../lib/model/params.ts";
import { saveCheckpoint } from "../lib/io/checkpoint.ts";
import { parseTrainConfig } from "../lib/train/config.ts";
import { train } from "../lib/train/loop.ts";
import { readMetrics } from "../lib/io/run_folder.ts";
import { cloneCheckpoint } from "../lib/clone/checkpoint.ts";
import { hc, tmpDir } from "./cli_helpers.ts";

const tmp = () => tmpDir("hc-clonecli-");

const src = defaultConfig("llama", {
  vocabSize: 256,
  hiddenSize: 16,
  numLayers: 1,
  numHeads: 4,
  numKvHeads: 2,
  intermediateSize: 24,
  maxPositions: 32,
});

async function sourceDir(): Promise<string> {
  const dir = `${tmp()}/src`;
  await saveCheckpoint(dir, src, initParams(src, 1));
  return dir;
}

Deno.test("hc clone writes a verified clone with clone.json", async () => {
  const s = await sourceDir();
  const out = `${tmp()}/x2`;
  const r = await hc(
    "clone",
    s,
    out,
    "--width",
    "2",
    "--ffn",
    "1",
    "--variant",
    "noisy-diagonal",
    "--seed",
    "3",
  );
  assert.equal(r.code, 0, r.err);
  const rec = JSON.parse(fs.readFileSync(`${out}/clone.json`, "utf8"));
  assert.equal(rec.variant, "noisy-diagonal");
  assert.equal(rec.seed, 3);
  assert.equal(rec.verification.pass, true);
  assert.match(rec.source.sha256, /^[0-9a-f]{64}$/);
  const cfg = JSON.parse(fs.readFileSync(`${out}/config.json`, "utf8"));
  assert.equal(cfg.hidden_size, 32);
  assert.equal(cfg.num_key_value_heads, 4);
});

for (
  const [label, args, pattern] of [
    [
      "a factor that is not a positive integer",
      ["--width", "1.5"],
      /--width: must be a positive integer, got '1.5'/,
    ],
    [
      "a zero FFN factor",
      ["--width", "2", "--ffn", "0"],
      /--ffn: must be a positive integer, got '0'/,
    ],
    [
      "an unknown variant",
      ["--width", "2", "--variant", "mirror"],
      /--variant: must be one of symmetric, diagonal/,
    ],
    [
      "an unknown head mode",
      ["--width", "2", "--heads", "taller"],
      /--heads: must be one of more, wider/,
    ],
  ] as [string, string[], RegExp][]
) {
  Deno.test(`hc clone rejects ${label}: exit 2, one line, nothing written`, async () => {
    const s = await sourceDir();
    const out = `${tmp()}/out`;
    const r = await hc("clone", s, out, ...args);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, pattern);
    assert.equal(r.err.trim().split("\n").length, 1);
    assert.ok(!fs.existsSync(out));
  });
}

Deno.test("hc clone refuses an existing OUT_DIR without --force and leaves it alone", async () => {
  const s = await sourceDir();
  const out = tmp();
  fs.writeFileSync(`${out}/keep.txt`, "mine");
  const r = await hc("clone", s, out, "--width", "2");
  assert.equal(r.code, 2);
  assert.match(r.err, /exists; pass --force to overwrite/);
  assert.equal(fs.readFileSync(`${out}/keep.txt`, "utf8"), "mine");
});

Deno.test("hc clone rejects a source whose config and tensors disagree, writing nothing", async () => {
  const s = await sourceDir();
  const cfg = JSON.parse(fs.readFileSync(`${s}/config.json`, "utf8"));
  cfg.intermediate_size = 40;
  fs.writeFileSync(`${s}/config.json`, JSON.stringify(cfg));
  const out = `${tmp()}/out`;
  const r = await hc("clone", s, out, "--width", "2");
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /gate_proj\.weight has shape \[24,16\] but config\.json implies \[40,16\]/);
  assert.ok(!fs.existsSync(out));
});

Deno.test("hc clone rejects a corrupt safetensors file, writing nothing", async () => {
  const s = await sourceDir();
  const f = `${s}/model.safetensors`;
  fs.truncateSync(f, fs.statSync(f).size - 100);
  const out = `${tmp()}/out`;
  const r = await hc("clone", s, out, "--width", "2");
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /model\.safetensors/);
  assert.ok(!fs.existsSync(out));
});

Deno.test("hc clone refuses heads that cannot be split into query groups", async () => {
  const s = await sourceDir();
  const cfg = JSON.parse(fs.readFileSync(`${s}/config.json`, "utf8"));
  cfg.num_key_value_heads = 3; // 4 query heads cannot share 3 KV heads
  fs.writeFileSync(`${s}/config.json`, JSON.stringify(cfg));
  const out = `${tmp()}/out`;
  const r = await hc("clone", s, out, "--width", "2");
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /numHeads 4 is not divisible by numKvHeads 3/);
  assert.ok(!fs.existsSync(out));
});

// The paper's symmetry argument: with dropout 0 and a deterministic optimiser
// the copies of a symmetric clone get identical gradients forever; noise
// makes the backward pass differ between copies, so they drift apart.
Deno.test("training keeps a symmetric clone's blocks identical while a noisy clone's drift apart", async () => {
  await initBackend("wasm");
  const base = tmp();
  const gpt = defaultConfig("gpt2", {
    hiddenSize: 16,
    numLayers: 2,
    numHeads: 2,
    maxPositions: 32,
  });
  await saveCheckpoint(`${base}/src`, gpt, initParams(gpt, 5));
  const cosines: Record<string, number[][]> = {};
  for (const variant of ["symmetric", "noisy-symmetric"] as const) {
    await cloneCheckpoint(`${base}/src`, `${base}/${variant}`, {
      width: 2,
      ffn: 2,
      variant,
      seed: 1,
    });
    const cfg = parseTrainConfig({
      init: `${base}/${variant}`,
      dropout: 0,
      data: { seqLen: 32, batchSize: 8 },
      optim: { lr: 1e-2, warmupSteps: 5 },
      steps: 60,
      evalEvery: 60,
      evalBatches: 1,
      checkpointEvery: 60,
    });
    await train(cfg, `${base}/run-${variant}`, { progress: "silent" });
    cosines[variant] = readMetrics(`${base}/run-${variant}`).map((l) =>
      (l.symmetry as { meanCosine: number }[]).map((e) => e.meanCosine)
    );
  }
  const [symStart, symEnd] = cosines["symmetric"];
  for (const c of [...symStart, ...symEnd]) assert.ok(c > 1 - 1e-5, `symmetric cosine ${c}`);
  const [noisyStart, noisyEnd] = cosines["noisy-symmetric"];
  // The embedding is never noised: its copies start identical (cosine 1) and
  // can only separate if the copies received different gradients.
  assert.equal(noisyStart[0], 1);
  assert.ok(noisyEnd[0] < 1 - 1e-3, `noisy clone's embedding copies stayed identical: ${noisyEnd}`);
});
