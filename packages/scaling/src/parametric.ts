/**
 * Chinchilla's approach 3 (Hoffmann et al. 2022, Section 3.3 and Appendix D.2): the parametric
 * loss L(N, D) = E + A / N^alpha + B / D^beta fitted to every run's final loss by minimising a
 * Huber loss (delta 1e-3) between log predicted and log observed loss, from a grid of starts,
 * with L-BFGS, keeping the best. Parameterised as A = exp(a), B = exp(b), E = exp(e), so
 * log L = LSE(a - alpha log N, b - beta log D, e), as in the paper and in Besiroglu et al.
 * 2024's replication.
 *
 * The compute-optimal allocation follows in closed form (Hoffmann et al. eq. 4): with C = 6 N D,
 * N_opt = G (C/6)^a and D_opt = G^-1 (C/6)^b, where a = beta / (alpha + beta),
 * b = alpha / (alpha + beta) and G = (alpha A / (beta B))^(1 / (alpha + beta)).
 */
import { huber } from './fits.js';
import { lbfgs } from './lbfgs.js';
import { nelderMead } from './optimize.js';

export interface LossPoint {
  /** Parameters (total or non-embedding; the fit does not care which). */
  N: number;
  /** Training tokens. */
  D: number;
  loss: number;
}

/** A start of the search: [a, b, e, alpha, beta] with A = exp(a), B = exp(b), E = exp(e). */
export type ParametricStart = [number, number, number, number, number];

export interface ParametricFit {
  E: number;
  A: number;
  B: number;
  alpha: number;
  beta: number;
  /** Implied N_opt ~ C^a: beta / (alpha + beta). */
  a: number;
  /** Implied D_opt ~ C^b: alpha / (alpha + beta). */
  b: number;
  /** N_opt = G (C/6)^a. */
  G: number;
  /** Summed Huber loss at the optimum. */
  objective: number;
  /** Runs fitted. */
  n: number;
  /** Starts tried. */
  starts: number;
}

export interface ParametricOptions {
  /** Huber delta on log-loss residuals (Chinchilla: 1e-3). */
  delta?: number;
  /** Starts; default CHINCHILLA_STARTS (4,500 points). */
  starts?: readonly ParametricStart[];
  /** L-BFGS iterations per start (default 200). */
  maxIter?: number;
}

/** Every combination of the given coordinate values, in a fixed order. */
export function startGrid(values: {
  a: readonly number[];
  b: readonly number[];
  e: readonly number[];
  alpha: readonly number[];
  beta: readonly number[];
}): ParametricStart[] {
  const out: ParametricStart[] = [];
  for (const alpha of values.alpha)
    for (const beta of values.beta)
      for (const e of values.e)
        for (const a of values.a) for (const b of values.b) out.push([a, b, e, alpha, beta]);
  return out;
}

/**
 * Hoffmann et al. 2022, Appendix D.2 (and Besiroglu et al. 2024): alpha, beta in {0, 0.5, ..., 2},
 * e in {-1, -0.5, ..., 1}, a, b in {0, 5, ..., 25}.
 */
export const CHINCHILLA_STARTS: readonly ParametricStart[] = startGrid({
  alpha: [0, 0.5, 1, 1.5, 2],
  beta: [0, 0.5, 1, 1.5, 2],
  e: [-1, -0.5, 0, 0.5, 1],
  a: [0, 5, 10, 15, 20, 25],
  b: [0, 5, 10, 15, 20, 25],
});

/** A 2x2x2x2x2 subgrid of Chinchilla's, for quick fits (the smoke run, tests). */
export const COARSE_STARTS: readonly ParametricStart[] = startGrid({
  alpha: [0.5, 1.5],
  beta: [0.5, 1.5],
  e: [-0.5, 0.5],
  a: [5, 15],
  b: [5, 15],
});

/** Extra starts of each bootstrap refit, beside the full fit's optimum (which starts first). */
export const BOOTSTRAP_STARTS: readonly ParametricStart[] = startGrid({
  alpha: [0.3, 1],
  beta: [0.3, 1],
  e: [0.5],
  a: [5, 15],
  b: [8],
});

/** The Huber objective and its gradient over points, at theta = [a, b, e, alpha, beta]. */
export function parametricObjective(
  points: readonly LossPoint[],
  delta = 1e-3,
): (theta: readonly number[]) => { f: number; g: number[] } {
  const lN = points.map((p) => Math.log(p.N));
  const lD = points.map((p) => Math.log(p.D));
  const lL = points.map((p) => Math.log(p.loss));
  return (theta) => {
    const [a, b, e, alpha, beta] = theta;
    let f = 0;
    const g = [0, 0, 0, 0, 0];
    for (let i = 0; i < lN.length; i++) {
      const t1 = a - alpha * lN[i];
      const t2 = b - beta * lD[i];
      const m = Math.max(t1, t2, e);
      const x1 = Math.exp(t1 - m);
      const x2 = Math.exp(t2 - m);
      const x3 = Math.exp(e - m);
      const sum = x1 + x2 + x3;
      const r = m + Math.log(sum) - lL[i]; // log predicted - log observed
      f += huber(r, delta);
      const dr = Math.max(-delta, Math.min(delta, r)) / sum; // Huber'(r), times 1/sum for the softmax weights
      g[0] += dr * x1;
      g[1] += dr * x2;
      g[2] += dr * x3;
      g[3] -= dr * x1 * lN[i];
      g[4] -= dr * x2 * lD[i];
    }
    return { f, g };
  };
}

/** L(N, D) = E + A/N^alpha + B/D^beta. */
export function parametricLoss(
  fit: { E: number; A: number; B: number; alpha: number; beta: number },
  N: number,
  D: number,
): number {
  return fit.E + fit.A * Math.exp(-fit.alpha * Math.log(N)) + fit.B * Math.exp(-fit.beta * Math.log(D));
}

/** Compute-optimal N for C = 6 N D under a parametric fit: G (C/6)^a. */
export function parametricNopt(fit: { G: number; a: number }, C: number): number {
  return fit.G * (C / 6) ** fit.a;
}

export function fitParametric(points: readonly LossPoint[], opts: ParametricOptions = {}): ParametricFit {
  for (const [i, p] of points.entries()) {
    if (!(p.N > 0 && p.D > 0 && p.loss > 0) || ![p.N, p.D, p.loss].every(Number.isFinite))
      throw new Error(`fitParametric: point ${i} is ${JSON.stringify(p)}; need N, D, loss > 0`);
  }
  if (new Set(points.map((p) => p.N)).size < 2 || new Set(points.map((p) => p.D)).size < 2) {
    throw new Error('fitParametric: need at least 2 distinct N and 2 distinct D');
  }
  if (points.length < 5)
    throw new Error(`fitParametric: 5 parameters need at least 5 runs, got ${points.length}`);
  const delta = opts.delta ?? 1e-3;
  const starts = opts.starts ?? CHINCHILLA_STARTS;
  const fg = parametricObjective(points, delta);
  let best: { x: number[]; f: number } | null = null;
  for (const s of starts) {
    const r = lbfgs(fg, s, { maxIter: opts.maxIter ?? 200 });
    // Strict < keeps the first of equal optima, so the order of the starts decides ties.
    if (Number.isFinite(r.f) && (best === null || r.f < best.f)) best = r;
  }
  if (!best) throw new Error('fitParametric: no start gave a finite objective');
  // Polish: the Huber kink can stall L-BFGS; a derivative-free simplex from the winner does not mind it.
  const f0 = (x: number[]) => fg(x).f;
  for (let k = 0; k < 2; k++) {
    const r = nelderMead(f0, best.x, { step: [0.5, 0.5, 0.05, 0.02, 0.02], maxIter: 3000 });
    if (r.f < best.f) best = r;
  }
  const [a, b, e, alpha, beta] = best.x;
  const A = Math.exp(a);
  const B = Math.exp(b);
  const G = ((alpha * A) / (beta * B)) ** (1 / (alpha + beta));
  return {
    E: Math.exp(e),
    A,
    B,
    alpha,
    beta,
    a: beta / (alpha + beta),
    b: alpha / (alpha + beta),
    G,
    objective: best.f,
    n: points.length,
    starts: starts.length,
  };
}

/** theta of a fit, to seed refits (e.g. bootstrap resamples) from it. */
export function parametricTheta(fit: ParametricFit): ParametricStart {
  return [Math.log(fit.A), Math.log(fit.B), Math.log(fit.E), fit.alpha, fit.beta];
}
