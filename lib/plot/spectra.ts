/**
 * Singular-value spectra of weight matrices: the paper's view of how a clone
 * fills in the rank it started without (a 2x symmetric clone's matrices have
 * half their singular values at zero).
 *
 * @module
 */
import { checkpointTensorReader } from "../io/checkpoint.ts";
import { singularValues } from "../linalg.ts";

export { singularValues };

/** The spectrum of one matrix of one checkpoint. */
export interface Spectrum {
  /** Legend name, e.g. "noisy-symmetric start". */
  name: string;
  tensor: string;
  values: number[];
}

/**
 * Singular values of the 2-D tensor `tensor` (canonical HF name) of the
 * checkpoint in `dir`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkpointSpectrum } from "./spectra.ts";
 * import { saveCheckpoint } from "../io/checkpoint.ts";
 * import { PRESETS } from "../model/config.ts";
 * import { initParams } from "../model/params.ts";
 * const dir = await Deno.makeTempDir();
 * await saveCheckpoint(dir, PRESETS.tiny, initParams(PRESETS.tiny, 0), { force: true });
 * const s = await checkpointSpectrum(dir, "transformer.h.0.mlp.c_fc.weight", "init");
 * assert.equal(s.values.length, 64); // min(64, 256) for the [64, 256] matrix
 * assert.ok(s.values.every((v, i) => i === 0 || v <= s.values[i - 1])); // descending
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function checkpointSpectrum(
  dir: string,
  tensor: string,
  name: string,
): Promise<Spectrum> {
  const r = await checkpointTensorReader(dir);
  try {
    if (!r.names().includes(tensor)) {
      throw new Error(
        `${dir}: no tensor ${tensor}; choose one of ${r.names().slice(0, 6).join(", ")}...`,
      );
    }
    const t = await r.read(tensor);
    if (t.shape.length !== 2) {
      throw new Error(`${tensor} has shape [${t.shape}]; spectra need a 2-D matrix`);
    }
    return { name, tensor, values: singularValues(t.data, t.shape[0], t.shape[1]) };
  } finally {
    await r.close();
  }
}

/**
 * A default matrix to inspect: the first block's FFN up-projection, which a
 * clone widens along both axes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultSpectrumTensor } from "./spectra.ts";
 * assert.equal(defaultSpectrumTensor("gpt2"), "transformer.h.0.mlp.c_fc.weight");
 * ```
 */
export function defaultSpectrumTensor(family: "gpt2" | "llama", layer = 0): string {
  return family === "gpt2"
    ? `transformer.h.${layer}.mlp.c_fc.weight`
    : `model.layers.${layer}.mlp.up_proj.weight`;
}
