import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultConfig, type ModelConfig } from "../lib/model/config.ts";
import { initParams } from "../lib/model/params.ts";
import {
  checkpointTensorReader,
  loadCheckpoint,
  loadCheckpointConfig,
  saveCheckpoint,
} from "../lib/io/checkpoint.ts";
import { fromHfConfig, toHfConfig } from "../lib/io/hf_config.ts";
import { openSafetensors, writeSafetensors } from "../lib/io/safetensors.ts";
import { hostTensor, type TensorMap } from "../lib/tensor_map.ts";

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "hc-ckpt-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function bitsOf(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

function assertSameParams(got: TensorMap, want: TensorMap): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [name, t] of want) {
    assert.deepEqual(got.get(name)!.shape, t.shape, name);
    assert.deepEqual(bitsOf(got.get(name)!.data), bitsOf(t.data), name);
  }
}

/** 2-layer GPT-2: vocab 256, n_embd 8, 2 heads, 16 positions, n_inner 32, tied. */
const GPT2: ModelConfig = defaultConfig("gpt2", {
  hiddenSize: 8,
  numHeads: 2,
  numLayers: 2,
  maxPositions: 16,
});

/** 1-layer Llama with GQA and widened heads: 4 query heads of 4, 1 kv head, untied. */
const LLAMA: ModelConfig = defaultConfig("llama", {
  hiddenSize: 8,
  numHeads: 4,
  numKvHeads: 1,
  headDim: 4,
  intermediateSize: 12,
  numLayers: 1,
  maxPositions: 16,
  tieWordEmbeddings: false,
});

// Written out by hand from HF's GPT2LMHeadModel / LlamaForCausalLM, not from paramSpecs.
const GPT2_HEADER: [string, number[]][] = [
  ["transformer.h.0.attn.c_attn.bias", [24]],
  ["transformer.h.0.attn.c_attn.weight", [8, 24]],
  ["transformer.h.0.attn.c_proj.bias", [8]],
  ["transformer.h.0.attn.c_proj.weight", [8, 8]],
  ["transformer.h.0.ln_1.bias", [8]],
  ["transformer.h.0.ln_1.weight", [8]],
  ["transformer.h.0.ln_2.bias", [8]],
  ["transformer.h.0.ln_2.weight", [8]],
  ["transformer.h.0.mlp.c_fc.bias", [32]],
  ["transformer.h.0.mlp.c_fc.weight", [8, 32]],
  ["transformer.h.0.mlp.c_proj.bias", [8]],
  ["transformer.h.0.mlp.c_proj.weight", [32, 8]],
  ["transformer.h.1.attn.c_attn.bias", [24]],
  ["transformer.h.1.attn.c_attn.weight", [8, 24]],
  ["transformer.h.1.attn.c_proj.bias", [8]],
  ["transformer.h.1.attn.c_proj.weight", [8, 8]],
  ["transformer.h.1.ln_1.bias", [8]],
  ["transformer.h.1.ln_1.weight", [8]],
  ["transformer.h.1.ln_2.bias", [8]],
  ["transformer.h.1.ln_2.weight", [8]],
  ["transformer.h.1.mlp.c_fc.bias", [32]],
  ["transformer.h.1.mlp.c_fc.weight", [8, 32]],
  ["transformer.h.1.mlp.c_proj.bias", [8]],
  ["transformer.h.1.mlp.c_proj.weight", [32, 8]],
  ["transformer.ln_f.bias", [8]],
  ["transformer.ln_f.weight", [8]],
  ["transformer.wpe.weight", [16, 8]],
  ["transformer.wte.weight", [256, 8]],
];

const LLAMA_HEADER: [string, number[]][] = [
  ["lm_head.weight", [256, 8]],
  ["model.embed_tokens.weight", [256, 8]],
  ["model.layers.0.input_layernorm.weight", [8]],
  ["model.layers.0.mlp.down_proj.weight", [8, 12]],
  ["model.layers.0.mlp.gate_proj.weight", [12, 8]],
  ["model.layers.0.mlp.up_proj.weight", [12, 8]],
  ["model.layers.0.post_attention_layernorm.weight", [8]],
  ["model.layers.0.self_attn.k_proj.weight", [4, 8]],
  ["model.layers.0.self_attn.o_proj.weight", [8, 16]],
  ["model.layers.0.self_attn.q_proj.weight", [16, 8]],
  ["model.layers.0.self_attn.v_proj.weight", [4, 8]],
  ["model.norm.weight", [8]],
];

Deno.test("checkpoint round trip is bit-exact for gpt2 and llama, tied and untied, with GQA", async () => {
  await withTmp(async (root) => {
    const cases: [string, ModelConfig][] = [
      ["gpt2-tied", GPT2],
      ["gpt2-untied", { ...GPT2, tieWordEmbeddings: false, dropout: 0.1 }],
      ["llama-untied-gqa", LLAMA],
      ["llama-tied-gqa", { ...LLAMA, tieWordEmbeddings: true, numKvHeads: 2, ropeTheta: 5e5 }],
    ];
    for (const [name, cfg] of cases) {
      const params = initParams(cfg, 7);
      // Awkward values must survive too.
      const first = params.values().next().value!.data;
      new Uint32Array(first.buffer).set([0x7fa00001, 0x80000000, 0x00000001]);
      const dir = join(root, name);
      await saveCheckpoint(dir, cfg, params, { extra: { step: 12, state: "train.json" } });
      assert.deepEqual((await readdir(dir)).sort(), [
        "config.json",
        "hyperclone.json",
        "model.safetensors",
      ]);
      const ck = await loadCheckpoint(dir);
      assert.deepEqual(ck.config, cfg, name);
      assert.deepEqual(ck.tokenizer, { type: "byte", vocabSize: 256 });
      assert.deepEqual(ck.extra, { step: 12, state: "train.json" });
      assertSameParams(ck.params, params);
      assert.deepEqual(await loadCheckpointConfig(dir), cfg);
    }
    // Only the finished directories exist: no temp leftovers.
    assert.equal((await readdir(root)).length, cases.length);
  });
});

Deno.test("saved safetensors header holds exactly the HF names and shapes (gpt2 2 layers, llama 1 layer GQA)", async () => {
  await withTmp(async (root) => {
    for (
      const [cfg, want] of [[GPT2, GPT2_HEADER], [LLAMA, LLAMA_HEADER]] as [
        ModelConfig,
        [string, number[]][],
      ][]
    ) {
      const dir = join(root, cfg.family);
      await saveCheckpoint(dir, cfg, initParams(cfg, 1));
      const r = await openSafetensors(join(dir, "model.safetensors"));
      const got = r.header.entries.map((e) => [e.name, e.shape]);
      assert.deepEqual(got, want);
      assert.ok(r.header.entries.every((e) => e.dtype === "F32"));
      assert.deepEqual(r.header.metadata, { format: "pt" });
      await r.close();
    }
  });
});

Deno.test("config.json has exactly the HF keys and values for each family", async () => {
  await withTmp(async (root) => {
    await saveCheckpoint(join(root, "g"), GPT2, initParams(GPT2, 0));
    const g = JSON.parse(await readFile(join(root, "g", "config.json"), "utf8"));
    assert.deepEqual(g, {
      model_type: "gpt2",
      architectures: ["GPT2LMHeadModel"],
      vocab_size: 256,
      n_embd: 8,
      n_layer: 2,
      n_head: 2,
      n_positions: 16,
      n_ctx: 16,
      n_inner: 32,
      layer_norm_epsilon: 1e-5,
      activation_function: "gelu_new",
      resid_pdrop: 0,
      embd_pdrop: 0,
      attn_pdrop: 0,
      tie_word_embeddings: true,
      scale_attn_weights: true,
      torch_dtype: "float32",
      bos_token_id: 255,
      eos_token_id: 255,
    });
    await saveCheckpoint(join(root, "l"), LLAMA, initParams(LLAMA, 0));
    const l = JSON.parse(await readFile(join(root, "l", "config.json"), "utf8"));
    assert.deepEqual(l, {
      model_type: "llama",
      architectures: ["LlamaForCausalLM"],
      vocab_size: 256,
      hidden_size: 8,
      intermediate_size: 12,
      num_attention_heads: 4,
      num_key_value_heads: 1,
      num_hidden_layers: 1,
      head_dim: 4,
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
      max_position_embeddings: 16,
      tie_word_embeddings: false,
      hidden_act: "silu",
      attention_bias: false,
      mlp_bias: false,
      attention_dropout: 0,
      torch_dtype: "float32",
    });
    const meta = JSON.parse(await readFile(join(root, "l", "hyperclone.json"), "utf8"));
    assert.deepEqual(meta, { format: 1, tokenizer: { type: "byte", vocabSize: 256 }, extra: {} });
  });
});

Deno.test("real HF config.json files convert, with HF defaults for absent or null keys", () => {
  // openai-community/gpt2 config.json (abridged only of task_specific_params).
  const gpt2 = fromHfConfig({
    activation_function: "gelu_new",
    architectures: ["GPT2LMHeadModel"],
    attn_pdrop: 0.1,
    bos_token_id: 50256,
    embd_pdrop: 0.1,
    eos_token_id: 50256,
    initializer_range: 0.02,
    layer_norm_epsilon: 1e-05,
    model_type: "gpt2",
    n_ctx: 1024,
    n_embd: 768,
    n_head: 12,
    n_layer: 12,
    n_positions: 1024,
    resid_pdrop: 0.1,
    summary_activation: null,
    summary_first_dropout: 0.1,
    summary_proj_to_labels: true,
    summary_type: "cls_index",
    summary_use_proj: true,
    vocab_size: 50257,
    n_inner: null,
  });
  assert.deepEqual(gpt2, {
    family: "gpt2",
    vocabSize: 50257,
    hiddenSize: 768,
    numLayers: 12,
    numHeads: 12,
    numKvHeads: 12,
    headDim: 64,
    intermediateSize: 3072,
    maxPositions: 1024,
    normEps: 1e-5,
    ropeTheta: 10000,
    tieWordEmbeddings: true,
    dropout: 0.1,
  });
  // TinyLlama-1.1B style config: no head_dim, explicit GQA, rope_scaling null.
  const llama = fromHfConfig({
    architectures: ["LlamaForCausalLM"],
    bos_token_id: 1,
    eos_token_id: 2,
    hidden_act: "silu",
    hidden_size: 2048,
    initializer_range: 0.02,
    intermediate_size: 5632,
    max_position_embeddings: 2048,
    model_type: "llama",
    num_attention_heads: 32,
    num_hidden_layers: 22,
    num_key_value_heads: 4,
    pretraining_tp: 1,
    rms_norm_eps: 1e-05,
    rope_scaling: null,
    tie_word_embeddings: false,
    torch_dtype: "bfloat16",
    transformers_version: "4.35.0",
    use_cache: true,
    vocab_size: 32000,
  });
  assert.deepEqual(llama, {
    family: "llama",
    vocabSize: 32000,
    hiddenSize: 2048,
    numLayers: 22,
    numHeads: 32,
    numKvHeads: 4,
    headDim: 64,
    intermediateSize: 5632,
    maxPositions: 2048,
    normEps: 1e-5,
    ropeTheta: 10000,
    tieWordEmbeddings: false,
    dropout: 0,
  });
  // Round trip through our own writer.
  for (const cfg of [GPT2, LLAMA, gpt2, llama]) {
    assert.deepEqual(fromHfConfig(toHfConfig(cfg)), cfg);
  }
});

Deno.test("bad config.json fields are rejected with the HF field named", () => {
  const g = toHfConfig(GPT2);
  const l = toHfConfig(LLAMA);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...g, n_head: "2" }, /: config\.json: n_head must be a positive integer, got "2"$/],
    [{ ...g, n_head: 3 }, /config\.json: n_head 3 does not divide n_embd 8/],
    [{ ...g, n_layer: 0 }, /config\.json: n_layer must be a positive integer, got 0/],
    [{ ...g, vocab_size: undefined }, /config\.json: vocab_size is missing/],
    [{ ...g, activation_function: "relu" }, /activation_function "relu" is not supported/],
    [{ ...g, tie_word_embeddings: "yes" }, /tie_word_embeddings must be true or false/],
    [{ ...g, resid_pdrop: 1.5 }, /resid_pdrop must be in \[0, 1\), got 1\.5/],
    [{ ...g, model_type: "bert" }, /model_type "bert" is not supported/],
    [
      { ...l, rope_scaling: { type: "linear", factor: 2 } },
      /rope_scaling is set; RoPE scaling is not supported/,
    ],
    [{ ...l, hidden_act: "gelu" }, /hidden_act "gelu" is not supported \(use silu\)/],
    [{ ...l, attention_bias: true }, /attention_bias true is not supported/],
    [
      { ...l, num_key_value_heads: 3 },
      /num_key_value_heads is invalid \(numKvHeads: numHeads 4 is not divisible/,
    ],
    [{ ...l, head_dim: 3 }, /head_dim is invalid \(headDim: RoPE needs an even head size/],
  ];
  for (const [json, re] of cases) assert.throws(() => fromHfConfig(json), re);
});

Deno.test("saveCheckpoint rejects a missing tensor, a wrong shape, an extra tensor and a bad config before touching the target", async () => {
  await withTmp(async (root) => {
    const fresh = join(root, "fresh");
    const existing = join(root, "existing");
    await mkdir(existing);
    await writeFile(join(existing, "keep.txt"), "old");

    const missing = initParams(GPT2, 0);
    missing.delete("transformer.h.1.ln_2.bias");
    const wrong = initParams(GPT2, 0);
    wrong.set("transformer.h.0.mlp.c_fc.weight", hostTensor([8, 16]));
    const extra = initParams(GPT2, 0);
    extra.set("lm_head.weight", hostTensor([256, 8]));
    const badCfg = { ...GPT2, numHeads: 3 };
    const cases: [ModelConfig, TensorMap, RegExp][] = [
      [GPT2, missing, /params has no tensor transformer\.h\.1\.ln_2\.bias/],
      [
        GPT2,
        wrong,
        /tensor transformer\.h\.0\.mlp\.c_fc\.weight has shape \[8,16\] but config\.json implies \[8,32\] \(dim 1 = n_inner = 32\)/,
      ],
      [GPT2, extra, /params has tensor lm_head\.weight, which this gpt2 config does not define/],
      [
        badCfg,
        initParams(GPT2, 0),
        /invalid model config: hiddenSize: 8 is not divisible by numHeads 3/,
      ],
    ];
    for (const [cfg, params, re] of cases) {
      await assert.rejects(saveCheckpoint(fresh, cfg, params), re);
      await assert.rejects(saveCheckpoint(existing, cfg, params, { force: true }), re);
    }
    await assert.rejects(
      saveCheckpoint(existing, GPT2, initParams(GPT2, 0)),
      (e: Error) => e.message === `${existing} exists; pass --force to overwrite`,
    );
    assert.deepEqual((await readdir(root)).sort(), ["existing"]);
    assert.deepEqual(await readdir(existing), ["keep.txt"]);
    // With force and valid input the old directory is replaced wholesale.
    await saveCheckpoint(existing, GPT2, initParams(GPT2, 0), { force: true });
    assert.deepEqual((await readdir(existing)).sort(), [
      "config.json",
      "hyperclone.json",
      "model.safetensors",
    ]);
    assert.deepEqual((await readdir(root)).sort(), ["existing"]);
  });
});

Deno.test("loadCheckpoint names the missing tensor, the mismatched shape with its field, and bad config fields", async () => {
  await withTmp(async (root) => {
    const dir = join(root, "c");
    const params = initParams(GPT2, 0);
    const writeConfig = (json: unknown) =>
      writeFile(join(dir, "config.json"), JSON.stringify(json));
    await saveCheckpoint(dir, GPT2, params);

    const partial = new Map(params);
    partial.delete("transformer.h.1.ln_2.bias");
    await writeSafetensors(join(dir, "model.safetensors"), partial);
    await assert.rejects(
      loadCheckpoint(dir),
      /model\.safetensors: missing tensor transformer\.h\.1\.ln_2\.bias$/,
    );

    await writeSafetensors(join(dir, "model.safetensors"), params);
    await writeConfig({ ...toHfConfig(GPT2), n_inner: 16 });
    await assert.rejects(
      loadCheckpoint(dir),
      /tensor transformer\.h\.0\.mlp\.c_fc\.weight has shape \[8,32\] but config\.json implies \[8,16\] \(dim 1 = n_inner = 16\)/,
    );
    await writeConfig({ ...toHfConfig(GPT2), n_embd: 12, n_head: 2 });
    await assert.rejects(
      loadCheckpoint(dir),
      /tensor transformer\.wte\.weight has shape \[256,8\] but config\.json implies \[256,12\] \(dim 1 = n_embd = 12\)/,
    );
    await writeConfig({ ...toHfConfig(GPT2), n_layer: 1 });
    await assert.rejects(
      loadCheckpoint(dir),
      /unexpected tensor transformer\.h\.1\.\S+; config\.json defines no such parameter/,
    );
    await writeConfig({ ...toHfConfig(GPT2), n_head: -1 });
    await assert.rejects(
      loadCheckpoint(dir),
      /config\.json: n_head must be a positive integer, got -1/,
    );
    await rm(join(dir, "config.json"));
    await assert.rejects(loadCheckpoint(dir), /no config\.json; not a checkpoint directory/);
  });
});

Deno.test("HF-style GPT-2 files load: unprefixed names, attention-mask buffers, tied lm_head copy; no hyperclone.json", async () => {
  await withTmp(async (root) => {
    const cfg = GPT2;
    const params = initParams(cfg, 3);
    const hf: TensorMap = new Map();
    for (const [name, t] of params) hf.set(name.replace(/^transformer\./, ""), t);
    for (const i of [0, 1]) {
      hf.set(`h.${i}.attn.bias`, hostTensor([1, 1, 16, 16], new Float32Array(256).fill(1)));
      hf.set(`h.${i}.attn.masked_bias`, hostTensor([], new Float32Array([-1e4])));
    }
    hf.set("lm_head.weight", params.get("transformer.wte.weight")!);
    const dir = join(root, "hf");
    await mkdir(dir);
    await writeFile(
      join(dir, "config.json"),
      JSON.stringify({ ...toHfConfig(cfg), n_inner: null }),
    );
    await writeSafetensors(join(dir, "model.safetensors"), hf);
    const ck = await loadCheckpoint(dir);
    assertSameParams(ck.params, params);
    assert.deepEqual(ck.config, cfg);
    assert.deepEqual(ck.tokenizer, { type: "byte", vocabSize: 256 });
    assert.deepEqual(ck.extra, {});

    // A head that is not a copy of the embedding contradicts tie_word_embeddings.
    const head = hostTensor([256, 8], params.get("transformer.wte.weight")!.data.slice());
    head.data[5] += 1;
    hf.set("lm_head.weight", head);
    await writeSafetensors(join(dir, "model.safetensors"), hf);
    await assert.rejects(
      loadCheckpoint(dir),
      /lm_head\.weight differs from transformer\.wte\.weight but config\.json has tie_word_embeddings true/,
    );

    // A vocabulary other than 256 cannot be the byte tokenizer.
    const big = { ...cfg, vocabSize: 300 };
    const dir2 = join(root, "big");
    await mkdir(dir2);
    await writeFile(join(dir2, "config.json"), JSON.stringify(toHfConfig(big)));
    await writeSafetensors(join(dir2, "model.safetensors"), initParams(big, 0));
    assert.deepEqual((await loadCheckpoint(dir2)).tokenizer, { type: "unknown", vocabSize: 300 });
  });
});

Deno.test("checkpointTensorReader streams canonical names in paramSpecs order", async () => {
  await withTmp(async (root) => {
    const dir = join(root, "l");
    const params = initParams(LLAMA, 5);
    await saveCheckpoint(dir, LLAMA, params, {
      tokenizer: { type: "byte", vocabSize: 256 },
      extra: { note: "x" },
    });
    const r = await checkpointTensorReader(dir);
    assert.deepEqual(r.names(), [...params.keys()]);
    assert.deepEqual(r.extra, { note: "x" });
    assert.deepEqual(r.info("model.layers.0.self_attn.k_proj.weight").shape, [4, 8]);
    const q = await r.read("model.layers.0.self_attn.q_proj.weight");
    assert.deepEqual(
      bitsOf(q.data),
      bitsOf(params.get("model.layers.0.self_attn.q_proj.weight")!.data),
    );
    await assert.rejects(r.read("nope"), /no parameter nope/);
    await r.close();
  });
});
