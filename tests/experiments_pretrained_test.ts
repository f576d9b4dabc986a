import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { initBackend } from "../lib/backend.ts";
import { readSpec } from "../lib/experiments/spec.ts";
import { expandGrid } from "../lib/experiments/grid.ts";
import { runGrid } from "../lib/experiments/runner.ts";
import { loadHfTokenizer } from "../lib/data/hf_tokenizer.ts";
import { saveCheckpoint } from "../lib/io/checkpoint.ts";
import { defaultConfig } from "../lib/model/config.ts";
import { initParams } from "../lib/model/params.ts";
import { microSpec } from "./experiments_fixture.ts";

/** A Hugging Face-like folder (no hyperclone.json): config, weights, GPT-2-style tokenizer. */
async function pretrainedFolder(dir: string): Promise<string> {
  const tok = await loadHfTokenizer("tests/fixtures/gpt2-mini");
  const cfg = defaultConfig("gpt2", {
    vocabSize: 280,
    hiddenSize: 16,
    numLayers: 1,
    numHeads: 2,
    maxPositions: 16,
  });
  await saveCheckpoint(dir, cfg, initParams(cfg, 5), { tokenizer: tok });
  fs.rmSync(path.join(dir, "hyperclone.json"));
  return dir;
}

function pretrainedSpec(tmp: string, src: string, cost?: Record<string, number>): string {
  const s = microSpec() as { base: Record<string, unknown> };
  const base = s.base;
  base.seeds = [0];
  // A small corpus: tokenizing all of Brown with the fixture costs more than the runs.
  const corpus = path.join(tmp, "corpus");
  fs.mkdirSync(corpus, { recursive: true });
  for (let i = 0; i < 10; i++) {
    fs.writeFileSync(path.join(corpus, `d${i}.txt`), `the cat sat on the mat ${i}. `.repeat(30));
  }
  base.data = { ...(base.data as object), source: corpus };
  base.sources = { pretrained: { path: src, ...(cost ? { cost } : {}) } };
  const target = base.target as { model: Record<string, unknown>; steps: number };
  target.model.vocabSize = 280;
  target.steps = 6;
  base.inits = [
    { kind: "random" },
    { kind: "clone", source: "pretrained", variant: "symmetric" },
    { kind: "keep-training", source: "pretrained", steps: 6 },
  ];
  (s as Record<string, unknown>).presets = { test: {} };
  const file = path.join(tmp, "pretrained.json");
  fs.writeFileSync(file, JSON.stringify(s));
  return file;
}

Deno.test({
  name:
    "a spec source can be an existing checkpoint folder: cloned, kept training, its tokenizer and cost used",
  sanitizeResources: false,
  fn: async () => {
    const tmp = Deno.makeTempDirSync({ prefix: "hc-pre-" });
    try {
      const src = await pretrainedFolder(path.join(tmp, "hf-model"));
      const spec = readSpec(pretrainedSpec(tmp, src, { trainFlops: 1e12, deviceHours: 2 }));
      const p = spec.presets.test;
      assert.equal(p.sourceModels.pretrained.vocabSize, 280);
      const grid = expandGrid(spec, "test");
      assert.deepEqual(grid.sources.map((s) => s.pretrained?.path), [src]);
      // Every run uses the source's own tokenizer (random init included).
      for (const r of grid.runs) assert.equal(r.config.tokenizer, src);

      await initBackend("wasm");
      const expDir = path.join(tmp, "exp");
      const rep = await runGrid(grid, expDir, { progress: "silent", log: () => {} });
      const srcDir = path.join(expDir, "sources", grid.sources[0].id);
      assert.ok(fs.lstatSync(path.join(srcDir, "checkpoint")).isSymbolicLink());
      const clone = path.join(expDir, "clones", grid.clones[0].id);
      assert.deepEqual(
        fs.readFileSync(path.join(clone, "tokenizer.json")),
        fs.readFileSync(path.join(src, "tokenizer.json")),
      );
      assert.equal(rep.trained.length, 3);
      const runs = rep.results.runs as {
        init: string;
        sourceCost: { trainFlops: number } | null;
      }[];
      for (const r of runs) {
        if (r.init === "random") assert.equal(r.sourceCost, null);
        else assert.equal(r.sourceCost?.trainFlops, 1e12, r.init);
      }
      // No training of the source: nothing but the link and its summary.
      assert.deepEqual(fs.readdirSync(srcDir).sort(), ["checkpoint", "summary.json"]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
});

Deno.test("a pretrained source without config.json is a spec error naming the field", () => {
  const tmp = Deno.makeTempDirSync({ prefix: "hc-pre-" });
  try {
    const file = pretrainedSpec(tmp, path.join(tmp, "nowhere"));
    assert.throws(
      () => readSpec(file),
      /presets.test.sources.pretrained.path|base \(preset test\).sources.pretrained.path: .*no config.json/,
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
