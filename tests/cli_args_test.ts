import assert from "node:assert/strict";
import { main } from "../lib/cli/main.ts";
import { intFlag, listFlag, parse, takeFlag } from "../lib/cli/args.ts";
import { UsageError } from "../lib/errors.ts";

/** Runs main() in this process; returns the exit code and what it printed to stderr. */
async function run(...argv: string[]): Promise<{ code: number; err: string }> {
  const lines: string[] = [];
  const orig = console.error;
  console.error = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    return { code: await main(argv), err: lines.join("\n") };
  } finally {
    console.error = orig;
  }
}

// Every command, with the arguments that reach its flag parser.
const COMMANDS: [string[], string][] = [
  [["train"], "--config VALUE"],
  [["eval", "ck"], "--split VALUE"],
  [["score", "ck"], "--tokens VALUE"],
  [["sample", "ck"], "--prompt VALUE"],
  [["clone", "a", "b"], "--width VALUE"],
  [["tokenizer", "train"], "--vocab VALUE"],
  [["bench"], "--preset VALUE"],
  [["bench-clone"], "--width VALUE"],
  [["ablate", "spec.json"], "--preset VALUE"],
  [["figures", "runs"], "--out VALUE"],
  [["demo"], "--figures VALUE"],
];

Deno.test("every command rejects an unknown flag: exit 2, one line naming the flag and the flags it takes", async () => {
  for (const [argv, oneFlag] of COMMANDS) {
    const r = await run(...argv, "--bogus", "1");
    assert.equal(r.code, 2, `${argv[0]}: ${r.err}`);
    assert.match(r.err, new RegExp(`^hc ${argv[0]}: error: Unknown option '--bogus'; `));
    assert.ok(r.err.includes(oneFlag), `${argv[0]} lists its flags: ${r.err}`);
    assert.equal(r.err.split("\n").length, 1, r.err);
  }
});

Deno.test("a flag without its value or a switch given one: exit 2 naming the flag and the fix", async () => {
  const missing = await run("clone", "a", "b", "--width");
  assert.equal(missing.code, 2);
  assert.equal(missing.err, "hc clone: error: --width: needs a value (--width VALUE)");
  const valued = await run("clone", "a", "b", "--width", "2", "--force=yes");
  assert.equal(valued.code, 2);
  assert.equal(valued.err, "hc clone: error: --force: takes no value; write --force alone");
  const dash = await run("clone", "a", "b", "--width", "2", "--snr-db", "-5");
  assert.equal(dash.code, 2);
  assert.match(dash.err, /--snr-db: needs a value; write --snr-db=VALUE for a value that starts/);
});

Deno.test("bad flag values: exit 2 naming the flag and what it takes", async () => {
  const cases: [string[], string][] = [
    [["clone", "a", "b", "--width", "two"], "--width: must be a positive integer, got 'two'"],
    [["clone", "a", "b", "--width", "2", "--seed=-1"], "--seed: must be an integer >= 0"],
    [["clone", "a", "b", "--width", "2", "--snr-db", "loud"], "--snr-db: must be a number"],
    [["train", "--config", "c", "--out", "o", "--progress", "fancy"], "--progress: must be one of"],
    [["figures", "tests", "--formats", "png,gif"], "--formats: unknown entry 'gif'"],
    [["eval", "ck", "--threads", "0"], "--threads: must be a positive integer, got '0'"],
    [["train"], "--config FILE is required"],
  ];
  for (const [argv, msg] of cases) {
    const r = await run(...argv);
    assert.equal(r.code, 2, `${argv.join(" ")}: ${r.err}`);
    assert.ok(r.err.includes(msg), `${argv.join(" ")}: '${r.err}' lacks '${msg}'`);
  }
});

Deno.test("parse gives typed values; the getters throw UsageErrors", () => {
  const p = parse("x", ["pos", "--n", "3", "--on", "--list", "a,b", "--out", "1", "--out", "2"], {
    n: { type: "string" },
    on: { type: "boolean" },
    list: { type: "string" },
    out: { type: "string", multiple: true },
  });
  assert.deepEqual(p.positionals, ["pos"]);
  assert.equal(intFlag(p, "n"), 3);
  assert.equal(p.values.on, true);
  assert.deepEqual(p.values.out, ["1", "2"]);
  assert.deepEqual(listFlag(p, "list", ["a", "b", "c"]), ["a", "b"]);
  assert.throws(() => intFlag(p, "n", { min: 4 }), UsageError);
  assert.throws(() => listFlag(p, "list", ["a"]), UsageError);
});

Deno.test("takeFlag takes the first --threads (either spelling) and leaves arguments after -- alone", () => {
  assert.deepEqual(takeFlag(["a", "--threads=3", "b"], "threads"), {
    given: true,
    value: "3",
    rest: ["a", "b"],
  });
  assert.deepEqual(takeFlag(["a", "--threads", "3", "--threads", "4"], "threads"), {
    given: true,
    value: "3",
    rest: ["a", "--threads", "4"],
  });
  assert.deepEqual(takeFlag(["--", "--threads", "3"], "threads"), {
    given: false,
    value: undefined,
    rest: ["--", "--threads", "3"],
  });
  assert.deepEqual(takeFlag(["a", "--threads"], "threads"), {
    given: true,
    value: undefined,
    rest: ["a"],
  });
});
