/**
 * Flag parsing shared by every command: node:util parseArgs (strict), typed
 * values, and getters that turn a bad value into a UsageError (exit code 2)
 * naming the flag and what it takes.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";
import type { ProgressMode } from "../train/progress.ts";

/**
 * The `--progress` choices of the commands that train.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PROGRESS_MODES } from "./args.ts";
 * assert.ok(PROGRESS_MODES.includes("plain"));
 * ```
 */
export const PROGRESS_MODES: readonly ProgressMode[] = ["auto", "bar", "plain", "silent"];

/** How one flag is given: a string value or a bare boolean switch; `multiple` collects repeats. */
export interface FlagSpec {
  type: "string" | "boolean";
  multiple?: boolean;
}

/** The flags a command takes, by long name (without the leading `--`). */
export type FlagSpecs = Record<string, FlagSpec>;

/** Value of one flag: string or boolean, an array when `multiple`; undefined when not given. */
export type FlagValue<S extends FlagSpec> = S extends { type: "boolean" }
  ? S extends { multiple: true } ? boolean[] : boolean
  : S extends { multiple: true } ? string[]
  : string;

/** Parsed flags and positionals of one command. */
export interface Parsed<O extends FlagSpecs = FlagSpecs> {
  /** The command, for messages. */
  command: string;
  values: { [K in keyof O]?: FlagValue<O[K]> };
  positionals: string[];
}

/** The flags of a command as `--a, --b VALUE, ...` (for the fix in a message). */
function flagList(options: FlagSpecs): string {
  return Object.entries(options)
    .map(([name, s]) => (s.type === "string" ? `--${name} VALUE` : `--${name}`))
    .join(", ");
}

/** parseArgs' message rewritten as one line that names the flag and the fix. */
function usageMessage(command: string, e: Error, options: FlagSpecs): string {
  const flag = /'(-[^' <]*)/.exec(e.message)?.[1] ?? "";
  const code = (e as { code?: string }).code;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    return `Unknown option '${flag}'; ${command} takes ${flagList(options)} (deno task hc --help)`;
  }
  if (/argument missing/.test(e.message)) return `${flag}: needs a value (${flag} VALUE)`;
  if (/does not take an argument/.test(e.message)) {
    return `${flag}: takes no value; write ${flag} alone`;
  }
  if (/ambiguous/.test(e.message)) {
    return `${flag}: needs a value; write ${flag}=VALUE for a value that starts with '-'`;
  }
  return `${command}: ${e.message.split("\n")[0]}`;
}

/**
 * Parses `args` for `command`. Unknown flags, a missing value and a value
 * given to a switch are UsageErrors naming the flag and the fix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parse } from "./args.ts";
 * const p = parse("eval", ["ckpt", "--split", "test"], { split: { type: "string" } });
 * assert.equal(p.values.split, "test");
 * assert.deepEqual(p.positionals, ["ckpt"]);
 * assert.throws(() => parse("eval", ["--bogus"], {}), /Unknown option '--bogus'/);
 * ```
 */
export function parse<const O extends FlagSpecs>(
  command: string,
  args: string[],
  options: O,
): Parsed<O> {
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { command, values: r.values as Parsed<O>["values"], positionals: r.positionals };
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      throw new UsageError(usageMessage(command, e as Error, options));
    }
    throw e;
  }
}

/**
 * An integer flag >= `min` (default 1), or undefined when not given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { intFlag, parse } from "./args.ts";
 * const p = parse("x", ["--steps", "3", "--bad", "1.5"], {
 *   steps: { type: "string" },
 *   bad: { type: "string" },
 * });
 * assert.equal(intFlag(p, "steps"), 3);
 * assert.throws(() => intFlag(p, "bad"), /--bad: must be a positive integer, got '1.5'/);
 * ```
 */
export function intFlag(p: Parsed, name: string, opts: { min?: number } = {}): number | undefined {
  const v = p.values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  const min = opts.min ?? 1;
  if (typeof v !== "string" || v.trim() === "" || !Number.isInteger(n) || n < min) {
    const want = min === 1 ? "a positive integer" : `an integer >= ${min}`;
    throw new UsageError(`--${name}: must be ${want}, got '${v}'`);
  }
  return n;
}

/**
 * A finite-number flag, or undefined when not given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { numFlag, parse } from "./args.ts";
 * const p = parse("x", ["--snr-db=-5"], { "snr-db": { type: "string" } });
 * assert.equal(numFlag(p, "snr-db"), -5);
 * ```
 */
export function numFlag(p: Parsed, name: string): number | undefined {
  const v = p.values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== "string" || v.trim() === "" || !Number.isFinite(n)) {
    throw new UsageError(`--${name}: must be a number, got '${v}'`);
  }
  return n;
}

/**
 * A string flag restricted to `choices`, or undefined when not given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { choiceFlag, parse } from "./args.ts";
 * const p = parse("x", ["--heads", "taller"], { heads: { type: "string" } });
 * assert.throws(() => choiceFlag(p, "heads", ["more", "wider"]), /--heads: must be one of more, wider/);
 * ```
 */
export function choiceFlag<T extends string>(
  p: Parsed,
  name: string,
  choices: readonly T[],
): T | undefined {
  const v = p.values[name];
  if (v === undefined) return undefined;
  if (!choices.includes(v as T)) {
    throw new UsageError(`--${name}: must be one of ${choices.join(", ")}, got '${v}'`);
  }
  return v as T;
}

/**
 * A flag that must be given: its string value, else a UsageError showing how
 * to give it (`what`, e.g. "--out DIR").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parse, requiredFlag } from "./args.ts";
 * const p = parse("x", [], { out: { type: "string" } });
 * assert.throws(() => requiredFlag(p, "out", "--out DIR"), /--out DIR is required/);
 * ```
 */
export function requiredFlag(p: Parsed, name: string, what: string): string {
  const v = p.values[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`${what} is required`);
  return v;
}

/**
 * Exactly the positionals `names`, else a UsageError naming them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parse, positionals } from "./args.ts";
 * const p = parse("clone", ["a", "b"], {});
 * assert.deepEqual(positionals(p, "clone", ["SRC_DIR", "OUT_DIR"]), ["a", "b"]);
 * assert.throws(() => positionals(p, "clone", ["SRC_DIR"]), /expected SRC_DIR, got 2/);
 * ```
 */
export function positionals(p: Parsed, command: string, names: string[]): string[] {
  if (p.positionals.length !== names.length) {
    throw new UsageError(
      `${command}: expected ${names.join(" ")}, got ${p.positionals.length} argument(s)`,
    );
  }
  return p.positionals;
}

/**
 * A comma-separated string flag whose entries are all in `choices`, or
 * undefined when not given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listFlag, parse } from "./args.ts";
 * const p = parse("figures", ["--formats", "png,svg"], { formats: { type: "string" } });
 * assert.deepEqual(listFlag(p, "formats", ["png", "svg"]), ["png", "svg"]);
 * ```
 */
export function listFlag<T extends string>(
  p: Parsed,
  name: string,
  choices: readonly T[],
): T[] | undefined {
  const v = p.values[name];
  if (v === undefined) return undefined;
  const list = String(v).split(",").map((s) => s.trim()).filter(Boolean);
  const bad = list.find((x) => !choices.includes(x as T));
  if (bad !== undefined || list.length === 0) {
    throw new UsageError(
      `--${name}: unknown entry '${bad ?? v}'; use one or more of ${choices.join(", ")}, ` +
        `comma-separated (e.g. ${choices.join(",")})`,
    );
  }
  return list as T[];
}

/**
 * Takes a string flag that every command accepts (e.g. the global `--threads N`)
 * out of `args`, before the command parses the rest; the first occurrence
 * counts. Arguments after `--` are left alone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { takeFlag } from "./args.ts";
 * const r = takeFlag(["eval", "ck", "--threads", "4", "--split", "test"], "threads");
 * assert.equal(r.value, "4");
 * assert.deepEqual(r.rest, ["eval", "ck", "--split", "test"]);
 * ```
 */
export function takeFlag(
  args: string[],
  name: string,
): { given: boolean; value: string | undefined; rest: string[] } {
  const { tokens } = parseArgs({
    args,
    options: { [name]: { type: "string" } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const t = tokens.find((t) => t.kind === "option" && t.name === name);
  if (!t || t.kind !== "option") return { given: false, value: undefined, rest: args };
  const used = t.value === undefined || t.inlineValue ? 1 : 2;
  return {
    given: true,
    value: t.value,
    rest: [...args.slice(0, t.index), ...args.slice(t.index + used)],
  };
}
