/**
 * Progress reporting: a live bar (cli-progress) on a terminal, one compact
 * live table in a Jupyter notebook (a row per run: status, step, loss,
 * tokens/s, ETA; updated in place through a display id), plain log lines
 * otherwise (CI, pipes). Whatever is shown, every log line of a run also
 * goes to `train.log` in its folder ({@link withLogFile}).
 *
 * @module
 */
import cliProgress from "cli-progress";
import * as fs from "node:fs";

/** Receives training progress. */
export interface Progress {
  update(step: number, fields: { loss: number; tokensPerSec: number }): void;
  log(line: string): void;
  stop(): void;
}

/** Built-in progress modes. "auto": a live table in Jupyter, a bar on a terminal, else plain. */
export type ProgressMode = "auto" | "bar" | "plain" | "silent";

/** What a {@link ProgressFactory} is told about the run it reports. */
export interface ProgressInfo {
  total: number;
  start: number;
  label: string;
}

/** Makes the progress reporter of one run (e.g. a row of a shared notebook table). */
export type ProgressFactory = (info: ProgressInfo) => Progress;

/** A mode or a factory: what `train`'s `progress` option takes. */
export type ProgressOption = ProgressMode | ProgressFactory;

/** The part of `Deno.jupyter` the live table uses (injectable for tests). */
export interface JupyterDisplay {
  display(
    bundle: Record<string, unknown>,
    opts: { raw: boolean; display_id?: string; update?: boolean },
  ): Promise<void>;
}

function jupyter(): JupyterDisplay | undefined {
  try {
    // The getter throws outside the `deno jupyter` kernel.
    return (Deno as unknown as { jupyter?: JupyterDisplay }).jupyter;
  } catch {
    return undefined;
  }
}

/**
 * A progress reporter for `total` steps. `mode` "auto" shows a live table in
 * a Jupyter kernel, a bar when stderr is a terminal, plain lines otherwise.
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
  mode: ProgressOption = "auto",
  label = "train",
): Progress {
  if (typeof mode === "function") return mode({ total, start, label });
  if (mode === "silent") return { update() {}, log() {}, stop() {} };
  if (mode === "auto" && jupyter()) {
    const live = notebookProgress()!;
    const p = live.factory({ total, start, label });
    return { update: p.update, log: p.log, stop: () => (p.stop(), live.finish()) };
  }
  const bar = mode === "bar" || (mode === "auto" && Deno.stderr.isTerminal());
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

/**
 * Wraps a reporter so every log line is also appended to `file` (the run's
 * full log, whatever the display shows).
 *
 * @example
 * ```ts
 * import { makeProgress, withLogFile } from "./progress.ts";
 * const p = withLogFile(makeProgress(10, 0, "silent"), Deno.makeTempFileSync());
 * p.log("step 1/10 val 3.2");
 * ```
 */
export function withLogFile(p: Progress, file: string): Progress {
  return {
    update: (s, f) => p.update(s, f),
    log: (line) => {
      fs.appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
      p.log(line);
    },
    stop: () => p.stop(),
  };
}

/** One row of the live table. */
export interface ProgressRow {
  run: string;
  status: "training" | "done";
  step: number;
  total: number;
  loss: number | null;
  valLoss: number | null;
  tokensPerSec: number | null;
  /** Seconds left at the current rate. */
  etaSeconds: number | null;
}

function fmtEta(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return "-";
  const m = Math.floor(s / 60), sec = Math.round(s % 60);
  return m ? `${m} min ${sec} s` : `${sec} s`;
}

/**
 * The live table as a MIME bundle (HTML and plain text).
 *
 * @example
 * ```ts
 * import { progressBundle } from "./progress.ts";
 * const b = progressBundle([{ run: "random-seed0", status: "training", step: 10, total: 100, loss: 3.1, valLoss: null, tokensPerSec: 2000, etaSeconds: 45 }]);
 * console.log(b["text/plain"]);
 * ```
 */
export function progressBundle(rows: ProgressRow[]): Record<string, string> {
  const cells = rows.map((r) => [
    r.run,
    r.status,
    `${r.step}/${r.total}`,
    r.loss === null ? "-" : r.loss.toFixed(4),
    r.valLoss === null ? "-" : r.valLoss.toFixed(4),
    r.tokensPerSec === null ? "-" : String(Math.round(r.tokensPerSec)),
    r.status === "done" ? "-" : fmtEta(r.etaSeconds),
  ]);
  const head = ["run", "status", "step", "train loss", "val loss", "tokens/s", "ETA"];
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const html = `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead>` +
    `<tbody>${
      cells.map((c) => `<tr>${c.map((v) => `<td>${esc(v)}</td>`).join("")}</tr>`).join("")
    }</tbody></table>`;
  const plain = [head, ...cells].map((c) => c.join(" | ")).join("\n");
  return { "text/html": html, "text/plain": plain };
}

/**
 * One compact live table for the runs trained in a notebook cell: each run
 * started through `factory` gets a row (status, step, train and val loss,
 * tokens/s, ETA) updated in place about once a second (Deno.jupyter.display
 * with a display id and `update: true`), instead of a log line per
 * evaluation; `finish()` shows the final state. Null outside Jupyter.
 *
 * @example
 * ```ts
 * import { notebookProgress } from "./progress.ts";
 * const live = notebookProgress(); // null outside a notebook
 * // train(cfg, dir, { progress: live?.factory ?? "plain" }); live?.finish();
 * ```
 */
export function notebookProgress(
  opts: { intervalMs?: number; display?: JupyterDisplay } = {},
): { factory: ProgressFactory; finish: () => Promise<void>; rows: ProgressRow[] } | null {
  const j = opts.display ?? jupyter();
  if (!j) return null;
  const id = `hc-progress-${crypto.randomUUID()}`;
  const rows: ProgressRow[] = [];
  let shown = false, last = 0, pending: Promise<void> = Promise.resolve();
  const show = (force = false) => {
    const now = performance.now();
    if (!force && now - last < (opts.intervalMs ?? 1000)) return;
    last = now;
    const bundle = progressBundle(rows);
    const update = shown;
    shown = true;
    pending = pending.then(() => j.display(bundle, { raw: true, display_id: id, update }))
      .catch(() => {});
  };
  const factory: ProgressFactory = ({ total, start, label }) => {
    const row: ProgressRow = {
      run: label,
      status: "training",
      step: start,
      total,
      loss: null,
      valLoss: null,
      tokensPerSec: null,
      etaSeconds: null,
    };
    rows.push(row);
    show(true);
    const t0 = performance.now();
    return {
      update(step, f) {
        row.step = step;
        row.loss = f.loss;
        row.tokensPerSec = f.tokensPerSec;
        // ETA at this run's step rate so far (evaluations included).
        const secs = (performance.now() - t0) / 1000;
        row.etaSeconds = step > start ? ((total - step) * secs) / (step - start) : null;
        show();
      },
      log(line) {
        const m = /val (\d+\.\d+)/.exec(line);
        if (m) row.valLoss = Number(m[1]);
      },
      stop() {
        if (row.step >= row.total) row.status = "done";
        show(true);
      },
    };
  };
  return {
    factory,
    rows,
    finish: async () => {
      // Nothing trained (every run loaded): no empty table.
      if (rows.length) show(true);
      await pending;
      // Let the last update reach the front end before the cell ends (see lib/plot/display.ts).
      await new Promise((ok) => setTimeout(ok, 100));
    },
  };
}
