/**
 * Grid expansion: a resolved preset becomes the list of sources, clones and
 * runs (grid.json), each with a deterministic id that hashes its training
 * config (data, seed and schedule included), so a changed spec never reuses a
 * stale run and the same spec always names the same folders. Sharding picks
 * runs by index modulo n over the id-sorted run list.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { trainFlopsPerToken } from "../model/config.ts";
import { parseTrainConfig } from "../train/config.ts";
import type { GridClone, GridFile, GridRun, GridSource } from "./results.ts";
import { fromOf, type ResolvedPreset, type Spec, type SpecCloneOptions } from "./spec.ts";
import { UsageError } from "../errors.ts";
import { isNoisy } from "../clone/options.ts";

/**
 * JSON with object keys sorted at every level: the input of every hash.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalJson } from "./grid.ts";
 * assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
        : v,
  );
}

/**
 * First `length` hex digits of the SHA-256 of a value's canonical JSON.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shortHash } from "./grid.ts";
 * assert.equal(shortHash({ a: 1, b: 2 }), shortHash({ b: 2, a: 1 }));
 * assert.equal(shortHash({ a: 1 }).length, 10);
 * ```
 */
export function shortHash(value: unknown, length = 10): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, length);
}

const hasTokenizer = (dir: string) => existsSync(join(dir, "tokenizer.json"));

function drop<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Records a clone checkpoint in `clones` and returns its id. */
type AddClone = (
  sourceName: string,
  source: string,
  opts: SpecCloneOptions,
  variant: string,
  seed: number,
) => string;

function cloneAdder(clones: Map<string, GridClone>): AddClone {
  return (sourceName, source, opts, variant, seed) => {
    const options = { ...opts, seed } as GridClone["options"];
    // Noise-free variants give the same clone for every seed: share it.
    if (!isNoisy(variant)) options.snrDb = 0;
    const id = `${sourceName}-${variant}-${shortHash({ source, options }, 8)}`;
    clones.set(id, { id, source, options });
    return id;
  };
}

/** Training-config fields every run of a preset shares (tokenizer included). */
type Shared = Pick<ResolvedPreset, "data" | "evalEvery" | "evalBatches" | "checkpointEvery"> & {
  tokenizer: string | undefined;
};

/**
 * The sources some init uses and the stages they grow from, each after the
 * source it is cloned from (staged growth), with the settings runs share.
 */
function expandSources(p: ResolvedPreset, addClone: AddClone) {
  const used = new Set<string>();
  const need = (n: string) => {
    used.add(n);
    const from = fromOf(p.sources[n])?.source;
    if (from && !used.has(from)) need(from);
  };
  for (const i of p.inits) if (i.kind !== "random") need(i.source);
  const sources: GridSource[] = [];
  const sourceId: Record<string, string> = {};
  // Runs share one tokenizer: the preset's, else a pretrained source's own.
  const pre = [...used].sort().map((n) => p.sources[n]).find((s) =>
    "path" in s && hasTokenizer(s.path)
  );
  const tokenizer = p.tokenizer ?? (pre && "path" in pre ? pre.path : undefined);
  const shared: Shared = {
    data: p.data,
    evalEvery: p.evalEvery,
    evalBatches: p.evalBatches,
    checkpointEvery: p.checkpointEvery,
    tokenizer,
  };
  for (const n of p.sourceOrder.filter((x) => used.has(x))) {
    const s = p.sources[n];
    if ("path" in s) {
      const cost = { wallSeconds: 0, evalFlops: 0, ...s.cost };
      const config = parseTrainConfig({ init: s.path, steps: 1 }, `sources.${n}`);
      const id = `${n}-${shortHash({ pretrained: { path: s.path, cost } })}`;
      sourceId[n] = id;
      sources.push({ id, name: n, config, pretrained: { path: s.path, cost } });
      continue;
    }
    // A staged source starts from a clone of its earlier stage.
    const init = s.from
      ? `clones/${
        addClone(
          s.from.source,
          sourceId[s.from.source],
          p.sourceCloneOptions[n],
          s.from.variant,
          s.from.noiseSeed ?? (isNoisy(s.from.variant) ? s.seed : 0),
        )
      }`
      : undefined;
    const config = parseTrainConfig(
      drop({
        ...shared,
        // A staged source's model is its clone's (the spec checked the shape).
        model: init ? undefined : s.model,
        optim: s.optim,
        steps: s.steps,
        seed: s.seed,
        dropout: s.dropout,
        init,
      }),
      `sources.${n}`,
    );
    const id = `${n}-${shortHash(config)}`;
    sourceId[n] = id;
    sources.push({ id, name: n, config });
  }
  return { sources, sourceId, shared };
}

/** What one init and seed train: the config and where it starts from. */
function runOf(
  p: ResolvedPreset,
  i: number,
  seed: number,
  ctx: { shared: Shared; sourceId: Record<string, string>; addClone: AddClone },
): Pick<GridRun, "config" | "kind" | "source" | "clone"> {
  const init = p.inits[i], label = p.labels[i];
  const target = { ...ctx.shared, steps: p.target.steps, seed, tasks: p.tasks };
  if (init.kind === "random") {
    const config = parseTrainConfig(
      drop({
        ...target,
        model: p.target.model,
        optim: { ...p.target.optim, ...init.optim },
        dropout: init.dropout,
      }),
      label,
    );
    return { config, kind: "target", source: null, clone: null };
  }
  const source = ctx.sourceId[init.source];
  if (init.kind === "clone") {
    const clone = ctx.addClone(
      init.source,
      source,
      p.cloneOptions[i]!,
      init.variant,
      init.noiseSeed ?? (isNoisy(init.variant) ? seed : 0),
    );
    const config = parseTrainConfig(
      drop({
        ...target,
        init: `clones/${clone}`,
        optim: { ...p.target.optim, ...p.target.cloneOptim, ...init.optim },
        dropout: init.dropout,
      }),
      label,
    );
    return { config, kind: "target", source, clone };
  }
  const s = p.sources[init.source];
  const srcOptim = "path" in s ? {} : s.optim;
  const seqLen = p.data.seqLen;
  // FLOPs-matched: the small model trains as many FLOPs as the target budget.
  const steps = init.steps ?? Math.round(
    p.target.steps * trainFlopsPerToken(p.targetModel, seqLen) /
      trainFlopsPerToken(p.sourceModels[init.source], seqLen),
  );
  // Same cadence in FLOPs as the targets (evaluating every evalEvery
  // small steps would spend ~steps/target.steps times more on evals).
  const per = steps / p.target.steps;
  const config = parseTrainConfig(
    drop({
      ...target,
      steps,
      evalEvery: Math.max(1, Math.round(p.evalEvery * per)),
      checkpointEvery: Math.max(1, Math.round(p.checkpointEvery * per)),
      init: `sources/${source}/checkpoint`,
      optim: { ...srcOptim, ...init.optim },
      dropout: init.dropout,
    }),
    label,
  );
  return { config, kind: "control", source, clone: null };
}

/**
 * Expands one preset of a spec into grid.json's content. Pure and
 * deterministic: the same spec and preset give the same grid on every machine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSpec } from "./spec.ts";
 * import { expandGrid } from "./grid.ts";
 * const spec = readSpec("experiments/variant-ablation.json");
 * const grid = expandGrid(spec, "quick");
 * assert.deepEqual(expandGrid(spec, "quick"), grid);
 * assert.ok(grid.runs.some((r) => r.init === grid.baseline));
 * ```
 */
export function expandGrid(spec: Spec, presetName: string): GridFile {
  const p: ResolvedPreset | undefined = spec.presets[presetName];
  if (!p) {
    throw new UsageError(
      `--preset: '${presetName}' is not a preset of ${spec.file} (choose ${
        Object.keys(spec.presets).join(", ")
      })`,
    );
  }
  const clones = new Map<string, GridClone>();
  const addClone = cloneAdder(clones);
  const { sources, sourceId, shared } = expandSources(p, addClone);
  const runs: GridRun[] = [];
  p.inits.forEach((init, i) => {
    const label = p.labels[i];
    for (const seed of p.seeds) {
      const { config, kind, source, clone } = runOf(p, i, seed, { shared, sourceId, addClone });
      const id = `${label}-seed${seed}-${shortHash({ label, config }, 8)}`;
      const group = init.group ?? (init.kind === "random" ? "random" : init.source);
      runs.push({
        id,
        spec: spec.name,
        preset: presetName,
        kind,
        init: label,
        group,
        seed,
        source,
        clone,
        config,
      });
    }
  });
  runs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    spec: spec.name,
    preset: presetName,
    comment: p.comment ?? spec.comment,
    baseline: p.baseline,
    k: p.k,
    inits: p.labels,
    sources,
    clones: [...clones.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
    runs,
  };
}

/**
 * Parses `--shard i/n` (1-based i, 1 <= i <= n).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseShard } from "./grid.ts";
 * assert.deepEqual(parseShard("2/3"), { index: 2, count: 3 });
 * assert.throws(() => parseShard("4/3"), /--shard/);
 * ```
 */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard: expected i/n with 1 <= i <= n (e.g. 1/4), got '${text}'`);
  }
  return { index, count };
}

/**
 * The share of a grid one shard runs: runs whose index in the id-sorted list
 * is congruent to i-1 mod n, plus the sources and clones those runs need
 * (every shard trains the sources it needs itself; they are cached by id).
 *
 * @example
 * ```ts
 * import { readSpec } from "./spec.ts";
 * import { expandGrid, shardOf } from "./grid.ts";
 * import assert from "node:assert/strict";
 * const grid = expandGrid(readSpec("experiments/variant-ablation.json"), "quick");
 * const a = shardOf(grid, { index: 1, count: 2 }), b = shardOf(grid, { index: 2, count: 2 });
 * assert.equal(a.runs.length + b.runs.length, grid.runs.length);
 * ```
 */
export function shardOf(
  grid: GridFile,
  shard: { index: number; count: number } = { index: 1, count: 1 },
): Pick<GridFile, "sources" | "clones" | "runs"> {
  const runs = grid.runs.filter((_, i) => i % shard.count === shard.index - 1);
  const needClones = new Set(runs.map((r) => r.clone).filter((c): c is string => c !== null));
  const needSources = new Set(runs.map((r) => r.source).filter((s): s is string => s !== null));
  // Staged sources need the clone they start from and its source, recursively.
  for (let grew = true; grew;) {
    grew = false;
    for (const s of grid.sources) {
      const c = needSources.has(s.id) ? stageCloneOf(s) : null;
      if (c && !needClones.has(c)) needClones.add(c), grew = true;
    }
    for (const c of grid.clones) {
      if (needClones.has(c.id) && !needSources.has(c.source)) {
        needSources.add(c.source), grew = true;
      }
    }
  }
  return {
    sources: grid.sources.filter((s) => needSources.has(s.id)),
    clones: grid.clones.filter((c) => needClones.has(c.id)),
    runs,
  };
}

/**
 * The clone a staged source starts from (its `init` under clones/), or null
 * for a source trained from random init.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stageCloneOf } from "./grid.ts";
 * const staged = { id: "s", name: "s", config: { init: "clones/a-symmetric-1234" } };
 * assert.equal(stageCloneOf(staged as never), "a-symmetric-1234");
 * ```
 */
export function stageCloneOf(s: GridSource): string | null {
  const m = /^clones\/(.+)$/.exec(s.config.init ?? "");
  return m ? m[1] : null;
}
