/**
 * Flag parsing shared by the commands (node:util parseArgs, strict), with
 * typed getters that turn bad values into UsageError (exit code 2).
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.ts";

/** Parsed flags and positionals of one command. */
export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses `args` for `command`; unknown flags are a UsageError.
 *
 * @example
 * ```ts
 * import { parse } from "./args.ts";
 * const p = parse("eval", ["ckpt", "--split", "test"], { split: { type: "string" } });
 * ```
 */
export function parse(
  command: string,
  args: string[],
  options: ParseArgsConfig["options"],
): Parsed {
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: r.values as Parsed["values"], positionals: r.positionals };
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message.split("\n")[0]}`);
  }
}

/** A flag that must be a positive integer (or undefined). */
export function intFlag(p: Parsed, name: string, opts: { min?: number } = {}): number | undefined {
  const v = p.values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  const min = opts.min ?? 1;
  if (typeof v !== "string" || !Number.isInteger(n) || n < min) {
    throw new UsageError(`--${name}: must be an integer >= ${min}, got '${v}'`);
  }
  return n;
}

/** A flag that must be a finite number (or undefined). */
export function numFlag(p: Parsed, name: string): number | undefined {
  const v = p.values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== "string" || v.trim() === "" || !Number.isFinite(n)) {
    throw new UsageError(`--${name}: must be a number, got '${v}'`);
  }
  return n;
}

/** A string flag restricted to `choices` (or undefined). */
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

/** Exactly `n` positionals, named in the error. */
export function positionals(p: Parsed, command: string, names: string[]): string[] {
  if (p.positionals.length !== names.length) {
    throw new UsageError(
      `${command}: expected ${names.join(" ")}, got ${p.positionals.length} argument(s)`,
    );
  }
  return p.positionals;
}
