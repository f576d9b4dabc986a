/**
 * Speed-up measurement between training curves, as the HyperCloning paper
 * reports it: "the random-init baseline's final accuracy is reached N times
 * sooner". Pure functions, no tensors.
 *
 * Definitions used throughout:
 * - A {@link Curve} is a list of evaluations: `x` is the cost axis (device
 *   hours, FLOPs, tokens or steps, non-decreasing), `y` the metric.
 * - `direction` says which way is better: `"lower"` for loss, `"higher"` for
 *   accuracy. A value *reaches* a target when it is at least as good.
 * - The target is the baseline's final value smoothed over its last `k`
 *   evaluations (their mean), so one lucky or unlucky last evaluation does not
 *   decide the answer.
 * - The reference cost is the baseline's *final* x (the budget it spent to get
 *   its final value), as the paper does. The ratio is
 *   `baseline final x / (treatment time-to-target + offset)`.
 *   The baseline's own first crossing of the smoothed target is reported too
 *   (`baselineFirstX`) for information; it is not used in the ratio.
 *
 * @module
 */

import { makeRng } from "../rng.ts";

/** A training curve: `y[i]` is the metric measured at cost `x[i]`. */
export interface Curve {
  /** Cost axis (device-hours, FLOPs, tokens or steps), non-decreasing. */
  x: number[];
  /** Metric at each x (loss, accuracy, ...). */
  y: number[];
}

/** Which way the metric improves: loss is `"lower"`, accuracy `"higher"`. */
export type Direction = "lower" | "higher";

/** Options of {@link speedup}. */
export interface SpeedupOptions {
  /** Number of final baseline evaluations averaged into the target (>= 1). */
  k: number;
  /** Whether lower or higher metric values are better. */
  direction: Direction;
  /**
   * Constant added to the treatment's x, e.g. the source model's training
   * cost, to report the speed-up "with source cost charged". Default 0.
   */
  offset?: number;
}

/** Result of {@link speedup} for one baseline/treatment pair. */
export interface SpeedupResult {
  /** Baseline's final value smoothed over its last k evaluations. */
  target: number;
  /** Reference cost: the baseline's final x. */
  baselineX: number;
  /** The baseline's own first crossing of `target` (informational; null if never). */
  baselineFirstX: number | null;
  /** Treatment time-to-target plus offset; null when the target is never reached. */
  treatmentX: number | null;
  /** `baselineX / treatmentX`; null when not reached (Infinity if treatmentX is 0). */
  ratio: number | null;
  /** Whether the treatment reached the target. */
  reached: boolean;
}

/** Options of {@link speedupOverSeeds}' bootstrap. */
export interface BootstrapOptions {
  /** Number of bootstrap resamples. Default 2000. */
  resamples?: number;
  /** Seed of the resampling RNG. Default 0. */
  seed?: number;
}

/** Summary of speed-ups over several seeds. */
export interface SeedSummary {
  /** Mean ratio over the seeds that reached the target; null if none did. */
  mean: number | null;
  /** Percentile bootstrap 95% interval of that mean over reached seeds; null if none did. */
  ci95: [number, number] | null;
  /** Number of pairs (seeds) given. */
  n: number;
  /** Number of seeds whose treatment reached the target. */
  nReached: number;
  /** `nReached / n`. */
  reachedFraction: number;
  /** Ratio per seed, in input order; null for seeds that never reached the target. */
  values: (number | null)[];
  /** Full per-seed results. */
  perSeed: SpeedupResult[];
}

function checkCurve(c: Curve, name: string): void {
  if (!c || !Array.isArray(c.x) || !Array.isArray(c.y)) {
    throw new TypeError(`${name}: expected {x: number[], y: number[]}; pass two arrays`);
  }
  if (c.x.length !== c.y.length) {
    throw new RangeError(
      `${name}: x has ${c.x.length} points but y has ${c.y.length}; give one y per x`,
    );
  }
  if (c.x.length === 0) throw new RangeError(`${name}: curve is empty; give at least one point`);
  for (let i = 0; i < c.x.length; i++) {
    if (!Number.isFinite(c.x[i]) || !Number.isFinite(c.y[i])) {
      throw new RangeError(`${name}: point ${i} is not finite; drop or fix it`);
    }
    if (i > 0 && c.x[i] < c.x[i - 1]) {
      throw new RangeError(`${name}: x[${i}] < x[${i - 1}]; sort the curve by x`);
    }
  }
}

function checkDirection(direction: Direction): void {
  if (direction !== "lower" && direction !== "higher") {
    throw new RangeError(`direction is ${JSON.stringify(direction)}; use "lower" or "higher"`);
  }
}

function reaches(value: number, target: number, direction: Direction): boolean {
  return direction === "lower" ? value <= target : value >= target;
}

/**
 * Mean of the last `k` y values of a curve: the smoothed final value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { smoothedFinal } from "./speedup.ts";
 * assert.equal(smoothedFinal({ x: [1, 2, 3], y: [5, 4, 2] }, 2), 3); // mean of the last 2
 * ```
 */
export function smoothedFinal(curve: Curve, k: number): number {
  checkCurve(curve, "curve");
  const n = curve.y.length;
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new RangeError(`k = ${k}; use an integer in [1, ${n}] (the curve has ${n} points)`);
  }
  let s = 0;
  for (let i = n - k; i < n; i++) s += curve.y[i];
  return s / k;
}

/**
 * First x at which a curve reaches `target`, linearly interpolated between the
 * two evaluations that bracket the first crossing; `x[0]` if the first
 * evaluation already reaches it; null if it is never reached.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timeToTarget } from "./speedup.ts";
 * assert.equal(timeToTarget({ x: [0, 10], y: [4, 2] }, 3, "lower"), 5); // interpolated
 * assert.equal(timeToTarget({ x: [0, 10], y: [4, 2] }, 1, "lower"), null); // never reached
 * ```
 */
export function timeToTarget(curve: Curve, target: number, direction: Direction): number | null {
  checkCurve(curve, "curve");
  checkDirection(direction);
  if (!Number.isFinite(target)) throw new RangeError(`target = ${target}; pass a finite number`);
  const { x, y } = curve;
  if (reaches(y[0], target, direction)) return x[0];
  for (let i = 1; i < y.length; i++) {
    if (reaches(y[i], target, direction)) {
      // y[i-1] does not reach and y[i] does, so y[i] !== y[i-1].
      const t = (target - y[i - 1]) / (y[i] - y[i - 1]);
      return x[i - 1] + t * (x[i] - x[i - 1]);
    }
  }
  return null;
}

/**
 * Speed-up of a treatment curve over a baseline: the baseline's final x
 * divided by the x (plus `offset`) at which the treatment first reaches the
 * baseline's smoothed final value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { speedup } from "./speedup.ts";
 * const base = { x: [0, 100], y: [3, 1] };
 * const clone = { x: [0, 100], y: [2, 0] };
 * const r = speedup(base, clone, { k: 1, direction: "lower" });
 * assert.equal(r.target, 1);
 * assert.equal(r.treatmentX, 50);
 * assert.equal(r.ratio, 2);
 * // Charging the source's cost (offset) moves the clone's curve right.
 * const charged = speedup(base, clone, { k: 1, direction: "lower", offset: 25 });
 * assert.equal(charged.treatmentX, 75);
 * assert.ok(Math.abs(charged.ratio! - 4 / 3) < 1e-12);
 * ```
 */
export function speedup(baseline: Curve, treatment: Curve, opts: SpeedupOptions): SpeedupResult {
  checkCurve(baseline, "baseline");
  checkCurve(treatment, "treatment");
  checkDirection(opts.direction);
  const offset = opts.offset ?? 0;
  if (!Number.isFinite(offset)) throw new RangeError(`offset = ${offset}; pass a finite number`);
  const target = smoothedFinal(baseline, opts.k);
  const baselineX = baseline.x[baseline.x.length - 1];
  const baselineFirstX = timeToTarget(baseline, target, opts.direction);
  const t = timeToTarget(treatment, target, opts.direction);
  if (t === null) {
    return { target, baselineX, baselineFirstX, treatmentX: null, ratio: null, reached: false };
  }
  const treatmentX = t + offset;
  return {
    target,
    baselineX,
    baselineFirstX,
    treatmentX,
    ratio: baselineX / treatmentX,
    reached: true,
  };
}

/** Percentile with linear interpolation between order statistics (numpy's default). */
function percentile(sorted: number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Speed-up over several seeds: one {@link speedup} per `{baseline, treatment}`
 * pair, then the mean ratio and a seeded percentile-bootstrap 95% interval
 * (resampling seeds with replacement). Seeds whose treatment never reaches the
 * target get a null ratio; the mean and interval are over the reached seeds
 * only, and `nReached` / `reachedFraction` say how many that is. Nothing is
 * imputed for the others.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { speedupOverSeeds } from "./speedup.ts";
 * const base = { x: [0, 100], y: [3, 1] };
 * const pairs = [0.5, 0.4, 0.6].map((e) => ({ baseline: base, treatment: { x: [0, 100], y: [2, e] } }));
 * const s = speedupOverSeeds(pairs, { k: 1, direction: "lower" }, { resamples: 2000, seed: 1 });
 * assert.equal(s.n, 3);
 * assert.equal(s.nReached, 3);
 * const [lo, hi] = s.ci95!;
 * assert.ok(lo <= s.mean! && s.mean! <= hi);
 * ```
 */
export function speedupOverSeeds(
  pairs: { baseline: Curve; treatment: Curve }[],
  opts: SpeedupOptions,
  boot: BootstrapOptions = {},
): SeedSummary {
  if (!Array.isArray(pairs) || pairs.length === 0) {
    throw new RangeError("pairs is empty; pass one {baseline, treatment} per seed");
  }
  const resamples = boot.resamples ?? 2000;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(`resamples = ${resamples}; use a positive integer such as 2000`);
  }
  const perSeed = pairs.map((p) => speedup(p.baseline, p.treatment, opts));
  const values = perSeed.map((r) => r.ratio);
  const reached = values.filter((v): v is number => v !== null);
  const n = pairs.length;
  const base = {
    n,
    nReached: reached.length,
    reachedFraction: reached.length / n,
    values,
    perSeed,
  };
  if (reached.length === 0) return { ...base, mean: null, ci95: null };
  const mean = reached.reduce((a, b) => a + b, 0) / reached.length;
  const rng = makeRng(boot.seed ?? 0);
  const means = new Array<number>(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < reached.length; i++) s += reached[rng.int(reached.length)];
    means[b] = s / reached.length;
  }
  means.sort((a, b) => a - b);
  return { ...base, mean, ci95: [percentile(means, 0.025), percentile(means, 0.975)] };
}
