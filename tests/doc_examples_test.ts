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

/** Files whose examples run here (about 310 examples, about a minute of CPU). */
const RUN = [
  "mod.ts",
  "tools/lint/function_length.ts",
  "lib/backend.ts",
  "lib/bench/train_bench.ts",
  "lib/blas.ts",
  "lib/cli/args.ts",
  "lib/clone/checkpoint.ts",
  "lib/clone/depth.ts",
  "lib/clone/mod.ts",
  "lib/clone/options.ts",
  "lib/clone/plan.ts",
  "lib/clone/symmetry.ts",
  "lib/clone/tile.ts",
  "lib/clone/variants.ts",
  "lib/clone/verify.ts",
  "lib/data/bpe_train.ts",
  "lib/data/hf_tokenizer.ts",
  "lib/data/sampler.ts",
  "lib/data/stats.ts",
  "lib/data/tokenizer.ts",
  "lib/errors.ts",
  "lib/eval/baselines.ts",
  "lib/eval/evaluate.ts",
  "lib/eval/logprob.ts",
  "lib/eval/multiple_choice.ts",
  "lib/eval/speedup.ts",
  "lib/experiments/costs.ts",
  "lib/experiments/degenerate.ts",
  "lib/experiments/grid.ts",
  "lib/experiments/report.ts",
  "lib/experiments/results.ts",
  "lib/experiments/runner.ts",
  "lib/experiments/spec.ts",
  "lib/format.ts",
  "lib/io/atomic.ts",
  "lib/io/checkpoint.ts",
  "lib/io/hf_config.ts",
  "lib/io/npy.ts",
  "lib/io/run_folder.ts",
  "lib/io/safetensors.ts",
  "lib/kernels/act_kernels.ts",
  "lib/kernels/adamw_kernel.ts",
  "lib/kernels/affine_kernel.ts",
  "lib/kernels/attention_kernel.ts",
  "lib/kernels/attention_op.ts",
  "lib/kernels/embed_kernels.ts",
  "lib/kernels/fused.ts",
  "lib/kernels/fused_ops.ts",
  "lib/kernels/norm_kernels.ts",
  "lib/kernels/pool.ts",
  "lib/kernels/sgemm.ts",
  "lib/kernels/simd.ts",
  "lib/kernels/tasks.ts",
  "lib/linalg.ts",
  "lib/model/config.ts",
  "lib/model/model.ts",
  "lib/model/ops.ts",
  "lib/model/params.ts",
  "lib/model/sample.ts",
  "lib/model/transformer.ts",
  "lib/native_matmul.ts",
  "lib/notebooks/helpers.ts",
  "lib/notebooks/presets.ts",
  "lib/plot/aggregate.ts",
  "lib/plot/curves.ts",
  "lib/plot/display.ts",
  "lib/plot/figure.ts",
  "lib/plot/html.ts",
  "lib/plot/render.ts",
  "lib/plot/runs.ts",
  "lib/plot/spectra.ts",
  "lib/plot/tables.ts",
  "lib/rng.ts",
  "lib/tensor_map.ts",
  "lib/train/adamw.ts",
  "lib/train/config.ts",
  "lib/train/cost.ts",
  "lib/train/device_time.ts",
  "lib/train/evaluation.ts",
  "lib/train/hooks.ts",
  "lib/train/loop.ts",
  "lib/train/progress.ts",
  "lib/train/schedule.ts",
  "lib/train/setup.ts",
  "lib/train/splits.ts",
  "lib/train/step.ts",
  "lib/train/tokenizer.ts",
  "lib/wasm_patches.ts",
  "lib/wasm_threads.ts",
];

/** Files with asserting examples that are not run here, and why. */
const NOT_RUN: Record<string, string> = {
  "lib/kernels/pool_worker.ts":
    "a helper thread's entry point: it exports nothing and runs only inside a worker",
  "lib/plot/figures.ts":
    "two examples plot the source-quality and source-size experiments (minutes of training to make)",
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
  "lib/cli/ablate.ts": "runs the `hc ablate` command on a checkpoint or run folder it names",
  "lib/cli/bench.ts": "runs the `hc bench` command on a checkpoint or run folder it names",
  "lib/cli/clone.ts": "runs the `hc clone` command on a checkpoint or run folder it names",
  "lib/cli/demo.ts": "runs the `hc demo` command on a checkpoint or run folder it names",
  "lib/cli/eval.ts": "runs the `hc eval` command on a checkpoint or run folder it names",
  "lib/cli/figures.ts": "runs the `hc figures` command on a checkpoint or run folder it names",
  "lib/cli/sample.ts": "runs the `hc sample` command on a checkpoint or run folder it names",
  "lib/cli/score.ts": "runs the `hc score` command on a checkpoint or run folder it names",
  "lib/cli/tokenizer.ts": "runs the `hc tokenizer` command on a checkpoint or run folder it names",
  "lib/cli/train.ts": "runs the `hc train` command on a checkpoint or run folder it names",
  "lib/cli/load.ts": "loads checkpoints the `hc` commands are given",
  "lib/cli/main.ts": "dispatches to the commands above",
};

Deno.test("the doc-example lists name existing files, each once", () => {
  const all = [...RUN, ...Object.keys(NOT_RUN)];
  assert.equal(new Set(all).size, all.length);
  for (const f of all) assert.ok(fs.existsSync(path.join(root, f)), `${f} does not exist`);
});

Deno.test("every module under lib/ is either run here or listed with the reason it is not", () => {
  const listed = new Set([...RUN, ...Object.keys(NOT_RUN)]);
  const modules = (fs.readdirSync(path.join(root, "lib"), { recursive: true }) as string[])
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.posix.join("lib", f.split(path.sep).join("/")));
  assert.ok(modules.length > 50);
  assert.deepEqual(modules.filter((f) => !listed.has(f)), []);
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
