import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import plugin, { MAX_FUNCTION_LINES } from "../tools/lint/function_length.ts";

/** Source of a function declaration spanning exactly `lines` lines. */
function fnOfLines(name: string, lines: number): string {
  const body = Array.from({ length: lines - 2 }, (_, i) => `  console.log(${i});`);
  return [`export function ${name}() {`, ...body, "}"].join("\n") + "\n";
}

/** A class whose method spans exactly `lines` lines. */
function methodOfLines(lines: number): string {
  const body = Array.from({ length: lines - 2 }, (_, i) => `    console.log(${i});`);
  return ["export class C {", "  run() {", ...body, "  }", "}"].join("\n") + "\n";
}

/** An arrow function bound to a const, spanning exactly `lines` lines. */
function arrowOfLines(lines: number): string {
  const body = Array.from({ length: lines - 2 }, (_, i) => `  console.log(${i});`);
  return ["export const go = () => {", ...body, "};"].join("\n") + "\n";
}

Deno.test("max-function-lines: the limit is 100 lines", () => {
  assert.equal(MAX_FUNCTION_LINES, 100);
});

Deno.test("max-function-lines: a 100-line function passes, a 101-line one is reported", () => {
  assert.deepEqual(Deno.lint.runPlugin(plugin, "lib/a.ts", fnOfLines("ok", 100)), []);
  const found = Deno.lint.runPlugin(plugin, "lib/a.ts", fnOfLines("long", 101));
  assert.equal(found.length, 1);
  assert.equal(found[0].id, "hc/max-function-lines");
  assert.equal(found[0].message, "function long is 101 lines; the limit is 100");
});

Deno.test("max-function-lines: arrow functions and methods count too, each reported once", () => {
  assert.deepEqual(Deno.lint.runPlugin(plugin, "lib/a.ts", arrowOfLines(100)), []);
  const arrow = Deno.lint.runPlugin(plugin, "lib/a.ts", arrowOfLines(101));
  assert.deepEqual(arrow.map((d) => d.message), ["function go is 101 lines; the limit is 100"]);
  assert.deepEqual(Deno.lint.runPlugin(plugin, "lib/a.ts", methodOfLines(100)), []);
  const method = Deno.lint.runPlugin(plugin, "lib/a.ts", methodOfLines(101));
  assert.deepEqual(method.map((d) => d.message), ["method run is 101 lines; the limit is 100"]);
});

Deno.test("max-function-lines: only files under lib/ are checked", () => {
  const long = fnOfLines("long", 150);
  assert.equal(Deno.lint.runPlugin(plugin, "/repo/lib/model/x.ts", long).length, 1);
  assert.deepEqual(Deno.lint.runPlugin(plugin, "/repo/tests/x_test.ts", long), []);
  assert.deepEqual(Deno.lint.runPlugin(plugin, "/repo/library/x.ts", long), []);
});

Deno.test("deno lint with the plugin registered fails on a 101-line function under lib/", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hc-lint-" });
  try {
    const pluginUrl = pathToFileURL(join(import.meta.dirname!, "../tools/lint/function_length.ts"));
    const config = join(dir, "deno.json");
    await Deno.writeTextFile(config, JSON.stringify({ lint: { plugins: [pluginUrl.href] } }));
    await Deno.mkdir(join(dir, "lib"));
    const lint = async (source: string) => {
      await Deno.writeTextFile(join(dir, "lib", "f.ts"), source);
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["lint", "--config", config, join(dir, "lib")],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
      return { code: r.code, text };
    };
    const ok = await lint(fnOfLines("ok", 100));
    assert.equal(ok.code, 0, ok.text);
    const long = await lint(fnOfLines("long", 101));
    assert.equal(long.code, 1, long.text);
    assert.match(long.text, /hc\/max-function-lines/);
    assert.match(long.text, /function long is 101 lines; the limit is 100/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
