/**
 * The `fits` block of a scaling run's summary.json, computed in one place so the experiment
 * that writes it and the report that reads it cannot disagree.
 */
import { bootstrap } from './bootstrap.js';
import { distinctCount, fitOffsetPowerLaw, fitPowerLaw } from './fits.js';
import { type FrontierOptions, fitComputeFrontier, type LearningCurve } from './frontier.js';
import { flopsToPfDays } from './params.js';

export interface ModelResult {
  model: string;
  /** Kaplan's N (12 L d^2 style, no biases). */
  nonEmbeddingParams: number;
  finalValLoss: number;
}

export interface ScalingFits {
  /** L(N) = (N_c / N)^a on final validation losses; ci is the bootstrap interval of a over models. */
  params: { a: number; Nc: number; r2: number; ci: [number, number] | null; n: number } | null;
  /** L(N) = E + A / N^alpha (Chinchilla-style Huber fit on log loss). Needs >= 3 model sizes. */
  offset: { E: number; A: number; alpha: number } | null;
  /** L(C) = (C_c / C)^a on the envelope of validation curves; C_c and range in PF-days. */
  compute: {
    a: number;
    Cc: number;
    r2: number;
    ci: [number, number] | null;
    unit: 'PF-days';
    range: [number, number];
  } | null;
  bootstrap: { B: number; seed: number; level: number };
  /** Why a fit is missing, one line each. */
  notes: string[];
}

export interface FitSummaryOptions {
  seed: number;
  /** Bootstrap resamples; 0 turns intervals off. Default 1000. */
  bootstrap?: number;
  frontier?: FrontierOptions;
}

const toPfDays = (curves: readonly LearningCurve[]): LearningCurve[] =>
  curves.map((c) => ({
    model: c.model,
    points: c.points.map((p) => ({ compute: flopsToPfDays(p.compute), loss: p.loss })),
  }));

/**
 * @param models one row per model with its final validation loss
 * @param curves validation-loss curves with compute in FLOPs (6 N tokens)
 */
export function fitScalingSummary(
  models: readonly ModelResult[],
  curves: readonly LearningCurve[],
  opts: FitSummaryOptions,
): ScalingFits {
  const B = opts.bootstrap ?? 1000;
  const level = 0.95;
  const notes: string[] = [];
  const usable = models.filter(
    (m) => m.nonEmbeddingParams > 0 && m.finalValLoss > 0 && Number.isFinite(m.finalValLoss),
  );
  const xs = usable.map((m) => m.nonEmbeddingParams);
  const ys = usable.map((m) => m.finalValLoss);

  let params: ScalingFits['params'] = null;
  if (distinctCount(xs) >= 2) {
    const fit = fitPowerLaw(xs, ys);
    const ci =
      B > 0
        ? bootstrap(
            usable,
            (s) =>
              fitPowerLaw(
                s.map((m) => m.nonEmbeddingParams),
                s.map((m) => m.finalValLoss),
              ).a,
            {
              B,
              seed: opts.seed,
              level,
              distinctKey: (m) => m.nonEmbeddingParams,
            },
          )
        : null;
    if (B > 0 && !ci) notes.push('params: too few non-degenerate bootstrap resamples for an interval');
    params = { a: fit.a, Nc: fit.Nc, r2: fit.r2, ci: ci ? [ci.lo, ci.hi] : null, n: fit.n };
  } else {
    notes.push(
      `params: need >= 2 distinct model sizes with a final validation loss, got ${distinctCount(xs)}`,
    );
  }

  let offset: ScalingFits['offset'] = null;
  if (distinctCount(xs) >= 3) {
    const f = fitOffsetPowerLaw(xs, ys);
    offset = { E: f.E, A: f.A, alpha: f.alpha };
  } else {
    notes.push(`offset: E + A/N^alpha needs >= 3 distinct model sizes, got ${distinctCount(xs)}`);
  }

  let compute: ScalingFits['compute'] = null;
  const pf = toPfDays(curves).filter((c) => c.points.length > 0);
  const frontierOpts: FrontierOptions = {
    ...opts.frontier,
    minCompute: opts.frontier?.minCompute !== undefined ? flopsToPfDays(opts.frontier.minCompute) : undefined,
    maxCompute: opts.frontier?.maxCompute !== undefined ? flopsToPfDays(opts.frontier.maxCompute) : undefined,
  };
  try {
    const fit = fitComputeFrontier(pf, frontierOpts);
    const ci =
      B > 0
        ? bootstrap(pf, (s) => fitComputeFrontier(s, frontierOpts).a, {
            B,
            seed: (opts.seed ^ 0x5bd1e995) >>> 0, // its own stream, so adding models to one fit never shifts the other
            level,
            distinctKey: (c) => c.model,
          })
        : null;
    if (B > 0 && !ci) notes.push('compute: too few non-degenerate bootstrap resamples for an interval');
    compute = {
      a: fit.a,
      Cc: fit.Nc,
      r2: fit.r2,
      ci: ci ? [ci.lo, ci.hi] : null,
      unit: 'PF-days',
      range: fit.range,
    };
  } catch (err) {
    notes.push(`compute: ${(err as Error).message}`);
  }
  return { params, offset, compute, bootstrap: { B, seed: opts.seed, level }, notes };
}
