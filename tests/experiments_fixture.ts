/**
 * A microscopic experiment spec for the experiments tests: hidden 16 -> 32,
 * one layer, sequences of 16 bytes, 20 steps, two seeds (seconds per grid).
 *
 * @module
 */

/** The micro spec as a plain object (tests mutate copies of it). */
export function microSpec(): Record<string, unknown> {
  return {
    name: "micro",
    comment: "microscopic grid for tests",
    base: {
      data: { seqLen: 16, batchSize: 4 },
      seeds: [0, 1],
      evalEvery: 5,
      evalBatches: 2,
      checkpointEvery: 5,
      k: 1,
      sources: {
        small: {
          model: { hiddenSize: 16, numLayers: 1, numHeads: 2, maxPositions: 16 },
          steps: 20,
          optim: { lr: 0.02, warmupSteps: 2 },
        },
      },
      target: {
        model: { hiddenSize: 32, numLayers: 1, numHeads: 4, maxPositions: 16 },
        steps: 20,
        optim: { lr: 0.01, warmupSteps: 2 },
        cloneOptim: { lr: 0.005 },
      },
      inits: [
        { kind: "random" },
        { kind: "clone", source: "small", variant: "noisy-symmetric" },
        { kind: "keep-training", source: "small" },
      ],
    },
    presets: { test: {}, other: { seeds: [3] } },
  };
}

/** Writes the micro spec (optionally modified) into `dir` and returns its path. */
export function writeMicroSpec(dir: string, edit?: (s: Record<string, unknown>) => void): string {
  const s = microSpec();
  edit?.(s);
  const file = `${dir}/micro.json`;
  Deno.writeTextFileSync(file, JSON.stringify(s, null, 2));
  return file;
}
