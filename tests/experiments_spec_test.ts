import assert from "node:assert/strict";
import * as fs from "node:fs";
import { parseSpec, readSpec, SpecError } from "../lib/experiments/spec.ts";
import { expandGrid, parseShard, shardOf } from "../lib/experiments/grid.ts";
import { ablateCommand } from "../lib/cli/ablate.ts";
import { microSpec, writeMicroSpec } from "./experiments_fixture.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

const assertEquals = (a: unknown, b: unknown) => assert.deepStrictEqual(a, b);

/** Runs f, expects it to throw an instance of cls whose message includes text; returns it. */
// deno-lint-ignore no-explicit-any
function assertThrows(f: () => unknown, cls: new (...a: any[]) => Error, text = ""): Error {
  try {
    f();
  } catch (e) {
    assert(e instanceof cls, `expected ${cls.name}, got ${e}`);
    assert((e as Error).message.includes(text), `'${(e as Error).message}' lacks '${text}'`);
    return e as Error;
  }
  throw new assert.AssertionError({ message: "expected an error" });
}

function rejects(edit: (s: Any) => void, field: RegExp): void {
  const s = microSpec() as Any;
  edit(s);
  const err = assertThrows(() => parseSpec(s, "micro.json"), SpecError);
  assert(field.test(err.message), `message '${err.message}' does not name ${field}`);
  assert(!err.message.includes("\n"), "one-line message");
}

Deno.test("a malformed spec is rejected with the field named: unknown variant", () => {
  rejects(
    (s) => (s.base.inits[1].variant = "mirror"),
    /base \(preset test\)\.inits\.1\.variant: Invalid enum value/,
  );
});

Deno.test("a malformed spec is rejected with the field named: non-integer factor", () => {
  rejects((s) => (s.base.inits[1].width = 1.5), /inits\.1\.width.*integer/);
  // A target width that is not a multiple of the source's.
  rejects((s) => {
    s.base.target.model = { hiddenSize: 24, numLayers: 1, numHeads: 4, maxPositions: 16 };
  }, /inits\.1: target hiddenSize 24 is not an integer multiple/);
});

Deno.test("a malformed spec is rejected with the field named: target smaller than source", () => {
  rejects((s) => {
    s.base.target.model = { hiddenSize: 8, numLayers: 1, numHeads: 2, maxPositions: 16 };
  }, /inits\.1: target hiddenSize 8 is smaller than source 'small'/);
  rejects((s) => {
    s.presets.test = { target: { model: { hiddenSize: 8, numHeads: 2 } } };
  }, /smaller than source/);
});

Deno.test("a malformed spec is rejected with the field named: unknown keys, sources, baseline", () => {
  rejects((s) => (s.base.inits[0].lr = 1), /inits\.0.*lr/);
  rejects((s) => (s.base.inits[2].source = "big"), /inits\.2\.source: unknown source 'big'/);
  rejects((s) => (s.base.inits = s.base.inits.slice(1)), /baseline: no random init/);
  rejects((s) => (s.presets.test = { seeds: [] }), /presets\.test\.seeds/);
  rejects((s) => s.base.inits.push({ kind: "random" }), /inits\.3\.label: duplicate label/);
  rejects((s) => (s.presets.other = { evalEvery: 0 }), /presets\.other\.evalEvery/);
});

Deno.test("ablate rejects a malformed spec before creating any run folder", async () => {
  const dir = Deno.makeTempDirSync();
  const file = writeMicroSpec(dir, (s: Any) => (s.base.inits[1].variant = "mirror"));
  const out = `${dir}/runs`;
  const err = await ablateCommand([file, "--preset", "test", "--out", out]).catch((e) => e);
  assert(err instanceof SpecError);
  assert(/inits\.1\.variant/.test(err.message));
  assertEquals(fs.existsSync(out), false);
  // A preset that is not in the spec is refused the same way.
  const good = writeMicroSpec(dir);
  const err2 = await ablateCommand([good, "--preset", "huge", "--out", out]).catch((e) => e);
  assert(/--preset: 'huge'/.test(err2.message));
  assertEquals(fs.existsSync(out), false);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("the grid is deterministic, ids hash the config, shards partition the runs", () => {
  const spec = parseSpec(microSpec(), "micro.json");
  const a = expandGrid(spec, "test"), b = expandGrid(parseSpec(microSpec(), "x.json"), "test");
  assertEquals(JSON.stringify(a), JSON.stringify(b));
  assertEquals(a.runs.length, 6); // 3 inits x 2 seeds
  assertEquals(a.sources.length, 1);
  assertEquals(a.clones.length, 2); // noisy clone per seed
  // Every target and the baseline see the same data order: train seed = grid seed.
  for (const r of a.runs) assertEquals(r.config.seed, r.seed);
  // Keep-training is FLOPs-matched (more steps of the smaller model).
  const kt = a.runs.find((r) => r.init === "keep-training")!;
  assert(kt.config.steps > 20 && kt.kind === "control");
  // A changed schedule changes the run's id (no stale reuse).
  const s2 = microSpec() as Any;
  s2.base.target.optim.lr = 0.02;
  const c = expandGrid(parseSpec(s2, "m.json"), "test");
  const rid = (g: typeof a) => g.runs.find((r) => r.init === "random" && r.seed === 0)!.id;
  assert(rid(a) !== rid(c));
  assertEquals(a.sources[0].id, c.sources[0].id); // the source is unchanged: cache hit
  for (const n of [1, 2, 3, 7]) {
    const ids = [];
    for (let i = 1; i <= n; i++) {
      ids.push(...shardOf(a, { index: i, count: n }).runs.map((r) => r.id));
    }
    assertEquals(ids.sort(), a.runs.map((r) => r.id).sort());
  }
  assertEquals(parseShard("2/3"), { index: 2, count: 3 });
  assertThrows(() => parseShard("0/2"), Error, "--shard");
  assertThrows(() => parseShard("3/2"), Error, "--shard");
});

Deno.test("the shipped experiment specs are valid in every preset", () => {
  const files = ["experiments", "experiments/lr-sweep"].flatMap((d) =>
    fs.readdirSync(d).filter((f) => f.endsWith(".json")).map((f) => `${d}/${f}`)
  );
  assert(files.length >= 5);
  for (const f of files.sort()) {
    const spec = readSpec(f);
    for (const p of ["quick", "standard", "paper"]) {
      assert(spec.presets[p], `${f}: missing preset ${p}`);
      assert(expandGrid(spec, p).runs.length > 0);
    }
  }
});
