/**
 * NumPy `.npy` files for float32 arrays (format 1.0, `<f4`, C order), so
 * activations and weights can be handed to NumPy/PyTorch peers.
 *
 * @module
 */
import { sizeOf } from "../tensor_map.ts";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses each 4-byte group in place (little- <-> big-endian). */
function swap4(b: Uint8Array): void {
  for (let i = 0; i + 3 < b.length; i += 4) {
    [b[i], b[i + 1], b[i + 2], b[i + 3]] = [b[i + 3], b[i + 2], b[i + 1], b[i]];
  }
}

function shapeTuple(shape: readonly number[]): string {
  if (shape.length === 0) return "()";
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(", ")})`;
}

/**
 * Encodes a float32 array as a `.npy` v1.0 file: magic, version, u16 header
 * length, a Python dict literal padded with spaces and ended by a newline so
 * the data starts on a 64-byte boundary, then little-endian float32 data.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeNpy } from "./npy.ts";
 * const bytes = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * assert.equal(new TextDecoder().decode(bytes.subarray(1, 6)), "NUMPY"); // magic "\x93NUMPY"
 * assert.equal(bytes.length % 64, 24); // header padded to 64 bytes, then 6 float32s
 * ```
 */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`npy: shape [${shape}] must be non-negative integers`);
  }
  if (sizeOf(shape) !== data.length) {
    throw new Error(
      `npy: data has ${data.length} elements but shape [${shape}] needs ${sizeOf(shape)}`,
    );
  }
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeTuple(shape)}, }`;
  const pre = 10; // magic(6) + version(2) + header length(2)
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const header = dict + " ".repeat(total - pre - dict.length - 1) + "\n";
  if (header.length > 0xffff) throw new Error(`npy: shape [${shape}] makes the header too long`);
  const out = new Uint8Array(total + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  dv.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  // Copy bytes rather than values: NaN payloads survive bit-exactly.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  if (!LITTLE_ENDIAN) swap4(out.subarray(total));
  return out;
}

/**
 * Decodes a `.npy` file holding a little-endian float32 C-order array
 * (versions 1.0 to 3.0 of the header).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeNpy, encodeNpy } from "./npy.ts";
 * const { shape, data } = decodeNpy(encodeNpy(new Float32Array([1, 2]), [2]));
 * assert.deepEqual(shape, [2]);
 * assert.deepEqual([...data], [1, 2]);
 * ```
 */
export function decodeNpy(bytes: Uint8Array): { shape: number[]; data: Float32Array } {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new Error("npy: not a .npy file (bad magic)");
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  let hlen: number, start: number;
  if (major === 1) {
    hlen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new Error("npy: truncated header");
    hlen = dv.getUint32(8, true);
    start = 12;
  } else throw new Error(`npy: unsupported format version ${major}`);
  if (start + hlen > bytes.length) throw new Error("npy: header goes beyond the end of the file");
  const header = new TextDecoder().decode(bytes.subarray(start, start + hlen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`npy: cannot parse header ${JSON.stringify(header.trim())}`);
  }
  if (descr !== "<f4") throw new Error(`npy: dtype ${descr} is not supported (only '<f4')`);
  if (fortran !== "False") throw new Error("npy: Fortran-order arrays are not supported");
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s.length).map(Number);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`npy: bad shape (${shapeText})`);
  }
  const n = sizeOf(shape);
  const off = start + hlen;
  if (bytes.length - off !== 4 * n) {
    throw new Error(`npy: data is ${bytes.length - off} bytes but shape [${shape}] needs ${4 * n}`);
  }
  // A copy: Node's Buffer.slice returns a view into a shared pool, so its
  // .buffer does not start at the data.
  const raw = new Uint8Array(bytes.subarray(off));
  if (!LITTLE_ENDIAN) swap4(raw);
  return { shape, data: new Float32Array(raw.buffer, 0, n) };
}
