import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { hc, tmpDir } from "./cli_helpers.ts";
import { initBackend } from "../lib/backend.ts";
import { loadCheckpoint, loadCheckpointTokenizer, saveCheckpoint } from "../lib/io/checkpoint.ts";
import { PRESETS } from "../lib/model/config.ts";
import { initParams } from "../lib/model/params.ts";
import { createModel, disposeModel } from "../lib/model/model.ts";
import { sample } from "../lib/model/sample.ts";

const FIXTURE = "tests/fixtures/gpt2-mini";

/** A corpus folder of 10 documents: index 8 is validation, 9 is test. */
function corpus(dir: string): string {
  const c = join(dir, "corpus");
  fs.mkdirSync(c);
  const train = "the cat sat on the mat. the dog sat on the log. a cat and a dog met. ";
  for (let i = 0; i < 10; i++) {
    // Only held-out documents hold "zq"; training on them would merge it first.
    const text = i >= 8
      ? train.repeat(4) + "zqzqzq zqzq zq ".repeat(40) + train.repeat(4)
      : train.repeat(5 + i);
    fs.writeFileSync(join(c, `doc${i}.txt`), text);
  }
  return c;
}

Deno.test({
  name: "BPE tokenizer from the training split: train, save, load and sample give the same text",
  sanitizeResources: false,
  fn: async () => {
    const dir = tmpDir();
    try {
      const data = corpus(dir);
      const tokDir = join(dir, "tok");
      const t = await hc("tokenizer", "train", "--vocab", "270", "--data", data, "--out", tokDir);
      assert.equal(t.code, 0, t.err);
      const summary = JSON.parse(t.out);
      assert.equal(summary.vocabSize, 270);
      const tokJson = fs.readFileSync(join(tokDir, "tokenizer.json"));
      const merges: string[] = JSON.parse(tokJson.toString()).model.merges;
      assert.ok(merges.length > 0 && merges.every((m) => !/[zq]/.test(m)), merges.join(","));
      // Refuses to overwrite.
      assert.equal((await hc("tokenizer", "train", "--vocab", "270", "--out", tokDir)).code, 2);

      const cfg = join(dir, "cfg.json");
      fs.writeFileSync(
        cfg,
        JSON.stringify({
          model: { preset: "tiny", maxPositions: 32 },
          tokenizer: tokDir,
          data: { source: data, seqLen: 16, batchSize: 4 },
          steps: 4,
          evalEvery: 4,
          evalBatches: 1,
          checkpointEvery: 4,
        }),
      );
      const run = join(dir, "run");
      const tr = await hc("train", "--config", cfg, "--out", run, "--progress", "silent");
      assert.equal(tr.code, 0, tr.err);
      const ckDir = join(run, "checkpoint");
      assert.deepEqual(fs.readFileSync(join(ckDir, "tokenizer.json")), tokJson);
      const metrics = fs.readFileSync(join(run, "metrics.jsonl"), "utf8").trim().split("\n")
        .map((l) => JSON.parse(l));
      assert.ok(metrics.at(-1).valLossPerByte < metrics.at(-1).valLoss, "a BPE token is > 1 byte");

      // Sample in memory from the trained weights and tokenizer.
      await initBackend("wasm");
      const ck = await loadCheckpoint(ckDir);
      const tok = await loadCheckpointTokenizer(ckDir);
      assert.equal(ck.config.vocabSize, 270);
      assert.equal(tok.info.vocabSize, 270);
      const opts = { maxNewTokens: 12, temperature: 0.8, topK: 40, seed: 3 };
      const model = createModel(ck.config, ck.params);
      const before = "the cat" + tok.decode(await sample(model, tok.encode("the cat"), opts));
      disposeModel(model);
      // Save again (tokenizer files travel with it), then sample through the CLI.
      const again = join(dir, "again");
      await saveCheckpoint(again, ck.config, ck.params, { tokenizer: tok });
      for (const d of [ckDir, again]) {
        const s = await hc(
          "sample",
          d,
          "--prompt",
          "the cat",
          "--max-new",
          "12",
          "--temperature",
          "0.8",
          "--top-k",
          "40",
          "--seed",
          "3",
        );
        assert.equal(s.code, 0, s.err);
        assert.equal(s.out, before + "\n");
      }

      // eval reports loss per token and per byte; score --text encodes with the BPE.
      const ev = await hc(
        "eval",
        ckDir,
        "--batches",
        "1",
        "--batch-size",
        "2",
        "--seq-len",
        "16",
        "--data",
        data,
      );
      assert.equal(ev.code, 0, ev.err);
      const e = JSON.parse(ev.out);
      assert.ok(e.bytesPerToken > 1);
      assert.ok(Math.abs(e.lossPerByte - e.loss / e.bytesPerToken) < 1e-9 * e.loss);
      const sc = await hc("score", ckDir, "--text", "the cat sat", "--out", join(dir, "l.npy"));
      assert.equal(sc.code, 0, sc.err);
      assert.deepEqual(JSON.parse(sc.out).ids, Array.from(tok.encode("the cat sat")));

      // A clone keeps the tokenizer files.
      const cl = await hc(
        "clone",
        ckDir,
        join(dir, "clone"),
        "--width",
        "2",
        "--variant",
        "symmetric",
      );
      assert.equal(cl.code, 0, cl.err);
      assert.deepEqual(fs.readFileSync(join(dir, "clone", "tokenizer.json")), tokJson);
      assert.deepEqual(
        fs.readFileSync(join(dir, "clone", "tokenizer_config.json")),
        fs.readFileSync(join(tokDir, "tokenizer_config.json")),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
});

Deno.test("vocab-size mismatch and malformed tokenizer.json: exit 2, named, nothing written", async () => {
  const dir = tmpDir();
  try {
    const ck = join(dir, "ck");
    await saveCheckpoint(ck, PRESETS.tiny, initParams(PRESETS.tiny, 0)); // vocab 256
    const cfg = join(dir, "cfg.json");
    fs.writeFileSync(cfg, JSON.stringify({ steps: 1, data: { seqLen: 16 } }));
    const cases: [string, RegExp][] = [
      [
        fs.readFileSync(join(FIXTURE, "tokenizer.json"), "utf8"), // 280 tokens
        /tokenizer has 280 tokens but the model's vocab_size is 256/,
      ],
      ["{oops", /ck\/tokenizer.json: not valid JSON/],
    ];
    for (const [text, msg] of cases) {
      fs.writeFileSync(join(ck, "tokenizer.json"), text);
      const runs: [string[], string][] = [
        [["sample", ck, "--prompt", "hi"], ""],
        [["eval", ck], ""],
        [["score", ck, "--text", "hi", "--out", join(dir, "l.npy")], join(dir, "l.npy")],
        [["train", "--config", cfg, "--init", ck, "--out", join(dir, "run")], join(dir, "run")],
        [["clone", ck, join(dir, "clone"), "--width", "2"], join(dir, "clone")],
      ];
      for (const [args, out] of runs) {
        const r = await hc(...args);
        assert.equal(r.code, 2, `${args[0]}: ${r.err}`);
        assert.match(r.err, msg, args[0]);
        if (out) assert.ok(!fs.existsSync(out), `${args[0]} wrote ${out}`);
      }
    }
    // A config naming a tokenizer bigger than the explicit model vocabulary.
    fs.writeFileSync(
      cfg,
      JSON.stringify({ model: { preset: "tiny", vocabSize: 256 }, tokenizer: FIXTURE, steps: 1 }),
    );
    const r = await hc("train", "--config", cfg, "--out", join(dir, "run2"));
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /256 is smaller than the tokenizer's 280 tokens/);
    assert.ok(!fs.existsSync(join(dir, "run2")));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
