/**
 * Sums of recorded training costs: a run's own cost plus the cost of the
 * model it started from. The only place stage costs are added up.
 *
 * @module
 */
import type { RunSummary, TrainingCost } from "../io/run_folder.ts";

function addCost(a: TrainingCost | null | undefined, b: TrainingCost): TrainingCost {
  if (!a) return b;
  const out = { ...b };
  for (const k of Object.keys(b) as (keyof TrainingCost)[]) out[k] = (a[k] ?? 0) + (b[k] ?? 0);
  return out;
}

/**
 * The whole training history a checkpoint carries (its hyperclone.json):
 * its own run's cost (`training`) plus the cost of the model that run started
 * from (`sourceTraining`, itself cumulative). Staged growth (32 -> 64, train,
 * -> 128) thus charges every stage exactly once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkpointCost } from "./cost.ts";
 * const c = { steps: 1, tokens: 2, wallSeconds: 0, deviceHours: 0, trainFlops: 10, evalFlops: 0 };
 * assert.equal(checkpointCost({ training: c, sourceTraining: c })!.trainFlops, 20);
 * assert.equal(checkpointCost({}), null);
 * ```
 */
export function checkpointCost(
  extra: { training?: TrainingCost; sourceTraining?: TrainingCost } | null | undefined,
): TrainingCost | null {
  const own = extra?.training ?? null;
  const before = extra?.sourceTraining ?? null;
  return own ? addCost(before, own) : before;
}

/**
 * Total cost of a run including the model it started from.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { totalCost } from "./cost.ts";
 * const c = { steps: 1, tokens: 2, wallSeconds: 0, deviceHours: 0, trainFlops: 10, evalFlops: 0 };
 * assert.equal(totalCost({ cost: c, sourceCost: c } as never).steps, 2);
 * ```
 */
export function totalCost(s: Pick<RunSummary, "cost"> & { sourceCost?: TrainingCost | null }) {
  return addCost(s.sourceCost, s.cost);
}
