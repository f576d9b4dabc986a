import assert from "node:assert/strict";
import * as fs from "node:fs";
import { decodeNpy } from "../lib/io/npy.ts";
import { initBackend } from "../lib/backend.ts";
import { loadCheckpoint } from "../lib/io/checkpoint.ts";
import { computeLogits } from "../lib/model/model.ts";
import { hc, tmpDir } from "./cli_helpers.ts";

const tmp = () => tmpDir("hc-cli-");

function configFile(dir: string, cfg: unknown): string {
  const f = `${dir}/cfg.json`;
  fs.writeFileSync(f, typeof cfg === "string" ? cfg : JSON.stringify(cfg));
  return f;
}

const good = {
  model: { family: "gpt2", hiddenSize: 16, numLayers: 1, numHeads: 2, maxPositions: 16 },
  data: { seqLen: 16, batchSize: 2 },
  steps: 4,
  evalEvery: 2,
  evalBatches: 1,
  checkpointEvery: 4,
};

for (
  const [label, cfg, pattern] of [
    ["an unknown key", { ...good, stepz: 3 }, /cfg\.json: \(top level\): Unrecognized key.*stepz/],
    [
      "a wrong type",
      { ...good, steps: "many" },
      /cfg\.json: steps: Expected number, received string/,
    ],
    [
      "an impossible shape",
      { ...good, model: { ...good.model, hiddenSize: 18, numHeads: 4 } },
      /model\.hiddenSize: 18 is not divisible by numHeads 4/,
    ],
    [
      "a nested unknown key",
      { ...good, optim: { lr: 1, momentum: 0.9 } },
      /optim: Unrecognized key.*momentum/,
    ],
    ["malformed JSON", "{ steps: 3", /not valid JSON/],
  ] as [string, unknown, RegExp][]
) {
  Deno.test(`train rejects ${label} with a one-line error naming the field, exit 2, nothing written`, async () => {
    const dir = tmp();
    const r = await hc("train", "--config", configFile(dir, cfg), "--out", `${dir}/run`);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, pattern);
    assert.equal(r.err.trim().split("\n").length, 1, r.err);
    assert.ok(!fs.existsSync(`${dir}/run`), "no run folder for a rejected config");
  });
}

Deno.test("unknown commands and flags exit 2", async () => {
  assert.equal((await hc("fly")).code, 2);
  const r = await hc("eval", "--bogus");
  assert.equal(r.code, 2);
  assert.match(r.err, /Unknown option '--bogus'/);
});

Deno.test("train, then eval, score and sample a checkpoint from the CLI", async () => {
  const dir = tmp();
  const t = await hc(
    "train",
    "--config",
    configFile(dir, good),
    "--out",
    `${dir}/run`,
    "--progress",
    "plain",
  );
  assert.equal(t.code, 0, t.err);
  const ck = `${dir}/run/checkpoint`;

  const e = await hc("eval", ck, "--split", "test", "--batches", "2", "--seq-len", "16");
  assert.equal(e.code, 0, e.err);
  const ev = JSON.parse(e.out.trim().split("\n").at(-1)!);
  assert.equal(ev.split, "test");
  assert.ok(Math.abs(ev.perplexity - Math.exp(ev.loss)) < 1e-9 * ev.perplexity);
  assert.ok(ev.accuracy >= 0 && ev.accuracy <= 1);

  const s = await hc("score", ck, "--tokens", "72,101,108", "--out", `${dir}/l.npy`);
  assert.equal(s.code, 0, s.err);
  const npy = decodeNpy(fs.readFileSync(`${dir}/l.npy`));
  assert.deepEqual(npy.shape, [3, 256]);
  await initBackend("wasm");
  const c = await loadCheckpoint(ck);
  const [want] = await computeLogits(c.config, c.params, [new Int32Array([72, 101, 108])]);
  assert.deepEqual(npy.data, want); // same backend, same program: identical bits

  const bad = await hc("score", ck, "--tokens", "72,999", "--out", `${dir}/x.npy`);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /entry 1 \('999'\) is not an id in \[0, 256\)/);
  assert.ok(!fs.existsSync(`${dir}/x.npy`));

  const g = await hc("sample", ck, "--prompt", "The ", "--max-new", "10", "--seed", "1");
  assert.equal(g.code, 0, g.err);
  assert.ok(g.out.startsWith("The "));
});

Deno.test("an existing finished run is not overwritten without --resume", async () => {
  const dir = tmp();
  const f = configFile(dir, good);
  assert.equal((await hc("train", "--config", f, "--out", `${dir}/run`)).code, 0);
  const before = fs.readFileSync(`${dir}/run/metrics.jsonl`, "utf8");
  const again = await hc("train", "--config", f, "--out", `${dir}/run`);
  assert.equal(again.code, 2);
  assert.match(again.err, /holds a finished run; pass --resume/);
  assert.equal(fs.readFileSync(`${dir}/run/metrics.jsonl`, "utf8"), before);
});

Deno.test("asking for a backend that cannot load names the package and the reason", async () => {
  const r = await hc("eval", "nowhere", "--backend", "tensorflow");
  // The path check comes first; use a real dir to reach the backend.
  assert.equal(r.code, 2);
  const dir = tmp();
  fs.writeFileSync(`${dir}/cfg.json`, JSON.stringify(good));
  const t = await hc(
    "train",
    "--config",
    `${dir}/cfg.json`,
    "--out",
    `${dir}/run`,
    "--backend",
    "tensorflow",
  );
  assert.notEqual(t.code, 0);
  assert.match(
    t.err,
    /tensorflow: neither @tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node could be loaded/,
  );
});
