import assert from "node:assert/strict";
import * as fs from "node:fs";
import { readMetrics } from "../lib/io/run_folder.ts";
import { tmpDir } from "./cli_helpers.ts";

async function trainWith(threads: number, dir: string, cfgFile: string) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "lib/cli/main.ts", "train", "--config", cfgFile, "--out", dir],
    env: { HC_THREADS: String(threads), HC_BACKEND: "wasm" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
  return new TextDecoder().decode(r.stdout);
}

// XNNPACK and OpenBLAS split work by output tiles (never a dot product), so
// threads must not change a bit.
Deno.test("HC_THREADS=2 starts two wasm and BLAS threads and trains to the 1-thread losses bit for bit", async () => {
  const dir = tmpDir("hc-threads-");
  const cfg = `${dir}/cfg.json`;
  fs.writeFileSync(
    cfg,
    JSON.stringify({
      model: { family: "gpt2", hiddenSize: 64, numLayers: 1, numHeads: 4, maxPositions: 64 },
      data: { seqLen: 64, batchSize: 8 },
      steps: 12,
      evalEvery: 4,
      evalBatches: 2,
      checkpointEvery: 12,
    }),
  );
  const one = await trainWith(1, `${dir}/one`, cfg);
  const two = await trainWith(2, `${dir}/two`, cfg);
  assert.match(one, /device: wasm-simd( \+ OpenBLAS [^,]*| \(XNNPACK matmuls\)), 1 thread,/);
  assert.match(two, /device: wasm-simd( \+ OpenBLAS [^,]*| \(XNNPACK matmuls\)), 2 threads,/);
  const a = readMetrics(`${dir}/one`), b = readMetrics(`${dir}/two`);
  assert.deepEqual(b.map((l) => [l.valLoss, l.trainLoss]), a.map((l) => [l.valLoss, l.trainLoss]));
});
