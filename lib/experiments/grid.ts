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
import { parseTrainConfig, type TrainConfig } from "../train/config.ts";
import type { GridClone, GridFile, GridRun, GridSource } from "./results.ts";
import type { ResolvedPreset, Spec } from "./spec.ts";
import { UsageError } from "../errors.ts";

/**
 * JSON with object keys sorted at every level: the input of every hash.
 *
 * @example
 * ```ts
 * import { canonicalJson } from "./grid.ts";
 * canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }); // '{"a":[{"c":3,"d":2}],"b":1}'
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
 * import { shortHash } from "./grid.ts";
 * shortHash({ a: 1 }) === shortHash({ a: 1 }); // true
 * ```
 */
export function shortHash(value: unknown, length = 10): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, length);
}

const hasTokenizer = (dir: string) => existsSync(join(dir, "tokenizer.json"));

function drop<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Expands one preset of a spec into grid.json's content. Pure and
 * deterministic: the same spec and preset give the same grid on every machine.
 *
 * @example
 * ```ts
 * import { readSpec } from "./spec.ts";
 * import { expandGrid } from "./grid.ts";
 * const spec = readSpec("experiments/variant-ablation.json");
 * const grid = expandGrid(spec, "quick");
 * console.log(grid.runs.map((r) => r.id));
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
  const sharedBase = {
    data: p.data,
    evalEvery: p.evalEvery,
    evalBatches: p.evalBatches,
    checkpointEvery: p.checkpointEvery,
  };
  // Sources: only the ones some init uses, in name order.
  const used = [...new Set(p.inits.flatMap((i) => (i.kind === "random" ? [] : [i.source])))]
    .sort();
  const sources: GridSource[] = [];
  const sourceId: Record<string, string> = {};
  // Runs share one tokenizer: the preset's, else a pretrained source's own.
  const pre = used.map((n) => p.sources[n]).find((s) => "path" in s && hasTokenizer(s.path));
  const tokenizer = p.tokenizer ?? (pre && "path" in pre ? pre.path : undefined);
  const shared = { ...sharedBase, tokenizer };
  for (const n of used) {
    const s = p.sources[n];
    if ("path" in s) {
      const cost = { wallSeconds: 0, evalFlops: 0, ...s.cost };
      const config = parseTrainConfig({ init: s.path, steps: 1 }, `sources.${n}`);
      const id = `${n}-${shortHash({ pretrained: { path: s.path, cost } })}`;
      sourceId[n] = id;
      sources.push({ id, name: n, config, pretrained: { path: s.path, cost } });
      continue;
    }
    const config = parseTrainConfig(
      drop({
        ...shared,
        model: s.model,
        optim: s.optim,
        steps: s.steps,
        seed: s.seed,
        dropout: s.dropout,
      }),
      `sources.${n}`,
    );
    const id = `${n}-${shortHash(config)}`;
    sourceId[n] = id;
    sources.push({ id, name: n, config });
  }
  const clones = new Map<string, GridClone>();
  const runs: GridRun[] = [];
  const seqLen = p.data.seqLen;
  p.inits.forEach((init, i) => {
    const label = p.labels[i];
    for (const seed of p.seeds) {
      let config: TrainConfig;
      let source: string | null = null, clone: string | null = null;
      let kind: GridRun["kind"] = "target";
      const target = { ...shared, steps: p.target.steps, seed, taskItems: p.taskItems };
      if (init.kind === "random") {
        config = parseTrainConfig(
          drop({
            ...target,
            model: p.target.model,
            optim: { ...p.target.optim, ...init.optim },
            dropout: init.dropout,
          }),
          label,
        );
      } else if (init.kind === "clone") {
        source = sourceId[init.source];
        const noisy = init.variant.startsWith("noisy");
        // Noise-free variants give the same clone for every seed: share it.
        const options = {
          ...p.cloneOptions[i]!,
          seed: init.noiseSeed ?? (noisy ? seed : 0),
        } as GridClone["options"];
        if (!noisy) options.snrDb = 0;
        clone = `${init.source}-${init.variant}-${shortHash({ source, options }, 8)}`;
        clones.set(clone, { id: clone, source, options });
        config = parseTrainConfig(
          drop({
            ...target,
            init: `clones/${clone}`,
            optim: { ...p.target.optim, ...p.target.cloneOptim, ...init.optim },
            dropout: init.dropout,
          }),
          label,
        );
      } else {
        kind = "control";
        source = sourceId[init.source];
        const s = p.sources[init.source];
        const srcOptim = "path" in s ? {} : s.optim;
        // FLOPs-matched: the small model trains as many FLOPs as the target budget.
        const steps = init.steps ?? Math.round(
          p.target.steps * trainFlopsPerToken(p.targetModel, seqLen) /
            trainFlopsPerToken(p.sourceModels[init.source], seqLen),
        );
        // Same cadence in FLOPs as the targets (evaluating every evalEvery
        // small steps would spend ~steps/target.steps times more on evals).
        const per = steps / p.target.steps;
        config = parseTrainConfig(
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
      }
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
 * import { parseShard } from "./grid.ts";
 * parseShard("2/3"); // { index: 2, count: 3 }
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
 * const grid = expandGrid(readSpec("experiments/variant-ablation.json"), "quick");
 * const mine = shardOf(grid, { index: 1, count: 2 });
 * ```
 */
export function shardOf(
  grid: GridFile,
  shard: { index: number; count: number } = { index: 1, count: 1 },
): Pick<GridFile, "sources" | "clones" | "runs"> {
  const runs = grid.runs.filter((_, i) => i % shard.count === shard.index - 1);
  const needClones = new Set(runs.map((r) => r.clone).filter((c): c is string => c !== null));
  const needSources = new Set(runs.map((r) => r.source).filter((s): s is string => s !== null));
  return {
    sources: grid.sources.filter((s) => needSources.has(s.id)),
    clones: grid.clones.filter((c) => needClones.has(c.id)),
    runs,
  };
}
