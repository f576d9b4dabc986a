import assert from "node:assert/strict";
import { type Batch, BatchSampler, fixedBatches } from "../lib/data/sampler.ts";

const tokens = Int32Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251);
const opts = { batchSize: 4, seqLen: 16, seed: 42 };

function draw(s: BatchSampler, n: number): Batch[] {
  return Array.from({ length: n }, () => s.next());
}

Deno.test("same seed gives the same batches, a different seed different ones", () => {
  const a = draw(new BatchSampler(tokens, opts), 5);
  const b = draw(new BatchSampler(tokens, opts), 5);
  const c = draw(new BatchSampler(tokens, { ...opts, seed: 43 }), 5);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((x) => x.inputs), c.map((x) => x.inputs));
});

Deno.test("targets are the inputs shifted by one token, windows lie inside the stream", () => {
  // Token i is i, so each row must be a run of consecutive integers.
  const ramp = Int32Array.from({ length: 40 }, (_, i) => i);
  const s = new BatchSampler(ramp, { batchSize: 64, seqLen: 8, seed: 1 });
  const starts = new Set<number>();
  for (const { inputs, targets } of draw(s, 20)) {
    assert.equal(inputs.length, 64 * 8);
    for (let b = 0; b < 64; b++) {
      const start = inputs[b * 8];
      starts.add(start);
      for (let j = 0; j < 8; j++) {
        assert.equal(inputs[b * 8 + j], start + j);
        assert.equal(targets[b * 8 + j], start + j + 1);
      }
    }
  }
  // Starts range over exactly [0, 40 - 8 - 1] = [0, 31] after 1280 draws.
  assert.deepEqual([...starts].sort((x, y) => x - y), Array.from({ length: 32 }, (_, i) => i));
});

Deno.test("a sampler restored from a JSON state continues the uninterrupted sequence", () => {
  const whole = draw(new BatchSampler(tokens, opts), 7);
  const first = new BatchSampler(tokens, opts);
  draw(first, 3);
  const saved = JSON.parse(JSON.stringify(first.state()));
  assert.equal(saved.step, 3);
  const resumed = BatchSampler.restore(tokens, opts, saved);
  assert.deepEqual(draw(resumed, 4), whole.slice(3));
  assert.equal(resumed.state().step, 7);
  assert.throws(() => BatchSampler.restore(tokens, { ...opts, seed: 1 }, saved), /seed 42/);
  assert.throws(() => BatchSampler.restore(tokens, opts, { ...saved, rng: [1, 2] }), /rng/);
});

Deno.test("restore works for every seed and step, including rng words stored as negative int32", () => {
  let sawNegative = false;
  for (let seed = 0; seed < 20; seed++) {
    for (let k = 0; k < 4; k++) {
      const o = { batchSize: 2, seqLen: 8, seed };
      const whole = draw(new BatchSampler(tokens, o), k + 2);
      const first = new BatchSampler(tokens, o);
      draw(first, k);
      const saved = JSON.parse(JSON.stringify(first.state()));
      assert.deepEqual(draw(BatchSampler.restore(tokens, o, saved), 2), whole.slice(k));
      // The same words as signed int32 (as older states stored them) restore too.
      const signed = { ...saved, rng: saved.rng.map((w: number) => w | 0) };
      sawNegative ||= signed.rng.some((w: number) => w < 0);
      assert.deepEqual(draw(BatchSampler.restore(tokens, o, signed), 2), whole.slice(k));
    }
  }
  assert.ok(sawNegative, "the loop exercised a negative rng word");
});

Deno.test("samplers reject streams shorter than seqLen + 1 and bad shapes", () => {
  const short = new Int32Array(16);
  assert.throws(() => new BatchSampler(short, opts), /has 16 ids but seqLen 16 needs at least 17/);
  assert.doesNotThrow(() => new BatchSampler(new Int32Array(17), opts).next());
  assert.throws(() => fixedBatches(short, { ...opts, count: 1 }), /at least 17/);
  assert.throws(() => new BatchSampler(tokens, { ...opts, batchSize: 0 }), /batchSize is 0/);
});

Deno.test("fixed eval batches are evenly spaced, identical across calls, and in range", () => {
  const ramp = Int32Array.from({ length: 1000 }, (_, i) => i);
  const batches = fixedBatches(ramp, { batchSize: 4, seqLen: 10, count: 5 });
  assert.deepEqual(batches, fixedBatches(ramp, { batchSize: 4, seqLen: 10, count: 5 }));
  assert.equal(batches.length, 5);
  const starts = batches.flatMap((b) => Array.from({ length: 4 }, (_, r) => b.inputs[r * 10]));
  // 20 windows over 990 possible starts: spacing 990 / 20 = 49.5.
  assert.deepEqual(starts, Array.from({ length: 20 }, (_, k) => Math.floor(k * 49.5)));
  for (const b of batches) {
    for (let i = 0; i < b.inputs.length; i++) assert.equal(b.targets[i], b.inputs[i] + 1);
  }
  const shifted = fixedBatches(ramp, { batchSize: 4, seqLen: 10, count: 5, seed: 3 });
  assert.notDeepEqual(shifted, batches);
  const last = shifted[4].inputs[3 * 10];
  assert.ok(last + 10 <= 999, "the last window's target still fits");
});
