/**
 * Error classes the CLI maps to exit codes.
 *
 * @module
 */

/**
 * Bad input from the user (flags, config files, paths): the CLI prints the
 * one-line message and exits with code 2.
 *
 * @example
 * ```ts
 * import { UsageError } from "./errors.ts";
 * throw new UsageError("--width: must be a positive integer, got 1.5");
 * ```
 */
export class UsageError extends Error {
  override name = "UsageError";
}
