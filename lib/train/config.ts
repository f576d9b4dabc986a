/**
 * Training configuration: a JSON file validated with zod. Unknown keys, wrong
 * types and impossible shapes are rejected with the path of the field.
 *
 * @module
 */
import { z } from "zod";
import { UsageError } from "../errors.ts";
import { configProblems, defaultConfig, type ModelConfig, PRESETS } from "../model/config.ts";

const int = z.number().int();
const pos = int.positive();

/** Model section: a preset name and/or explicit sizes. */
export const ModelSpecSchema = z.object({
  preset: z.string().optional(),
  family: z.enum(["gpt2", "llama"]).optional(),
  vocabSize: pos.optional(),
  hiddenSize: pos.optional(),
  numLayers: pos.optional(),
  numHeads: pos.optional(),
  numKvHeads: pos.optional(),
  headDim: pos.optional(),
  intermediateSize: pos.optional(),
  maxPositions: pos.optional(),
  normEps: z.number().positive().optional(),
  ropeTheta: z.number().positive().optional(),
  tieWordEmbeddings: z.boolean().optional(),
  dropout: z.number().min(0).lt(1).optional(),
}).strict();

/** Optimiser and schedule section. */
export const OptimSchema = z.object({
  lr: z.number().positive().default(3e-3),
  warmupSteps: int.nonnegative().default(20),
  /** Cosine floor as a fraction of lr. */
  minLrRatio: z.number().min(0).max(1).default(0.1),
  weightDecay: z.number().min(0).default(0.1),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.95),
  eps: z.number().positive().default(1e-8),
  gradClip: z.number().min(0).default(1),
}).strict();

/** Data section. */
export const DataSchema = z.object({
  /** "brown", a .txt file, a folder of .txt files, or a .jsonl with "text". */
  source: z.string().default("brown"),
  seqLen: pos.default(64),
  batchSize: pos.default(16),
}).strict();

/** The task switch of training runs and experiment presets. */
export const TasksSchema = z.enum(["builtin", "none"]);

/**
 * Maps the legacy field `taskItems` (a subset size; 0 = off) of older configs
 * and specs to `tasks`: any positive size now scores the whole suite.
 * Returns other values unchanged; `field` names the field in errors.
 *
 * @example
 * ```ts
 * import { migrateTaskFields } from "./config.ts";
 * migrateTaskFields({ steps: 5, taskItems: 20 }); // { steps: 5, tasks: "builtin" }
 * ```
 */
export function migrateTaskFields(value: unknown, field = "config: taskItems"): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const { taskItems, ...rest } = value as Record<string, unknown>;
  if (taskItems === undefined) return value;
  if ("tasks" in rest) {
    throw new ConfigError(
      `${field}: give tasks ("builtin" or "none") only; taskItems is its old name`,
    );
  }
  if (typeof taskItems !== "number" || !Number.isInteger(taskItems) || taskItems < 0) {
    throw new ConfigError(
      `${field}: expected a non-negative integer; better, use tasks: "builtin" or "none"`,
    );
  }
  return { ...rest, tasks: taskItems > 0 ? "builtin" : "none" };
}

/** A whole training run. */
export const TrainConfigSchema = z.object({
  comment: z.string().optional(),
  model: ModelSpecSchema.optional(),
  /** Start from this checkpoint directory (e.g. a clone) instead of random init. */
  init: z.string().optional(),
  /**
   * "byte" (default), "bpe-1024" / "bpe-4096" (byte-level BPE trained on the
   * built-in corpus) or a tokenizer.json path. With `init`, the checkpoint's own
   * tokenizer is used and this must name the same one.
   */
  tokenizer: z.string().min(1).optional(),
  /** Dropout for this run (overrides the model's; lets a clone train with dropout). */
  dropout: z.number().min(0).lt(1).optional(),
  data: DataSchema.default({}),
  optim: OptimSchema.default({}),
  steps: pos,
  evalEvery: pos.default(50),
  evalBatches: pos.default(8),
  checkpointEvery: pos.default(200),
  seed: int.nonnegative().default(0),
  /**
   * Zero-shot tasks scored at each eval: "builtin" = every item of every task
   * of the built-in suite (lib/eval/suite.ts), "none" = off.
   */
  tasks: TasksSchema.default("none"),
}).strict();

/** Parsed training config (defaults filled in). */
export type TrainConfig = z.infer<typeof TrainConfigSchema>;

/** A config error: one line naming the field; the CLI exits with code 2. */
export class ConfigError extends UsageError {
  override name = "ConfigError";
}

/** Formats the first zod issue as `path: message`. */
export function zodMessage(err: z.ZodError, file: string): string {
  const issue = err.issues[0];
  const where = issue.path.length ? issue.path.join(".") : "(top level)";
  const extra = issue.code === "unrecognized_keys" ? ` (${issue.keys.join(", ")})` : "";
  return `${file}: ${where}: ${issue.message}${extra}`;
}

/**
 * Validates a parsed JSON value as a training config.
 *
 * @example
 * ```ts
 * import { parseTrainConfig } from "./config.ts";
 * const cfg = parseTrainConfig({ model: { preset: "tiny" }, steps: 10 });
 * ```
 */
export function parseTrainConfig(value: unknown, file = "config"): TrainConfig {
  const r = TrainConfigSchema.safeParse(migrateTaskFields(value, `${file}: taskItems`));
  if (!r.success) throw new ConfigError(zodMessage(r.error, file));
  const cfg = r.data;
  if (!cfg.model && !cfg.init) {
    throw new ConfigError(`${file}: model: give a model (preset or sizes) or an init checkpoint`);
  }
  if (cfg.model && cfg.init) {
    throw new ConfigError(`${file}: init: give either model or init, not both`);
  }
  if (cfg.model) {
    const m = resolveModel(cfg, file);
    if (cfg.data.seqLen > m.maxPositions) {
      throw new ConfigError(
        `${file}: data.seqLen: ${cfg.data.seqLen} exceeds model maxPositions ${m.maxPositions}`,
      );
    }
  }
  return cfg;
}

/**
 * The ModelConfig a training config describes (preset, then explicit sizes).
 * With `tokenizerVocab` (the config names a tokenizer), vocabSize is the
 * tokenizer's unless model.vocabSize is given, which must then be at least it.
 *
 * @example
 * ```ts
 * import { parseTrainConfig, resolveModel } from "./config.ts";
 * const m = resolveModel(parseTrainConfig({ model: { preset: "tiny" }, steps: 1 }));
 * ```
 */
export function resolveModel(
  cfg: TrainConfig,
  file = "config",
  tokenizerVocab?: number,
): ModelConfig {
  const spec = cfg.model ?? {};
  if (tokenizerVocab !== undefined && spec.vocabSize !== undefined) {
    if (spec.vocabSize < tokenizerVocab) {
      throw new ConfigError(
        `${file}: model.vocabSize: ${spec.vocabSize} is smaller than the tokenizer's ` +
          `${tokenizerVocab} tokens; drop model.vocabSize (it follows the tokenizer) or raise it`,
      );
    }
  }
  let base: ModelConfig | undefined;
  if (spec.preset) {
    base = PRESETS[spec.preset];
    if (!base) {
      throw new ConfigError(
        `${file}: model.preset: unknown preset '${spec.preset}' (choose ${
          Object.keys(PRESETS).join(", ")
        })`,
      );
    }
  }
  const { preset: _p, ...sizes } = spec;
  const family = sizes.family ?? base?.family ?? "gpt2";
  let inherited: Partial<ModelConfig> = {};
  if (base && family === base.family) {
    // Derived sizes follow the explicit ones unless given too.
    const { headDim, intermediateSize, numKvHeads, ...rest } = base;
    const widthSet = sizes.hiddenSize !== undefined || sizes.numHeads !== undefined;
    inherited = {
      ...rest,
      ...(widthSet ? {} : { headDim }),
      ...(sizes.hiddenSize !== undefined ? {} : { intermediateSize }),
      ...(sizes.numHeads !== undefined ? {} : { numKvHeads }),
    };
  }
  const fromTok = tokenizerVocab !== undefined && sizes.vocabSize === undefined
    ? { vocabSize: tokenizerVocab }
    : {};
  const merged = defaultConfig(family, { ...inherited, ...sizes, ...fromTok });
  if (cfg.dropout !== undefined) merged.dropout = cfg.dropout;
  const problems = configProblems(merged);
  if (problems.length) throw new ConfigError(`${file}: model.${problems[0]}`);
  return merged;
}
