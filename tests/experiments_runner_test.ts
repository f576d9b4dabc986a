import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { initBackend } from "../lib/backend.ts";
import { readSpec } from "../lib/experiments/spec.ts";
import { expandGrid } from "../lib/experiments/grid.ts";
import { deterministicView, runGrid, writeResults } from "../lib/experiments/runner.ts";
import { readResults, type ResultsFile } from "../lib/experiments/results.ts";
import { stopAfterSteps } from "./stop_after.ts";
import { writeMicroSpec } from "./experiments_fixture.ts";

// Runs are compared through deterministicView: every number of results.json
// except wall-clock and device-hours. Resume is exact (same batches, dropout
// masks and optimiser state), so losses must agree bit for bit.

const quiet = { progress: "silent" as const, log: () => {} };
const tmp = Deno.makeTempDirSync({ prefix: "hc-exp-" });
const specFile = writeMicroSpec(tmp);
const grid = expandGrid(readSpec(specFile), "test");

let reference: Promise<ResultsFile> | undefined;
/** The uninterrupted, unsharded grid (computed once). */
function uninterrupted(): Promise<ResultsFile> {
  reference ??= (async () => {
    await initBackend("wasm");
    return (await runGrid(grid, path.join(tmp, "full"), quiet)).results;
  })();
  return reference;
}

function finishedRuns(expDir: string): string[] {
  const runs = path.join(expDir, "runs");
  return fs.readdirSync(runs).filter((d) => fs.existsSync(path.join(runs, d, "summary.json")))
    .sort();
}

Deno.test("an uninterrupted grid finishes every run and a rerun trains nothing", async () => {
  const full = await uninterrupted();
  assert.equal(full.finished, grid.runs.length);
  assert.equal(full.total, 6);
  const rerun = await runGrid(grid, path.join(tmp, "full"), quiet);
  assert.deepEqual(rerun.trained, []);
  assert.equal(deterministicView(rerun.results), deterministicView(full));
  // Every init row has final metrics; non-baseline rows have a speed-up.
  for (const row of full.inits) {
    assert.equal(row.finalValLoss.n, 2);
    assert.equal(row.speedup === null, row.init === "random");
  }
});

Deno.test("a grid killed mid-run and rerun ends with exactly the uninterrupted runs and results", async () => {
  const full = await uninterrupted();
  const out = path.join(tmp, "killed");
  const expDir = path.join(out, "micro", "test");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "lib/cli/main.ts", "ablate", specFile, "--preset", "test", "--out", out],
    env: { HC_BACKEND: "wasm" },
    stdout: "null",
    stderr: "null",
  }).spawn();
  // Kill as soon as a target run has checkpointed (mid-grid, mid-run).
  const runsDir = path.join(expDir, "runs");
  let exited = false;
  child.status.then(() => (exited = true));
  while (!exited) {
    const started = fs.existsSync(runsDir) &&
      fs.readdirSync(runsDir).some((d) =>
        fs.existsSync(path.join(runsDir, d, "checkpoint", "state.json"))
      );
    if (started) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert(!exited, "the grid finished before it could be killed");
  child.kill("SIGKILL");
  await child.status;
  assert(!fs.existsSync(path.join(expDir, "results.json")), "killed before the end");
  assert(finishedRuns(expDir).length < grid.runs.length);

  await initBackend("wasm");
  const resumed = await runGrid(grid, expDir, quiet);
  assert.deepEqual(finishedRuns(expDir), finishedRuns(path.join(tmp, "full")));
  assert.equal(deterministicView(resumed.results), deterministicView(full));
  assert.equal(deterministicView(readResults(expDir)!), deterministicView(full));
});

Deno.test("a grid stopped inside a run (AbortSignal) resumes to the uninterrupted results", async () => {
  const full = await uninterrupted();
  const expDir = path.join(tmp, "stopped");
  const stop = stopAfterSteps(37);
  await assert.rejects(runGrid(grid, expDir, { ...quiet, ...stop }), /stopped after 37 steps/);
  const resumed = await runGrid(grid, expDir, quiet);
  assert.equal(deterministicView(resumed.results), deterministicView(full));
});

Deno.test("shards 1/2 and 2/2 together give the unsharded grid's runs and results", async () => {
  const full = await uninterrupted();
  const a = path.join(tmp, "shardA"), b = path.join(tmp, "shardB");
  const ra = await runGrid(grid, a, { ...quiet, shard: { index: 1, count: 2 } });
  const rb = await runGrid(grid, b, { ...quiet, shard: { index: 2, count: 2 } });
  const ids = [...finishedRuns(a), ...finishedRuns(b)].sort();
  assert.deepEqual(ids, finishedRuns(path.join(tmp, "full")));
  assert.equal(finishedRuns(a).length, 3);
  assert(ra.results.finished < grid.runs.length && rb.results.finished < grid.runs.length);
  // The report over the union of both folders equals the unsharded results.
  const merged = await writeResults([a, b]);
  assert.equal(deterministicView(merged), deterministicView(full));
  // On a shared folder, the second shard's results already cover both.
  const shared = path.join(tmp, "shared");
  await runGrid(grid, shared, { ...quiet, shard: { index: 2, count: 2 } });
  const last = await runGrid(grid, shared, { ...quiet, shard: { index: 1, count: 2 } });
  assert.equal(deterministicView(last.results), deterministicView(full));
});

Deno.test("cleanup", () => {
  Deno.removeSync(tmp, { recursive: true });
});
