/**
 * The faster tfjs-wasm kernels of lib/wasm_patches.ts are registered by
 * `initBackend`, whatever backend it loads, and not by importing the model.
 * (That they return cpu's values is checked in ops_test.ts.)
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend.ts";
import "../lib/model/model.ts";

const PATCHED = {
  Slice: "wasmSlice",
  Unpack: "wasmUnpack",
  SplitV: "wasmSplitV",
  Identity: "wasmIdentity",
};
const names = () =>
  Object.fromEntries(
    Object.keys(PATCHED).map((k) => [k, tf.getKernel(k, "wasm")?.kernelFunc.name]),
  );

Deno.test("importing the model leaves tfjs-wasm's kernels; initBackend('cpu') replaces all four", async () => {
  for (const [kernel, name] of Object.entries(names())) {
    assert.ok(name !== undefined, `tfjs-wasm registers ${kernel}`);
    assert.notEqual(name, PATCHED[kernel as keyof typeof PATCHED], kernel);
  }
  await initBackend("cpu");
  assert.deepEqual(names(), PATCHED);
  // Idempotent: a second backend keeps the same kernels.
  await initBackend("wasm");
  assert.deepEqual(names(), PATCHED);
});
