import assert from "node:assert/strict";
import {
  type Curve,
  smoothedFinal,
  speedup,
  speedupOverSeeds,
  timeToTarget,
} from "../lib/eval/speedup.ts";

// All inputs here are float64; a few additions and one division each, so the
// rounding error is a few ulps of values <= 100. 1e-12 absolute is ample.
const TOL = 1e-12;
function close(a: number | null, b: number, what: string): void {
  if (a === null) throw new assert.AssertionError({ message: `${what}: got null, expected ${b}` });
  assert(Math.abs(a - b) <= TOL * Math.max(1, Math.abs(b)), `${what}: ${a} != ${b}`);
}

function line(xs: number[], y0: number, slope: number): Curve {
  return { x: xs, y: xs.map((x) => y0 + slope * x) };
}

const X10 = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
const X20 = [0, 20, 40, 60, 80, 100];

Deno.test("timeToTarget interpolates linearly between the bracketing evaluations", () => {
  // Loss 3 - 0.04x crosses 1 at x = 50, between the evaluations at 40 and 60.
  close(timeToTarget(line(X20, 3, -0.04), 1, "lower"), 50, "lower");
  // Accuracy 0.3 + 0.005x crosses 0.45 at x = 30, between 20 and 40.
  close(timeToTarget(line(X20, 0.3, 0.005), 0.45, "higher"), 30, "higher");
  // Already there at the first evaluation.
  assert.deepEqual(timeToTarget({ x: [5, 10], y: [0.5, 0.4] }, 1, "lower"), 5);
  // Only the first crossing counts, even if the curve later gets worse again.
  close(timeToTarget({ x: [0, 10, 20, 30], y: [3, 1, 3, 0] }, 2, "lower"), 5, "first crossing");
});

Deno.test("speedup on linear curves equals the exactly computable ratio", () => {
  // Baseline loss 4 - 0.03x ends at 1 at x = 100; treatment reaches 1 at x = 50.
  const lower = speedup(line(X10, 4, -0.03), line(X20, 3, -0.04), { k: 1, direction: "lower" });
  close(lower.target, 1, "target");
  assert.deepEqual(lower.baselineX, 100);
  close(lower.baselineFirstX, 100, "baseline own crossing");
  close(lower.treatmentX, 50, "treatmentX");
  close(lower.ratio, 2, "ratio");
  assert.deepEqual(lower.reached, true);
  // Baseline accuracy 0.25 + 0.002x ends at 0.45; treatment reaches it at 30.
  const higher = speedup(line(X10, 0.25, 0.002), line(X20, 0.3, 0.005), {
    k: 1,
    direction: "higher",
  });
  close(higher.target, 0.45, "target");
  close(higher.treatmentX, 30, "treatmentX");
  close(higher.ratio, 100 / 30, "ratio");
});

Deno.test("speedup reports reached false and a null ratio when the target is never reached", () => {
  const r = speedup(line(X10, 4, -0.03), line(X20, 3, -0.01), { k: 1, direction: "lower" });
  close(r.target, 1, "target");
  assert.deepEqual(r.reached, false);
  assert.deepEqual(r.treatmentX, null);
  assert.deepEqual(r.ratio, null);
});

Deno.test("the target of a noisy baseline is the mean of its last k evaluations", () => {
  // Last four losses 1.1, 0.9, 1.2, 0.8: mean exactly 1 (up to rounding).
  const noisy: Curve = {
    x: [0, 20, 40, 60, 70, 80, 90, 100],
    y: [3, 2, 1.5, 1.3, 1.1, 0.9, 1.2, 0.8],
  };
  close(smoothedFinal(noisy, 4), 1, "smoothed");
  const r = speedup(noisy, line(X20, 3, -0.04), { k: 4, direction: "lower" });
  close(r.target, 1, "target");
  close(r.treatmentX, 50, "treatmentX");
  close(r.ratio, 2, "ratio");
  // The noisy baseline itself first dips to 1 between x = 70 (1.1) and 80 (0.9).
  close(r.baselineFirstX, 75, "baseline own crossing");
  // k = 1 would use the lucky last point 0.8: treatment reaches it at x = 55.
  close(speedup(noisy, line(X20, 3, -0.04), { k: 1, direction: "lower" }).ratio, 100 / 55, "k=1");
});

Deno.test("offset (source cost) lowers the ratio by exactly the expected amount", () => {
  const base = line(X10, 4, -0.03);
  const treat = line(X20, 3, -0.04);
  const plain = speedup(base, treat, { k: 1, direction: "lower" });
  const charged = speedup(base, treat, { k: 1, direction: "lower", offset: 25 });
  close(charged.treatmentX, 75, "treatmentX");
  close(charged.ratio, 4 / 3, "ratio");
  close(plain.ratio! - charged.ratio!, 2 - 4 / 3, "drop");
  assert.deepEqual(charged.target, plain.target);
});

Deno.test("speedupOverSeeds: bootstrap CI contains the mean and is deterministic for a seed", () => {
  const base = line(X10, 4, -0.03);
  // Treatments reach 1 at 40, 50, 25, 62.5 and 80: ratios 2.5, 2, 4, 1.6, 1.25.
  const pairs = [0.05, 0.04, 0.08, 0.032, 0.025].map((s) => ({
    baseline: base,
    treatment: line(X20, 3, -s),
  }));
  const a = speedupOverSeeds(pairs, { k: 1, direction: "lower" }, { resamples: 2000, seed: 7 });
  const b = speedupOverSeeds(pairs, { k: 1, direction: "lower" }, { resamples: 2000, seed: 7 });
  const c = speedupOverSeeds(pairs, { k: 1, direction: "lower" }, { resamples: 2000, seed: 8 });
  assert.deepEqual(a, b);
  assert(a.ci95![0] !== c.ci95![0] || a.ci95![1] !== c.ci95![1], "another seed resamples anew");
  close(a.mean, (2.5 + 2 + 4 + 1.6 + 1.25) / 5, "mean");
  assert(a.ci95![0] <= a.mean! && a.mean! <= a.ci95![1], `CI ${a.ci95} misses ${a.mean}`);
  assert(a.ci95![0] >= 1.25 && a.ci95![1] <= 4, "CI inside the range of the values");
  assert.deepEqual(a.n, 5);
  assert.deepEqual(a.nReached, 5);
  assert.deepEqual(a.reachedFraction, 1);
});

Deno.test("speedupOverSeeds reports seeds that never reach instead of hiding them", () => {
  const base = line(X10, 4, -0.03);
  const pairs = [0.05, 0.01, 0.04].map((s) => ({ baseline: base, treatment: line(X20, 3, -s) }));
  const s = speedupOverSeeds(pairs, { k: 1, direction: "lower" }, { seed: 1 });
  assert.deepEqual(s.values[1], null);
  assert.deepEqual(s.n, 3);
  assert.deepEqual(s.nReached, 2);
  close(s.reachedFraction, 2 / 3, "fraction");
  close(s.mean, (2.5 + 2) / 2, "mean over reached");
  const none = speedupOverSeeds([pairs[1]], { k: 1, direction: "lower" });
  assert.deepEqual(none.mean, null);
  assert.deepEqual(none.ci95, null);
  assert.deepEqual(none.nReached, 0);
});

Deno.test("bad curves and options are rejected with a message naming the field", () => {
  assert.throws(() => smoothedFinal({ x: [0, 1], y: [1, 2] }, 3), /k = 3/);
  assert.throws(() => timeToTarget({ x: [0, 1], y: [1] }, 1, "lower"), /x has 2 points/);
  assert.throws(() => timeToTarget({ x: [1, 0], y: [1, 2] }, 1, "lower"), /sort the curve/);
  assert.throws(
    () => speedup(line(X10, 1, 0), line(X10, 1, 0), { k: 1, direction: "up" as "lower" }),
    /direction/,
  );
});
