/**
 * Progress reporting: a live bar (cli-progress) on a terminal, plain log lines
 * otherwise (CI, notebooks, pipes).
 *
 * @module
 */
import cliProgress from "cli-progress";

/** Receives training progress. */
export interface Progress {
  update(step: number, fields: { loss: number; tokensPerSec: number }): void;
  log(line: string): void;
  stop(): void;
}

/**
 * A progress reporter for `total` steps. `mode` "auto" shows a bar only when
 * stderr is a terminal.
 *
 * @example
 * ```ts
 * import { makeProgress } from "./progress.ts";
 * const p = makeProgress(100, 0, "plain");
 * p.log("starting");
 * p.stop();
 * ```
 */
export function makeProgress(
  total: number,
  start: number,
  mode: "auto" | "bar" | "plain" | "silent" = "auto",
  label = "train",
): Progress {
  const bar = mode === "bar" || (mode === "auto" && Deno.stderr.isTerminal());
  if (mode === "silent") return { update() {}, log() {}, stop() {} };
  if (!bar) {
    return {
      update() {},
      log: (line) => console.log(line),
      stop() {},
    };
  }
  const b = new cliProgress.SingleBar({
    format: `${label} {bar} {value}/{total} | loss {loss} | {tps} tok/s | ETA {eta_formatted}`,
    stream: process.stderr,
    hideCursor: true,
    etaBuffer: 50,
  }, cliProgress.Presets.shades_classic);
  b.start(total, start, { loss: "-", tps: "-" });
  return {
    update: (step, f) =>
      b.update(step, { loss: f.loss.toFixed(4), tps: Math.round(f.tokensPerSec) }),
    log: (line) => b.log(line + "\n"),
    stop: () => b.stop(),
  };
}
