/**
 * Experiment specs: a JSON file with a name, a comment, shared settings
 * (`base`) and named presets (`quick`, `standard`, `paper`, ...). Each preset
 * is `base` deep-merged with the preset's own object (objects merge, arrays
 * and values replace), then validated strictly with zod and checked for
 * consistency (sources exist, clones grow the source by integer factors into
 * exactly the target's shape). Every preset is checked when the file is read,
 * so a malformed spec fails before any training, with the field named.
 *
 * @module
 */
import { z } from "zod";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fromHfConfig } from "../io/hf_config.ts";
import { hfTokenizerInfo, TOKENIZER_JSON } from "../data/hf_tokenizer.ts";
import { UsageError } from "../errors.ts";
import { type ModelConfig } from "../model/config.ts";
import {
  DataSchema,
  migrateTaskFields,
  ModelSpecSchema,
  OptimSchema,
  parseTrainConfig,
  resolveModel,
  TasksSchema,
  zodMessage,
} from "../train/config.ts";
import {
  CLONE_DEFAULTS,
  cloneConfig,
  DEPTH_MODES,
  HEAD_MODES,
  type StoredCloneOptions,
  TIED_MODES,
  VARIANTS,
} from "../clone/options.ts";

const int = z.number().int();
const pos = int.positive();
const name = z.string().regex(
  /^[a-z0-9][a-z0-9-]*$/,
  "use lower-case letters, digits and '-' (it becomes a folder name)",
);

/** Optimiser fields that override a default schedule (all optional). */
export const OptimOverrideSchema = OptimSchema.partial().strict();

/** How a model is cloned from a source (clone inits and staged sources). */
const cloneFields = {
  source: z.string(),
  variant: z.enum(VARIANTS),
  /** Hidden-width factor; default target hiddenSize / source hiddenSize. */
  width: pos.optional(),
  /** FFN factor; default target intermediateSize / source intermediateSize. */
  ffn: pos.optional(),
  heads: z.enum(HEAD_MODES).default(CLONE_DEFAULTS.heads),
  tied: z.enum(TIED_MODES).default(CLONE_DEFAULTS.tied),
  snrDb: z.number().finite().default(CLONE_DEFAULTS.snrDb),
  /** Depth factor; default target numLayers / source numLayers. */
  depth: pos.optional(),
  /** How new layers are made when depth > 1 (docs/cloning.md, "Depth"). */
  depthMode: z.enum(DEPTH_MODES).default(CLONE_DEFAULTS.depthMode),
};

/**
 * A source model: trained once per preset, cached by a hash of its config.
 * With `from` it is itself grown from another source (staged growth: e.g.
 * 32 -> 64 wide, trained, then cloned again into the target); its cost
 * then includes every earlier stage.
 */
export const TrainedSourceSchema = z.object({
  model: ModelSpecSchema,
  steps: pos,
  optim: OptimOverrideSchema.default({}),
  /** Seed of the source's init and data order (one source for all target seeds). */
  seed: int.nonnegative().default(0),
  dropout: z.number().min(0).lt(1).optional(),
  /** Staged growth: start from a clone of another source instead of random init. */
  from: z.object({
    ...cloneFields,
    /** Noise seed; default the source's seed. */
    noiseSeed: int.nonnegative().optional(),
  }).strict().optional(),
}).strict();

/**
 * A source that already exists: a checkpoint folder (e.g. a downloaded Hugging
 * Face model) used as is. Its training cost is what the user says (default 0),
 * charged to clones on the "with source" axis like a trained source's.
 */
export const PretrainedSourceSchema = z.object({
  path: z.string().min(1),
  cost: z.object({
    trainFlops: z.number().min(0).default(0),
    deviceHours: z.number().min(0).default(0),
    tokens: z.number().min(0).default(0),
    steps: z.number().min(0).default(0),
  }).strict().default({}),
}).strict();

/** A source: trained here (possibly staged), or an existing checkpoint folder. */
export const SourceSchema = z.union([TrainedSourceSchema, PretrainedSourceSchema]);

/**
 * The stage a source grows from (none for a pretrained or random-init source).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromOf } from "./spec.ts";
 * assert.equal(fromOf({ path: "hf-model", cost: {} as never }), undefined);
 * ```
 */
export function fromOf(s: z.infer<typeof SourceSchema>) {
  return "path" in s ? undefined : s.from;
}

/** The target model and its training budget. */
export const TargetSchema = z.object({
  model: ModelSpecSchema,
  steps: pos,
  /** Schedule of the random-init baseline (and default for every target). */
  optim: OptimOverrideSchema.default({}),
  /** Schedule of cloned targets, over `optim` (e.g. shorter warm-up, lower lr). */
  cloneOptim: OptimOverrideSchema.default({}),
}).strict();

const common = {
  /** Row name in the table and in run ids; defaults to the kind / variant. */
  label: name.optional(),
  /** What the run is compared within; defaults to the source name or "random". */
  group: z.string().min(1).optional(),
  optim: OptimOverrideSchema.optional(),
  dropout: z.number().min(0).lt(1).optional(),
};

/** The initialisations an experiment compares. */
export const InitSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("random"), ...common }).strict(),
  z.object({
    kind: z.literal("clone"),
    ...common,
    ...cloneFields,
    /** Noise seed; default: the run's seed (noisy variants), 0 otherwise. */
    noiseSeed: int.nonnegative().optional(),
  }).strict(),
  z.object({
    kind: z.literal("keep-training"),
    ...common,
    source: z.string(),
    /** Extra steps of the source; default FLOPs-matched to the target budget. */
    steps: pos.optional(),
  }).strict(),
]);

/** One preset, after merging `base`. */
export const PresetSchema = z.object({
  comment: z.string().optional(),
  data: DataSchema.default({}),
  /** Target seeds: data order, random init, clone noise and dropout. */
  seeds: z.array(int.nonnegative()).min(1),
  evalEvery: pos.default(50),
  evalBatches: pos.default(8),
  checkpointEvery: pos.default(50),
  /** Zero-shot suite scored (every item) at every eval of target and control runs. */
  tasks: TasksSchema.default("none"),
  /** Evaluations averaged into the speed-up target. */
  k: pos.default(2),
  /** Label of the random init every other init is compared with (default: the first). */
  baseline: name.optional(),
  sources: z.record(name, SourceSchema).default({}),
  /**
   * Tokenizer of every run ("byte", "bpe-4096", a path); default: a
   * pretrained source's own tokenizer.json when it has one, else bytes.
   */
  tokenizer: z.string().min(1).optional(),
  target: TargetSchema,
  inits: z.array(InitSchema).min(1),
}).strict();

/**
 * A whole spec file (presets still unmerged; {@link parseSpec} merges and checks them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SpecSchema } from "./spec.ts";
 * assert.equal(SpecSchema.safeParse({ name: "x", comment: "c", presets: { quick: {} } }).success, true);
 * assert.equal(SpecSchema.safeParse({ name: "x", comment: "c", presets: {} }).success, false);
 * ```
 */
export const SpecSchema = z.object({
  name,
  comment: z.string().min(1),
  base: z.record(z.unknown()).default({}),
  presets: z.record(name, z.record(z.unknown())).refine((p) => Object.keys(p).length > 0, {
    message: "give at least one preset",
  }),
}).strict();

/** A preset after validation. */
export type Preset = z.infer<typeof PresetSchema>;
/** One initialisation of a preset. */
export type InitSpec = z.infer<typeof InitSchema>;

/**
 * Resolved clone options of a spec (noise seed not set: the grid sets it).
 * `depth` and `depthMode` are present only for depth growth (depth > 1), so
 * width-only clones keep the ids they had before depth existed.
 */
export type SpecCloneOptions = Omit<StoredCloneOptions, "seed">;

/** A preset with everything resolved: labels, baseline, models, clone options. */
export interface ResolvedPreset extends Preset {
  name: string;
  baseline: string;
  labels: string[];
  targetModel: ModelConfig;
  sourceModels: Record<string, ModelConfig>;
  /** Clone options per init index (null for non-clone inits), noise seed not set. */
  cloneOptions: (SpecCloneOptions | null)[];
  /** Staged sources: the clone options each is grown with (sources with `from`). */
  sourceCloneOptions: Record<string, SpecCloneOptions>;
  /** Source names in training order (every staged source after the one it grows from). */
  sourceOrder: string[];
}

/** A validated spec: every preset resolved. */
export interface Spec {
  name: string;
  comment: string;
  presets: Record<string, ResolvedPreset>;
  /** Source file (for messages). */
  file: string;
}

/**
 * A malformed spec: the CLI prints the one-line message (field named) and exits 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSpec, SpecError } from "./spec.ts";
 * import { UsageError } from "../errors.ts";
 * assert.throws(
 *   () => parseSpec({ name: "x" }, "x.json"),
 *   (e) => e instanceof SpecError && e instanceof UsageError && e.message === "x.json: comment: Required",
 * );
 * ```
 */
export class SpecError extends UsageError {
  override name = "SpecError";
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * Deep merge: objects merge key by key, anything else in `over` replaces.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deepMerge } from "./spec.ts";
 * assert.deepEqual(
 *   deepMerge({ a: { b: 1, c: 2 }, d: [1] }, { a: { c: 3 }, d: [2] }),
 *   { a: { b: 1, c: 3 }, d: [2] },
 * );
 * ```
 */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObj(base) || !isObj(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

function has(obj: unknown, p: FieldPath): boolean {
  let cur = obj;
  for (const k of p) {
    if (!isObj(cur) && !Array.isArray(cur)) return false;
    if (!(k in (cur as Record<string, unknown>))) return false;
    cur = (cur as Record<string, unknown>)[k];
  }
  return true;
}

function defaultLabel(init: InitSpec): string {
  return init.kind === "clone" ? init.variant : init.kind;
}

function ratio(t: number, s: number, what: string, src: string, at: string): number {
  if (t < s) {
    throw new SpecError(
      `${at}: target ${what} ${t} is smaller than source '${src}' ${what} ${s}; ` +
        `cloning only grows a model (choose a larger target or a smaller source)`,
    );
  }
  if (t % s !== 0) {
    throw new SpecError(
      `${at}: target ${what} ${t} is not an integer multiple of source '${src}' ` +
        `${what} ${s}; the clone factor must be an integer`,
    );
  }
  return t / s;
}

const SHAPE_FIELDS = [
  "family",
  "vocabSize",
  "numLayers",
  "hiddenSize",
  "intermediateSize",
  "numHeads",
  "numKvHeads",
  "headDim",
  "maxPositions",
] as const;

function modelOf(model: unknown, steps: number, where: string, vocab?: number): ModelConfig {
  // resolveModel names the field as `<where>: model.<field>`; seqLen is checked by the caller.
  return resolveModel(parseTrainConfig({ model, steps, data: { seqLen: 1 } }, where), where, vocab);
}

/** Vocabulary of a preset's `tokenizer` (the models' vocabSize follows it, as in training). */
function tokenizerVocab(choice: string, at: string): number {
  if (choice === "byte") return 256;
  const m = /^bpe-(\d+)$/.exec(choice);
  if (m) return Number(m[1]);
  const file = existsSync(join(choice, TOKENIZER_JSON)) ? join(choice, TOKENIZER_JSON) : choice;
  try {
    return hfTokenizerInfo({ [TOKENIZER_JSON]: readFileSync(file) }, choice).vocabSize;
  } catch (e) {
    throw new SpecError(`${at}: ${(e as Error).message}`);
  }
}

function pretrainedConfig(dir: string, at: string): ModelConfig {
  const file = join(dir, "config.json");
  if (!existsSync(file)) {
    throw new SpecError(
      `${at}: ${dir} has no config.json; give a checkpoint folder (config.json + model.safetensors)`,
    );
  }
  try {
    return fromHfConfig(JSON.parse(readFileSync(file, "utf8")), file);
  } catch (e) {
    throw new SpecError(`${at}: ${(e as Error).message}`);
  }
}

/** A field's path inside a preset, e.g. `["inits", 2, "variant"]`. */
type FieldPath = (string | number)[];

/**
 * Names a field of one preset in messages (`where(["seeds"])` is
 * `spec.json: presets.quick.seeds`, or `spec.json: base (preset quick).seeds`
 * when the value comes from `base`); `zod` formats a zod error the same way.
 */
interface Where {
  (p: FieldPath): string;
  zod(err: z.ZodError): string;
}

/** Validates the merged preset object against {@link PresetSchema}. */
function parsePreset(merged: unknown, where: Where): Preset {
  let migrated: unknown;
  try {
    migrated = migrateTaskFields(merged, where(["taskItems"]));
  } catch (e) {
    throw new SpecError((e as Error).message);
  }
  const r = PresetSchema.safeParse(migrated);
  if (!r.success) throw new SpecError(where.zod(r.error));
  return r.data;
}

/** Runs `f`, turning its error into a SpecError naming the field at `path` (a SpecError passes as is). */
function atField<T>(where: Where, path: FieldPath, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SpecError) throw e;
    const msg = (e as Error).message.replace(/^[^:]*: /, "");
    throw new SpecError(`${where(path)}: ${msg}`);
  }
}

/** The target's and every source's model config (vocabulary from the preset's tokenizer). */
function presetModels(
  p: Preset,
  where: Where,
): { targetModel: ModelConfig; sourceModels: Record<string, ModelConfig> } {
  const vocab = p.tokenizer ? tokenizerVocab(p.tokenizer, where(["tokenizer"])) : undefined;
  const targetModel = atField(
    where,
    ["target"],
    () => modelOf(p.target.model, p.target.steps, "target", vocab),
  );
  const sourceModels: Record<string, ModelConfig> = {};
  for (const [n, s] of Object.entries(p.sources)) {
    sourceModels[n] = "path" in s
      ? pretrainedConfig(s.path, where(["sources", n, "path"]))
      : atField(where, ["sources", n], () => modelOf(s.model, s.steps, `sources.${n}`, vocab));
    if (p.data.seqLen > sourceModels[n].maxPositions) {
      throw new SpecError(
        `${where(["data", "seqLen"])}: ${p.data.seqLen} exceeds source '${n}' maxPositions ${
          sourceModels[n].maxPositions
        }`,
      );
    }
  }
  return { targetModel, sourceModels };
}

/** Staged sources: their training order and the clone options each grows with. */
function presetStages(
  p: Preset,
  sourceModels: Record<string, ModelConfig>,
  where: Where,
): Pick<ResolvedPreset, "sourceOrder" | "sourceCloneOptions"> {
  for (const [n, s] of Object.entries(p.sources)) {
    if ("path" in s || !s.from) continue;
    if (!(s.from.source in p.sources) || s.from.source === n) {
      throw new SpecError(
        `${where(["sources", n, "from", "source"])}: '${s.from.source}' is not another source ` +
          `of this preset (defined: ${Object.keys(p.sources).join(", ")})`,
      );
    }
  }
  const sourceOrder = stageOrder(p.sources, where);
  const sourceCloneOptions: Record<string, SpecCloneOptions> = {};
  for (const [n, s] of Object.entries(p.sources)) {
    if ("path" in s || !s.from) continue;
    sourceCloneOptions[n] = resolveClone(
      s.from,
      sourceModels[s.from.source],
      sourceModels[n],
      `sources.${n}.model`,
      where(["sources", n, "from"]),
    );
  }
  return { sourceOrder, sourceCloneOptions };
}

/** Each init's label (distinct) and clone options (null for non-clone inits). */
function presetInits(
  p: Preset,
  models: { targetModel: ModelConfig; sourceModels: Record<string, ModelConfig> },
  where: Where,
): Pick<ResolvedPreset, "labels" | "cloneOptions"> {
  const labels: string[] = [];
  const cloneOptions: ResolvedPreset["cloneOptions"] = [];
  p.inits.forEach((init, i) => {
    const label = init.label ?? defaultLabel(init);
    if (labels.includes(label)) {
      throw new SpecError(
        `${
          where(["inits", i, "label"])
        }: duplicate label '${label}'; give each init a distinct label`,
      );
    }
    labels.push(label);
    if (init.kind === "random") return cloneOptions.push(null);
    if (!(init.source in p.sources)) {
      throw new SpecError(
        `${where(["inits", i, "source"])}: unknown source '${init.source}' (defined: ${
          Object.keys(p.sources).join(", ") || "none"
        })`,
      );
    }
    if (init.kind === "keep-training") return cloneOptions.push(null);
    const src = models.sourceModels[init.source];
    cloneOptions.push(
      resolveClone(init, src, models.targetModel, "target.model", where(["inits", i])),
    );
  });
  return { labels, cloneOptions };
}

/** The label of the random init every other init is compared with. */
function presetBaseline(p: Preset, labels: string[], where: Where): string {
  const randoms = p.inits.map((x, i) => ({ x, l: labels[i] })).filter((o) => o.x.kind === "random");
  const baseline = p.baseline ?? randoms[0]?.l;
  if (!baseline || !randoms.some((o) => o.l === baseline)) {
    throw new SpecError(
      `${where(["baseline"])}: ${
        p.baseline
          ? `'${p.baseline}' is not the label of a random init`
          : "no random init to compare with"
      }; add {"kind": "random"} to inits`,
    );
  }
  return baseline;
}

/** Validates one merged preset object; `where(path)` names a field in the file. */
function resolvePreset(presetName: string, merged: unknown, where: Where): ResolvedPreset {
  const p = parsePreset(merged, where);
  const models = presetModels(p, where);
  const stages = presetStages(p, models.sourceModels, where);
  if (p.data.seqLen > models.targetModel.maxPositions) {
    throw new SpecError(
      `${
        where(["data", "seqLen"])
      }: ${p.data.seqLen} exceeds target maxPositions ${models.targetModel.maxPositions}`,
    );
  }
  const inits = presetInits(p, models, where);
  const baseline = presetBaseline(p, inits.labels, where);
  return {
    ...p,
    name: presetName,
    baseline,
    labels: inits.labels,
    targetModel: models.targetModel,
    sourceModels: models.sourceModels,
    cloneOptions: inits.cloneOptions,
    sourceCloneOptions: stages.sourceCloneOptions,
    sourceOrder: stages.sourceOrder,
  };
}

/** Source names, each after the source it is grown from; a cycle is a SpecError. */
function stageOrder(sources: Preset["sources"], where: Where): string[] {
  const order: string[] = [];
  const visit = (n: string, path: string[]) => {
    if (order.includes(n)) return;
    if (path.includes(n)) {
      throw new SpecError(
        `${where(["sources", n, "from"])}: staged sources form a cycle (${
          [...path, n].join(" -> ")
        }); a source cannot grow from itself`,
      );
    }
    const from = fromOf(sources[n])?.source;
    if (from) visit(from, [...path, n]);
    order.push(n);
  };
  for (const n of Object.keys(sources).sort()) visit(n, []);
  return order;
}

/**
 * Clone options that grow source model `src` into exactly the model `into`
 * (factors default to the shape ratios); a mismatch is a SpecError at `at`
 * naming `intoField`.
 */
function resolveClone(
  c: Pick<
    Extract<InitSpec, { kind: "clone" }>,
    "source" | "variant" | "width" | "ffn" | "heads" | "tied" | "snrDb" | "depth" | "depthMode"
  >,
  src: ModelConfig,
  into: ModelConfig,
  intoField: string,
  at: string,
): SpecCloneOptions {
  const width = c.width ?? ratio(into.hiddenSize, src.hiddenSize, "hiddenSize", c.source, at);
  const ffn = c.ffn ??
    ratio(into.intermediateSize, src.intermediateSize, "intermediateSize", c.source, at);
  const depth = c.depth ?? ratio(into.numLayers, src.numLayers, "numLayers", c.source, at);
  const opts: SpecCloneOptions = {
    width,
    ffn,
    variant: c.variant,
    heads: c.heads,
    tied: c.tied,
    snrDb: c.snrDb,
    ...(depth > 1 ? { depth, depthMode: c.depthMode } : {}),
  };
  let cfg: ModelConfig;
  try {
    cfg = cloneConfig(src, opts);
  } catch (e) {
    throw new SpecError(`${at}: ${(e as Error).message.replace(/^[^:]*: /, "")}`);
  }
  for (const f of SHAPE_FIELDS) {
    if (cfg[f] !== into[f]) {
      const smaller = typeof cfg[f] === "number" && (into[f] as number) < (src[f] as number);
      throw new SpecError(
        `${at}: a ${width}x/${ffn}x${
          depth > 1 ? `/depth ${depth}x` : ""
        } clone of source '${c.source}' has ${f} ${cfg[f]} but ${intoField}.${f} is ${into[f]}${
          smaller ? " (target smaller than source)" : ""
        }; make the target the clone's shape`,
      );
    }
  }
  return opts;
}

/**
 * Validates a parsed spec (every preset). Throws {@link SpecError} naming the
 * field, e.g. `spec.json: presets.quick.inits.2.variant: Invalid enum value`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSpec } from "./spec.ts";
 * const spec = parseSpec(JSON.parse(Deno.readTextFileSync("experiments/variant-ablation.json")));
 * assert.ok("quick" in spec.presets);
 * assert.equal(spec.presets.quick.baseline, "random");
 * ```
 */
export function parseSpec(value: unknown, file = "spec"): Spec {
  const r = SpecSchema.safeParse(value);
  if (!r.success) throw new SpecError(zodMessage(r.error, file));
  const s = r.data;
  const presets: Record<string, ResolvedPreset> = {};
  for (const [pn, over] of Object.entries(s.presets)) {
    // A field is named where its value comes from: the preset, else base.
    const scope = (p: FieldPath): FieldPath =>
      p.length === 0 || has(over, p) || !has(s.base, p) ? ["presets", pn] : [`base (preset ${pn})`];
    const where: Where = Object.assign(
      (p: FieldPath) => `${file}: ${[...scope(p), ...p].join(".")}`,
      {
        zod: (err: z.ZodError) =>
          zodMessage(
            new z.ZodError(err.issues.map((i) => ({ ...i, path: [...scope(i.path), ...i.path] }))),
            file,
          ),
      },
    );
    presets[pn] = resolvePreset(pn, deepMerge(s.base, over), where);
  }
  return { name: s.name, comment: s.comment, presets, file };
}

/**
 * Reads and validates a spec file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSpec } from "./spec.ts";
 * const spec = readSpec("experiments/variant-ablation.json");
 * assert.equal(spec.name, "variant-ablation");
 * assert.throws(() => readSpec("nowhere.json"), /nowhere.json: no such file/);
 * ```
 */
export function readSpec(file: string): Spec {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch {
    throw new SpecError(`${file}: no such file`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SpecError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return parseSpec(value, file);
}

/**
 * One preset of a spec, or an error listing the presets it has.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { presetOf, readSpec } from "./spec.ts";
 * const spec = readSpec("experiments/variant-ablation.json");
 * assert.equal(presetOf(spec, "quick").name, "quick");
 * assert.throws(() => presetOf(spec, "huge"), /--preset: 'huge' is not a preset/);
 * ```
 */
export function presetOf(spec: Spec, preset: string): ResolvedPreset {
  const p = spec.presets[preset];
  if (!p) {
    throw new SpecError(
      `--preset: '${preset}' is not a preset of ${spec.file} (choose ${
        Object.keys(spec.presets).join(", ")
      })`,
    );
  }
  return p;
}
