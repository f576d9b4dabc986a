/**
 * HyperCloning: grow a trained narrow model into a wider one that computes
 * the same function. What a `hc clone` command needs:
 * `validateCloneOptions` (bad options -> `CloneOptionError`, exit 2),
 * `cloneCheckpoint` (failed verification -> `CloneVerificationError`, exit 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cloneCheckpoint } from "./mod.ts";
 * import { initBackend } from "../backend.ts";
 * import { saveCheckpoint } from "../io/checkpoint.ts";
 * import { PRESETS } from "../model/config.ts";
 * import { initParams } from "../model/params.ts";
 * await initBackend("cpu");
 * const dir = await Deno.makeTempDir();
 * await saveCheckpoint(`${dir}/src`, PRESETS.tiny, initParams(PRESETS.tiny, 0));
 * const r = await cloneCheckpoint(`${dir}/src`, `${dir}/src-x2`, { width: 2, variant: "symmetric" });
 * assert.equal(r.config.hiddenSize, 128);
 * assert.equal(r.record.verification?.pass, true); // same logits as the source
 * await Deno.remove(dir, { recursive: true });
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
