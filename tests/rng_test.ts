/**
 * Rng.fillNormal (the clone noise generator): reproducible from the seed,
 * and standard normal by its moments and tails.
 */
import assert from "node:assert/strict";
import { makeRng } from "../lib/rng.ts";

Deno.test("fillNormal: the same seed gives the same values, another seed others, and scale multiplies", () => {
  const a = makeRng(11).fillNormal(new Float32Array(10_000));
  const b = makeRng(11).fillNormal(new Float32Array(10_000));
  const c = makeRng(12).fillNormal(new Float32Array(10_000));
  const s = makeRng(11).fillNormal(new Float32Array(10_000), 0.25);
  assert.deepEqual(a, b);
  assert(a.some((v, i) => v !== c[i]));
  for (let i = 0; i < a.length; i++) assert.equal(s[i], Math.fround(0.25 * a[i]));
  // Two fills continue one stream: 2 x 5,000 equals one 10,000.
  const r = makeRng(11),
    h1 = r.fillNormal(new Float32Array(5_000)),
    h2 = r.fillNormal(new Float32Array(5_000));
  assert.deepEqual([...h1, ...h2], [...a]);
});

// n = 10^6 standard normals: the mean has standard error 1e-3, the variance
// sqrt(2/n) = 1.4e-3, the fourth moment sqrt(96/n) ~ 1e-2, P(|x| > 3) =
// 0.0027 +- 5.2e-5 and P(|x| > 4) = 6.3e-5 +- 8e-6. Bounds at ~5 standard errors.
Deno.test("fillNormal: mean, variance, kurtosis and both tails of a million draws match N(0, 1)", () => {
  const n = 1_000_000, x = makeRng(3).fillNormal(new Float32Array(n));
  let s1 = 0, s2 = 0, s4 = 0, t3 = 0, t4 = 0, neg = 0;
  for (const v of x) {
    s1 += v, s2 += v * v, s4 += v ** 4;
    if (Math.abs(v) > 3) t3++;
    if (Math.abs(v) > 4) t4++;
    if (v < 0) neg++;
  }
  assert(Math.abs(s1 / n) < 5e-3, `mean ${s1 / n}`);
  assert(Math.abs(s2 / n - 1) < 7e-3, `variance ${s2 / n}`);
  assert(Math.abs(s4 / n - 3) < 5e-2, `fourth moment ${s4 / n}`);
  assert(Math.abs(t3 / n - 0.0026998) < 2.6e-4, `P(|x|>3) ${t3 / n}`);
  assert(Math.abs(t4 / n - 6.334e-5) < 4e-5, `P(|x|>4) ${t4 / n}`);
  assert(Math.abs(neg / n - 0.5) < 2.5e-3, `P(x<0) ${neg / n}`);
});
