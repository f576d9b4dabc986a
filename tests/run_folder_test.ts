import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import {
  appendMetricsLine,
  CLONE_FILE,
  type MetricsLine,
  readCheckpointExtra,
  readCloneRecord,
  readGrid,
  readMetrics,
  readResults,
  readRunRecord,
  readRunState,
  readSourceSummary,
  readSummary,
  RunFolderError,
  type RunSummary,
  writeCloneRecord,
  writeGrid,
  writePretrainedSummary,
  writeResultsFile,
  writeRunRecord,
  writeRunState,
  writeSummary,
  zeroCost,
} from "../lib/io/run_folder.ts";
import { UsageError } from "../lib/errors.ts";
import { PRESETS } from "../lib/model/config.ts";
import { parseTrainConfig } from "../lib/train/config.ts";
import type { CloneRecord } from "../lib/clone/checkpoint.ts";
import type { GridFile, ResultsFile, RunRecord } from "../lib/experiments/results.ts";
import { hc, tmpDir } from "./cli_helpers.ts";

const tmp = () => tmpDir("hc-run-folder-");

const line: MetricsLine = {
  step: 4,
  tokens: 512,
  trainLoss: 4.1,
  valLoss: 4.2,
  valLossPerByte: 4.2,
  valPerplexity: Math.exp(4.2),
  valAccuracy: 0.1,
  lr: 1e-3,
  gradNorm: 0.9,
  wallSeconds: 1.5,
  deviceHours: 1e-4,
  trainFlops: 1e9,
  evalFlops: 1e8,
  symmetry: [{ layer: "embed", meanCosine: 1 }],
};
const cost = { ...zeroCost(), steps: 4, tokens: 512, trainFlops: 1e9 };
const summary: RunSummary = {
  done: true,
  steps: 4,
  final: line,
  device: { backend: "wasm", label: "wasm-simd, 1 thread", accelerators: 1, isGpu: false },
  model: PRESETS.tiny,
  cost,
  sourceCost: null,
  init: null,
};
const record: RunRecord = {
  id: "random-seed0-abc",
  spec: "s",
  preset: "quick",
  kind: "target",
  init: "random",
  group: "random",
  seed: 0,
  source: null,
  clone: null,
};
const clone: CloneRecord = {
  source: { path: "/models/small", sha256: "00" },
  width: 2,
  ffn: 2,
  variant: "noisy-symmetric",
  heads: "more",
  tied: "fold-norm",
  seed: 0,
  snrDb: 30,
  depth: 1,
  depthMode: "identity",
  operators: ["width n=2 m=2 noisy-symmetric heads=more tied=fold-norm"],
  functionPreserving: true,
  sourceConfig: PRESETS.tiny,
  verification: null,
};
const grid: GridFile = {
  spec: "s",
  preset: "quick",
  comment: "",
  baseline: "random",
  k: 2,
  inits: ["random"],
  sources: [],
  clones: [],
  runs: [{ ...record, config: parseTrainConfig({ model: { preset: "tiny" }, steps: 4 }) }],
};
const meanSd = { mean: 4.2, sd: null, n: 1 };
const results: ResultsFile = {
  spec: "s",
  preset: "quick",
  baseline: "random",
  metric: "valLoss",
  k: 2,
  total: 1,
  finished: 1,
  runs: [{ ...record, done: true, steps: 4, final: line, cost, sourceCost: null }],
  inits: [{
    init: "random",
    kind: "target",
    group: "random",
    seeds: [0],
    finalValLoss: meanSd,
    finalValAccuracy: meanSd,
    finalTaskAccuracy: meanSd,
    finalAccuracy: meanSd,
    speedup: null,
    target: null,
  }],
  baselineStepFlops: 2.5e8,
  deviceHours: "cpu-time",
  degenerate: [],
};

/** Rewrites a JSON file with `edit` applied to its parsed content. */
function corrupt(file: string, edit: (v: Record<string, unknown>) => void): void {
  const v = JSON.parse(fs.readFileSync(file, "utf8"));
  edit(v);
  fs.writeFileSync(file, JSON.stringify(v));
}

/** Asserts `read` throws a RunFolderError (a UsageError: exit 2) naming `file` and `field`. */
function assertRejects(read: () => unknown, file: string, field: string): void {
  assert.throws(read, (e: unknown) => {
    assert.ok(e instanceof RunFolderError && e instanceof UsageError, String(e));
    assert.ok(e.message.startsWith(file), e.message);
    assert.ok(e.message.includes(`: ${field}: `), e.message);
    assert.match(e.message, /delete the folder .* and rerun/);
    return true;
  });
}

Deno.test("summary.json: written and read back; a malformed one is rejected naming the field", async () => {
  const dir = tmp();
  await writeSummary(dir, summary);
  assert.deepEqual(readSummary(dir), summary);
  corrupt(join(dir, "summary.json"), (v) => (v.final as Record<string, unknown>).valLoss = "low");
  assertRejects(() => readSummary(dir), join(dir, "summary.json"), "final.valLoss");
  fs.writeFileSync(join(dir, "summary.json"), "{ torn");
  assert.throws(() => readSummary(dir), /summary.json: not valid JSON .*delete the folder/);
});

Deno.test("summary.json of a pretrained source: read back; missing cost is rejected", async () => {
  const dir = tmp();
  const pre = { done: true as const, steps: 0, cost, pretrained: "/models/small" };
  await writePretrainedSummary(dir, pre);
  assert.deepEqual(readSourceSummary(dir), pre);
  // A training run's reader wants the evaluation a pretrained source never had.
  assertRejects(() => readSummary(dir), join(dir, "summary.json"), "final");
  corrupt(join(dir, "summary.json"), (v) => delete v.cost);
  assertRejects(() => readSourceSummary(dir), join(dir, "summary.json"), "cost");
});

Deno.test("metrics.jsonl: lines read back, a torn last line ignored, a malformed line rejected", () => {
  const dir = tmp();
  appendMetricsLine(dir, line);
  appendMetricsLine(dir, { ...line, step: 8 });
  const file = join(dir, "metrics.jsonl");
  fs.appendFileSync(file, '{"step": 12, "tok');
  assert.deepEqual(readMetrics(dir).map((l) => l.step), [4, 8]);
  fs.writeFileSync(
    file,
    JSON.stringify(line) + "\n" + JSON.stringify({ ...line, step: -1 }) + "\n",
  );
  assertRejects(() => readMetrics(dir), `${file} line 2`, "step");
});

Deno.test("checkpoint/state.json: read back with old cost fields filled; a malformed one is rejected", async () => {
  const dir = tmp();
  fs.mkdirSync(join(dir, "checkpoint"));
  const sampler = { seed: 0, step: 4, rng: [1, 2, 3, 4] };
  const old = { step: 4, sampler, cost: { steps: 4, tokens: 512 }, optimizerStep: 4 };
  await writeRunState(join(dir, "checkpoint"), old as never);
  assert.deepEqual(readRunState(dir), { ...old, cost: { ...zeroCost(), steps: 4, tokens: 512 } });
  const file = join(dir, "checkpoint", "state.json");
  corrupt(file, (v) => (v.sampler as Record<string, unknown>).rng = [1, 2]);
  assertRejects(() => readRunState(dir), file, "sampler.rng");
});

Deno.test("clone.json: written and read back; a malformed one is rejected naming the field", async () => {
  const dir = tmp();
  await writeCloneRecord(dir, clone);
  assert.deepEqual(readCloneRecord(dir), clone);
  // Clones made before depth growth have no depth fields: still read.
  corrupt(join(dir, CLONE_FILE), (v) => (delete v.depth, delete v.depthMode));
  assert.equal(readCloneRecord(dir)!.depth, undefined);
  corrupt(join(dir, CLONE_FILE), (v) => v.width = "2");
  assertRejects(() => readCloneRecord(dir), join(dir, CLONE_FILE), "width");
});

Deno.test("run.json: written once and read back; a malformed one is rejected naming the field", async () => {
  const dir = tmp();
  await writeRunRecord(dir, record);
  const before = fs.statSync(join(dir, "run.json")).mtimeMs;
  await writeRunRecord(dir, record); // unchanged content: not rewritten
  assert.equal(fs.statSync(join(dir, "run.json")).mtimeMs, before);
  assert.deepEqual(readRunRecord(dir), record);
  corrupt(join(dir, "run.json"), (v) => v.kind = "baseline");
  assertRejects(() => readRunRecord(dir), join(dir, "run.json"), "kind");
});

Deno.test("grid.json: written and read back; a malformed one is rejected naming the field", async () => {
  const dir = tmp();
  await writeGrid(dir, grid);
  assert.deepEqual(readGrid(dir), grid);
  corrupt(join(dir, "grid.json"), (v) => ((v.runs as Record<string, unknown>[])[0].seed = null));
  assertRejects(() => readGrid(dir), join(dir, "grid.json"), "runs.0.seed");
  assert.throws(() => readGrid(tmp()), /no grid.json; run 'hc ablate/);
});

Deno.test("results.json: infinite speed-ups round-trip; a malformed one is rejected naming the field", async () => {
  const dir = tmp();
  const stat = { mean: Infinity, ci95: null, n: 1, nReached: 1, values: [Infinity] };
  const res = structuredClone(results);
  res.inits[0].speedup = { steps: { without: stat, withSource: stat } } as never;
  await writeResultsFile(dir, res);
  assert.deepEqual(readResults(dir), res);
  corrupt(join(dir, "results.json"), (v) => (v.inits as Record<string, unknown>[])[0].seeds = "0");
  assertRejects(() => readResults(dir), join(dir, "results.json"), "inits.0.seeds");
});

Deno.test("hyperclone.json's training history: read; a malformed cost is rejected naming the field", () => {
  const dir = tmp();
  const file = join(dir, "hyperclone.json");
  fs.writeFileSync(file, JSON.stringify({ format: 1, extra: { training: cost } }));
  assert.deepEqual(readCheckpointExtra(dir), { training: cost });
  corrupt(file, (v) => ((v.extra as Record<string, Record<string, unknown>>).training.steps = "4"));
  assertRejects(() => readCheckpointExtra(dir), `${file} extra`, "training.steps");
});

Deno.test("hc train --resume on a run folder with a damaged summary.json exits 2 naming the file", async () => {
  const dir = tmp();
  const cfg = join(dir, "cfg.json");
  fs.writeFileSync(cfg, JSON.stringify({ model: { preset: "tiny" }, steps: 2 }));
  fs.mkdirSync(join(dir, "run"));
  fs.writeFileSync(join(dir, "run", "summary.json"), JSON.stringify({ done: true, steps: "2" }));
  const r = await hc("train", "--config", cfg, "--out", join(dir, "run"), "--resume");
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /summary\.json: steps: Expected number, received string/);
  assert.equal(r.err.trim().split("\n").length, 1, r.err);
});
