import assert from "node:assert/strict";

const dec = new TextDecoder();

async function deno(...args: string[]) {
  const r = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" })
    .output();
  return { code: r.code, text: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

Deno.test("deno fmt --check is clean", async () => {
  const r = await deno("fmt", "--check");
  assert.equal(r.code, 0, r.text);
});

Deno.test("deno lint is clean", async () => {
  const r = await deno("lint");
  assert.equal(r.code, 0, r.text);
});

Deno.test("the public API and every JSDoc example type-check", async () => {
  const r = await deno("check", "--doc", "mod.ts", "lib/", "tools/");
  assert.equal(r.code, 0, r.text);
});
