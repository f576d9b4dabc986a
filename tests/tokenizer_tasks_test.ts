import assert from "node:assert/strict";
import { initBackend } from "../lib/backend.ts";
import { loadHfTokenizer } from "../lib/data/hf_tokenizer.ts";
import { PRESETS } from "../lib/model/config.ts";
import { initParams } from "../lib/model/params.ts";
import { computeLogits, createModel, disposeModel } from "../lib/model/model.ts";
import { modelLogProb } from "../lib/eval/logprob.ts";
import { encodePair, scoreTask } from "../lib/eval/multiple_choice.ts";

await initBackend("wasm");

/** Summed log-softmax of `cont` after `ctx`, from raw logits, in float64. */
async function directLogLikelihood(
  cfg: typeof PRESETS.tiny,
  params: ReturnType<typeof initParams>,
  ctx: number[],
  cont: number[],
): Promise<number> {
  const seq = Int32Array.from([...ctx, ...cont]);
  const [logits] = await computeLogits(cfg, params, [seq]);
  const V = cfg.vocabSize;
  let ll = 0;
  for (let j = 0; j < cont.length; j++) {
    const row = logits.subarray((ctx.length - 1 + j) * V, (ctx.length + j) * V);
    let max = -Infinity;
    for (const x of row) max = Math.max(max, x);
    let z = 0;
    for (const x of row) z += Math.exp(x - max);
    ll += row[cont[j]] - max - Math.log(z);
  }
  return ll;
}

Deno.test("task scoring with a multi-byte-token tokenizer equals a direct computation from computeLogits", async () => {
  const tok = await loadHfTokenizer("tests/fixtures/gpt2-mini");
  const cfg = { ...PRESETS.tiny, vocabSize: 280 };
  const params = initParams(cfg, 7);
  // Trailing space of the context moves to the continuations (as lm-eval does).
  const item = { context: "the cat ", choices: ["sat on the mat.", "on", "café"], gold: 0 };
  // Ids by hand from the fixture's merges: the -> t he, Ġcat -> Ġc at, Ġsat -> Ġs at,
  // Ġon -> Ġ on, Ġthe, Ġmat -> Ġ m at, Ġcafé -> Ġc a f + the two bytes of é (C3 A9).
  const ctx = [83, 258, 269, 265];
  const conts = [[264, 265, 220, 261, 262, 220, 76, 265, 13], [220, 261], [269, 64, 69, 127, 102]];
  item.choices.forEach((c, j) => {
    const r = encodePair(tok, item.context, c);
    assert.deepEqual(Array.from(r.context), ctx);
    assert.deepEqual(Array.from(r.continuation), conts[j]);
  });
  const want: number[] = [];
  for (const c of conts) want.push(await directLogLikelihood(cfg, params, ctx, c));
  const model = createModel(cfg, params);
  try {
    const s = await scoreTask({ name: "hand", items: [item] }, modelLogProb(model), tok);
    // Both sides are float32 forwards of the same sequence (padded differently); the
    // sums of <= 9 log-probabilities of size ~5 agree to well under 1e-4.
    s.items[0].ll.forEach((ll, j) =>
      assert.ok(Math.abs(ll - want[j]) < 1e-4, `${ll} vs ${want[j]}`)
    );
    const argmax = (v: number[]) => v.indexOf(Math.max(...v));
    assert.equal(s.items[0].pred, argmax(want));
    // acc_norm divides by the choice's UTF-8 bytes: 15, 2 and 5 ("é" is two bytes).
    assert.equal(s.items[0].predNorm, argmax([want[0] / 15, want[1] / 2, want[2] / 5]));
    assert.equal(s.acc, s.items[0].pred === 0 ? 1 : 0);
  } finally {
    disposeModel(model);
  }
});
