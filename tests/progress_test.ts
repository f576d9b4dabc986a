/**
 * Compact progress: in a notebook one live table of runs updated in place
 * (one display id, then updates), and every run's full log in its folder.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { type JupyterDisplay, notebookProgress, progressBundle } from "../lib/train/progress.ts";
import { initBackend } from "../lib/backend.ts";
import { parseTrainConfig } from "../lib/train/config.ts";
import { train } from "../lib/train/loop.ts";
import { readMetrics } from "../lib/io/run_folder.ts";

Deno.test("the notebook progress table shows one row per run and updates one display in place", async () => {
  const calls: { bundle: Record<string, unknown>; opts: Record<string, unknown> }[] = [];
  const display: JupyterDisplay = {
    display: (bundle, opts) => {
      calls.push({ bundle, opts });
      return Promise.resolve();
    },
  };
  const live = notebookProgress({ display, intervalMs: 0 })!;
  const a = live.factory({ total: 10, start: 0, label: "random-seed0" });
  const b = live.factory({ total: 20, start: 0, label: "symmetric-seed0" });
  for (let s = 1; s <= 10; s++) a.update(s, { loss: 3 - s / 10, tokensPerSec: 1000 });
  a.log("step 10/10 val 2.5000 acc 0.300");
  a.stop();
  b.update(5, { loss: 2.9, tokensPerSec: 900 });
  await live.finish();
  assert.deepEqual(live.rows.map((r) => [r.run, r.status, r.step]), [
    ["random-seed0", "done", 10],
    ["symmetric-seed0", "training", 5],
  ]);
  assert.equal(live.rows[0].valLoss, 2.5);
  // One display: the first call creates it, every later one updates it.
  const ids = new Set(calls.map((c) => c.opts.display_id));
  assert.equal(ids.size, 1);
  assert.equal(calls[0].opts.update, false);
  assert.ok(calls.slice(1).every((c) => c.opts.update === true));
  const last = String(calls.at(-1)!.bundle["text/plain"]).split("\n");
  assert.equal(last.length, 3, "header and one line per run");
  assert.match(last[2], /^symmetric-seed0 \| training \| 5\/20 \| 2\.9000 \| - \| 900 \| /);
});

Deno.test("progressBundle escapes run names in HTML", () => {
  const b = progressBundle([{
    run: "<x>",
    status: "done",
    step: 1,
    total: 1,
    loss: null,
    valLoss: null,
    tokensPerSec: null,
    etaSeconds: null,
  }]);
  assert.ok(b["text/html"].includes("&lt;x>") && !b["text/html"].includes("<x>"));
});

Deno.test("a run writes every log line to train.log in its folder, even with a silent display", async () => {
  await initBackend("wasm");
  const out = await Deno.makeTempDir({ prefix: "hc-progress-" });
  try {
    const cfg = parseTrainConfig({
      model: { preset: "tiny" },
      data: { source: "brown", seqLen: 32, batchSize: 4 },
      steps: 4,
      evalEvery: 2,
      evalBatches: 2,
      checkpointEvery: 4,
    });
    await train(cfg, out, { progress: "silent" });
    const log = fs.readFileSync(path.join(out, "train.log"), "utf8").trim().split("\n");
    assert.equal(log.length, readMetrics(out).length, "one line per evaluation");
    assert.match(log.at(-1)!, /step 4\/4 val \d+\.\d{4}/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
