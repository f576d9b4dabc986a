/**
 * Depth growth: which source layer every layer of a K-times deeper clone
 * comes from, and the plan step that turns a (width-)clone plan of L layers
 * into one of K*L layers. Width cloning runs first, per source layer; every
 * copy of a layer is then made by that layer's width plan, so the two
 * operators compose in one streaming pass.
 *
 * - identity: clone layer s*K is source layer s; layers s*K + 1 .. s*K + K-1 are
 *   copies of it with the projections that write into the residual stream
 *   zeroed (weights and biases), so each is exactly the identity.
 * - stack: clone layer s + j*L is source layer s (G_stack).
 * - interleave: clone layer s*K + j is source layer s.
 *
 * @module
 */
import type { Family, ModelConfig } from "../model/config.ts";
import { hostTensor } from "../tensor_map.ts";
import type { DepthMode } from "./options.ts";
import type { TensorPlan } from "./plan.ts";

/** Where one layer of the deeper clone comes from. */
export interface DepthLayer {
  /** Layer index in the clone. */
  layer: number;
  /** Source layer it copies. */
  source: number;
  /** Clone layer that holds the source layer's own copy (the one new layers are compared with). */
  original: number;
  /** A new identity layer: residual-writing projections zero. */
  zeroed: boolean;
}

/**
 * Projections that write into the residual stream (weights and biases), by
 * family: zero in a new identity layer.
 */
export const RESIDUAL_OUT: Record<Family, readonly string[]> = {
  gpt2: ["attn.c_proj.weight", "attn.c_proj.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"],
  llama: ["self_attn.o_proj.weight", "mlp.down_proj.weight"],
};

/**
 * Name prefix of layer i in HF naming.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { layerPrefix } from "./depth.ts";
 * assert.equal(layerPrefix("llama", 3), "model.layers.3.");
 * assert.equal(layerPrefix("gpt2", 0), "transformer.h.0.");
 * ```
 */
export function layerPrefix(family: Family, i: number): string {
  return family === "gpt2" ? `transformer.h.${i}.` : `model.layers.${i}.`;
}

/**
 * The K*L layers of a depth-grown clone, in clone order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { depthLayers } from "./depth.ts";
 * const identity = depthLayers(2, 2, "identity").map((l) => [l.source, l.zeroed]);
 * assert.deepEqual(identity, [[0, false], [0, true], [1, false], [1, true]]);
 * assert.deepEqual(depthLayers(2, 2, "stack").map((l) => l.source), [0, 1, 0, 1]);
 * ```
 */
export function depthLayers(L: number, K: number, mode: DepthMode): DepthLayer[] {
  const out: DepthLayer[] = [];
  for (let t = 0; t < L * K; t++) {
    if (mode === "stack") {
      const s = t % L;
      out.push({ layer: t, source: s, original: s, zeroed: false });
    } else {
      const s = Math.floor(t / K), j = t % K;
      out.push({ layer: t, source: s, original: s * K, zeroed: mode === "identity" && j > 0 });
    }
  }
  return out;
}

/**
 * Layer index of a tensor name (HF naming), or -1 outside the layers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { layerIndex } from "./depth.ts";
 * assert.equal(layerIndex("transformer.h.3.ln_1.weight"), 3);
 * ```
 */
export function layerIndex(name: string): number {
  const m = /^(?:transformer\.h|model\.layers)\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : -1;
}

/**
 * Turns the per-tensor plans of an L-layer clone (keyed by name) into those
 * of a K*L-layer clone: every tensor of clone layer t is made by the plan of
 * its source layer's tensor (same source tensor, same tiling, same noise
 * stream, so copies are bit-identical), except that a new identity layer's
 * residual-writing projections are made zero. Tensors outside the layers are
 * kept. K = 1 returns the plans unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deepenPlans } from "./depth.ts";
 * import { planClone } from "./plan.ts";
 * import { PRESETS } from "../model/config.ts";
 * const wide = planClone(PRESETS.tiny, { width: 2 });
 * const deep = deepenPlans(new Map(wide.tensors.map((t) => [t.name, t])), PRESETS.tiny, 2, "identity");
 * // 2 source layers become 4: clone layer 3 is made from source layer 1.
 * assert.equal(deep.get("transformer.h.3.ln_1.weight")?.source, "transformer.h.1.ln_1.weight");
 * ```
 */
export function deepenPlans(
  plans: Map<string, TensorPlan>,
  src: ModelConfig,
  K: number,
  mode: DepthMode,
): Map<string, TensorPlan> {
  if (K === 1) return plans;
  const out = new Map<string, TensorPlan>();
  for (const [name, p] of plans) if (layerIndex(name) < 0) out.set(name, p);
  const zero = RESIDUAL_OUT[src.family];
  for (const l of depthLayers(src.numLayers, K, mode)) {
    const from = layerPrefix(src.family, l.source), to = layerPrefix(src.family, l.layer);
    for (const [name, p] of plans) {
      if (!name.startsWith(from)) continue;
      const suffix = name.slice(from.length);
      const made: TensorPlan = { ...p, name: to + suffix };
      if (l.zeroed && zero.includes(suffix)) {
        const size = p.shape.reduce((a, b) => a * b, 1);
        made.make = () => hostTensor([...p.shape], new Float32Array(size));
      }
      out.set(made.name, made);
    }
  }
  return out;
}
