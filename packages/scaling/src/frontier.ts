/**
 * Compute-efficient frontier (Kaplan et al. 2020, Section 6 and Figure 1 left): the lower
 * envelope of all learning curves plotted as loss against training compute, then
 * L(C_min) = (C_c / C_min)^a_C fitted to that envelope.
 */
import { fitPowerLaw, type PowerLawFit } from './fits.js';

export interface CurvePoint {
  /** Training compute so far (any unit, e.g. FLOPs = 6 N tokens, or PF-days). */
  compute: number;
  loss: number;
}

export interface LearningCurve {
  model: string;
  points: CurvePoint[];
}

export interface FrontierPoint {
  compute: number;
  loss: number;
  /** The model whose curve is lowest at this compute. */
  model: string;
}

export interface FrontierOptions {
  /** Number of grid points, log-spaced over the computes the curves cover (default 60). */
  gridSize?: number;
  /**
   * Replace each curve by its running minimum before taking the envelope (default true):
   * one can always stop training at the best checkpoint so far, so the loss reachable with
   * compute <= C never increases, and eval noise does not make the envelope jagged.
   */
  runningMin?: boolean;
  /** Only keep grid points with compute >= this (to drop the warm-up transient). */
  minCompute?: number;
  maxCompute?: number;
}

function prepare(curve: LearningCurve, runningMin: boolean): { lc: number[]; ll: number[] } {
  const pts = curve.points
    .filter((p) => p.compute > 0 && p.loss > 0 && Number.isFinite(p.compute) && Number.isFinite(p.loss))
    .slice()
    .sort((a, b) => a.compute - b.compute);
  const lc: number[] = [];
  const ll: number[] = [];
  let best = Number.POSITIVE_INFINITY;
  for (const p of pts) {
    const l = runningMin ? Math.min(best, p.loss) : p.loss;
    best = Math.min(best, p.loss);
    if (lc.length > 0 && Math.log(p.compute) === lc[lc.length - 1]) {
      ll[ll.length - 1] = Math.min(ll[ll.length - 1], Math.log(l)); // duplicate compute
      continue;
    }
    lc.push(Math.log(p.compute));
    ll.push(Math.log(l));
  }
  return { lc, ll };
}

/** Linear interpolation of log loss in log compute; undefined outside the curve. */
function interp(lc: number[], ll: number[], x: number): number | undefined {
  if (lc.length === 0 || x < lc[0] || x > lc[lc.length - 1]) return undefined;
  if (lc.length === 1) return ll[0];
  let lo = 0;
  let hi = lc.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (lc[mid] <= x) lo = mid;
    else hi = mid;
  }
  const t = lc[hi] === lc[lo] ? 0 : (x - lc[lo]) / (lc[hi] - lc[lo]);
  return ll[lo] + t * (ll[hi] - ll[lo]);
}

/** Lower envelope of the curves on a log-spaced compute grid. */
export function computeFrontier(
  curves: readonly LearningCurve[],
  opts: FrontierOptions = {},
): FrontierPoint[] {
  const gridSize = opts.gridSize ?? 60;
  const prepared = curves.map((c) => ({ model: c.model, ...prepare(c, opts.runningMin ?? true) }));
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const p of prepared) {
    if (p.lc.length === 0) continue;
    lo = Math.min(lo, p.lc[0]);
    hi = Math.max(hi, p.lc[p.lc.length - 1]);
  }
  if (opts.minCompute !== undefined) lo = Math.max(lo, Math.log(opts.minCompute));
  if (opts.maxCompute !== undefined) hi = Math.min(hi, Math.log(opts.maxCompute));
  if (!(hi >= lo)) return [];
  const out: FrontierPoint[] = [];
  const steps = hi > lo ? gridSize : 1;
  for (let g = 0; g < steps; g++) {
    const x = steps === 1 ? lo : lo + ((hi - lo) * g) / (steps - 1);
    let bestLoss = Number.POSITIVE_INFINITY;
    let bestModel = '';
    for (const p of prepared) {
      const y = interp(p.lc, p.ll, x);
      if (y !== undefined && y < bestLoss) {
        bestLoss = y;
        bestModel = p.model;
      }
    }
    if (bestModel !== '') out.push({ compute: Math.exp(x), loss: Math.exp(bestLoss), model: bestModel });
  }
  return out;
}

export interface FrontierFit extends PowerLawFit {
  frontier: FrontierPoint[];
  /** Compute range the fit used. */
  range: [number, number];
}

/** Envelope, then L(C) = (C_c / C)^a_C on it. `Nc` of the result is C_c, in the units of compute. */
export function fitComputeFrontier(
  curves: readonly LearningCurve[],
  opts: FrontierOptions = {},
): FrontierFit {
  const frontier = computeFrontier(curves, opts);
  if (frontier.length < 2) {
    throw new Error(
      `fitComputeFrontier: the envelope has ${frontier.length} point(s); need curves covering a compute range`,
    );
  }
  const fit = fitPowerLaw(
    frontier.map((p) => p.compute),
    frontier.map((p) => p.loss),
  );
  return { ...fit, frontier, range: [frontier[0].compute, frontier[frontier.length - 1].compute] };
}
