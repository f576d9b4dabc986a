import assert from "node:assert/strict";
import { deviceInfo, initBackend } from "../lib/backend.ts";
import { forwardFlopsPerToken, trainFlopsPerToken } from "../lib/model/config.ts";
import { parseTrainConfig } from "../lib/train/config.ts";
import { readMetrics, train } from "../lib/train/loop.ts";
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

Deno.test("device-hours and FLOPs of a short run agree with the wall-clock and the analytic formula", async () => {
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
    assert.equal(device.accelerators, 1);
    assert.equal(device.isGpu, false);
    // Evaluations at step 0 and every evalEvery steps: 0, 2, 4, 6.
    assert.deepEqual(lines.map((l) => l.step), [0, 2, 4, 6]);
    const perEval = cfg.evalBatches * batchSize * seqLen * forwardFlopsPerToken(m, seqLen);
    let prevWall = 0;
    lines.forEach((l, i) => {
      // Exact: both sides are the same float64 operations on the same wall-clock value.
      assert.equal(l.deviceHours, (l.wallSeconds * device.accelerators) / 3600, `line ${i}`);
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
    assert.equal(c.deviceHours, (c.wallSeconds * device.accelerators) / 3600);
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
