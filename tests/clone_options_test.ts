import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CLONE_DEFAULTS,
  CloneOptionError,
  isNoisy,
  type ResolvedCloneOptions,
  validateCloneOptions,
  VARIANTS,
} from "../lib/clone/options.ts";
import { noiselessVariant } from "../lib/clone/variants.ts";
import { noiseGainOf } from "../lib/clone/verify.ts";
import { cloneCheckpoint, type CloneRecord } from "../lib/clone/checkpoint.ts";
import { UsageError } from "../lib/errors.ts";
import { parseSpec } from "../lib/experiments/spec.ts";
import { expandGrid } from "../lib/experiments/grid.ts";
import { saveCheckpoint } from "../lib/io/checkpoint.ts";
import { defaultConfig, PRESETS } from "../lib/model/config.ts";
import { initParams } from "../lib/model/params.ts";
import { microSpec } from "./experiments_fixture.ts";
import { hc, tmpDir } from "./cli_helpers.ts";

Deno.test("isNoisy is true for exactly the two noisy variants, and the noise helpers follow it", () => {
  assert.deepEqual(VARIANTS.filter(isNoisy), ["noisy-symmetric", "noisy-diagonal"]);
  assert.equal(isNoisy("noisy"), false);
  assert.equal(isNoisy("noisySymmetric"), false, "only the canonical spelling");
  for (const v of VARIANTS) {
    assert.equal(noiselessVariant(v) === v, !isNoisy(v), v);
    assert.equal(isNoisy(noiselessVariant(v)), false, v);
    assert.equal(noiseGainOf(v, 20) > 1, isNoisy(v), v);
  }
});

Deno.test("validateCloneOptions fills exactly CLONE_DEFAULTS, ffn from width", () => {
  const o = validateCloneOptions(PRESETS.tiny, { width: 3 });
  assert.deepEqual(o, { width: 3, ffn: 3, ...CLONE_DEFAULTS });
});

Deno.test("a bad clone option is a UsageError naming the option", () => {
  assert.throws(
    () => validateCloneOptions(PRESETS.tiny, { width: 2, heads: "taller" as never }),
    (e: unknown) => e instanceof CloneOptionError && e instanceof UsageError,
  );
  assert.throws(
    () => validateCloneOptions(PRESETS.tiny, { width: 2, heads: "taller" as never }),
    /^CloneOptionError: clone heads: 'taller' is not one of more, wider$/,
  );
});

const src16 = defaultConfig("gpt2", {
  vocabSize: 256,
  hiddenSize: 16,
  numLayers: 1,
  numHeads: 2,
  maxPositions: 16,
});

const OPTION_KEYS = Object.keys({ width: 0, ffn: 0, ...CLONE_DEFAULTS }) as (
  keyof ResolvedCloneOptions
)[];
const optionsOf = (rec: CloneRecord) => Object.fromEntries(OPTION_KEYS.map((k) => [k, rec[k]]));
const readRecord = (dir: string): CloneRecord =>
  JSON.parse(fs.readFileSync(path.join(dir, "clone.json"), "utf8"));

Deno.test("a spec clone without options and `hc clone --width 2` make the same clone with the same recorded options", async () => {
  const dir = tmpDir("hc-cloneopts-");
  try {
    const src = path.join(dir, "src");
    await saveCheckpoint(src, src16, initParams(src16, 3));

    // The spec names only what it must: the source and the variant (the default one).
    const s = microSpec() as { base: Record<string, unknown>; presets: unknown };
    s.base.seeds = [0];
    s.base.sources = { s: { path: src } };
    s.base.inits = [{ kind: "random" }, {
      kind: "clone",
      source: "s",
      variant: CLONE_DEFAULTS.variant,
    }];
    s.presets = { test: {} };
    const grid = expandGrid(parseSpec(s, "spec.json"), "test");
    assert.equal(grid.clones.length, 1);
    const fromSpec = path.join(dir, "from-spec");
    // As the runner makes it.
    await cloneCheckpoint(src, fromSpec, { ...grid.clones[0].options, verify: false });

    const fromCli = path.join(dir, "from-cli");
    const r = await hc("clone", src, fromCli, "--width", "2", "--no-verify");
    assert.equal(r.code, 0, r.err);

    const want = { width: 2, ffn: 2, ...CLONE_DEFAULTS };
    assert.deepEqual(optionsOf(readRecord(fromCli)), want);
    assert.deepEqual(optionsOf(readRecord(fromSpec)), want);
    assert.deepEqual(
      fs.readFileSync(path.join(fromSpec, "model.safetensors")),
      fs.readFileSync(path.join(fromCli, "model.safetensors")),
      "same options and noise seed: the same weights",
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("hc clone: an option the library rejects exits 2 with one line naming it, nothing written", async () => {
  const dir = tmpDir("hc-cloneopts-");
  try {
    const src = path.join(dir, "src");
    await saveCheckpoint(src, src16, initParams(src16, 3));
    const out = path.join(dir, "out");
    // Passes the flag parser (an integer >= 0), fails validateCloneOptions.
    const r = await hc("clone", src, out, "--width", "2", "--seed", "4294967296");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /^hc clone: error: clone seed: must be an integer in \[0, 2\^32\)/);
    assert.equal(r.err.trim().split("\n").length, 1, r.err);
    assert.ok(!fs.existsSync(out));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
