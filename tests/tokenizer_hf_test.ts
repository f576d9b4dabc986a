import assert from "node:assert/strict";
import { hfTokenizer, loadHfTokenizer, TokenizerError } from "../lib/data/hf_tokenizer.ts";
import { byteCount, byteTokenizer } from "../lib/data/tokenizer.ts";
import { trainBpe } from "../lib/data/bpe_train.ts";
import { resolveTokenizer } from "../lib/data/tokenizer_choice.ts";
import { parseTrainConfig, resolveModel } from "../lib/train/config.ts";
import { runTokenizer } from "../lib/train/tokenizer.ts";
import { loadCheckpointTokenizer, saveCheckpoint } from "../lib/io/checkpoint.ts";
import { PRESETS } from "../lib/model/config.ts";
import { initParams } from "../lib/model/params.ts";

// tests/fixtures/gpt2-mini: GPT-2's 256 byte tokens (GPT-2 ids) and its first 23
// merges ("Ġ t" -> 256 ... "in g" -> 278), plus <|endoftext|> as id 279.
const FIXTURE = "tests/fixtures/gpt2-mini";
const enc = new TextEncoder();

Deno.test("GPT-2-style tokenizer.json encodes a fixed sentence to hand-derived ids", async () => {
  const tok = await loadHfTokenizer(FIXTURE);
  assert.equal(tok.info.type, "hf");
  assert.equal(tok.info.vocabSize, 280);
  // the -> t he; Ġcat -> Ġc at; Ġsat -> Ġs at; Ġon -> Ġ on; Ġthe -> Ġthe; Ġmat -> Ġ m at; .
  assert.deepEqual(
    Array.from(tok.encode("the cat sat on the mat.")),
    [83, 258, 269, 265, 264, 265, 220, 261, 262, 220, 76, 265, 13],
  );
});

Deno.test("GPT-2-style tokenizer.json round-trips text exactly (no space clean-up)", async () => {
  const tok = await loadHfTokenizer(FIXTURE);
  // tokenizer_config.json asks for clean_up_tokenization_spaces; decoding must not apply it.
  for (
    const text of [
      "the cat sat on the mat.",
      "Héllo, wörld ! 日本語 \u{1F600}  two  spaces\n\nnew paragraph ,",
      " leading and trailing ",
      "<|endoftext|>after a special token",
    ]
  ) {
    const ids = tok.encode(text);
    assert.equal(tok.decode(ids), text);
    // Byte-level: each id decodes to a fixed byte string, so counts are exact.
    assert.equal(byteCount(tok, ids), enc.encode(text).length);
  }
  assert.deepEqual(Array.from(tok.encode("")), []);
  assert.equal(tok.decode([]), "");
  assert.throws(() => tok.decode([280]), /ids\[0\] = 280 is outside .*\[0, 280\)/);
});

Deno.test("malformed tokenizer.json files are rejected naming the file and the problem", () => {
  const bad = (text: string) => () => hfTokenizer({ "tokenizer.json": enc.encode(text) }, "ckpt");
  assert.throws(
    bad("{not json"),
    (e) => e instanceof TokenizerError && /ckpt\/tokenizer.json: not valid JSON/.test(e.message),
  );
  assert.throws(bad("[]"), /ckpt\/tokenizer.json: must be a JSON object/);
  assert.throws(bad('{"added_tokens": []}'), /ckpt\/tokenizer.json: no "model" object/);
  assert.throws(bad('{"model": {"type": "BPE"}}'), /model.vocab is missing/);
  assert.throws(
    bad('{"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}}'),
    /ids are integers/,
  );
  assert.throws(
    bad('{"model": {"type": "Nope", "vocab": {"a": 0}}}'),
    /ckpt\/tokenizer.json: the tokenizers library cannot load it/,
  );
});

const TEXT = [
  "the cat sat on the mat. the dog sat on the log.",
  "a cat and a dog; the end of the story, the end.",
  "héllo héllo wörld",
].join("\n\n");

Deno.test("BPE training is deterministic and writes a tokenizer.json the library loads", () => {
  const a = trainBpe(TEXT, { vocabSize: 270 });
  const b = trainBpe(TEXT, { vocabSize: 270 });
  assert.equal(a.tokenizerJson, b.tokenizerJson);
  assert.equal(a.vocabSize, 270);
  assert.equal(a.merges.length, 270 - 256 - 1);
  // "t h" and "h e" both occur 8 times (every "the"), more than any other pair;
  // the tie goes to the smaller ids: h (71), e (68) before t (83), h (71).
  assert.deepEqual(a.merges.slice(0, 2), ["h e", "t he"]);
  const tok = hfTokenizer({ "tokenizer.json": enc.encode(a.tokenizerJson) }, "trained");
  assert.equal(tok.info.vocabSize, 270);
  const ids = tok.encode(TEXT);
  // The library's encoding splits the text into exactly the trainer's final pieces.
  assert.equal(ids.length, a.tokens);
  assert.equal(tok.decode(ids), TEXT);
  assert.ok(ids.length < enc.encode(TEXT).length, "merges shorten the text");
  assert.throws(() => trainBpe(TEXT, { vocabSize: 257 }), /vocabSize = 257/);
});

Deno.test("BPE training stops early when no pair occurs twice (vocabulary reported)", () => {
  const r = trainBpe("abcd", { vocabSize: 1024 }); // every pair once; minFrequency 2
  assert.equal(r.merges.length, 0);
  assert.equal(r.vocabSize, 257);
});

Deno.test("config tokenizer: names resolve, vocabSize follows it, a smaller explicit one is refused", async () => {
  assert.equal(await resolveTokenizer("byte"), byteTokenizer);
  const fixture = await resolveTokenizer(`${FIXTURE}/tokenizer.json`);
  assert.equal(fixture.info.vocabSize, 280);
  await assert.rejects(resolveTokenizer("bpe-12"), /\[258, 65536\]/);
  await assert.rejects(resolveTokenizer("no/such/dir"), /neither "byte", "bpe-N"/);
  const cfg = parseTrainConfig({ model: { preset: "tiny" }, tokenizer: FIXTURE, steps: 1 });
  assert.equal(resolveModel(cfg, "c", 280).vocabSize, 280);
  const small = parseTrainConfig({ model: { preset: "tiny", vocabSize: 256 }, steps: 1 });
  assert.throws(
    () => resolveModel(small, "c.json", 280),
    /c.json: model.vocabSize: 256 is smaller than the tokenizer's 280 tokens/,
  );
});

Deno.test("checkpoint tokenizers: missing files, unknown vocabularies and a differing init are named", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "hc-tok-" });
  try {
    const cfg = { ...PRESETS.tiny, vocabSize: 280 };
    const fixture = await loadHfTokenizer(FIXTURE);
    await saveCheckpoint(`${dir}/hf`, cfg, initParams(cfg, 0), { tokenizer: fixture });
    const back = await loadCheckpointTokenizer(`${dir}/hf`);
    assert.deepEqual(back.info, fixture.info);
    assert.deepEqual(Array.from(back.encode("the cat")), Array.from(fixture.encode("the cat")));
    Deno.removeSync(`${dir}/hf/tokenizer.json`);
    await assert.rejects(loadCheckpointTokenizer(`${dir}/hf`), /tokenizer.json is missing/);
    Deno.removeSync(`${dir}/hf/hyperclone.json`);
    await assert.rejects(
      loadCheckpointTokenizer(`${dir}/hf`),
      /no tokenizer.json, and vocab_size 280 is not the byte tokenizer's 256/,
    );
    await saveCheckpoint(`${dir}/byte`, PRESETS.tiny, initParams(PRESETS.tiny, 0));
    const init = parseTrainConfig({ init: `${dir}/byte`, tokenizer: FIXTURE, steps: 1 });
    await assert.rejects(runTokenizer(init), /differs from the tokenizer of init checkpoint/);
    const same = parseTrainConfig({ init: `${dir}/byte`, tokenizer: "byte", steps: 1 });
    assert.equal(await runTokenizer(same), byteTokenizer);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
