/**
 * Averaging curves over seeds. Runs of one initialisation share the eval
 * cadence, so they are aligned by step: each step logged by every seed gives
 * one point whose x and y are the seed means and whose band spans the seeds
 * (min to max), so every seed's curve lies inside it. With a single seed the
 * band is the score's own standard error (±1 SE) where the curve carries one,
 * so a one-seed figure still shows how far apart two curves must be.
 *
 * @module
 */

/** One seed's curve: `x[i]`, `y[i]` measured at `step[i]`. */
export interface SeedCurve {
  step: number[];
  x: number[];
  y: number[];
  /** Standard error of each y (e.g. a task score's), when there is one. */
  se?: number[];
}

/** The mean curve with its band. */
export interface MeanCurve {
  x: number[];
  y: number[];
  lo: number[];
  hi: number[];
  /** Number of seeds averaged. */
  n: number;
}

/**
 * Mean over seeds at every step that all seeds logged (a run still in
 * progress shortens the mean curve rather than skewing it). Points with a
 * non-finite y in any seed are dropped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { meanOverSeeds } from "./aggregate.ts";
 * const m = meanOverSeeds([
 *   { step: [0, 10], x: [0, 1], y: [3, 2] },
 *   { step: [0, 10], x: [0, 3], y: [3, 1] },
 * ]);
 * assert.deepEqual(m.x, [0, 2]);
 * assert.deepEqual(m.y, [3, 1.5]);
 * assert.deepEqual([m.lo, m.hi], [[3, 1], [3, 2]]); // the band spans the seeds
 * ```
 */
export function meanOverSeeds(curves: SeedCurve[]): MeanCurve {
  if (curves.length === 0) return { x: [], y: [], lo: [], hi: [], n: 0 };
  const maps = curves.map((c) => new Map(c.step.map((s, i) => [s, i])));
  const steps = curves[0].step.filter((s) => maps.every((m) => m.has(s)));
  const out: MeanCurve = { x: [], y: [], lo: [], hi: [], n: curves.length };
  for (const s of steps) {
    const ys = curves.map((c, k) => c.y[maps[k].get(s)!]);
    if (!ys.every(Number.isFinite)) continue;
    const xs = curves.map((c, k) => c.x[maps[k].get(s)!]);
    out.x.push(mean(xs));
    out.y.push(mean(ys));
    const se = curves.length === 1 ? curves[0].se?.[maps[0].get(s)!] : undefined;
    const halfWidth = se !== undefined && Number.isFinite(se) ? se : 0;
    out.lo.push(Math.min(...ys) - halfWidth);
    out.hi.push(Math.max(...ys) + halfWidth);
  }
  return out;
}

/**
 * Arithmetic mean (NaN for an empty list).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mean } from "./aggregate.ts";
 * assert.equal(mean([1, 2, 3]), 2);
 * ```
 */
export function mean(v: number[]): number {
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
}

/**
 * Groups items by a key, keeping first-seen order of keys.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupBy } from "./aggregate.ts";
 * const groups = groupBy([1, 2, 3], (n) => n % 2 ? "odd" : "even");
 * assert.deepEqual([...groups], [["odd", [1, 3]], ["even", [2]]]);
 * ```
 */
export function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(it);
  }
  return m;
}
