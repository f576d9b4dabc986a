import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend.ts";
import { parseTrainConfig } from "../lib/train/config.ts";
import { DivergenceError, train } from "../lib/train/loop.ts";
import { readMetrics, readRunState, readSummary } from "../lib/io/run_folder.ts";
import { loadSplits } from "../lib/train/splits.ts";
import { stopAfterSteps } from "./stop_after.ts";
import { unigramEntropy } from "../lib/data/stats.ts";
import { lrAt } from "../lib/train/schedule.ts";

const micro = (over: Record<string, unknown> = {}) =>
  parseTrainConfig({
    model: { family: "gpt2", hiddenSize: 16, numLayers: 1, numHeads: 2, maxPositions: 32 },
    data: { seqLen: 32, batchSize: 4 },
    optim: { lr: 1e-2, warmupSteps: 4 },
    steps: 24,
    evalEvery: 4,
    evalBatches: 2,
    checkpointEvery: 8,
    seed: 3,
    ...over,
  });

const tmp = () => Deno.makeTempDirSync({ prefix: "hc-train-" });

Deno.test("lr schedule warms up linearly, peaks, and decays by cosine to the floor", () => {
  const s = { peakLr: 1, warmupSteps: 10, totalSteps: 110, minRatio: 0.1 };
  assert.equal(lrAt(0, s), 0.1);
  assert.equal(lrAt(9, s), 1);
  assert.equal(lrAt(10, s), 1);
  assert.ok(Math.abs(lrAt(60, s) - 0.55) < 1e-12); // halfway: (1 + 0.1) / 2
  assert.ok(Math.abs(lrAt(110, s) - 0.1) < 1e-12);
});

Deno.test("resume after an interruption reproduces the uninterrupted run's losses exactly", async () => {
  await initBackend("wasm");
  const cfg = micro({ dropout: 0.1 }); // dropout masks must also resume exactly
  const a = tmp(), b = tmp();
  await train(cfg, a, { progress: "silent" });
  // Stop after 13 steps, between evaluations: the resume continues the train-loss window.
  await assert.rejects(train(cfg, b, stopAfterSteps(13)), /stopped after 13 steps/);
  assert.equal(readSummary(b), null);
  await train(cfg, b, { progress: "silent", resume: true });
  const ma = readMetrics(a), mb = readMetrics(b);
  assert.deepEqual(mb.map((l) => l.step), ma.map((l) => l.step));
  for (let i = 0; i < ma.length; i++) {
    // Same backend, same seed, same batches: bit-identical losses.
    assert.equal(mb[i].valLoss, ma[i].valLoss, `valLoss at step ${ma[i].step}`);
    assert.equal(mb[i].trainLoss, ma[i].trainLoss, `trainLoss at step ${ma[i].step}`);
    assert.equal(mb[i].gradNorm, ma[i].gradNorm);
  }
  assert.equal(readSummary(b)!.cost.trainFlops, readSummary(a)!.cost.trainFlops);
});

Deno.test("a killed CLI run (SIGKILL) resumes with --resume to the same losses", async () => {
  const dir = tmp();
  const cfgFile = `${dir}/cfg.json`;
  const cfg = {
    model: {
      family: "llama",
      hiddenSize: 16,
      numLayers: 1,
      numHeads: 2,
      numKvHeads: 1,
      maxPositions: 32,
    },
    data: { seqLen: 32, batchSize: 4 },
    steps: 400,
    evalEvery: 20,
    evalBatches: 1,
    checkpointEvery: 20,
    seed: 1,
  };
  fs.writeFileSync(cfgFile, JSON.stringify(cfg));
  const run = (out: string, extra: string[] = []) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "lib/cli/main.ts",
        "train",
        "--config",
        cfgFile,
        "--out",
        out,
        "--progress",
        "plain",
        ...extra,
      ],
      stdout: "piped",
      stderr: "piped",
    });
  const full = await run(`${dir}/full`).output();
  assert.equal(full.code, 0, new TextDecoder().decode(full.stderr));
  const child = run(`${dir}/killed`).spawn();
  // Kill once a checkpoint past step 20 exists and the run is still going.
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const st = `${dir}/killed/checkpoint/state.json`;
    if (fs.existsSync(st) && JSON.parse(fs.readFileSync(st, "utf8")).step >= 40) break;
  }
  child.kill("SIGKILL");
  await child.output();
  assert.equal(
    readSummary(`${dir}/killed`),
    null,
    "the run should have been killed before the end",
  );
  const resumed = await run(`${dir}/killed`, ["--resume"]).output();
  assert.equal(resumed.code, 0, new TextDecoder().decode(resumed.stderr));
  const a = readMetrics(`${dir}/full`), b = readMetrics(`${dir}/killed`);
  assert.deepEqual(
    b.map((l) => [l.step, l.valLoss, l.trainLoss]),
    a.map((l) => [l.step, l.valLoss, l.trainLoss]),
  );
});

Deno.test("tf.memory().numTensors does not grow across training steps", async () => {
  await initBackend("wasm");
  const counts: number[] = [];
  const hook = () => {
    counts.push(tf.memory().numTensors);
    return {};
  };
  await train(micro({ steps: 40, evalEvery: 5 }), tmp(), { progress: "silent", evalHooks: [hook] });
  // Measured at every evaluation after the first: identical counts.
  assert.ok(counts.length >= 8);
  assert.deepEqual(new Set(counts.slice(1)).size, 1, `tensor counts: ${counts}`);
});

Deno.test("a NaN loss stops the run with a clear error and keeps the last good checkpoint", async () => {
  await initBackend("wasm");
  const dir = tmp();
  // An absurd lr blows the weights up to Inf within a few steps after warm-up.
  const cfg = micro({
    optim: { lr: 1e25, warmupSteps: 1, gradClip: 0, weightDecay: 0 },
    checkpointEvery: 1,
    steps: 50,
  });
  await assert.rejects(train(cfg, dir, { progress: "silent" }), (e: Error) => {
    assert.ok(e instanceof DivergenceError);
    assert.match(e.message, /loss became (NaN|Infinity)/);
    assert.match(e.message, /Lower optim.lr/);
    return true;
  });
  const state = JSON.parse(fs.readFileSync(`${dir}/checkpoint/state.json`, "utf8"));
  assert.ok(state.step >= 1);
  assert.equal(readSummary(dir), null);
});

Deno.test("a tiny model trained a few hundred steps on Brown drops validation loss well below the unigram entropy", async () => {
  await initBackend("wasm");
  const unigram = unigramEntropy(loadSplits("brown").train, 256);
  const cfg = parseTrainConfig({
    model: { family: "gpt2", hiddenSize: 48, numLayers: 2, numHeads: 4, maxPositions: 64 },
    data: { seqLen: 64, batchSize: 16 },
    optim: { lr: 1e-2, warmupSteps: 20 },
    steps: 300,
    evalEvery: 100,
    evalBatches: 8,
    checkpointEvery: 300,
    seed: 0,
  });
  const s = await train(cfg, tmp(), { progress: "silent" });
  // Unigram entropy is ~3.09 nats; a model using context must get far below
  // (measured: 2.77 after 300 steps, while a unigram model cannot go below 3.09).
  assert.ok(s.final.valLoss < unigram - 0.2, `val ${s.final.valLoss} vs unigram ${unigram}`);
});

Deno.test("an aborted run saves a checkpoint at the step it stopped after, with its loss window", async () => {
  await initBackend("wasm");
  const dir = tmp();
  // Step 6: past the evaluation at 4 and the checkpoint at 0, before the ones at 8.
  await assert.rejects(train(micro(), dir, stopAfterSteps(6)), /stopped after 6 steps/);
  const state = readRunState(dir)!;
  assert.equal(state.step, 6);
  assert.equal(state.sampler.step, 6);
  assert.equal(state.cost.steps, 6);
  assert.equal(state.lossWindow?.count, 2); // steps 5 and 6, averaged at the evaluation at 8
  assert.deepEqual(readMetrics(dir).map((l) => l.step), [0, 4]);
  // An already aborted signal stops before the first step: nothing trained, nothing saved.
  const none = tmp();
  const signal = AbortSignal.abort(new Error("never started"));
  await assert.rejects(train(micro(), none, { progress: "silent", signal }), /never started/);
  assert.equal(readRunState(none), null);
  assert.deepEqual(readMetrics(none), []);
});
