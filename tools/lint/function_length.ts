/**
 * A Deno lint plugin that keeps functions short: rule `hc/max-function-lines`
 * reports every function, arrow function or method in a `lib/` directory that
 * spans more than {@link MAX_FUNCTION_LINES} lines, from its first token to its
 * closing brace (comments inside count, the JSDoc above does not).
 *
 * Register it in deno.json: `"lint": { "plugins": ["./tools/lint/function_length.ts"] }`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import plugin from "./function_length.ts";
 * const body = Array.from({ length: 100 }, (_, i) => `  const x${i} = ${i};`).join("\n");
 * const long = `export function long() {\n${body}\n}\n`;
 * const [d] = Deno.lint.runPlugin(plugin, "lib/long.ts", long);
 * assert.equal(d.id, "hc/max-function-lines");
 * assert.equal(Deno.lint.runPlugin(plugin, "tests/long_test.ts", long).length, 0);
 * ```
 *
 * @module
 */

/** Longest function allowed, in lines. */
export const MAX_FUNCTION_LINES = 100;

/** Path segments whose files the rule checks. */
export const CHECKED_DIRS: readonly string[] = ["lib"];

type FunctionNode =
  | Deno.lint.FunctionDeclaration
  | Deno.lint.FunctionExpression
  | Deno.lint.ArrowFunctionExpression
  | Deno.lint.MethodDefinition;

/**
 * Lines a source range spans: 1 for a one-line function.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linesSpanned } from "./function_length.ts";
 * const text = "f() {\n  return 1;\n}";
 * assert.equal(linesSpanned(text, [0, text.length]), 3);
 * assert.equal(linesSpanned("a\nb", [2, 3]), 1);
 * ```
 */
export function linesSpanned(text: string, [start, end]: Deno.lint.Range): number {
  let lines = 1;
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === 10) lines++;
  return lines;
}

/**
 * Whether `filename` lies in one of `dirs` (a path segment, any depth).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inCheckedDir } from "./function_length.ts";
 * assert.equal(inCheckedDir("/repo/lib/model/gpt2.ts", ["lib"]), true);
 * assert.equal(inCheckedDir("C:\\repo\\lib\\x.ts", ["lib"]), true);
 * assert.equal(inCheckedDir("/repo/tests/library_test.ts", ["lib"]), false);
 * ```
 */
export function inCheckedDir(filename: string, dirs: readonly string[]): boolean {
  const segments = filename.split(/[\\/]/).slice(0, -1);
  return segments.some((s) => dirs.includes(s));
}

/** A readable name for the report: the function's, its variable's or its method's name. */
function nameOf(node: FunctionNode): string {
  if (node.type === "MethodDefinition") {
    return node.key.type === "Identifier" ? `method ${node.key.name}` : "method";
  }
  if (node.id) return `function ${node.id.name}`;
  const parent = node.parent;
  if (parent.type === "VariableDeclarator" && parent.id.type === "Identifier") {
    return `function ${parent.id.name}`;
  }
  return node.type === "ArrowFunctionExpression" ? "arrow function" : "function expression";
}

/**
 * Builds the plugin for a line limit and the directories it checks; the
 * default export is the repository's (100 lines, `lib/`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { functionLengthPlugin } from "./function_length.ts";
 * const plugin = functionLengthPlugin(2, ["src"]);
 * const found = Deno.lint.runPlugin(plugin, "src/a.ts", "function f() {\n  return 1;\n}\n");
 * assert.match(found[0].message, /function f is 3 lines/);
 * ```
 */
export function functionLengthPlugin(
  maxLines: number,
  dirs: readonly string[],
): Deno.lint.Plugin {
  const rule: Deno.lint.Rule = {
    create(context) {
      if (!inCheckedDir(context.filename, dirs)) return {};
      const check = (node: FunctionNode) => {
        const lines = linesSpanned(context.sourceCode.text, node.range);
        if (lines <= maxLines) return;
        context.report({
          node,
          message: `${nameOf(node)} is ${lines} lines; the limit is ${maxLines}`,
          hint: "Split it into well-named steps (helpers, a small class, one function per phase).",
        });
      };
      return {
        FunctionDeclaration: check,
        ArrowFunctionExpression: check,
        MethodDefinition: check,
        // A method's body is reported once, through its MethodDefinition.
        FunctionExpression(node) {
          if (node.parent.type !== "MethodDefinition") check(node);
        },
      };
    },
  };
  return { name: "hc", rules: { "max-function-lines": rule } };
}

/** The repository's rule: `hc/max-function-lines`, 100 lines, files under `lib/`. */
const plugin: Deno.lint.Plugin = functionLengthPlugin(MAX_FUNCTION_LINES, CHECKED_DIRS);
export default plugin;
