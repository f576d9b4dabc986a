/**
 * HyperCloning: grow a trained narrow model into a wider one that computes
 * the same function. What a `hc clone` command needs:
 * `validateCloneOptions` (bad options -> `CloneOptionError`, exit 2),
 * `cloneCheckpoint` (failed verification -> `CloneVerificationError`, exit 1).
 *
 * @example
 * ```ts
 * import { cloneCheckpoint } from "./mod.ts";
 * await cloneCheckpoint("runs/src", "runs/src-x2", { width: 2, variant: "noisy-symmetric" });
 * ```
 *
 * @module
 */
export * from "./options.ts";
export * from "./variants.ts";
export * from "./tile.ts";
export * from "./plan.ts";
export * from "./depth.ts";
export * from "./verify.ts";
export * from "./checkpoint.ts";
export * from "./symmetry.ts";
