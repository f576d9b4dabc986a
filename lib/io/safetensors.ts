/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`
 * (offsets relative to the data section), then the raw tensor bytes.
 *
 * Reading validates the whole layout at open and then reads one tensor at a
 * time through a file handle, so multi-GB files never have to fit in memory.
 * F32, F16 and BF16 are converted to Float32Array. Writing is F32 only, via a
 * temp file renamed into place.
 *
 * @module
 */
import { open, rename, rm } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { type HostTensor, sizeOf, type TensorMap } from "../tensor_map.ts";
import { fsyncDir, tempSibling } from "./atomic.ts";

/** Byte size of every dtype the format defines; only F32, F16, BF16 can be read. */
const DTYPE_SIZE: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  U16: 2,
  I16: 2,
  F16: 2,
  BF16: 2,
  U32: 4,
  I32: 4,
  F32: 4,
  U64: 8,
  I64: 8,
  F64: 8,
};

/**
 * Dtypes {@link SafetensorsReader.read} converts to float32.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { READABLE_DTYPES } from "./safetensors.ts";
 * assert.ok((READABLE_DTYPES as readonly string[]).includes("BF16"));
 * ```
 */
export const READABLE_DTYPES = ["F32", "F16", "BF16"] as const;

/** Largest header accepted (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;
/** Chunk for file reads/writes: below the 2 GiB limit of a single read(2). */
const IO_CHUNK = 1 << 30;

/** One tensor's entry in the header. Offsets are absolute file positions. */
export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Absolute byte position of the first byte in the file. */
  begin: number;
  /** Absolute byte position one past the last byte. */
  end: number;
}

/** Parsed, validated header. */
export interface SafetensorsHeader {
  /** Tensors in file (offset) order. */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Absolute position of the data section (8 + header length). */
  dataStart: number;
  fileSize: number;
}

/** A validated, open safetensors file. */
export interface SafetensorsReader {
  readonly path: string;
  readonly header: SafetensorsHeader;
  /** Tensor names in file order. */
  names(): string[];
  /** Entry of `name`; throws naming the file and tensor when absent. */
  info(name: string): SafetensorsEntry;
  has(name: string): boolean;
  /** Reads just this tensor's bytes and converts them to float32. */
  read(name: string): Promise<HostTensor>;
  close(): Promise<void>;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fail(path: string, msg: string): never {
  throw new Error(`${path}: ${msg}`);
}

async function readExactly(
  fh: FileHandle,
  path: string,
  position: number,
  length: number,
  what: string,
): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = Math.min(IO_CHUNK, length - done);
    const { bytesRead } = await fh.read(buf, done, n, position + done);
    if (bytesRead === 0) {
      fail(path, `file truncated while reading ${what} (got ${done} of ${length} bytes)`);
    }
    done += bytesRead;
  }
  return buf;
}

function isNonNegInt(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Validates a header object against the file size and returns entries with
 * absolute offsets. Exported for tests and for tools that parse headers from
 * other sources.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHeader } from "./safetensors.ts";
 * const json = { w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };
 * const h = parseHeader("x.safetensors", json, 64, 72);
 * assert.equal(h.entries[0].begin, 64);
 * assert.equal(h.entries[0].end, 72);
 * ```
 */
export function parseHeader(
  path: string,
  json: unknown,
  dataStart: number,
  fileSize: number,
): SafetensorsHeader {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    fail(path, "header JSON is not an object");
  }
  const dataLen = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof v !== "object" || v === null || Array.isArray(v)) {
        fail(path, "__metadata__ must be an object of strings");
      }
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== "string") fail(path, `__metadata__.${k} must be a string`);
        metadata[k] = s;
      }
      continue;
    }
    const e = v as Record<string, unknown>;
    if (typeof e !== "object" || e === null) fail(path, `tensor ${name}: entry is not an object`);
    const dtype = e.dtype;
    if (typeof dtype !== "string" || !(dtype in DTYPE_SIZE)) {
      fail(path, `tensor ${name}: unknown dtype ${JSON.stringify(dtype)}`);
    }
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every(isNonNegInt)) {
      fail(path, `tensor ${name}: shape must be a list of non-negative integers`);
    }
    const off = e.data_offsets;
    if (
      !Array.isArray(off) || off.length !== 2 || !isNonNegInt(off[0]) || !isNonNegInt(off[1]) ||
      off[1] < off[0]
    ) {
      fail(path, `tensor ${name}: data_offsets must be [begin, end] with 0 <= begin <= end`);
    }
    if (off[1] > dataLen) {
      fail(
        path,
        `tensor ${name}: data_offsets [${off}] go beyond the end of the file ` +
          `(data section is ${dataLen} bytes); file truncated or header corrupt`,
      );
    }
    const need = sizeOf(shape as number[]) * DTYPE_SIZE[dtype];
    if (off[1] - off[0] !== need) {
      fail(
        path,
        `tensor ${name}: data_offsets span ${off[1] - off[0]} bytes but shape ` +
          `[${shape}] of ${dtype} needs ${need}`,
      );
    }
    entries.push({
      name,
      dtype,
      shape: [...shape] as number[],
      begin: dataStart + off[0],
      end: dataStart + off[1],
    });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  // Tensors must tile the data section exactly: no gap, no overlap, no tail.
  let pos = dataStart;
  let prev = "";
  for (const e of entries) {
    if (e.begin < pos) {
      fail(path, `tensor ${e.name}: data_offsets overlap tensor ${prev}`);
    }
    if (e.begin > pos) {
      fail(
        path,
        `tensor ${e.name}: ${e.begin - pos} bytes before it (data offset ` +
          `${pos - dataStart}) belong to no tensor`,
      );
    }
    pos = e.end;
    prev = e.name;
  }
  if (pos !== fileSize) {
    fail(path, `the last ${fileSize - pos} bytes of the data section belong to no tensor`);
  }
  return { entries, metadata, dataStart, fileSize };
}

const F16_TABLE = (() => {
  // All 65536 half-precision values, so decoding is one lookup per element.
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) t[h] = s * m * 2 ** -24;
    else if (e === 31) t[h] = m ? NaN : s * Infinity;
    else t[h] = s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return t;
})();

/**
 * Converts raw little-endian bytes of a readable dtype to float32.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeToFloat32 } from "./safetensors.ts";
 * assert.deepEqual([...decodeToFloat32(new Uint8Array([0x00, 0x3c]), "F16")], [1]);
 * assert.deepEqual([...decodeToFloat32(new Uint8Array([0x80, 0x3f]), "BF16")], [1]);
 * ```
 */
export function decodeToFloat32(bytes: Uint8Array, dtype: string): Float32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === "F32") {
    const n = bytes.byteLength / 4;
    if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
      return new Float32Array(bytes.buffer, bytes.byteOffset, n);
    }
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
    return out;
  }
  const n = bytes.byteLength / 2;
  const out = new Float32Array(n);
  if (dtype === "F16") {
    for (let i = 0; i < n; i++) out[i] = F16_TABLE[dv.getUint16(2 * i, true)];
    return out;
  }
  if (dtype === "BF16") {
    // bfloat16 is the top half of a float32: shift the bits up.
    // Uint32Array and Float32Array share the platform byte order, so this
    // reinterpretation is endian-independent.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = dv.getUint16(2 * i, true) << 16;
    return out;
  }
  throw new Error(`dtype ${dtype} cannot be converted to float32; only F32, F16, BF16 are read`);
}

/**
 * Opens and validates a safetensors file (header only is read).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openSafetensors, writeSafetensors } from "./safetensors.ts";
 * import { hostTensor } from "../tensor_map.ts";
 * const dir = await Deno.makeTempDir();
 * const w = hostTensor([2, 2], new Float32Array([1, 2, 3, 4]));
 * await writeSafetensors(`${dir}/model.safetensors`, new Map([["w", w], ["b", hostTensor([2])]]));
 * const r = await openSafetensors(`${dir}/model.safetensors`);
 * assert.deepEqual(r.names(), ["b", "w"]);
 * assert.deepEqual(await r.read("w"), w); // reads just this tensor
 * await r.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openSafetensors(path: string): Promise<SafetensorsReader> {
  const fh = await open(path, "r");
  try {
    const fileSize = (await fh.stat()).size;
    if (fileSize < 8) {
      fail(path, `file is ${fileSize} bytes, shorter than the 8-byte header length; truncated`);
    }
    const lenBytes = await readExactly(fh, path, 0, 8, "the header length");
    const big = new DataView(lenBytes.buffer).getBigUint64(0, true);
    if (big > BigInt(fileSize - 8)) {
      fail(path, `header length ${big} goes beyond the end of the file (${fileSize} bytes)`);
    }
    const headerLen = Number(big);
    if (headerLen > MAX_HEADER) fail(path, `header length ${headerLen} is over the 100 MB limit`);
    const raw = await readExactly(fh, path, 8, headerLen, "the header");
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
    } catch (e) {
      fail(path, `header is not valid JSON (${(e as Error).message})`);
    }
    const header = parseHeader(path, json, 8 + headerLen, fileSize);
    return makeReader(path, fh, header);
  } catch (e) {
    await fh.close();
    throw e;
  }
}

function makeReader(path: string, fh: FileHandle, header: SafetensorsHeader): SafetensorsReader {
  const byName = new Map(header.entries.map((e) => [e.name, e]));
  let closed = false;
  const info = (name: string) => {
    const e = byName.get(name);
    if (!e) fail(path, `no tensor named ${name}`);
    return e;
  };
  return {
    path,
    header,
    names: () => header.entries.map((e) => e.name),
    info,
    has: (name) => byName.has(name),
    async read(name) {
      if (closed) fail(path, `read of ${name} after close`);
      const e = info(name);
      if (!(READABLE_DTYPES as readonly string[]).includes(e.dtype)) {
        fail(path, `tensor ${name} has dtype ${e.dtype}; only F32, F16 and BF16 can be read`);
      }
      const bytes = await readExactly(fh, path, e.begin, e.end - e.begin, `tensor ${name}`);
      return { shape: [...e.shape], data: decodeToFloat32(bytes, e.dtype) };
    },
    async close() {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}

/**
 * Reads every tensor of a file into memory (F32/F16/BF16 only).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSafetensors, writeSafetensors } from "./safetensors.ts";
 * import { hostTensor } from "../tensor_map.ts";
 * const dir = await Deno.makeTempDir();
 * const w = hostTensor([3], new Float32Array([1, 2, 3]));
 * await writeSafetensors(`${dir}/a.safetensors`, new Map([["w", w]]), { note: "example" });
 * const { tensors, metadata } = await readSafetensors(`${dir}/a.safetensors`);
 * assert.deepEqual(tensors.get("w"), w);
 * assert.equal(metadata.note, "example");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readSafetensors(
  path: string,
): Promise<{ tensors: TensorMap; metadata: Record<string, string> }> {
  const r = await openSafetensors(path);
  try {
    const tensors: TensorMap = new Map();
    for (const name of r.names()) tensors.set(name, await r.read(name));
    return { tensors, metadata: { ...r.header.metadata } };
  } finally {
    await r.close();
  }
}

/** Streaming F32 writer; see {@link createSafetensorsWriter}. */
export interface SafetensorsWriter {
  readonly path: string;
  /** Writes one tensor (any order, each exactly once). */
  write(name: string, data: Float32Array): Promise<void>;
  /** Checks every tensor was written, fsyncs and renames onto `path`. */
  close(): Promise<void>;
  /** Deletes the temp file; `path` is left as it was. */
  abort(): Promise<void>;
}

/**
 * Builds the header bytes (JSON padded with spaces to a multiple of 8, as the
 * reference writer does) for F32 tensors laid out in the given order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildHeader } from "./safetensors.ts";
 * const { bytes, offsets } = buildHeader([{ name: "w", shape: [2, 3] }]);
 * assert.deepEqual(offsets.get("w"), [0, 24]);
 * assert.equal(bytes.length % 8, 0); // the data section starts 8-byte aligned
 * ```
 */
export function buildHeader(
  entries: { name: string; shape: number[] }[],
  metadata?: Record<string, string>,
): { bytes: Uint8Array; offsets: Map<string, [number, number]> } {
  const obj: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new Error(`safetensors metadata ${k} must be a string`);
    }
    obj.__metadata__ = metadata;
  }
  const offsets = new Map<string, [number, number]>();
  let pos = 0;
  for (const { name, shape } of entries) {
    if (name === "__metadata__") throw new Error(`tensor name __metadata__ is reserved`);
    if (offsets.has(name)) throw new Error(`tensor ${name} listed twice`);
    if (!shape.every(isNonNegInt)) throw new Error(`tensor ${name}: bad shape [${shape}]`);
    const n = sizeOf(shape) * 4;
    offsets.set(name, [pos, pos + n]);
    obj[name] = { dtype: "F32", shape, data_offsets: [pos, pos + n] };
    pos += n;
  }
  const json = new TextEncoder().encode(JSON.stringify(obj));
  const padded = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + padded).fill(0x20);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, 8);
  return { bytes, offsets };
}

function float32Bytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(4 * i, data[i], true);
  return out;
}

async function writeAll(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const n = Math.min(IO_CHUNK, bytes.length - done);
    const { bytesWritten } = await fh.write(bytes, done, n, position + done);
    done += bytesWritten;
  }
}

/**
 * Starts an atomic streaming F32 write: the header is computed from `entries`
 * (data laid out in that order), tensors are written at their offsets as they
 * come, and `close()` renames the finished temp file onto `path`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSafetensorsWriter, readSafetensors } from "./safetensors.ts";
 * const dir = await Deno.makeTempDir();
 * const w = await createSafetensorsWriter(`${dir}/a.safetensors`, [{ name: "a", shape: [2] }]);
 * await w.write("a", new Float32Array([1, 2]));
 * await w.close();
 * const { tensors } = await readSafetensors(`${dir}/a.safetensors`);
 * assert.deepEqual([...tensors.get("a")!.data], [1, 2]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function createSafetensorsWriter(
  path: string,
  entries: { name: string; shape: number[] }[],
  metadata?: Record<string, string>,
): Promise<SafetensorsWriter> {
  const { bytes, offsets } = buildHeader(entries, metadata);
  const shapes = new Map(entries.map((e) => [e.name, e.shape]));
  const tmp = tempSibling(path);
  const fh = await open(tmp, "wx");
  const written = new Set<string>();
  let state: "open" | "closed" | "aborted" = "open";
  const abort = async () => {
    if (state !== "open") return;
    state = "aborted";
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
  };
  try {
    await writeAll(fh, bytes, 0);
  } catch (e) {
    await abort();
    throw e;
  }
  return {
    path,
    async write(name, data) {
      if (state !== "open") throw new Error(`${path}: write of ${name} after close`);
      const off = offsets.get(name);
      if (!off) throw new Error(`${path}: tensor ${name} is not in the header`);
      if (written.has(name)) throw new Error(`${path}: tensor ${name} written twice`);
      if (data.length * 4 !== off[1] - off[0]) {
        throw new Error(
          `${path}: tensor ${name} has ${data.length} elements but shape ` +
            `[${shapes.get(name)}] needs ${(off[1] - off[0]) / 4}`,
        );
      }
      await writeAll(fh, float32Bytes(data), bytes.length + off[0]);
      written.add(name);
    },
    async close() {
      if (state !== "open") throw new Error(`${path}: writer already closed`);
      const missing = entries.find((e) => !written.has(e.name));
      if (missing) {
        await abort();
        throw new Error(`${path}: tensor ${missing.name} was never written`);
      }
      try {
        await fh.sync();
        await fh.close();
        state = "closed";
        await rename(tmp, path);
      } catch (e) {
        if (state === "open") await fh.close().catch(() => {});
        state = "aborted";
        await rm(tmp, { force: true });
        throw e;
      }
      await fsyncDir(dirname(resolve(path)));
    },
    abort,
  };
}

/**
 * Writes a whole tensor map as F32, tensors sorted by name, atomically.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSafetensors, writeSafetensors } from "./safetensors.ts";
 * import { hostTensor } from "../tensor_map.ts";
 * const dir = await Deno.makeTempDir();
 * await writeSafetensors(`${dir}/b.safetensors`, new Map([["w", hostTensor([2])]]));
 * assert.deepEqual([...(await readSafetensors(`${dir}/b.safetensors`)).tensors.keys()], ["w"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeSafetensors(
  path: string,
  map: TensorMap,
  metadata?: Record<string, string>,
): Promise<void> {
  const names = [...map.keys()].sort();
  const w = await createSafetensorsWriter(
    path,
    names.map((name) => ({ name, shape: map.get(name)!.shape })),
    metadata,
  );
  try {
    for (const name of names) await w.write(name, map.get(name)!.data);
    await w.close();
  } catch (e) {
    await w.abort();
    throw e;
  }
}
