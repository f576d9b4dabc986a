/**
 * `deno task notebooks [NAME...] [--preset P] [--out DIR]`: executes every
 * notebook in notebooks/ headlessly with the Deno kernel
 * (`jupyter nbconvert --to notebook --execute`), saving the executed copies
 * (with outputs) into notebooks/out/. Installs the Deno kernel when Jupyter
 * has none, stops at the first cell error (exit 1, the error printed), and
 * says how to install Jupyter when it is missing (exit 2).
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

/** apt command that installs what nbconvert needs (Debian/Ubuntu). */
export const JUPYTER_INSTALL =
  "apt-get install -y --no-install-recommends jupyter-nbconvert jupyter-client jupyter-core python3-nbclient";

/** Per-cell timeout passed to nbconvert, in seconds. */
export const CELL_TIMEOUT_S = 900;

/** A missing tool or a failed notebook: one message, no stack. */
export class NotebookError extends Error {
  override name = "NotebookError";
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

/** Options of {@link runNotebooks}. */
export interface RunNotebooksOptions {
  /** Folder with the .ipynb files (default "notebooks" next to lib/). */
  dir?: string;
  /** Where executed copies go (default `<dir>/out`). */
  outDir?: string;
  /** Notebook names (or prefixes like "01") to run; default all, sorted. */
  only?: string[];
  /** Value for the parameter cell's `preset` (default: as committed, "quick"). */
  preset?: string;
  /** One line per notebook (default console.log). */
  log?: (line: string) => void;
}

/** What ran. */
export interface NotebookRun {
  notebook: string;
  output: string;
  seconds: number;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

async function run(cmd: string, args: string[], opts: { cwd?: string } = {}) {
  try {
    const p = new Deno.Command(cmd, {
      args,
      cwd: opts.cwd,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    });
    const r = await p.output();
    const dec = new TextDecoder();
    return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/**
 * Checks that `jupyter nbconvert` and nbclient work; throws a
 * {@link NotebookError} with the apt command otherwise.
 *
 * @example
 * ```ts
 * import { checkJupyter } from "./run.ts";
 * // Throws a NotebookError (exit code 2) naming the install command when Jupyter is missing.
 * await checkJupyter();
 * ```
 */
export async function checkJupyter(): Promise<void> {
  const r = await run("jupyter", ["nbconvert", "--version"]);
  if (!r || r.code !== 0) {
    throw new NotebookError(
      `Jupyter (nbconvert) is not installed or does not run; install it with:\n  ${JUPYTER_INSTALL}`,
      2,
    );
  }
}

/**
 * Installs the Deno kernel (`deno jupyter --install`) unless Jupyter
 * already has a "deno" kernel whose deno binary exists. Returns whether it
 * installed one.
 *
 * @example
 * ```ts
 * import { ensureDenoKernel } from "./run.ts";
 * const installed = await ensureDenoKernel(); // false when a working "deno" kernel is there
 * console.log(installed ? "installed the Deno kernel" : "Deno kernel present");
 * ```
 */
export async function ensureDenoKernel(): Promise<boolean> {
  const r = await run("jupyter", ["kernelspec", "list", "--json"]);
  if (r && r.code === 0) {
    const specs = JSON.parse(r.stdout).kernelspecs ?? {};
    const argv0 = specs.deno?.spec?.argv?.[0] as string | undefined;
    if (argv0 && fs.existsSync(argv0)) return false;
  }
  const inst = await run(Deno.execPath(), ["jupyter", "--install"]);
  if (!inst || inst.code !== 0) {
    throw new NotebookError(`'deno jupyter --install' failed:\n${inst?.stderr ?? ""}`, 1);
  }
  return true;
}

/**
 * The notebooks to run: `*.ipynb` in `dir`, sorted, filtered by name or prefix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listNotebooks } from "./run.ts";
 * assert.deepEqual(listNotebooks("notebooks", ["01"]), ["notebooks/01-quickstart.ipynb"]);
 * ```
 */
export function listNotebooks(dir: string, only: string[] = []): string[] {
  const all = fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb") && !f.startsWith("."))
    .sort();
  const picked = only.length ? all.filter((f) => only.some((o) => f.startsWith(o))) : all;
  if (only.length && picked.length === 0) {
    throw new NotebookError(`no notebook in ${dir} matches ${only.join(", ")}`, 2);
  }
  return picked.map((f) => path.join(dir, f));
}

/**
 * A copy of a notebook whose first code cell sets `const preset = "<preset>"`,
 * written next to it (so relative paths still work) as `.NAME.<preset>.ipynb`.
 */
function withPreset(nb: string, preset: string): string {
  const json = JSON.parse(fs.readFileSync(nb, "utf8"));
  const cell = json.cells.find((c: { cell_type: string }) => c.cell_type === "code");
  const src = (cell.source as string[]).join("");
  if (!/const preset = "[^"]*"/.test(src)) {
    throw new NotebookError(`${nb}: first code cell has no 'const preset = "..."' line`, 2);
  }
  cell.source = [src.replace(/const preset = "[^"]*"/, `const preset = ${JSON.stringify(preset)}`)];
  const copy = path.join(path.dirname(nb), `.${path.basename(nb, ".ipynb")}.${preset}.ipynb`);
  fs.writeFileSync(copy, JSON.stringify(json, null, 1));
  return copy;
}

/** The useful part of nbconvert's stderr: the cell error, not the Python traceback. */
function cellError(stderr: string): string {
  const i = stderr.indexOf("An error occurred while executing the following cell");
  const text = i >= 0 ? stderr.slice(i) : stderr;
  return text.split("\n").slice(0, 60).join("\n").trim();
}

/**
 * Executes the notebooks one by one into `outDir`; throws a
 * {@link NotebookError} at the first cell error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runNotebooks } from "./run.ts";
 * const runs = await runNotebooks({ only: ["01"] }); // executes notebook 01 (minutes)
 * assert.equal(runs.length, 1);
 * ```
 */
export async function runNotebooks(opts: RunNotebooksOptions = {}): Promise<NotebookRun[]> {
  const dir = opts.dir ?? path.join(ROOT, "notebooks");
  const outDir = path.resolve(opts.outDir ?? path.join(dir, "out"));
  const log = opts.log ?? ((l: string) => console.log(l));
  await checkJupyter();
  if (await ensureDenoKernel()) log("installed the Deno Jupyter kernel (deno jupyter --install)");
  fs.mkdirSync(outDir, { recursive: true });
  const done: NotebookRun[] = [];
  for (const nb of listNotebooks(dir, opts.only)) {
    const name = path.basename(nb);
    const input = opts.preset ? withPreset(nb, opts.preset) : nb;
    const started = performance.now();
    log(`${name}: executing...`);
    const r = await run("jupyter", [
      "nbconvert",
      "--to",
      "notebook",
      "--execute",
      `--ExecutePreprocessor.timeout=${CELL_TIMEOUT_S}`,
      "--ExecutePreprocessor.kernel_name=deno",
      input,
      "--output-dir",
      outDir,
      "--output",
      name,
    ]);
    if (input !== nb) fs.rmSync(input, { force: true });
    const seconds = (performance.now() - started) / 1000;
    if (!r || r.code !== 0) {
      throw new NotebookError(
        `${name} failed after ${seconds.toFixed(0)} s (executed copy, if any, in ${outDir}):\n${
          cellError(r?.stderr ?? "")
        }`,
        1,
      );
    }
    log(`${name}: ok in ${seconds.toFixed(1)} s -> ${path.join(outDir, name)}`);
    done.push({ notebook: nb, output: path.join(outDir, name), seconds });
  }
  return done;
}

/**
 * CLI entry: `deno task notebooks [NAME...] [--preset P] [--out DIR]`; returns the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./run.ts";
 * const code = await main(["01", "--preset", "quick"]); // executes notebook 01 (minutes)
 * assert.equal(code, 0);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { preset: { type: "string" }, out: { type: "string" } },
    });
  } catch (e) {
    console.error(`notebooks: error: ${(e as Error).message}`);
    return 2;
  }
  try {
    const t0 = performance.now();
    const runs = await runNotebooks({
      only: parsed.positionals,
      preset: parsed.values.preset,
      outDir: parsed.values.out,
    });
    const total = (performance.now() - t0) / 1000;
    console.log(`${runs.length} notebook(s) executed in ${total.toFixed(0)} s`);
    return 0;
  } catch (e) {
    if (e instanceof NotebookError) {
      console.error(`notebooks: ${e.message}`);
      return e.exitCode;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
