import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createSafetensorsWriter,
  openSafetensors,
  readSafetensors,
  writeSafetensors,
} from "../lib/io/safetensors.ts";
import { removeStaleTemps, writeDirAtomic, writeFileAtomic } from "../lib/io/atomic.ts";
import { hostTensor, type TensorMap } from "../lib/tensor_map.ts";

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "hc-st-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Float32 values with awkward bit patterns, given as raw bits. */
const SPECIAL_BITS = [
  0x7fc00000, // quiet NaN
  0x7fa00001, // NaN with payload
  0xffc00123, // negative NaN with payload
  0x80000000, // -0
  0x00000001, // smallest subnormal
  0x807fffff, // largest negative subnormal
  0x7f800000, // +inf
  0xff800000, // -inf
  0x7f7fffff, // largest finite
  0x3f800000, // 1
];

function specialTensor(): Float32Array {
  const bits = new Uint32Array(SPECIAL_BITS.length + 2);
  bits.set(SPECIAL_BITS);
  bits[SPECIAL_BITS.length] = 0x3eaaaaab; // 1/3
  bits[SPECIAL_BITS.length + 1] = 0xc0490fdb; // -pi
  return new Float32Array(bits.buffer);
}

function bitsOf(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

/** Builds a safetensors file by hand: header object, optional raw padding, data bytes. */
function handFile(header: unknown, data: Uint8Array, rawHeader?: string): Uint8Array {
  const json = new TextEncoder().encode(rawHeader ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function u16le(values: number[]): Uint8Array {
  const b = new Uint8Array(2 * values.length);
  const dv = new DataView(b.buffer);
  values.forEach((v, i) => dv.setUint16(2 * i, v, true));
  return b;
}

Deno.test("safetensors write/read round trip is bit-exact, NaN payloads, -0 and subnormals included", async () => {
  await withTmp(async (dir) => {
    const path = join(dir, "a.safetensors");
    const special = specialTensor();
    const map: TensorMap = new Map([
      ["z.special", hostTensor([3, 4], special)],
      ["a.vector", hostTensor([5], new Float32Array([1, -2, 3.5, 1e-30, -7]))],
      ["m.empty", hostTensor([0, 3])],
      ["s.scalar", hostTensor([], new Float32Array([42]))],
    ]);
    await writeSafetensors(path, map, { note: "hi" });
    const { tensors, metadata } = await readSafetensors(path);
    assert.deepEqual(metadata, { note: "hi" });
    assert.deepEqual([...tensors.keys()].sort(), [...map.keys()].sort());
    for (const [name, t] of map) {
      const got = tensors.get(name)!;
      assert.deepEqual(got.shape, t.shape, name);
      assert.deepEqual(bitsOf(got.data), bitsOf(t.data), name);
    }
    // Header is padded with spaces to a multiple of 8 and tensors are sorted by name.
    const bytes = await readFile(path);
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    assert.equal(n % 8, 0);
    const r = await openSafetensors(path);
    assert.deepEqual(r.names(), ["a.vector", "m.empty", "s.scalar", "z.special"]);
    assert.equal(r.info("z.special").dtype, "F32");
    await r.close();
    // No temp files left next to the output.
    assert.deepEqual(await readdir(dir), ["a.safetensors"]);
  });
});

Deno.test("streaming writer accepts any write order and publishes the file only on close", async () => {
  await withTmp(async (dir) => {
    const path = join(dir, "s.safetensors");
    const w = await createSafetensorsWriter(path, [
      { name: "first", shape: [2] },
      { name: "second", shape: [2, 2] },
    ]);
    await w.write("second", new Float32Array([1, 2, 3, 4]));
    await assert.rejects(
      w.write("first", new Float32Array(3)),
      /first has 3 elements but shape \[2\]/,
    );
    await assert.rejects(w.write("nope", new Float32Array(1)), /nope is not in the header/);
    await assert.rejects(w.write("second", new Float32Array(4)), /second written twice/);
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
    await w.write("first", new Float32Array([5, 6]));
    await w.close();
    const { tensors } = await readSafetensors(path);
    assert.deepEqual(Array.from(tensors.get("first")!.data), [5, 6]);
    assert.deepEqual(Array.from(tensors.get("second")!.data), [1, 2, 3, 4]);

    const w2 = await createSafetensorsWriter(join(dir, "t.safetensors"), [
      { name: "x", shape: [1] },
    ]);
    await assert.rejects(w2.close(), /tensor x was never written/);
    assert.deepEqual((await readdir(dir)).sort(), ["s.safetensors"]);
  });
});

Deno.test("F16 and BF16 tensors decode to the exact float32 values", async () => {
  await withTmp(async (dir) => {
    // f16: 1, -2, smallest subnormal 2^-24, largest subnormal, 65504, +inf, -inf, -0, 0.5
    const f16Bits = [0x3c00, 0xc000, 0x0001, 0x03ff, 0x7bff, 0x7c00, 0xfc00, 0x8000, 0x3800];
    const f16Want = [1, -2, 2 ** -24, 1023 * 2 ** -24, 65504, Infinity, -Infinity, -0, 0.5];
    // bf16: 1, -2, pi (rounded), smallest bf16 subnormal, +inf
    const bfBits = [0x3f80, 0xc000, 0x4049, 0x0001, 0x7f80];
    const bfWant = [1, -2, 3.140625, 2 ** -133, Infinity];
    const f16Data = u16le([...f16Bits, 0x7e00]); // plus a NaN
    const bfData = u16le(bfBits);
    const header = {
      __metadata__: { format: "pt" },
      half: { dtype: "F16", shape: [10], data_offsets: [0, f16Data.length] },
      brain: {
        dtype: "BF16",
        shape: [5],
        data_offsets: [f16Data.length, f16Data.length + bfData.length],
      },
    };
    const data = new Uint8Array(f16Data.length + bfData.length);
    data.set(f16Data);
    data.set(bfData, f16Data.length);
    const path = join(dir, "h.safetensors");
    await writeFile(path, handFile(header, data));
    const r = await openSafetensors(path);
    const half = await r.read("half");
    assert.deepEqual(Array.from(half.data.subarray(0, 9)), f16Want);
    assert.ok(Object.is(half.data[7], -0));
    assert.ok(Number.isNaN(half.data[9]));
    const brain = await r.read("brain");
    assert.deepEqual(Array.from(brain.data), bfWant);
    assert.deepEqual(brain.shape, [5]);
    await r.close();
  });
});

Deno.test("unsupported dtypes are rejected when read, naming the tensor and dtype", async () => {
  await withTmp(async (dir) => {
    const path = join(dir, "i.safetensors");
    const header = { ids: { dtype: "I64", shape: [2], data_offsets: [0, 16] } };
    await writeFile(path, handFile(header, new Uint8Array(16)));
    const r = await openSafetensors(path);
    await assert.rejects(r.read("ids"), /tensor ids has dtype I64; only F32, F16 and BF16/);
    await r.close();
    const bad = join(dir, "u.safetensors");
    await writeFile(
      bad,
      handFile({ q: { dtype: "Q4", shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)),
    );
    await assert.rejects(openSafetensors(bad), /tensor q: unknown dtype "Q4"/);
  });
});

Deno.test("corrupt files are rejected at open with a message naming the file and the problem", async () => {
  await withTmp(async (dir) => {
    const good = { w: { dtype: "F32", shape: [2, 2], data_offsets: [0, 16] } };
    const cases: [string, Uint8Array, RegExp][] = [
      ["short", new Uint8Array(5), /short\.st: file is 5 bytes, shorter than the 8-byte/],
      [
        "hdrlen",
        (() => {
          const b = handFile(good, new Uint8Array(16));
          new DataView(b.buffer).setBigUint64(0, 1000n, true);
          return b;
        })(),
        /hdrlen\.st: header length 1000 goes beyond the end of the file/,
      ],
      [
        "json",
        handFile(null, new Uint8Array(16), "{not json"),
        /json\.st: header is not valid JSON/,
      ],
      [
        "truncated",
        handFile(good, new Uint8Array(10)),
        /truncated\.st: tensor w: data_offsets \[0,16\] go beyond the end of the file/,
      ],
      [
        "beyond",
        handFile(
          { w: { dtype: "F32", shape: [2, 2], data_offsets: [64, 80] } },
          new Uint8Array(16),
        ),
        /beyond\.st: tensor w: data_offsets \[64,80\] go beyond the end of the file/,
      ],
      [
        "size",
        handFile({ w: { dtype: "F32", shape: [3, 2], data_offsets: [0, 16] } }, new Uint8Array(16)),
        /size\.st: tensor w: data_offsets span 16 bytes but shape \[3,2\] of F32 needs 24/,
      ],
      [
        "overlap",
        handFile({
          a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
          b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
        }, new Uint8Array(12)),
        /overlap\.st: tensor b: data_offsets overlap tensor a/,
      ],
      [
        "gap",
        handFile({ a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
        /gap\.st: tensor a: 4 bytes before it/,
      ],
      [
        "tail",
        handFile(good, new Uint8Array(20)),
        /tail\.st: the last 4 bytes of the data section belong to no tensor/,
      ],
      [
        "offsets",
        handFile({ w: { dtype: "F32", shape: [1], data_offsets: [4, 0] } }, new Uint8Array(4)),
        /offsets\.st: tensor w: data_offsets must be \[begin, end\]/,
      ],
    ];
    for (const [name, bytes, re] of cases) {
      const path = join(dir, `${name}.st`);
      await writeFile(path, bytes);
      await assert.rejects(openSafetensors(path), re, name);
    }
  });
});

Deno.test("reader reads one tensor at a time at its offset and reports truncation after open", async () => {
  await withTmp(async (dir) => {
    const path = join(dir, "p.safetensors");
    const map: TensorMap = new Map([
      ["a", hostTensor([3], new Float32Array([1, 2, 3]))],
      ["b", hostTensor([2], new Float32Array([4, 5]))],
    ]);
    await writeSafetensors(path, map);
    const r = await openSafetensors(path);
    assert.deepEqual(Array.from((await r.read("b")).data), [4, 5]);
    assert.throws(() => r.info("c"), /p\.safetensors: no tensor named c/);
    // Cut the file under the open reader: the next read names the tensor.
    await Deno.truncate(path, r.header.entries[1].begin + 4);
    await assert.rejects(r.read("b"), /file truncated while reading tensor b/);
    await r.close();
  });
});

Deno.test("writeFileAtomic and writeDirAtomic refuse or replace an existing target and leave no temps", async () => {
  await withTmp(async (dir) => {
    const f = join(dir, "f.txt");
    await writeFileAtomic(f, "one");
    await writeFileAtomic(f, new TextEncoder().encode("two"));
    assert.equal(await Deno.readTextFile(f), "two");

    const out = join(dir, "out");
    await writeDirAtomic(out, async (tmp) => await Deno.writeTextFile(join(tmp, "x"), "1"));
    await assert.rejects(
      writeDirAtomic(out, async () => {}),
      (e: Error) => e.message === `${out} exists; pass --force to overwrite`,
    );
    await assert.rejects(
      writeDirAtomic(out, () => Promise.reject(new Error("fill failed")), { force: true }),
      /fill failed/,
    );
    assert.equal(await Deno.readTextFile(join(out, "x")), "1");
    await writeDirAtomic(out, async (tmp) => await Deno.writeTextFile(join(tmp, "y"), "2"), {
      force: true,
    });
    assert.deepEqual(await readdir(out), ["y"]);
    assert.deepEqual((await readdir(dir)).sort(), ["f.txt", "out"]);
  });
});

Deno.test("a tensor beyond the 4 GiB mark of a sparse file is read without reading the rest", async () => {
  await withTmp(async (dir) => {
    // 5 GiB of (sparse, never-written) F32 data, then a small tensor: offsets
    // past 2^32 exercise 64-bit positions, and open + read must not touch the
    // big tensor (reading it would need 5 GiB of memory).
    const bigElems = 5 * 2 ** 28;
    const header = {
      big: { dtype: "F32", shape: [bigElems], data_offsets: [0, 4 * bigElems] },
      small: { dtype: "F32", shape: [2], data_offsets: [4 * bigElems, 4 * bigElems + 8] },
    };
    const head = handFile(header, new Uint8Array(0));
    const path = join(dir, "sparse.safetensors");
    const fh = await Deno.open(path, { write: true, create: true });
    await fh.write(head);
    await fh.truncate(head.length + 4 * bigElems);
    await fh.seek(head.length + 4 * bigElems, Deno.SeekMode.Start);
    await fh.write(new Uint8Array(new Float32Array([1.5, -3]).buffer));
    fh.close();
    const r = await openSafetensors(path);
    assert.deepEqual(r.info("big").shape, [bigElems]);
    assert.deepEqual(Array.from((await r.read("small")).data), [1.5, -3]);
    await r.close();
  });
});

Deno.test("removeStaleTemps removes only old .hc-tmp-/.hc-old- leftovers", async () => {
  await withTmp(async (dir) => {
    for (const name of [".hc-tmp-a-1", ".hc-old-b-2", ".hc-tmp-fresh-3", "keep"]) {
      await Deno.mkdir(join(dir, name));
    }
    const twoHoursAgo = new Date(Date.now() - 7_200_000);
    for (const name of [".hc-tmp-a-1", ".hc-old-b-2", "keep"]) {
      await Deno.utime(join(dir, name), twoHoursAgo, twoHoursAgo);
    }
    assert.deepEqual((await removeStaleTemps(dir)).sort(), [".hc-old-b-2", ".hc-tmp-a-1"]);
    assert.deepEqual((await readdir(dir)).sort(), [".hc-tmp-fresh-3", "keep"]);
  });
});
