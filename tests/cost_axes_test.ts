/**
 * One definition of every cost axis: the table's speed-ups (results.json and
 * the printed table) equal the speed-ups read off the figures' curves, on
 * every axis, with and without the source's cost; the steps axis is
 * FLOPs-fair for a smaller control; degenerate experiments are flagged at
 * spec load and in the table.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { computeResults, type LoadedRun, loadExperiment } from "../lib/experiments/results.ts";
import { formatTable } from "../lib/experiments/report.ts";
import { formatSpeedup } from "../lib/format.ts";
import { COST_AXES, referenceStepFlops } from "../lib/experiments/costs.ts";
import { speedup, speedupOverSeeds } from "../lib/eval/speedup.ts";
import { curvesFigure, mainFigure } from "../lib/plot/figures.ts";
import { parseSpec, readSpec } from "../lib/experiments/spec.ts";
import { specWarnings } from "../lib/experiments/degenerate.ts";
import { PRESETS } from "../lib/model/config.ts";

const SEEDS = [0, 1, 2];
const EVALS = [0, 25, 50, 75, 100];
/** Target-size step FLOPs, and the smaller model's (source, keep-training control). */
const STEP_FLOPS = 3e9, SMALL_STEP_FLOPS = 1e9, TOKENS_PER_STEP = 1024;
const SOURCE = { name: "small", id: "small-abc", steps: 120, valLoss: 2.9 };

interface RunDef {
  init: string;
  kind: "target" | "control";
  steps: number;
  stepFlops: number;
  /** Loss after `s` steps for `seed`. */
  loss: (s: number, seed: number) => number;
  /** Device-seconds per step (differs per run like a real machine). */
  secPerStep: number;
}

const RUNS: RunDef[] = [
  {
    init: "random",
    kind: "target",
    steps: 100,
    stepFlops: STEP_FLOPS,
    loss: (s, seed) => 2.4 + 3.1 * Math.exp(-s / 30) + 0.01 * seed,
    secPerStep: 1,
  },
  {
    init: "noisy-symmetric",
    kind: "target",
    steps: 100,
    stepFlops: STEP_FLOPS,
    loss: (s, seed) => 2.3 + 0.6 * Math.exp(-s / 20) + 0.02 * seed,
    secPerStep: 1.1,
  },
  {
    init: "keep-training",
    kind: "control",
    steps: 300,
    stepFlops: SMALL_STEP_FLOPS,
    loss: (s, seed) => 2.35 + 0.55 * Math.exp(-s / 120) + 0.01 * seed,
    secPerStep: 0.4,
  },
];

/** Evaluations of a run: every 25 target-equivalent steps (the control's are 3x as many steps). */
function evalSteps(r: RunDef): number[] {
  return EVALS.map((e) => Math.round((e * r.steps) / 100));
}

/** ROOT/exp/quick with grid.json, a source summary and every run of every seed. */
function syntheticExperiment(root: string, sourceValLoss = SOURCE.valLoss): string {
  const dir = path.join(root, "exp", "quick");
  const sourceCost = {
    steps: SOURCE.steps,
    tokens: SOURCE.steps * TOKENS_PER_STEP,
    wallSeconds: 60,
    deviceHours: 0.011,
    trainFlops: SOURCE.steps * SMALL_STEP_FLOPS,
    evalFlops: 1e8,
  };
  const srcDir = path.join(dir, "sources", SOURCE.id);
  fs.mkdirSync(srcDir, { recursive: true });
  // A trained source's summary as train() writes it (only final.valLoss matters here).
  const sourceFinal = {
    step: SOURCE.steps,
    tokens: sourceCost.tokens,
    trainLoss: null,
    valLoss: sourceValLoss,
    valPerplexity: 0,
    valAccuracy: 0,
    lr: 1e-3,
    gradNorm: null,
    wallSeconds: 60,
    deviceHours: sourceCost.deviceHours,
    trainFlops: sourceCost.trainFlops,
    evalFlops: sourceCost.evalFlops,
  };
  fs.writeFileSync(
    path.join(srcDir, "summary.json"),
    JSON.stringify({
      done: true,
      steps: SOURCE.steps,
      final: sourceFinal,
      device: { backend: "wasm", label: "test", accelerators: 1, isGpu: false },
      model: PRESETS.tiny,
      cost: sourceCost,
      sourceCost: null,
      init: null,
    }),
  );
  const gridRuns = [];
  for (const r of RUNS) {
    for (const seed of SEEDS) {
      const id = `${r.init}-seed${seed}`;
      const record = {
        id,
        spec: "exp",
        preset: "quick",
        kind: r.kind,
        init: r.init,
        group: r.init === "random" ? "random" : "small",
        seed,
        source: r.init === "random" ? null : SOURCE.id,
        clone: r.init === "noisy-symmetric" ? `clone-${seed}` : null,
      };
      gridRuns.push({ ...record, config: { steps: r.steps } });
      const runDir = path.join(dir, "runs", id);
      fs.mkdirSync(runDir, { recursive: true });
      fs.writeFileSync(path.join(runDir, "run.json"), JSON.stringify(record));
      const lines = evalSteps(r).map((step) => ({
        step,
        tokens: step * TOKENS_PER_STEP,
        trainLoss: null,
        valLoss: r.loss(step, seed),
        valPerplexity: 0,
        valAccuracy: 0,
        avgAccuracy: 0.25 + (5.5 - r.loss(step, seed)) / 20,
        lr: 1e-3,
        gradNorm: null,
        wallSeconds: step * r.secPerStep * 1.5,
        // Device-hours: not proportional to steps across runs (different speeds, seeds).
        deviceHours: (step * r.secPerStep * (1 + 0.1 * seed)) / 3600,
        evalDeviceHours: 0.001,
        deviceHoursBasis: "cpu-time",
        trainFlops: step * r.stepFlops,
        evalFlops: (step + 1) * 1e7,
      }));
      fs.writeFileSync(
        path.join(runDir, "metrics.jsonl"),
        lines.map((l) => JSON.stringify(l) + "\n").join(""),
      );
      const last = lines.at(-1)!;
      fs.writeFileSync(
        path.join(runDir, "summary.json"),
        JSON.stringify({
          done: true,
          steps: r.steps,
          final: last,
          device: { backend: "wasm", label: "test", accelerators: 1, isGpu: false },
          model: PRESETS.tiny,
          cost: {
            steps: r.steps,
            tokens: last.tokens,
            wallSeconds: last.wallSeconds,
            deviceHours: last.deviceHours,
            trainFlops: last.trainFlops,
            evalFlops: last.evalFlops,
          },
          sourceCost: r.init === "random" ? null : sourceCost,
          init: null,
        }),
      );
    }
  }
  fs.writeFileSync(
    path.join(dir, "grid.json"),
    JSON.stringify({
      spec: "exp",
      preset: "quick",
      comment: "synthetic",
      baseline: "random",
      k: 2,
      inits: RUNS.map((r) => r.init),
      sources: [{ id: SOURCE.id, name: SOURCE.name, config: {} }],
      clones: [],
      runs: gridRuns,
    }),
  );
  return dir;
}

/** The x and y of the named line of a figure. */
function trace(fig: ReturnType<typeof curvesFigure>, name: string, xaxis?: string) {
  const t = fig.data.find((d) => d.name === name && (!xaxis || (d.xaxis ?? "x") === xaxis));
  assert.ok(t, `trace ${name} in ${fig.data.map((d) => d.name)}`);
  return { x: t.x as number[], y: t.y as number[] };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));

Deno.test("table speed-ups equal the speed-ups read off the figures' curves on every axis, with and without the source", () => {
  const dir = syntheticExperiment(Deno.makeTempDirSync());
  const exp = loadExperiment(dir);
  const res = computeResults(exp);
  const table = formatTable(res);
  assert.deepEqual(res.degenerate, []);
  for (const axis of COST_AXES) {
    for (const withSource of [false, true]) {
      for (const init of ["noisy-symmetric", "keep-training"]) {
        const row = res.inits.find((r) => r.init === init)!;
        const stat = withSource ? row.speedup![axis].withSource : row.speedup![axis].without;
        // One figure per seed: its two lines are the curves the speed-up compares.
        const pairs = SEEDS.map((seed) => {
          const runs = exp.runs.filter((r) => r.record.seed === seed);
          const fig = curvesFigure(runs, { x: axis, y: "valLoss", includeSourceCost: withSource });
          return { baseline: trace(fig, "random"), treatment: trace(fig, init) };
        });
        pairs.forEach((p, i) => {
          const r = speedup(p.baseline, p.treatment, { k: 2, direction: "lower" });
          assert.ok(r.ratio !== null && Number.isFinite(r.ratio), `${axis} ${init} seed ${i}`);
          // Same float64 operations on the same x values, up to summation order.
          assert.ok(
            rel(r.ratio!, stat.values[i]!) < 1e-12,
            `${axis} src=${withSource} ${init} seed ${i}: figure ${r.ratio} table ${
              stat.values[i]
            }`,
          );
        });
        // The printed cell is the one the figures' curves give (same bootstrap).
        const fromFig = speedupOverSeeds(pairs, { k: 2, direction: "lower" }, {
          seed: 0,
          resamples: 2000,
        });
        const cell = formatSpeedup(fromFig);
        const line = table.split("\n").filter((l) =>
          l.startsWith(`| ${init} `)
        )[withSource ? 1 : 0];
        assert.ok(line.includes(cell), `${axis} src=${withSource}: '${cell}' not in ${line}`);
      }
    }
  }
  // The main figure's loss panels are the same curves on the device-hours axis.
  const seed0 = exp.runs.filter((r) => r.record.seed === 0);
  const main = mainFigure(seed0);
  const plain = curvesFigure(seed0, { x: "deviceHours", y: "valLoss" });
  const charged = curvesFigure(seed0, { x: "deviceHours", y: "valLoss", includeSourceCost: true });
  assert.deepEqual(trace(main, "keep-training", "x3"), trace(plain, "keep-training"));
  assert.deepEqual(trace(main, "keep-training", "x4"), trace(charged, "keep-training"));
});

Deno.test("the steps axis counts baseline-equivalent steps: FLOPs / one baseline step, source included", () => {
  const exp = loadExperiment(syntheticExperiment(Deno.makeTempDirSync()));
  assert.equal(referenceStepFlops(exp.runs, "random"), STEP_FLOPS);
  const seed0 = exp.runs.filter((r: LoadedRun) => r.record.seed === 0);
  const plain = trace(curvesFigure(seed0, { x: "steps", y: "valLoss" }), "keep-training");
  // 300 control steps of a model with 1/3 of the FLOPs per step = 100 baseline steps.
  assert.deepEqual(plain.x, evalSteps(RUNS[2]).map((s) => (s * SMALL_STEP_FLOPS) / STEP_FLOPS));
  assert.equal(plain.x.at(-1), 100);
  const charged = trace(
    curvesFigure(seed0, { x: "steps", y: "valLoss", includeSourceCost: true }),
    "keep-training",
  );
  // The 120-step source counts as 40 baseline steps, not 120.
  assert.equal(charged.x[0], (SOURCE.steps * SMALL_STEP_FLOPS) / STEP_FLOPS);
  const random = trace(
    curvesFigure(seed0, { x: "steps", y: "valLoss", includeSourceCost: true }),
    "random",
  );
  assert.deepEqual(random.x, EVALS, "random init carries no source cost");
});

Deno.test("when the baseline never passes the source the table says speed-ups are undefined", () => {
  // The source ends at 2.45, below the baseline's final ~2.45-2.46 target.
  const dir = syntheticExperiment(Deno.makeTempDirSync(), 2.4);
  const res = computeResults(loadExperiment(dir));
  assert.equal(res.degenerate.length, 1);
  assert.equal(res.degenerate[0].name, "small");
  for (const init of ["noisy-symmetric", "keep-training"]) {
    assert.match(res.inits.find((r) => r.init === init)!.undefinedReason!, /never passed/);
  }
  const table = formatTable(res);
  assert.match(table, /the baseline never passed the source 'small'.*speed-ups are\s+undefined/);
  const row = table.split("\n").find((l) => l.startsWith("| noisy-symmetric "))!;
  assert.equal(row.match(/undefined/g)?.length, COST_AXES.length);
  // A source the baseline does pass is not flagged.
  const ok = computeResults(loadExperiment(syntheticExperiment(Deno.makeTempDirSync(), 2.6)));
  assert.deepEqual(ok.degenerate, []);
});

/** Every spec shipped in experiments/ (and its subfolders). */
const SHIPPED = [...Deno.readDirSync("experiments")].flatMap((e) =>
  e.isDirectory
    ? [...Deno.readDirSync(`experiments/${e.name}`)].map((f) => `experiments/${e.name}/${f.name}`)
    : [`experiments/${e.name}`]
).filter((f) => f.endsWith(".json") && !f.includes("/results/") && !f.includes("/configs/"))
  .sort();

Deno.test("the degenerate-preset warning fires on a baseline shorter than its source, not on the shipped presets", () => {
  const raw = JSON.parse(Deno.readTextFileSync("experiments/variant-ablation.json"));
  raw.presets.quick.target.steps = raw.presets.quick.sources.small.steps - 1;
  const spec = parseSpec(raw, "short.json");
  const w = specWarnings(spec, "quick");
  assert.equal(w.length, 1);
  assert.match(w[0], /preset quick: the random baseline trains \d+ steps .* source 'small'/);
  assert.deepEqual(specWarnings(spec, "standard"), []);
  assert.ok(SHIPPED.includes("experiments/variant-ablation.json") && SHIPPED.length >= 6);
  for (const f of SHIPPED) {
    // Every preset, including the quick ones the notebooks and the demo run as they are.
    assert.deepEqual(specWarnings(readSpec(f)), [], f);
  }
});
