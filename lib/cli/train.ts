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
import { parse, positionals } from "./args.ts";

/** Reads and validates a JSON config file (one-line errors, exit 2). */
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
 * import { trainCommand } from "./train.ts";
 * await trainCommand(["--config", "experiments/configs/tiny.json", "--out", "runs/tiny"]);
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
  const file = p.values.config as string | undefined;
  const out = p.values.out as string | undefined;
  if (!file) throw new UsageError("--config FILE is required");
  if (!out) throw new UsageError("--out DIR is required");
  const raw = readJsonFile(file) as Record<string, unknown>;
  if (p.values.init) {
    if (!fs.existsSync(p.values.init as string)) {
      throw new UsageError(`--init: no checkpoint directory at ${p.values.init}`);
    }
    raw.init = p.values.init;
    delete raw.model;
  }
  const cfg = parseTrainConfig(raw, file);
  const device = await initBackend(p.values.backend as string | undefined);
  console.log(`device: ${device.label}`);
  const summary = await train(cfg, out, {
    resume: Boolean(p.values.resume),
    progress: (p.values.progress as "auto" | "plain" | "bar" | "silent" | undefined) ?? "auto",
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
