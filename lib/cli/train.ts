/**
 * `hc train --config FILE --out DIR [--resume] [--init CKPT] [--backend B]`
 *
 * @module
 */
import * as fs from "node:fs";
import { initBackend } from "../backend.ts";
import { UsageError } from "../errors.ts";
import { parseTrainConfig } from "../train/config.ts";
import { train } from "../train/loop.ts";
import { choiceFlag, parse, positionals, PROGRESS_MODES, requiredFlag } from "./args.ts";

/**
 * Reads a JSON file; a missing file or malformed JSON is a UsageError (exit 2).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readJsonFile } from "./train.ts";
 * assert.equal(typeof readJsonFile("experiments/variant-ablation.json"), "object");
 * assert.throws(() => readJsonFile("nowhere.json"), /nowhere.json: no such file/);
 * ```
 */
export function readJsonFile(file: string): unknown {
  if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Trains a model from a config file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainCommand } from "./train.ts";
 * assert.equal(await trainCommand(["--config", "experiments/configs/tiny.json", "--out", "runs/tiny"]), 0);
 * ```
 */
export async function trainCommand(args: string[]): Promise<number> {
  const p = parse("train", args, {
    config: { type: "string" },
    out: { type: "string" },
    resume: { type: "boolean" },
    init: { type: "string" },
    backend: { type: "string" },
    progress: { type: "string" },
  });
  positionals(p, "train", []);
  const file = requiredFlag(p, "config", "--config FILE");
  const out = requiredFlag(p, "out", "--out DIR");
  const progress = choiceFlag(p, "progress", PROGRESS_MODES) ?? "auto";
  const raw = readJsonFile(file) as Record<string, unknown>;
  if (p.values.init) {
    if (!fs.existsSync(p.values.init)) {
      throw new UsageError(`--init: no checkpoint directory at ${p.values.init}`);
    }
    raw.init = p.values.init;
    delete raw.model;
  }
  const cfg = parseTrainConfig(raw, file);
  const device = await initBackend(p.values.backend);
  console.log(`device: ${device.label}`);
  const summary = await train(cfg, out, {
    resume: Boolean(p.values.resume),
    progress,
  });
  console.log(JSON.stringify({
    out,
    steps: summary.steps,
    valLoss: summary.final.valLoss,
    valAccuracy: summary.final.valAccuracy,
    wallSeconds: summary.cost.wallSeconds,
    cpuSeconds: summary.cost.cpuSeconds,
    // Training only (evaluation apart): CPU-thread-hours on CPUs, GPU-hours on GPUs.
    deviceHours: summary.cost.deviceHours,
    evalDeviceHours: summary.cost.evalDeviceHours,
    deviceHoursBasis: summary.final.deviceHoursBasis,
    device: summary.device.label,
  }));
  return 0;
}
