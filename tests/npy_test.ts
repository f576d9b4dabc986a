import assert from "node:assert/strict";
import { decodeNpy, encodeNpy } from "../lib/io/npy.ts";

function bitsOf(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

Deno.test("npy header is the exact NumPy v1.0 dict, newline-terminated, data on a 64-byte boundary", () => {
  const bytes = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  assert.deepEqual(Array.from(bytes.subarray(0, 8)), [0x93, 78, 85, 77, 80, 89, 1, 0]);
  const hlen = new DataView(bytes.buffer).getUint16(8, true);
  assert.equal((10 + hlen) % 64, 0);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + hlen));
  assert.ok(header.endsWith("\n"));
  assert.equal(header.trimEnd(), "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
  assert.equal(bytes.length, 10 + hlen + 24);
  assert.equal(new DataView(bytes.buffer).getFloat32(10 + hlen + 4, true), 2);
});

Deno.test("npy round trip is bit-exact for 0-d, 1-d and 3-d arrays with NaN, -0 and subnormals", () => {
  const bits = new Uint32Array([0x7fa00001, 0x80000000, 0x00000001, 0xff800000, 0x3f800000, 7]);
  const special = new Float32Array(bits.buffer);
  for (
    const [data, shape] of [
      [new Float32Array([3.5]), []],
      [special, [6]],
      [special, [1, 2, 3]],
      [new Float32Array(0), [0, 4]],
    ] as [Float32Array, number[]][]
  ) {
    const got = decodeNpy(encodeNpy(data, shape));
    assert.deepEqual(got.shape, shape);
    assert.deepEqual(bitsOf(got.data), bitsOf(data));
  }
  const one = new TextDecoder().decode(encodeNpy(new Float32Array(5), [5]).subarray(10, 70));
  assert.match(one, /'shape': \(5,\), \}/);
});

Deno.test("npy rejects wrong sizes, other dtypes and non-npy bytes", () => {
  assert.throws(
    () => encodeNpy(new Float32Array(5), [2, 3]),
    /5 elements but shape \[2,3\] needs 6/,
  );
  const b = encodeNpy(new Float32Array([1, 2]), [2]);
  assert.throws(
    () => decodeNpy(b.subarray(0, b.length - 1)),
    /data is 7 bytes but shape \[2\] needs 8/,
  );
  const f8 = b.slice();
  f8.set(new TextEncoder().encode("'<f8'"), 10 + "{'descr': ".length);
  assert.throws(() => decodeNpy(f8), /dtype <f8 is not supported/);
  assert.throws(() => decodeNpy(new Uint8Array(20)), /bad magic/);
});
