/**
 * Runs the JSDoc examples (`deno test --doc`) so that their assertions are
 * checked, not only type-checked (tests/style_test.ts type-checks them all).
 * Files whose examples need minutes of training or a finished experiment
 * are listed in NOT_RUN with the reason; their examples still type-check.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.join(import.meta.dirname!, "..");

/** Files whose examples run here (about 130 examples, half a minute of CPU). */
const RUN = [
  "mod.ts",
  "tools/lint/function_length.ts",
  "lib/bench/train_bench.ts",
  "lib/clone/depth.ts",
  "lib/clone/mod.ts",
  "lib/clone/plan.ts",
  "lib/clone/symmetry.ts",
  "lib/clone/tile.ts",
  "lib/data/bpe_train.ts",
  "lib/data/hf_tokenizer.ts",
  "lib/data/sampler.ts",
  "lib/data/stats.ts",
  "lib/data/tokenizer.ts",
  "lib/eval/baselines.ts",
  "lib/eval/evaluate.ts",
  "lib/eval/logprob.ts",
  "lib/eval/multiple_choice.ts",
  "lib/eval/speedup.ts",
  "lib/io/atomic.ts",
  "lib/io/hf_config.ts",
  "lib/io/npy.ts",
  "lib/io/safetensors.ts",
  "lib/linalg.ts",
  "lib/notebooks/helpers.ts",
  "lib/notebooks/presets.ts",
  "lib/plot/aggregate.ts",
  "lib/plot/curves.ts",
  "lib/plot/display.ts",
  "lib/plot/figure.ts",
  "lib/plot/html.ts",
  "lib/plot/render.ts",
  "lib/plot/spectra.ts",
  "lib/rng.ts",
  "lib/tensor_map.ts",
];

/** Files with asserting examples that are not run here, and why. */
const NOT_RUN: Record<string, string> = {
  "lib/plot/figures.ts": "plots the quick experiments under runs/ (minutes of training to make)",
  "lib/plot/paper.ts": "reads the quick experiments under runs/",
  "lib/notebooks/experiment.ts": "runs an experiment grid",
  "lib/notebooks/byo.ts": "smallBpeCheckpoint trains a model for about a minute",
  "lib/notebooks/run.ts": "executes notebooks with Jupyter and may install the Deno kernel",
  "lib/data/brown.ts": "each example parses the whole Brown corpus (~20 s of CPU for these seven)",
  "lib/data/corpus.ts": "parses the Brown corpus per example",
  "lib/data/tokenizer_choice.ts": "trains the built-in BPE on Brown (several seconds)",
  "lib/eval/builtin_task.ts": "regenerates the built-in tasks from Brown per example",
  "lib/eval/cloze_task.ts": "regenerates the cloze task from Brown per example",
  "lib/eval/minimal_pairs.ts": "regenerates the minimal-pair tasks from Brown per example",
  "lib/eval/suite.ts": "scores the whole built-in suite",
};

Deno.test("the doc-example lists name existing files, each once", () => {
  const all = [...RUN, ...Object.keys(NOT_RUN)];
  assert.equal(new Set(all).size, all.length);
  for (const f of all) assert.ok(fs.existsSync(path.join(root, f)), `${f} does not exist`);
});

Deno.test("the JSDoc examples run and their assertions hold", async () => {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--doc", "-A", ...RUN],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  assert.equal(r.code, 0, text.slice(-6000));
  assert.match(text, /ok \| \d+ passed \| 0 failed/);
});
