// Shared by the tests that drive the CLI as a user would: a subprocess.

const dec = new TextDecoder();

/** Runs `hc ARGS...` on the wasm backend; returns exit code and output. */
export async function hc(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "lib/cli/main.ts", ...args],
    stdout: "piped",
    stderr: "piped",
    env: { HC_BACKEND: "wasm" },
  }).output();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

/** A fresh temporary directory. */
export const tmpDir = (prefix = "hc-test-") => Deno.makeTempDirSync({ prefix });
