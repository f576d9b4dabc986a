/**
 * Learning-rate schedule: linear warm-up from 0 to the peak, then cosine decay
 * to `minRatio * peak` at `totalSteps`.
 *
 * @module
 */

/** Schedule parameters. */
export interface Schedule {
  peakLr: number;
  warmupSteps: number;
  totalSteps: number;
  /** Floor of the cosine as a fraction of the peak (e.g. 0.1). */
  minRatio: number;
}

/**
 * Learning rate of step `step` (0-based: the lr used for the update that
 * makes step + 1).
 *
 * @example
 * ```ts
 * import { lrAt } from "./schedule.ts";
 * lrAt(0, { peakLr: 1e-3, warmupSteps: 10, totalSteps: 100, minRatio: 0.1 }); // 1e-4
 * ```
 */
export function lrAt(step: number, s: Schedule): number {
  if (step < s.warmupSteps) return (s.peakLr * (step + 1)) / s.warmupSteps;
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const progress = Math.min(1, (step - s.warmupSteps) / span);
  const floor = s.peakLr * s.minRatio;
  return floor + 0.5 * (s.peakLr - floor) * (1 + Math.cos(Math.PI * progress));
}
