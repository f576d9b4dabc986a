// Staged growth in specs (a source grown from another source, trained, then
// cloned again) charges each stage's cost exactly once; depth factors in
// specs default to the layer ratio and are checked like width factors.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { initBackend } from "../lib/backend.ts";
import { parseSpec, SpecError } from "../lib/experiments/spec.ts";
import { expandGrid, shardOf, stageCloneOf } from "../lib/experiments/grid.ts";
import { runGrid } from "../lib/experiments/runner.ts";
import { readSummary, type TrainingCost } from "../lib/io/run_folder.ts";
import { microSpec } from "./experiments_fixture.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/**
 * micro, staged: small (16 wide, 1 layer) -> mid (32 wide, 1 layer, grown
 * from small and trained) -> target (64 wide, 2 layers: 2x width and 2x
 * identity depth of mid).
 */
function stagedSpec(): Any {
  const s = microSpec() as Any;
  s.base.seeds = [0];
  s.base.sources.mid = {
    model: { hiddenSize: 32, numLayers: 1, numHeads: 4, maxPositions: 16 },
    steps: 10,
    optim: { lr: 0.01, warmupSteps: 2 },
    from: { source: "small", variant: "noisy-symmetric" },
  };
  s.base.sources.small.steps = 10;
  s.base.target.model = { hiddenSize: 64, numLayers: 2, numHeads: 8, maxPositions: 16 };
  s.base.target.steps = 10;
  s.base.inits = [
    { kind: "random" },
    { kind: "clone", source: "mid", variant: "noisy-symmetric", label: "width-identity" },
    { kind: "keep-training", source: "mid", steps: 10 },
  ];
  return s;
}

Deno.test("a staged spec: sources in stage order, each staged source starts from a clone of the previous stage", () => {
  const spec = parseSpec(stagedSpec(), "staged.json");
  const p = spec.presets.test;
  assert.deepStrictEqual(p.sourceOrder, ["small", "mid"]);
  assert.deepStrictEqual(p.cloneOptions[1], {
    width: 2,
    ffn: 2,
    variant: "noisy-symmetric",
    heads: "more",
    tied: "fold-norm",
    snrDb: 10,
    depth: 2,
    depthMode: "identity",
  });
  const grid = expandGrid(spec, "test");
  assert.deepStrictEqual(grid.sources.map((s) => s.name), ["small", "mid"]);
  const stage = stageCloneOf(grid.sources[1])!;
  assert.equal(grid.clones.find((c) => c.id === stage)!.source, grid.sources[0].id);
  assert.equal(stageCloneOf(grid.sources[0]), null);
  // Every shard gets the whole chain its runs need.
  for (const i of [1, 2, 3]) {
    const mine = shardOf(grid, { index: i, count: 3 });
    if (mine.sources.length) {
      assert.deepStrictEqual(mine.sources.map((s) => s.name), ["small", "mid"]);
      assert(mine.clones.some((c) => c.id === stage));
    }
  }
});

Deno.test("a staged spec charges each stage's cost exactly once", async () => {
  await initBackend("wasm");
  const tmp = Deno.makeTempDirSync({ prefix: "hc-staged-" });
  try {
    const grid = expandGrid(parseSpec(stagedSpec(), "staged.json"), "test");
    const exp = path.join(tmp, "exp");
    const r = await runGrid(grid, exp, { progress: "silent", log: () => {} });
    const small = readSummary(path.join(exp, "sources", grid.sources[0].id))!;
    const mid = readSummary(path.join(exp, "sources", grid.sources[1].id))!;
    // What each stage's final checkpoint records as its own cost (the
    // summary's wall-clock also counts writing that checkpoint).
    const own = (id: string): TrainingCost =>
      JSON.parse(
        fs.readFileSync(path.join(exp, "sources", id, "checkpoint", "hyperclone.json"), "utf8"),
      ).extra.training;
    const [c1, c2] = grid.sources.map((s) => own(s.id));
    for (const f of ["steps", "tokens", "trainFlops", "evalFlops"] as const) {
      assert.equal(c1[f], small.cost[f]), assert.equal(c2[f], mid.cost[f]);
    }
    // Stage 2 was charged stage 1 and nothing else.
    assert.deepStrictEqual(mid.sourceCost, c1);
    assert.equal(small.sourceCost, null);
    // Every cost field (CPU time and evaluation device-hours included) sums over the stages.
    const fields = Object.keys(c1) as (keyof TrainingCost)[];
    const history = Object.fromEntries(fields.map((f) => [f, (c1[f] ?? 0) + (c2[f] ?? 0)]));
    for (const run of grid.runs) {
      const s = readSummary(path.join(exp, "runs", run.id))!;
      if (run.init === "random") assert.equal(s.sourceCost, null);
      // Clone of the staged source and the keep-training control both carry
      // the whole history: stage 1 + stage 2, each once.
      else assert.deepStrictEqual(s.sourceCost, history, run.init);
    }
    for (const row of r.results.runs) {
      if (row.init !== "random") assert.deepStrictEqual(row.sourceCost, history);
    }
    assert.equal(history.steps, 20);
    const clone = JSON.parse(
      fs.readFileSync(
        path.join(exp, "clones", grid.runs.find((x) => x.clone)!.clone!, "clone.json"),
        "utf8",
      ),
    );
    assert.deepStrictEqual(clone.operators, [
      "width n=2 m=2 noisy-symmetric heads=more tied=fold-norm",
      "depth x2 identity",
    ]);
    assert.equal(clone.verification.pass, true);
  } finally {
    fs.rmSync(tmp, { recursive: true });
  }
});

function rejects(edit: (s: Any) => void, field: RegExp): void {
  const s = stagedSpec();
  edit(s);
  try {
    parseSpec(s, "staged.json");
  } catch (e) {
    assert(e instanceof SpecError, String(e));
    assert(field.test(e.message), `'${e.message}' does not match ${field}`);
    return;
  }
  throw new Error("expected a SpecError");
}

Deno.test("malformed staged or depth specs are rejected with the field named", () => {
  rejects(
    (s) => (s.base.sources.mid.from.source = "nowhere"),
    /presets\.test\.sources\.mid\.from\.source: 'nowhere' is not another source|base \(preset test\)\.sources\.mid\.from\.source: 'nowhere'/,
  );
  rejects((s) => {
    s.base.sources.small.from = { source: "mid", variant: "symmetric" };
  }, /staged sources form a cycle/);
  rejects(
    (s) => (s.base.sources.mid.model.hiddenSize = 40),
    /sources\.mid\.from: target hiddenSize 40 is not an integer multiple of source 'small'/,
  );
  rejects(
    (s) => {
      s.base.sources.mid.model.numLayers = 2; // small -> mid grows depth 2x
      s.base.target.model.numLayers = 3;
    },
    /inits\.1: target numLayers 3 is not an integer multiple of source 'mid' numLayers 2/,
  );
  rejects(
    (s) => (s.base.inits[1].depthMode = "sideways"),
    /inits\.1\.depthMode: Invalid enum value/,
  );
  rejects((s) => (s.base.inits[1].depth = 3), /has numLayers 3 but target\.model\.numLayers is 2/);
});
