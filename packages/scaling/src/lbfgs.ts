/**
 * L-BFGS (Nocedal & Wright 2006, Algorithm 7.4: the two-loop recursion) with a backtracking
 * Armijo line search, for the small smooth-ish objectives of the scaling fits (5 parameters,
 * a Huber loss over a few dozen runs). Hoffmann et al. 2022 and Besiroglu et al. 2024 fit
 * Chinchilla's approach 3 with L-BFGS from a grid of starts; this is the same method with no
 * dependencies. Deterministic for a given start.
 *
 * A Huber loss with delta 1e-3 on log loss is only once differentiable, so the curvature pairs
 * can be poor; a pair with s·y <= 0 is skipped (the memory keeps the good ones), and a search
 * direction that is not a descent direction falls back to steepest descent.
 */
import type { MinimizeResult } from './optimize.js';

export interface LbfgsOptions {
  /** Curvature pairs kept (default 10). */
  memory?: number;
  maxIter?: number;
  /** Stop when the gradient's largest component falls below this (default 1e-10). */
  gTol?: number;
  /** Stop when f improves by less than fTol * (1 + |f|) in an iteration (default 1e-13). */
  fTol?: number;
}

/** f and its gradient at x. A non-finite f counts as +Infinity (the search backs off). */
export type ValueAndGradient = (x: readonly number[]) => { f: number; g: number[] };

const dot = (a: readonly number[], b: readonly number[]): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const maxAbs = (a: readonly number[]): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

export function lbfgs(fg: ValueAndGradient, x0: readonly number[], opts: LbfgsOptions = {}): MinimizeResult {
  const m = opts.memory ?? 10;
  const maxIter = opts.maxIter ?? 200;
  const gTol = opts.gTol ?? 1e-10;
  const fTol = opts.fTol ?? 1e-13;
  const n = x0.length;
  const evalAt = (x: number[]) => {
    const r = fg(x);
    return Number.isFinite(r.f) && r.g.every(Number.isFinite) ? r : { f: Number.POSITIVE_INFINITY, g: r.g };
  };
  let x = x0.slice();
  let { f, g } = evalAt(x);
  if (!Number.isFinite(f)) return { x, f, iterations: 0 };
  const S: number[][] = [];
  const Y: number[][] = [];
  let iter = 0;
  for (; iter < maxIter; iter++) {
    if (maxAbs(g) <= gTol) break;
    // Two-loop recursion: d = -H g.
    const q = g.slice();
    const alphas: number[] = [];
    for (let k = S.length - 1; k >= 0; k--) {
      const rho = 1 / dot(Y[k], S[k]);
      const a = rho * dot(S[k], q);
      alphas.push(a);
      for (let i = 0; i < n; i++) q[i] -= a * Y[k][i];
    }
    const gamma =
      S.length > 0 ? dot(S[S.length - 1], Y[Y.length - 1]) / dot(Y[Y.length - 1], Y[Y.length - 1]) : 1;
    for (let i = 0; i < n; i++) q[i] *= gamma;
    for (let k = 0; k < S.length; k++) {
      const rho = 1 / dot(Y[k], S[k]);
      const b = rho * dot(Y[k], q);
      const a = alphas[S.length - 1 - k];
      for (let i = 0; i < n; i++) q[i] += S[k][i] * (a - b);
    }
    let d = q.map((v) => -v);
    let slope = dot(g, d);
    if (!(slope < 0)) {
      d = g.map((v) => -v);
      slope = -dot(g, g);
      S.length = 0;
      Y.length = 0;
    }
    // Backtracking Armijo search; the first iteration scales the step to a unit move.
    let t = S.length === 0 && iter === 0 ? Math.min(1, 1 / Math.max(maxAbs(d), 1e-300)) : 1;
    let accepted: { x: number[]; f: number; g: number[] } | null = null;
    for (let k = 0; k < 60; k++) {
      const xn = x.map((v, i) => v + t * d[i]);
      const r = evalAt(xn);
      if (r.f <= f + 1e-4 * t * slope) {
        accepted = { x: xn, f: r.f, g: r.g };
        break;
      }
      t *= 0.5;
    }
    if (!accepted) break;
    const s = accepted.x.map((v, i) => v - x[i]);
    const y = accepted.g.map((v, i) => v - g[i]);
    const improvement = f - accepted.f;
    x = accepted.x;
    f = accepted.f;
    g = accepted.g;
    if (dot(s, y) > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      S.push(s);
      Y.push(y);
      if (S.length > m) {
        S.shift();
        Y.shift();
      }
    }
    if (improvement <= fTol * (1 + Math.abs(f))) break;
  }
  return { x, f, iterations: iter };
}
