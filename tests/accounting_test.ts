import assert from "node:assert/strict";
import { computeThreads, deviceInfo, initBackend } from "../lib/backend.ts";
import { forwardFlopsPerToken, trainFlopsPerToken } from "../lib/model/config.ts";
import { parseTrainConfig } from "../lib/train/config.ts";
import { train } from "../lib/train/loop.ts";
import { readMetrics } from "../lib/io/run_folder.ts";
import { stopAfterSteps } from "./stop_after.ts";
import { deviceHoursOf, RunClock } from "../lib/train/device_time.ts";
import { loadBuiltinTask } from "../lib/eval/builtin_task.ts";

await initBackend("wasm");

const base = {
  model: { preset: "tiny" },
  data: { source: "brown", seqLen: 32, batchSize: 4 },
  optim: { lr: 0.003, warmupSteps: 2 },
  steps: 6,
  evalEvery: 2,
  evalBatches: 3,
  checkpointEvery: 6,
  seed: 1,
};

Deno.test("device-hours are CPU-thread-hours of training on a CPU backend, FLOPs follow the analytic formula", async () => {
  const out = await Deno.makeTempDir({ prefix: "hc-accounting-" });
  try {
    const cfg = parseTrainConfig({ ...base, tasks: "none" });
    const t0 = performance.now();
    const summary = await train(cfg, out, { progress: "silent" });
    const elapsed = (performance.now() - t0) / 1000;
    const lines = readMetrics(out);
    const m = summary.model, { seqLen, batchSize } = cfg.data;
    const device = deviceInfo();
    assert.deepEqual(summary.device, device);
    // The CPU threads the run occupies (BLAS and wasm share them): every core
    // unless HC_THREADS says otherwise. Informational on CPUs, whose
    // device-hours are CPU time, checked below.
    assert.equal(device.accelerators, computeThreads());
    assert.equal(device.isGpu, false);
    // Evaluations at step 0 and every evalEvery steps: 0, 2, 4, 6.
    assert.deepEqual(lines.map((l) => l.step), [0, 2, 4, 6]);
    const perEval = cfg.evalBatches * batchSize * seqLen * forwardFlopsPerToken(m, seqLen);
    let prevWall = 0, prevCpu = 0, prevDev = 0, prevEval = 0;
    lines.forEach((l, i) => {
      // CPU backend: device-hours come from the process's CPU time, split into
      // training and evaluation; the two parts add up to the CPU time (float64
      // rounding of a few additions of values ~1e-3: relative 1e-12 is ample).
      assert.equal(l.deviceHoursBasis, "cpu-time", `line ${i}`);
      const cpu = l.cpuSeconds!, ev = l.evalDeviceHours!;
      assert.ok(cpu > 0 && ev > 0 && l.deviceHours >= 0, `line ${i}: ${cpu} ${ev}`);
      assert.ok(
        Math.abs(l.deviceHours + ev - cpu / 3600) <= 1e-12 * (cpu / 3600),
        `line ${i}: ${l.deviceHours} + ${ev} vs ${cpu / 3600}`,
      );
      // Cumulative: never decreasing; evaluation adds to evalDeviceHours at every line.
      assert.ok(cpu >= prevCpu && l.deviceHours >= prevDev && ev > prevEval, `line ${i}`);
      prevCpu = cpu, prevDev = l.deviceHours, prevEval = ev;
      // Integers far below 2^53: sums are exact, so equality is exact.
      assert.equal(l.tokens, l.step * batchSize * seqLen, `line ${i} tokens`);
      assert.equal(
        l.trainFlops,
        l.step * batchSize * seqLen * trainFlopsPerToken(m, seqLen),
        `line ${i} trainFlops`,
      );
      assert.equal(l.evalFlops, (i + 1) * perEval, `line ${i} evalFlops`);
      assert.ok(l.wallSeconds > prevWall, `line ${i}: wallSeconds ${l.wallSeconds} not increasing`);
      prevWall = l.wallSeconds;
    });
    // The run's clock starts inside the call and stops before it returns.
    const c = summary.cost;
    assert.ok(
      c.wallSeconds >= prevWall && c.wallSeconds <= elapsed,
      `${c.wallSeconds} vs ${elapsed}`,
    );
    assert.ok(
      Math.abs(c.deviceHours + c.evalDeviceHours! - c.cpuSeconds! / 3600) <=
        1e-12 * (c.cpuSeconds! / 3600),
    );
    assert.ok(c.cpuSeconds! >= prevCpu && c.deviceHours >= prevDev);
    // Training took steps between the evaluations, so it used CPU time of its own.
    assert.ok(c.deviceHours > 0);
    assert.equal(c.steps, cfg.steps);
    assert.equal(c.tokens, cfg.steps * batchSize * seqLen);
    assert.equal(c.trainFlops, lines.at(-1)!.trainFlops);
    assert.equal(c.evalFlops, lines.length * perEval);
    assert.equal(summary.sourceCost, null);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("scoring the task suite during training adds its forward FLOPs to evalFlops only", async () => {
  const out = await Deno.makeTempDir({ prefix: "hc-accounting-task-" });
  try {
    const cfg = parseTrainConfig({ ...base, steps: 2, tasks: "builtin" });
    // Four items of each of two built-in tasks (4 and 2 choices) stand in for the full suite.
    const suiteTasks = await Promise.all(
      ["brown-cloze-v1", "brown-spelling-v1"].map(async (n) => {
        const t = await loadBuiltinTask(n);
        return { name: n, items: t.items.slice(0, 4) };
      }),
    );
    const summary = await train(cfg, out, { progress: "silent", suiteTasks });
    const lines = readMetrics(out);
    const m = summary.model, { seqLen, batchSize } = cfg.data;
    const perEval = cfg.evalBatches * batchSize * seqLen * forwardFlopsPerToken(m, seqLen);
    const perTaskToken = forwardFlopsPerToken(m, m.maxPositions);
    lines.forEach((l, i) => {
      assert.equal(l.taskItems, 8, `line ${i}`);
      assert.deepEqual(Object.keys(l.taskScores as object), [
        "brown-cloze-v1",
        "brown-spelling-v1",
      ]);
      assert.equal(typeof l.avgAccuracy, "number");
      assert.equal(l.trainFlops, l.step * batchSize * seqLen * trainFlopsPerToken(m, seqLen));
      // Task FLOPs = positions run (padding included) x forward FLOPs at the full window.
      const taskTokens = (l.evalFlops - (i + 1) * perEval) / perTaskToken;
      assert.ok(Number.isInteger(taskTokens) && taskTokens > 0, `line ${i}: ${taskTokens}`);
      // 4 items x 4 choices + 4 items x 2 choices, each a window of at most maxPositions.
      assert.ok(taskTokens <= (i + 1) * 24 * m.maxPositions, `line ${i}: ${taskTokens}`);
    });
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("device-hours stay cumulative across an interrupted and resumed run", async () => {
  const out = await Deno.makeTempDir({ prefix: "hc-accounting-resume-" });
  try {
    const cfg = parseTrainConfig({ ...base, steps: 8, checkpointEvery: 4, tasks: "none" });
    await assert.rejects(
      train(cfg, out, stopAfterSteps(5)),
      /stopped after 5 steps/,
    );
    const before = readMetrics(out).filter((l) => l.step <= 4);
    const summary = await train(cfg, out, { progress: "silent", resume: true });
    const lines = readMetrics(out);
    assert.deepEqual(lines.map((l) => l.step), [0, 2, 4, 6, 8]);
    // Lines up to the checkpoint are kept as written; later ones continue from its totals.
    assert.deepEqual(lines.slice(0, 3), before);
    for (const k of ["wallSeconds", "cpuSeconds", "deviceHours", "evalDeviceHours"] as const) {
      for (let i = 1; i < lines.length; i++) {
        assert.ok((lines[i][k] as number) >= (lines[i - 1][k] as number), `${k} line ${i}`);
      }
      assert.ok((summary.cost[k] as number) >= (lines.at(-1)![k] as number), k);
    }
    assert.equal(summary.cost.steps, 8);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("RunClock charges GPUs wall-clock x accelerators and CPUs CPU time, evaluation apart", () => {
  const gpu = { backend: "webgpu" as const, label: "test", accelerators: 4, isGpu: true };
  const cost = {
    wallSeconds: 100,
    cpuSeconds: 7,
    evalWallSeconds: 10,
    evalCpuSeconds: 1,
    deviceHours: 0,
    evalDeviceHours: 0,
  };
  const clock = new RunClock(cost, gpu);
  clock.sync(cost);
  assert.equal(clock.basis, "wall-x-accelerators");
  // Continues the checkpoint's totals; GPU-hours = (wall - eval wall) x 4 / 3600.
  assert.ok(cost.wallSeconds >= 100 && cost.cpuSeconds >= 7);
  assert.equal(cost.evalWallSeconds, 10);
  assert.equal(cost.deviceHours, ((cost.wallSeconds - 10) * 4) / 3600);
  assert.equal(cost.evalDeviceHours, (10 * 4) / 3600);
  assert.equal(deviceHoursOf("cpu-time", { wall: 99, cpu: 7200, accelerators: 4 }), 2);
  const cpu = new RunClock({}, { ...gpu, isGpu: false, accelerators: 1 });
  assert.equal(cpu.basis, "cpu-time");
  const c2 = { ...cost };
  cpu.startEval();
  cpu.endEval();
  cpu.sync(c2);
  assert.equal(c2.deviceHours, (c2.cpuSeconds - c2.evalCpuSeconds) / 3600);
});
