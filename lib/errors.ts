/**
 * Error classes the CLI maps to exit codes.
 *
 * @module
 */

/**
 * Bad input from the user (flags, config files, specs, clone options, paths):
 * the CLI (lib/cli/main.ts, the one place that decides exit codes) prints the
 * one-line message and exits with code 2. Library code throws it, or a
 * subclass, wherever the input is found wrong; nothing re-wraps it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UsageError } from "./errors.ts";
 * const e = new UsageError("--width: must be a positive integer, got '1.5'");
 * assert.equal(e.name, "UsageError");
 * assert.ok(e instanceof Error);
 * ```
 */
export class UsageError extends Error {
  override name = "UsageError";
}
