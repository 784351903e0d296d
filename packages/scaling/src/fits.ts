/**
 * Power-law fits used by the scaling experiment.
 *
 * - `fitPowerLaw`: Kaplan's pure form L(x) = (x_c / x)^a, by ordinary least squares in log-log
 *   space: log L = a log x_c - a log x. Works for N, D or C alike.
 * - `fitOffsetPowerLaw`: L(x) = E + A / x^alpha, the one-variable slice of Chinchilla's
 *   L(N, D) = E + A/N^alpha + B/D^beta, fitted as Hoffmann et al. 2022 (Appendix D.2) do: a
 *   Huber loss (delta 1e-3) between log predicted and log observed loss, parameterised as
 *   A = exp(a), E = exp(e) so log L = LSE(a - alpha log x, e), minimised from every start on
 *   their grid and keeping the best.
 */
import { nelderMead } from './optimize.js';

export interface PowerLawFit {
  /** Exponent a in L = (x_c / x)^a. */
  a: number;
  /** Scale x_c, in the units of x. Can overflow to Infinity when a is near 0; see logNc. */
  Nc: number;
  /** log x_c, finite even when x_c is not representable. */
  logNc: number;
  /** Coefficient of determination of the log-log regression. */
  r2: number;
  /** Number of points used. */
  n: number;
}

function checkPoints(xs: readonly number[], ys: readonly number[], what: string): void {
  if (xs.length !== ys.length) {
    throw new Error(`${what}: x and y have different lengths (${xs.length} vs ${ys.length})`);
  }
  for (let i = 0; i < xs.length; i++) {
    if (!(xs[i] > 0) || !(ys[i] > 0) || !Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) {
      throw new Error(`${what}: point ${i} is (${xs[i]}, ${ys[i]}); power laws need x > 0 and y > 0`);
    }
  }
  if (distinctCount(xs) < 2) {
    throw new Error(`${what}: need at least 2 distinct x values, got ${distinctCount(xs)}`);
  }
}

export function distinctCount(xs: readonly number[]): number {
  return new Set(xs).size;
}

/** L = (x_c / x)^a by least squares on (log x, log L). */
export function fitPowerLaw(xs: readonly number[], ys: readonly number[]): PowerLawFit {
  checkPoints(xs, ys, 'fitPowerLaw');
  const n = xs.length;
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((s, v) => s + v, 0) / n;
  const my = ly.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (lx[i] - mx) ** 2;
    sxy += (lx[i] - mx) * (ly[i] - my);
    syy += (ly[i] - my) ** 2;
  }
  const slope = sxy / sxx; // = -a
  const intercept = my - slope * mx; // = a log x_c
  const a = -slope;
  const logNc = intercept / a;
  let ssRes = 0;
  for (let i = 0; i < n; i++) ssRes += (ly[i] - (intercept + slope * lx[i])) ** 2;
  const r2 = syy > 0 ? 1 - ssRes / syy : 1;
  return { a, Nc: Math.exp(logNc), logNc, r2, n };
}

/** Evaluate (x_c / x)^a, in log space so large x_c do not overflow. */
export function powerLaw(fit: { a: number; logNc: number }, x: number): number {
  return Math.exp(fit.a * (fit.logNc - Math.log(x)));
}

export function huber(r: number, delta: number): number {
  const ar = Math.abs(r);
  return ar <= delta ? 0.5 * r * r : delta * (ar - 0.5 * delta);
}

export interface OffsetFit {
  /** Irreducible loss E. */
  E: number;
  A: number;
  alpha: number;
  /** Summed Huber loss at the optimum (on log loss). */
  objective: number;
  n: number;
}

export interface OffsetFitOptions {
  /** Huber delta on log-loss residuals; Chinchilla used 1e-3. */
  delta?: number;
  /** Start grid; defaults to Chinchilla's: alpha 0..2 by 0.5, e -1..1 by 0.5, a 0..25 by 5. */
  grid?: { alpha: number[]; e: number[]; a: number[] };
}

const logSumExp = (u: number, v: number): number => {
  const m = Math.max(u, v);
  return m + Math.log(Math.exp(u - m) + Math.exp(v - m));
};

/** L = E + A / x^alpha by Huber regression on log L, multi-start Nelder-Mead. */
export function fitOffsetPowerLaw(
  xs: readonly number[],
  ys: readonly number[],
  opts: OffsetFitOptions = {},
): OffsetFit {
  checkPoints(xs, ys, 'fitOffsetPowerLaw');
  if (distinctCount(xs) < 3) {
    throw new Error(
      `fitOffsetPowerLaw: 3 parameters need at least 3 distinct x values, got ${distinctCount(xs)}`,
    );
  }
  const delta = opts.delta ?? 1e-3;
  const grid = opts.grid ?? {
    alpha: [0, 0.5, 1, 1.5, 2],
    e: [-1, -0.5, 0, 0.5, 1],
    a: [0, 5, 10, 15, 20, 25],
  };
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  // theta = [a, alpha, e]
  const objective = (theta: number[]): number => {
    const [a, alpha, e] = theta;
    let s = 0;
    for (let i = 0; i < lx.length; i++) s += huber(logSumExp(a - alpha * lx[i], e) - ly[i], delta);
    return s;
  };
  let best: { x: number[]; f: number } | null = null;
  for (const alpha of grid.alpha) {
    for (const e of grid.e) {
      for (const a of grid.a) {
        const r = nelderMead(objective, [a, alpha, e], { step: [1, 0.1, 0.1], maxIter: 600 });
        // Strict < keeps the first of equal optima, so the grid order decides ties.
        if (best === null || r.f < best.f) best = r;
      }
    }
  }
  // Polish the winner: a restarted simplex escapes the premature collapse Nelder-Mead can show.
  for (let k = 0; k < 3 && best; k++) {
    const r = nelderMead(objective, best.x, { step: [0.5, 0.05, 0.05], maxIter: 2000 });
    if (r.f <= best.f) best = r;
  }
  const [a, alpha, e] = (best as { x: number[] }).x;
  return { E: Math.exp(e), A: Math.exp(a), alpha, objective: (best as { f: number }).f, n: xs.length };
}

export function offsetPowerLaw(fit: { E: number; A: number; alpha: number }, x: number): number {
  return fit.E + fit.A * Math.exp(-fit.alpha * Math.log(x));
}
