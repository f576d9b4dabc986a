/**
 * Stopping a run part-way through, as a user's AbortController would: a
 * progress reporter that counts training steps (across every run it reports
 * on) and aborts the signal after the `steps`-th.
 *
 * @module
 */
import type { ProgressFactory } from "../lib/train/progress.ts";

/** `signal` aborts (reason: "stopped after N steps") once `progress` has seen N steps. */
export function stopAfterSteps(steps: number): { signal: AbortSignal; progress: ProgressFactory } {
  const controller = new AbortController();
  let seen = 0;
  const progress: ProgressFactory = () => ({
    update() {
      if (++seen === steps) controller.abort(new Error(`stopped after ${steps} steps`));
    },
    log() {},
    stop() {},
  });
  return { signal: controller.signal, progress };
}
