/**
 * Every fit of a scaling grid, each with a 95% bootstrap interval (resample runs, refit), and
 * each done twice: with total parameters (C = 6 N_total D) and with Kaplan's non-embedding
 * parameters (C = 6 N_nonemb D). Computed once, by the experiment at the end of a run, and
 * stored in summary.json; the report only reads it.
 *
 * - Chinchilla approach 1: the lower envelope of all learning curves against compute, and the
 *   size that owns it at each compute, N_opt ~ C^a (intermediate points of a run are not yet
 *   annealed by its cosine schedule, so this leans on the runs' end points).
 * - Chinchilla approach 2: IsoFLOP parabolas (isoflop.ts); bootstrap resamples runs within
 *   each budget.
 * - Chinchilla approach 3: L = E + A/N^alpha + B/D^beta, Huber on log loss (parametric.ts);
 *   bootstrap resamples runs within each budget and refits from the full fit's optimum and 8
 *   more starts (BOOTSTRAP_STARTS).
 * - Kaplan L(N): each size's best final loss (over the budgets it ran in), (N_c/N)^a_N.
 * - Kaplan L(C_min): (C_c/C)^a_C on the envelope of the learning curves.
 * - Kaplan L(D): (D_c/D)^a_D on the envelope of the learning curves against tokens.
 *
 * Units that diverged are left out of every fit, and listed.
 */
import { bootstrapVector, resample, resampleWithin, type VectorBootstrapResult } from './bootstrap.js';
import { fitPowerLaw } from './fits.js';
import { computeFrontier, type FrontierPoint, fitComputeFrontier, type LearningCurve } from './frontier.js';
import { type Approach2Fit, fitApproach2, fitLine, groupByBudget, type IsoflopRun } from './isoflop.js';
import {
  BOOTSTRAP_STARTS,
  CHINCHILLA_STARTS,
  fitParametric,
  type LossPoint,
  type ParametricFit,
  type ParametricStart,
  parametricTheta,
} from './parametric.js';
import { COUNT_KINDS, type CountKind, paramsOf, type ScalingRunRow, type ValidationCurve } from './schema.js';

export type Interval = [number, number] | null;

export interface BootInfo {
  used: number;
  skipped: number;
}

export interface Approach1Result {
  /** N_opt ~ C^a along the envelope. */
  a: number;
  kN: number;
  r2: number;
  /** Grid points of the envelope. */
  n: number;
  /** Distinct runs that own part of the envelope. */
  owners: number;
  ci: Interval;
}

export interface Approach2Result extends Approach2Fit {
  ci: { a: Interval; b: Interval };
  boot: BootInfo | null;
}

export interface Approach3Result extends ParametricFit {
  ci: { a: Interval; alpha: Interval; beta: Interval; E: Interval };
  boot: BootInfo | null;
}

export interface PowerLawResult {
  /** Exponent of L = (x_c / x)^a. */
  a: number;
  /** ln x_c (x_c itself can overflow). */
  logXc: number;
  r2: number;
  n: number;
  /** x range the fit covers. */
  range: [number, number];
  ci: Interval;
  boot: BootInfo | null;
}

export interface CountFits {
  approach1: Approach1Result | null;
  approach2: Approach2Result | null;
  approach3: Approach3Result | null;
  /** Kaplan L(N), N in this count. */
  lossVsN: PowerLawResult | null;
  /** Kaplan L(C_min), C in FLOPs in this count. */
  lossVsC: PowerLawResult | null;
  /** Kaplan L(D). */
  lossVsD: PowerLawResult | null;
  /** Why a fit is missing, one line each. */
  notes: string[];
}

export interface GridFits {
  bootstrap: { B: number; seed: number; level: number };
  huberDelta: number;
  /** Starts of the full approach-3 fit. */
  starts: number;
  excluded: { unit: string; reason: string }[];
  total: CountFits;
  nonEmbedding: CountFits;
  /**
   * a (N_opt ~ C^a) with non-embedding minus total parameters, from the same runs: the paired
   * bootstrap resamples runs once and refits both counts, so the interval is of the difference.
   */
  reconciliation: {
    approach2: { diff: number; ci: Interval } | null;
    approach3: { diff: number; ci: Interval } | null;
  };
}

export interface GridFitOptions {
  seed: number;
  /** Bootstrap resamples; 0 turns intervals off. */
  bootstrap: number;
  level?: number;
  huberDelta?: number;
  /** Starts of the full approach-3 fit (default Chinchilla's 4,500). */
  starts?: readonly ParametricStart[];
  /** Extra starts of each bootstrap refit, beside the full fit's optimum (default BOOTSTRAP_STARTS). */
  bootStarts?: readonly ParametricStart[];
}

const ci = (r: VectorBootstrapResult | null, i: number): Interval => (r ? r.intervals[i] : null);
const bootInfo = (r: VectorBootstrapResult | null): BootInfo | null =>
  r ? { used: r.used, skipped: r.skipped } : null;

/** Seeds per fit and count, so that adding a fit never shifts another's resamples. */
function seedFor(seed: number, fit: number, kind: CountKind): number {
  return (seed * 1000003 + fit * 7919 + (kind === 'total' ? 0 : 104729)) >>> 0;
}

function envelopeCurves(
  curves: readonly ValidationCurve[],
  kind: CountKind,
  x: 'compute' | 'tokens',
): LearningCurve[] {
  return curves
    .filter((c) => c.points.length > 0)
    .map((c) => {
      const N = paramsOf(c, kind);
      return {
        model: c.unit,
        points: c.points.map((p) => ({
          compute: x === 'tokens' ? p.tokens : 6 * N * p.tokens,
          loss: p.loss,
        })),
      };
    });
}

function approach1From(frontier: FrontierPoint[], nOf: Map<string, number>): Approach1Result | null {
  const owners = new Set(frontier.map((f) => f.model));
  if (owners.size < 2) return null;
  const line = fitLine(
    frontier.map((f) => Math.log(f.compute)),
    frontier.map((f) => Math.log(nOf.get(f.model)!)),
  );
  return {
    a: line.slope,
    kN: Math.exp(line.intercept),
    r2: line.r2,
    n: frontier.length,
    owners: owners.size,
    ci: null,
  };
}

const isoflopRuns = (done: readonly ScalingRunRow[], kind: CountKind): IsoflopRun[] =>
  done
    .filter((r) => r.budgetIndex >= 0)
    .map((r) => ({ budget: r.budget, N: paramsOf(r, kind), D: r.tokens, loss: r.finalValLoss as number }));

const lossPoints = (done: readonly ScalingRunRow[], kind: CountKind): LossPoint[] =>
  done.map((r) => ({ N: paramsOf(r, kind), D: r.tokens, loss: r.finalValLoss as number }));

function fitsForCount(
  runs: readonly ScalingRunRow[],
  curves: readonly ValidationCurve[],
  kind: CountKind,
  opts: Required<Omit<GridFitOptions, 'starts' | 'bootStarts'>> &
    Pick<GridFitOptions, 'starts' | 'bootStarts'>,
): CountFits {
  const notes: string[] = [];
  const B = opts.bootstrap;
  const level = opts.level;
  const done = runs.filter((r) => r.status === 'completed' && r.finalValLoss !== null);

  // Approaches 2 and 3 (their intervals come from the joint bootstrap in fitScalingGrid).
  let approach2: Approach2Result | null = null;
  const iso = isoflopRuns(done, kind);
  try {
    const fit = fitApproach2(iso);
    for (const r of fit.rejected)
      notes.push(`approach 2: budget ${r.budget.toExponential(2)} left out: ${r.reason}`);
    approach2 = { ...fit, ci: { a: null, b: null }, boot: null };
  } catch (e) {
    notes.push(iso.length === 0 ? 'approach 2: no IsoFLOP budgets in this grid' : (e as Error).message);
  }
  let approach3: Approach3Result | null = null;
  try {
    const fit = fitParametric(lossPoints(done, kind), { delta: opts.huberDelta, starts: opts.starts });
    approach3 = { ...fit, ci: { a: null, alpha: null, beta: null, E: null }, boot: null };
  } catch (e) {
    notes.push(`approach 3: ${(e as Error).message.replace(/^fitParametric: /, '')}`);
  }

  // Kaplan L(N): each size's best final loss.
  let lossVsN: PowerLawResult | null = null;
  const best = new Map<string, { N: number; loss: number }>();
  for (const r of done) {
    const prev = best.get(r.model);
    if (!prev || (r.finalValLoss as number) < prev.loss)
      best.set(r.model, { N: paramsOf(r, kind), loss: r.finalValLoss as number });
  }
  const sizes = [...best.values()].sort((a, b) => a.N - b.N);
  if (sizes.length >= 2) {
    const f = fitPowerLaw(
      sizes.map((s) => s.N),
      sizes.map((s) => s.loss),
    );
    const boot =
      B > 0
        ? bootstrapVector(
            (rng) => {
              const s = resample(sizes, rng);
              if (new Set(s.map((x) => x.N)).size < 2) return null;
              return [
                fitPowerLaw(
                  s.map((x) => x.N),
                  s.map((x) => x.loss),
                ).a,
              ];
            },
            { B, seed: seedFor(opts.seed, 4, kind), level },
          )
        : null;
    lossVsN = {
      a: f.a,
      logXc: f.logNc,
      r2: f.r2,
      n: f.n,
      range: [sizes[0].N, sizes[sizes.length - 1].N],
      ci: ci(boot, 0),
      boot: bootInfo(boot),
    };
  } else notes.push(`L(N): need >= 2 model sizes that completed, got ${sizes.length}`);

  // Kaplan L(C_min) and approach 1, from the envelope against compute.
  let lossVsC: CountFits['lossVsC'] = null;
  let approach1: Approach1Result | null = null;
  const cc = envelopeCurves(curves, kind, 'compute');
  const nOf = new Map(curves.map((c) => [c.unit, paramsOf(c, kind)]));
  try {
    const f = fitComputeFrontier(cc);
    approach1 = approach1From(f.frontier, nOf);
    if (!approach1) notes.push('approach 1: one run owns the whole envelope');
    const boot =
      B > 0
        ? bootstrapVector((rng) => [fitComputeFrontier(resample(cc, rng)).a], {
            B,
            seed: seedFor(opts.seed, 1, kind),
            level,
          })
        : null;
    // The same resamples (same seed); those whose envelope one run owns have no approach-1 slope.
    const boot1 =
      B > 0 && approach1
        ? bootstrapVector(
            (rng) => {
              const a1 = approach1From(fitComputeFrontier(resample(cc, rng)).frontier, nOf);
              return a1 ? [a1.a] : null;
            },
            { B, seed: seedFor(opts.seed, 1, kind), level },
          )
        : null;
    lossVsC = {
      a: f.a,
      logXc: f.logNc,
      r2: f.r2,
      n: f.n,
      range: f.range,
      ci: ci(boot, 0),
      boot: bootInfo(boot),
    };
    if (approach1) approach1.ci = ci(boot1, 0);
  } catch (e) {
    notes.push(`L(C): ${(e as Error).message}`);
  }

  // Kaplan L(D), from the envelope against tokens.
  let lossVsD: PowerLawResult | null = null;
  const dc = envelopeCurves(curves, kind, 'tokens');
  try {
    const f = fitComputeFrontier(dc);
    const boot =
      B > 0
        ? bootstrapVector((rng) => [fitComputeFrontier(resample(dc, rng)).a], {
            B,
            seed: seedFor(opts.seed, 5, kind),
            level,
          })
        : null;
    lossVsD = {
      a: f.a,
      logXc: f.logNc,
      r2: f.r2,
      n: f.n,
      range: f.range,
      ci: ci(boot, 0),
      boot: bootInfo(boot),
    };
  } catch (e) {
    notes.push(`L(D): ${(e as Error).message}`);
  }
  return { approach1, approach2, approach3, lossVsN, lossVsC, lossVsD, notes };
}

/** The envelope of the curves against compute in `kind` (as the L(C) fit uses it). */
export function gridEnvelope(
  curves: readonly ValidationCurve[],
  kind: CountKind,
  x: 'compute' | 'tokens' = 'compute',
): FrontierPoint[] {
  return computeFrontier(envelopeCurves(curves, kind, x));
}

export function fitScalingGrid(
  runs: readonly ScalingRunRow[],
  curves: readonly ValidationCurve[],
  opts: GridFitOptions,
): GridFits {
  const full = {
    seed: opts.seed,
    bootstrap: opts.bootstrap,
    level: opts.level ?? 0.95,
    huberDelta: opts.huberDelta ?? 1e-3,
    starts: opts.starts,
    bootStarts: opts.bootStarts,
  };
  const excluded = runs
    .filter((r) => r.status !== 'completed' || r.finalValLoss === null)
    .map((r) => ({
      unit: r.unit,
      reason: r.note ?? (r.status === 'diverged' ? 'diverged' : 'no final loss'),
    }));
  const out = {} as Record<CountKind, CountFits>;
  for (const kind of COUNT_KINDS) out[kind] = fitsForCount(runs, curves, kind, full);
  const reconciliation = jointBootstrap(runs, out, full);
  return {
    bootstrap: { B: full.bootstrap, seed: full.seed, level: full.level },
    huberDelta: full.huberDelta,
    starts: (opts.starts ?? CHINCHILLA_STARTS).length,
    excluded,
    total: out.total,
    nonEmbedding: out.nonEmbedding,
    reconciliation,
  };
}

/**
 * Intervals of approaches 2 and 3 for both counts, and of their difference, from one set of
 * resamples: runs drawn with replacement within each budget, every fit redone on each draw.
 * Approach 3 refits start from the full fit's optimum and BOOTSTRAP_STARTS. Fills `fits` in place.
 */
function jointBootstrap(
  runs: readonly ScalingRunRow[],
  fits: Record<CountKind, CountFits>,
  opts: {
    seed: number;
    bootstrap: number;
    level: number;
    huberDelta: number;
    bootStarts?: readonly ParametricStart[];
  },
): GridFits['reconciliation'] {
  const B = opts.bootstrap;
  const done = runs.filter((r) => r.status === 'completed' && r.finalValLoss !== null);
  const groups = groupByBudget(done);
  const t2 = fits.total.approach2;
  const n2 = fits.nonEmbedding.approach2;
  const t3 = fits.total.approach3;
  const n3 = fits.nonEmbedding.approach3;
  let r2: GridFits['reconciliation']['approach2'] = t2 && n2 ? { diff: n2.a - t2.a, ci: null } : null;
  let r3: GridFits['reconciliation']['approach3'] = t3 && n3 ? { diff: n3.a - t3.a, ci: null } : null;
  if (B <= 0) return { approach2: r2, approach3: r3 };
  if (t2 || n2) {
    // Only the budgets whose minimum entered the full fit, and the resample must keep them all.
    const used = new Set([...(t2?.profiles ?? []), ...(n2?.profiles ?? [])].map((p) => p.budget));
    const isoGroups = groups.filter((g) => g[0].budgetIndex >= 0 && used.has(g[0].budget));
    const boot = bootstrapVector(
      (rng) => {
        const s = resampleWithin(isoGroups, rng);
        const ft = t2 ? fitApproach2(isoflopRuns(s, 'total')) : null;
        const fn = n2 ? fitApproach2(isoflopRuns(s, 'nonEmbedding')) : null;
        if ((t2 && ft?.n !== t2.n) || (n2 && fn?.n !== n2.n)) return null;
        return [ft?.a ?? 0, ft?.b ?? 0, fn?.a ?? 0, fn?.b ?? 0, (fn?.a ?? 0) - (ft?.a ?? 0)];
      },
      { B, seed: seedFor(opts.seed, 2, 'total'), level: opts.level },
    );
    if (!boot) {
      if (t2) fits.total.notes.push('approach 2: too few usable bootstrap resamples for an interval');
      if (n2) fits.nonEmbedding.notes.push('approach 2: too few usable bootstrap resamples for an interval');
    }
    if (t2) t2.ci = { a: ci(boot, 0), b: ci(boot, 1) };
    if (n2) n2.ci = { a: ci(boot, 2), b: ci(boot, 3) };
    if (t2) t2.boot = bootInfo(boot);
    if (n2) n2.boot = bootInfo(boot);
    if (r2) r2 = { diff: r2.diff, ci: ci(boot, 4) };
  }
  if (t3 || n3) {
    const extra = opts.bootStarts ?? BOOTSTRAP_STARTS;
    const startsT = t3 ? [parametricTheta(t3), ...extra] : [];
    const startsN = n3 ? [parametricTheta(n3), ...extra] : [];
    const boot = bootstrapVector(
      (rng) => {
        const s = resampleWithin(groups, rng);
        const ft = t3
          ? fitParametric(lossPoints(s, 'total'), { delta: opts.huberDelta, starts: startsT })
          : null;
        const fn = n3
          ? fitParametric(lossPoints(s, 'nonEmbedding'), { delta: opts.huberDelta, starts: startsN })
          : null;
        return [
          ft?.a ?? 0,
          ft?.alpha ?? 0,
          ft?.beta ?? 0,
          ft?.E ?? 0,
          fn?.a ?? 0,
          fn?.alpha ?? 0,
          fn?.beta ?? 0,
          fn?.E ?? 0,
          (fn?.a ?? 0) - (ft?.a ?? 0),
        ];
      },
      { B, seed: seedFor(opts.seed, 3, 'total'), level: opts.level },
    );
    if (!boot) {
      if (t3) fits.total.notes.push('approach 3: too few usable bootstrap resamples for an interval');
      if (n3) fits.nonEmbedding.notes.push('approach 3: too few usable bootstrap resamples for an interval');
    }
    if (t3) {
      t3.ci = { a: ci(boot, 0), alpha: ci(boot, 1), beta: ci(boot, 2), E: ci(boot, 3) };
      t3.boot = bootInfo(boot);
    }
    if (n3) {
      n3.ci = { a: ci(boot, 4), alpha: ci(boot, 5), beta: ci(boot, 6), E: ci(boot, 7) };
      n3.boot = bootInfo(boot);
    }
    if (r3) r3 = { diff: r3.diff, ci: ci(boot, 8) };
  }
  return { approach2: r2, approach3: r3 };
}
