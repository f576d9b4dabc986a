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
 * import assert from "node:assert/strict";
 * import { TEMP_PREFIX, tempSibling } from "./atomic.ts";
 * const isTemp = (path: string) => path.split(/[\\/]/).pop()!.startsWith(TEMP_PREFIX);
 * assert.ok(isTemp(tempSibling("runs/ckpt")));
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
 * import assert from "node:assert/strict";
 * import { tempSibling } from "./atomic.ts";
 * // e.g. "/runs/.hc-tmp-ckpt-3f9a0c1b2d4e": same folder, random tag
 * assert.match(tempSibling("/runs/ckpt"), /^[\\/]runs[\\/]\.hc-tmp-ckpt-[0-9a-f]{12}$/);
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
 * import assert from "node:assert/strict";
 * import { pathExists } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await pathExists(dir), true);
 * assert.equal(await pathExists(`${dir}/missing`), false);
 * await Deno.remove(dir);
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
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "a");
 * await fsyncDir(dir); // resolves; a no-op where directories cannot be fsynced
 * await Deno.remove(dir, { recursive: true });
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
 * import assert from "node:assert/strict";
 * import { writeFileAtomic } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/run.json`, JSON.stringify({ ok: true }));
 * assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/run.json`)), { ok: true });
 * assert.equal([...Deno.readDirSync(dir)].length, 1); // no temp file left behind
 * await Deno.remove(dir, { recursive: true });
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
 * import assert from "node:assert/strict";
 * import { writeDirAtomic } from "./atomic.ts";
 * const root = await Deno.makeTempDir();
 * const write = (text: string) => async (tmp: string) => {
 *   await Deno.writeTextFile(`${tmp}/a.txt`, text);
 * };
 * await writeDirAtomic(`${root}/out`, write("hello"));
 * await assert.rejects(writeDirAtomic(`${root}/out`, write("again")), /exists; pass --force/);
 * await writeDirAtomic(`${root}/out`, write("again"), { force: true });
 * assert.equal(await Deno.readTextFile(`${root}/out/a.txt`), "again");
 * await Deno.remove(root, { recursive: true });
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
 * import assert from "node:assert/strict";
 * import { removeStaleTemps } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/.hc-tmp-ckpt-0123456789ab`);
 * assert.deepEqual(await removeStaleTemps(dir), []); // younger than an hour: left alone
 * assert.deepEqual(await removeStaleTemps(dir, 0), [".hc-tmp-ckpt-0123456789ab"]);
 * await Deno.remove(dir, { recursive: true });
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
