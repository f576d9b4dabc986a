/**
 * Atomic file and directory writes: everything is built under a temporary
 * sibling name, flushed to disk, then renamed into place, so a reader never
 * sees a half-written file and a crash leaves at most a `.hc-tmp-*` entry.
 *
 * @module
 */
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

/**
 * Prefix of temporary entries made by this module (see {@link removeStaleTemps}).
 *
 * @example
 * ```ts
 * import { TEMP_PREFIX } from "./atomic.ts";
 * const isTemp = (name: string) => name.startsWith(TEMP_PREFIX);
 * ```
 */
export const TEMP_PREFIX = ".hc-tmp-";
const OLD_PREFIX = ".hc-old-";

/** Random hex tag that makes temp names unique between concurrent writers. */
function randomTag(): string {
  const b = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * Sibling temp path for `path`: same directory, so the final rename stays on
 * one filesystem.
 *
 * @example
 * ```ts
 * import { tempSibling } from "./atomic.ts";
 * tempSibling("/runs/ckpt"); // "/runs/.hc-tmp-ckpt-3f9a0c1b2d4e"
 * ```
 */
export function tempSibling(path: string, prefix = TEMP_PREFIX): string {
  const abs = resolve(path);
  return join(dirname(abs), `${prefix}${basename(abs)}-${randomTag()}`);
}

/**
 * True when something (file, directory, link target) exists at `path`.
 *
 * @example
 * ```ts
 * import { pathExists } from "./atomic.ts";
 * if (await pathExists("/tmp")) console.log("there");
 * ```
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

/**
 * Flushes a directory's entry table so a rename inside it survives a crash
 * (best effort: a no-op where directories cannot be fsynced).
 *
 * @example
 * ```ts
 * import { fsyncDir } from "./atomic.ts";
 * await fsyncDir("/tmp");
 * ```
 */
export async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some platforms cannot open or fsync directories; the rename is still atomic.
  }
}

/**
 * Writes `data` to `path` atomically: temp file in the same directory, fsync,
 * rename over `path`. The parent directory must exist.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./atomic.ts";
 * await writeFileAtomic("/tmp/hc-example.json", JSON.stringify({ ok: true }));
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempSibling(path);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    const fh = await open(tmp, "wx");
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dirname(resolve(path)));
}

/** Options of {@link writeDirAtomic}. */
export interface WriteDirOptions {
  /** Replace `dir` when it already exists (otherwise that is an error). */
  force?: boolean;
}

/**
 * Builds a directory atomically. `fill` writes the contents into a fresh
 * sibling temp directory `.hc-tmp-<name>-<random>`; only when it succeeds is
 * the temp directory renamed to `dir`. If `fill` throws, the temp directory is
 * removed and `dir` is untouched (or still absent). An existing `dir` is an
 * error unless `force`, in which case it is renamed aside, the new one renamed
 * in, and the old one deleted. The parent directory is created if missing.
 *
 * @example
 * ```ts
 * import { writeDirAtomic } from "./atomic.ts";
 * await writeDirAtomic("/tmp/hc-example-dir", async (tmp) => {
 *   await Deno.writeTextFile(`${tmp}/a.txt`, "hello");
 * }, { force: true });
 * ```
 */
export async function writeDirAtomic(
  dir: string,
  fill: (tmpDir: string) => Promise<void>,
  opts: WriteDirOptions = {},
): Promise<void> {
  const abs = resolve(dir);
  if (!opts.force && await pathExists(abs)) {
    throw new Error(`${dir} exists; pass --force to overwrite`);
  }
  const parent = dirname(abs);
  await mkdir(parent, { recursive: true });
  const tmp = tempSibling(abs);
  await mkdir(tmp);
  try {
    await fill(tmp);
    await fsyncDir(tmp);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  let old: string | undefined;
  try {
    if (await pathExists(abs)) {
      if (!opts.force) throw new Error(`${dir} exists; pass --force to overwrite`);
      old = tempSibling(abs, OLD_PREFIX);
      await rename(abs, old);
    }
    try {
      // rename(2) onto a non-empty directory fails, so a writer that raced us
      // in between is never clobbered silently.
      await rename(tmp, abs);
    } catch (e) {
      if (old) await rename(old, abs);
      old = undefined;
      throw e;
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  await fsyncDir(parent);
  if (old) await rm(old, { recursive: true, force: true });
}

/**
 * Removes leftovers of interrupted atomic writes (`.hc-tmp-*`, `.hc-old-*`)
 * in `parent` that are older than `maxAgeMs` (default one hour, so writes in
 * progress by other processes are left alone). Returns the removed names.
 *
 * @example
 * ```ts
 * import { removeStaleTemps } from "./atomic.ts";
 * await removeStaleTemps("/tmp");
 * ```
 */
export async function removeStaleTemps(parent: string, maxAgeMs = 3_600_000): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(parent);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return removed;
    throw e;
  }
  const now = Date.now();
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX) && !name.startsWith(OLD_PREFIX)) continue;
    const p = join(parent, name);
    try {
      const s = await stat(p);
      if (now - s.mtimeMs < maxAgeMs) continue;
      await rm(p, { recursive: true, force: true });
      removed.push(name);
    } catch {
      // Vanished meanwhile (another cleaner or the writer finished): fine.
    }
  }
  return removed;
}
