/**
 * Checkpoints: a directory with Hugging Face `config.json` and
 * `model.safetensors` (so `from_pretrained` loads it) plus `hyperclone.json`
 * (format version, tokenizer, caller extras), and a Hugging Face tokenizer's
 * files (tokenizer.json, ...) when the model has one. Saving is atomic per directory;
 * loading validates every tensor name and shape against the config and also
 * accepts HF's own GPT-2 files (unprefixed names, attention-mask buffers).
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Family, ModelConfig } from "../model/config.ts";
import { paramSpecs } from "../model/params.ts";
import { type Tokenizer, tokenizerFromInfo, type TokenizerInfo } from "../data/tokenizer.ts";
import {
  hfTokenizer,
  hfTokenizerInfo,
  readTokenizerFiles,
  TOKENIZER_JSON,
  TokenizerError,
} from "../data/hf_tokenizer.ts";
import { type HostTensor, sizeOf, type TensorMap } from "../tensor_map.ts";
import { pathExists, writeDirAtomic, writeFileAtomic } from "./atomic.ts";
import { hfConfigText, readHfConfig } from "./hf_config.ts";
import {
  createSafetensorsWriter,
  openSafetensors,
  type SafetensorsEntry,
  type SafetensorsReader,
} from "./safetensors.ts";

export type { TokenizerInfo } from "../data/tokenizer.ts";

/**
 * Hugging Face model config inside a checkpoint directory.
 *
 * @example
 * ```ts
 * import { CONFIG_FILE } from "./checkpoint.ts";
 * const path = `runs/ckpt/${CONFIG_FILE}`;
 * ```
 */
export const CONFIG_FILE = "config.json";
/**
 * Weights file inside a checkpoint directory (F32 safetensors).
 *
 * @example
 * ```ts
 * import { WEIGHTS_FILE } from "./checkpoint.ts";
 * const path = `runs/ckpt/${WEIGHTS_FILE}`;
 * ```
 */
export const WEIGHTS_FILE = "model.safetensors";
/**
 * Kit metadata (format, tokenizer, extras) inside a checkpoint directory.
 *
 * @example
 * ```ts
 * import { META_FILE } from "./checkpoint.ts";
 * const path = `runs/ckpt/${META_FILE}`;
 * ```
 */
export const META_FILE = "hyperclone.json";
/**
 * Version of `hyperclone.json` written (and the only one read) by this module.
 *
 * @example
 * ```ts
 * import { CHECKPOINT_FORMAT } from "./checkpoint.ts";
 * const meta = { format: CHECKPOINT_FORMAT };
 * ```
 */
export const CHECKPOINT_FORMAT = 1;

/** Options of {@link saveCheckpoint}. */
export interface SaveOptions {
  /**
   * Defaults to the byte tokenizer `{type: "byte", vocabSize: 256}`. A
   * tokenizer with `files` (Hugging Face) has them written into the directory.
   */
  tokenizer?: TokenizerInfo | Tokenizer;
  /** Any JSON the caller wants back from {@link loadCheckpoint} (e.g. a training-state pointer). */
  extra?: Record<string, unknown>;
  /** Replace an existing directory. */
  force?: boolean;
}

/** A loaded checkpoint. */
export interface Checkpoint {
  config: ModelConfig;
  params: TensorMap;
  tokenizer: TokenizerInfo;
  extra: Record<string, unknown>;
}

/** HF config field behind each dimension of each parameter, for shape errors. */
function dimFields(family: Family, name: string): string[] {
  const g = family === "gpt2";
  const E = g ? "n_embd" : "hidden_size";
  const V = "vocab_size";
  const F = g ? "n_inner" : "intermediate_size";
  const A = "num_attention_heads*head_dim";
  const K = "num_key_value_heads*head_dim";
  const rules: [RegExp, string[]][] = g
    ? [
      [/wte\.weight$/, [V, E]],
      [/wpe\.weight$/, ["n_positions", E]],
      [/(ln_\w+)\.(weight|bias)$/, [E]],
      [/c_attn\.weight$/, [E, "3*n_embd"]],
      [/c_attn\.bias$/, ["3*n_embd"]],
      [/mlp\.c_fc\.weight$/, [E, F]],
      [/mlp\.c_fc\.bias$/, [F]],
      [/mlp\.c_proj\.weight$/, [F, E]],
      [/attn\.c_proj\.weight$/, [E, E]],
      [/c_proj\.bias$/, [E]],
      [/lm_head\.weight$/, [V, E]],
    ]
    : [
      [/embed_tokens\.weight$/, [V, E]],
      [/norm\.weight$/, [E]],
      [/q_proj\.weight$/, [A, E]],
      [/[kv]_proj\.weight$/, [K, E]],
      [/o_proj\.weight$/, [E, A]],
      [/(gate|up)_proj\.weight$/, [F, E]],
      [/down_proj\.weight$/, [E, F]],
      [/lm_head\.weight$/, [V, E]],
    ];
  return rules.find(([re]) => re.test(name))?.[1] ?? [];
}

function shapeError(
  file: string,
  family: Family,
  name: string,
  got: readonly number[],
  want: readonly number[],
): Error {
  const fields = dimFields(family, name);
  const why = got.length === want.length
    ? want.map((w, i) => (w !== got[i] ? `dim ${i} = ${fields[i] ?? "?"} = ${w}` : "")).filter(
      Boolean,
    ).join(", ")
    : `dims are ${fields.join(" x ")}`;
  return new Error(
    `${file}: tensor ${name} has shape [${got}] but config.json implies [${want}] (${why})`,
  );
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Bitwise equality (NaN payloads and -0 included). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function checkTokenizer(t: unknown, src: string, cfg: ModelConfig): TokenizerInfo {
  const o = t as Record<string, unknown>;
  if (typeof o !== "object" || o === null || typeof o.type !== "string") {
    throw new Error(`${src}: tokenizer.type must be a string`);
  }
  const v = o.vocabSize;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw new Error(`${src}: tokenizer.vocabSize must be a positive integer, got ${v}`);
  }
  if (v > cfg.vocabSize) {
    // A larger model vocabulary is fine (HF models pad it, e.g. Pythia 50277 -> 50304).
    throw new TokenizerError(
      `${src}: the tokenizer has ${v} tokens but the model's vocab_size is ${cfg.vocabSize}; ` +
        `ids >= ${cfg.vocabSize} would have no embedding. Use the model's own tokenizer`,
    );
  }
  return { ...(o as object), type: o.type, vocabSize: v } as TokenizerInfo;
}

/**
 * Saves a checkpoint directory atomically: `config.json`, `model.safetensors`
 * (tensors exactly those of `paramSpecs(cfg)`, F32) and `hyperclone.json`.
 * Everything is checked before anything is written; on any error `dir` is
 * left untouched (absent, or as it was).
 *
 * @example
 * ```ts
 * import { saveCheckpoint } from "./checkpoint.ts";
 * import { PRESETS } from "../model/config.ts";
 * import { initParams } from "../model/params.ts";
 * await saveCheckpoint("/tmp/hc-ckpt", PRESETS.tiny, initParams(PRESETS.tiny, 0), { force: true });
 * ```
 */
export async function saveCheckpoint(
  dir: string,
  cfg: ModelConfig,
  params: TensorMap,
  opts: SaveOptions = {},
): Promise<void> {
  const configText = hfConfigText(cfg); // throws on an invalid config
  const tok = opts.tokenizer ?? { type: "byte", vocabSize: 256 };
  const tokFiles = "encode" in tok ? tok.files ?? {} : {};
  const tokenizer = checkTokenizer("encode" in tok ? tok.info : tok, "saveCheckpoint", cfg);
  const specs = paramSpecs(cfg);
  const known = new Set(specs.map((s) => s.name));
  for (const spec of specs) {
    const t = params.get(spec.name);
    if (!t) throw new Error(`saveCheckpoint: params has no tensor ${spec.name}`);
    if (!sameShape(t.shape, spec.shape)) {
      throw shapeError("saveCheckpoint", cfg.family, spec.name, t.shape, spec.shape);
    }
    if (t.data.length !== sizeOf(spec.shape)) {
      throw new Error(
        `saveCheckpoint: tensor ${spec.name} has ${t.data.length} values for shape [${spec.shape}]`,
      );
    }
  }
  for (const name of params.keys()) {
    if (!known.has(name)) {
      throw new Error(
        `saveCheckpoint: params has tensor ${name}, which this ${cfg.family} config does not ` +
          `define${name === "lm_head.weight" ? " (tie_word_embeddings is true)" : ""}`,
      );
    }
  }
  const meta = {
    format: CHECKPOINT_FORMAT,
    tokenizer,
    extra: opts.extra ?? {},
  };
  const metaText = JSON.stringify(meta, null, 2) + "\n";
  await writeDirAtomic(dir, async (tmp) => {
    await writeFileAtomic(join(tmp, CONFIG_FILE), configText);
    await writeFileAtomic(join(tmp, META_FILE), metaText);
    for (const [name, bytes] of Object.entries(tokFiles)) {
      await writeFileAtomic(join(tmp, name), bytes);
    }
    const names = specs.map((s) => s.name).sort();
    const w = await createSafetensorsWriter(
      join(tmp, WEIGHTS_FILE),
      names.map((name) => ({ name, shape: params.get(name)!.shape })),
      { format: "pt" }, // what transformers expects in safetensors metadata
    );
    try {
      for (const name of names) await w.write(name, params.get(name)!.data);
      await w.close();
    } catch (e) {
      await w.abort();
      throw e;
    }
  }, { force: opts.force });
}

async function readMeta(
  dir: string,
  cfg: ModelConfig,
): Promise<{ tokenizer: TokenizerInfo; extra: Record<string, unknown> }> {
  const path = join(dir, META_FILE);
  const files = await readTokenizerFiles(dir);
  // A folder's tokenizer.json is its tokenizer (as in Hugging Face folders).
  const hf = files && checkTokenizer(hfTokenizerInfo(files, dir), join(dir, TOKENIZER_JSON), cfg);
  if (!(await pathExists(path))) {
    if (hf) return { tokenizer: hf, extra: {} };
    // A plain HF checkpoint: only a 256-entry vocabulary can be the byte tokenizer.
    return {
      tokenizer: cfg.vocabSize === 256
        ? { type: "byte", vocabSize: 256 }
        : { type: "unknown", vocabSize: cfg.vocabSize },
      extra: {},
    };
  }
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(await readFile(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof meta !== "object" || meta === null) throw new Error(`${path}: must be an object`);
  if (meta.format !== CHECKPOINT_FORMAT) {
    throw new Error(
      `${path}: format ${
        JSON.stringify(meta.format)
      } is not supported (expected ${CHECKPOINT_FORMAT})`,
    );
  }
  const extra = meta.extra ?? {};
  if (typeof extra !== "object" || extra === null || Array.isArray(extra)) {
    throw new Error(`${path}: extra must be an object`);
  }
  const recorded = checkTokenizer(meta.tokenizer, path, cfg);
  if (recorded.type === "hf" && !hf) {
    throw new TokenizerError(
      `${path} names a Hugging Face tokenizer but ${join(dir, TOKENIZER_JSON)} is missing; ` +
        `copy the tokenizer files into the checkpoint`,
    );
  }
  return { tokenizer: hf ?? recorded, extra: extra as Record<string, unknown> };
}

/**
 * The tokenizer of a checkpoint folder: its tokenizer.json (with
 * tokenizer_config.json) when present, else the one hyperclone.json names.
 * Throws a TokenizerError (exit 2) naming the file for a malformed
 * tokenizer.json or a tokenizer with more ids than the model's vocab_size.
 *
 * @example
 * ```ts
 * import { loadCheckpointTokenizer } from "./checkpoint.ts";
 * const tok = await loadCheckpointTokenizer("/tmp/hc-ckpt");
 * tok.decode(tok.encode("hello")); // "hello"
 * ```
 */
export async function loadCheckpointTokenizer(dir: string): Promise<Tokenizer> {
  const cfg = await loadCheckpointConfig(dir);
  const { tokenizer } = await readMeta(dir, cfg);
  if (tokenizer.type === "unknown") {
    throw new TokenizerError(
      `${dir}: no ${TOKENIZER_JSON}, and vocab_size ${cfg.vocabSize} is not the byte tokenizer's ` +
        `256; copy the model's tokenizer files (${TOKENIZER_JSON}) into the folder`,
    );
  }
  if (tokenizer.type !== "hf") {
    try {
      return tokenizerFromInfo(tokenizer);
    } catch (e) {
      throw new TokenizerError(`${join(dir, META_FILE)}: ${(e as Error).message}`);
    }
  }
  return hfTokenizer((await readTokenizerFiles(dir))!, dir);
}

/**
 * Reads just the model config of a checkpoint.
 *
 * @example
 * ```ts
 * import { loadCheckpointConfig } from "./checkpoint.ts";
 * const cfg = await loadCheckpointConfig("/tmp/hc-ckpt");
 * ```
 */
export async function loadCheckpointConfig(dir: string): Promise<ModelConfig> {
  const path = join(dir, CONFIG_FILE);
  if (!(await pathExists(path))) {
    throw new Error(`${dir}: no ${CONFIG_FILE}; not a checkpoint directory`);
  }
  return await readHfConfig(path);
}

/**
 * Canonical (paramSpecs) name for a file tensor name, or `null` for buffers
 * that are not parameters. HF `GPT2Model`/`LlamaModel` files omit the
 * `transformer.`/`model.` prefix; GPT-2 files carry causal-mask buffers and old
 * Llama files RoPE `inv_freq` buffers.
 *
 * @example
 * ```ts
 * import { canonicalName } from "./checkpoint.ts";
 * canonicalName("gpt2", "h.0.ln_1.weight"); // "transformer.h.0.ln_1.weight"
 * canonicalName("gpt2", "h.0.attn.bias"); // null (causal-mask buffer)
 * ```
 */
export function canonicalName(family: Family, name: string): string | null {
  if (family === "gpt2") {
    const n = /^(wte|wpe|ln_f|h\.\d+)\./.test(name) ? `transformer.${name}` : name;
    if (/^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/.test(n)) return null;
    return n;
  }
  const n = /^(embed_tokens|norm|layers\.\d+)\./.test(name) ? `model.${name}` : name;
  if (/\.rotary_emb\.inv_freq$/.test(n)) return null;
  return n;
}

/** Streaming access to a checkpoint's parameters under their canonical names. */
export interface CheckpointTensorReader {
  dir: string;
  config: ModelConfig;
  tokenizer: TokenizerInfo;
  extra: Record<string, unknown>;
  /** Canonical parameter names, in `paramSpecs` order. */
  names(): string[];
  /** File entry (dtype, shape, offsets) behind a canonical name. */
  info(name: string): SafetensorsEntry;
  /** Reads one parameter as float32. */
  read(name: string): Promise<HostTensor>;
  close(): Promise<void>;
}

/**
 * Opens a checkpoint for tensor-by-tensor reading (for checkpoints too big to
 * hold twice in memory). Validates config, names and shapes up front.
 *
 * @example
 * ```ts
 * import { checkpointTensorReader } from "./checkpoint.ts";
 * const r = await checkpointTensorReader("/tmp/hc-ckpt");
 * for (const name of r.names()) console.log(name, (await r.read(name)).shape);
 * await r.close();
 * ```
 */
export async function checkpointTensorReader(dir: string): Promise<CheckpointTensorReader> {
  const config = await loadCheckpointConfig(dir);
  const { tokenizer, extra } = await readMeta(dir, config);
  const wpath = join(dir, WEIGHTS_FILE);
  if (!(await pathExists(wpath))) {
    const sharded = await pathExists(join(dir, `${WEIGHTS_FILE}.index.json`));
    throw new Error(
      `${dir}: no ${WEIGHTS_FILE}` +
        (sharded ? " (sharded checkpoints are not supported; merge the shards)" : ""),
    );
  }
  const file: SafetensorsReader = await openSafetensors(wpath);
  try {
    const specs = paramSpecs(config);
    const known = new Map(specs.map((s) => [s.name, s]));
    const fileName = new Map<string, string>(); // canonical -> name in the file
    let tiedHead: string | undefined;
    for (const raw of file.names()) {
      const name = canonicalName(config.family, raw);
      if (name === null) continue;
      if (name === "lm_head.weight" && config.tieWordEmbeddings) {
        tiedHead = raw;
        continue;
      }
      if (!known.has(name)) {
        throw new Error(
          `${wpath}: unexpected tensor ${raw}; config.json defines no such parameter ` +
            `(wrong n_layer/num_hidden_layers or model_type?)`,
        );
      }
      if (fileName.has(name)) {
        throw new Error(
          `${wpath}: tensor ${name} appears twice (as ${fileName.get(name)} and ${raw})`,
        );
      }
      fileName.set(name, raw);
    }
    for (const spec of specs) {
      const raw = fileName.get(spec.name);
      if (raw === undefined) throw new Error(`${wpath}: missing tensor ${spec.name}`);
      const e = file.info(raw);
      if (!sameShape(e.shape, spec.shape)) {
        throw shapeError(wpath, config.family, spec.name, e.shape, spec.shape);
      }
    }
    if (tiedHead !== undefined) {
      // A tied model saved with an explicit head copy: fine only if it is a copy.
      const embed = specs[0].name;
      const head = await file.read(tiedHead);
      const wte = await file.read(fileName.get(embed)!);
      if (!sameShape(head.shape, wte.shape) || !sameBits(head.data, wte.data)) {
        throw new Error(
          `${wpath}: lm_head.weight differs from ${embed} but config.json has ` +
            `tie_word_embeddings true; set it to false`,
        );
      }
    }
    return {
      dir,
      config,
      tokenizer,
      extra,
      names: () => specs.map((s) => s.name),
      info(name) {
        const raw = fileName.get(name);
        if (raw === undefined) throw new Error(`${dir}: no parameter ${name}`);
        return file.info(raw);
      },
      async read(name) {
        const raw = fileName.get(name);
        if (raw === undefined) throw new Error(`${dir}: no parameter ${name}`);
        return await file.read(raw);
      },
      close: () => file.close(),
    };
  } catch (e) {
    await file.close();
    throw e;
  }
}

/**
 * Loads a whole checkpoint into memory.
 *
 * @example
 * ```ts
 * import { loadCheckpoint } from "./checkpoint.ts";
 * const { config, params, tokenizer } = await loadCheckpoint("/tmp/hc-ckpt");
 * ```
 */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const r = await checkpointTensorReader(dir);
  try {
    const params: TensorMap = new Map();
    for (const name of r.names()) params.set(name, await r.read(name));
    return { config: r.config, params, tokenizer: r.tokenizer, extra: r.extra };
  } finally {
    await r.close();
  }
}
