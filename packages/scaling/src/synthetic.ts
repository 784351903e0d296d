/**
 * A synthetic IsoFLOP grid with a known law, for tests and report fixtures: final losses follow
 * L = E + A/N^alpha + B/D^beta in total parameters, times seeded log-normal noise; learning
 * curves approach the final loss as a run's cosine schedule anneals. Rows are built with the
 * schema's own builders (schema.ts), exactly as the experiment writes them.
 */

import { type GridSpec, type PlannedUnit, planIsoflopGrid } from './grid.js';
import { Mulberry32 } from './prng.js';
import {
  flopsPerTokenOf,
  metricRowExtra,
  runRow,
  type ScalingMetricRow,
  type ScalingRunRow,
} from './schema.js';

export interface SyntheticLaw {
  E: number;
  A: number;
  B: number;
  alpha: number;
  beta: number;
}

/** Hoffmann et al. 2022's fitted law. */
export const CHINCHILLA_LAW: SyntheticLaw = { E: 1.69, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28 };

export interface SyntheticGridOptions {
  spec: GridSpec;
  law?: SyntheticLaw;
  /** Standard deviation of the log-loss noise (default 0.003). */
  noise?: number;
  seed?: number;
  /** Validation points per run (default 8). */
  evalPoints?: number;
  /** Units that diverge (ids). */
  diverged?: readonly string[];
  trainTokens?: number;
}

export interface SyntheticGrid {
  units: PlannedUnit[];
  runs: ScalingRunRow[];
  rows: ScalingMetricRow[];
}

export function synthesizeGrid(opts: SyntheticGridOptions): SyntheticGrid {
  const law = opts.law ?? CHINCHILLA_LAW;
  const rng = new Mulberry32(opts.seed ?? 1);
  const noise = opts.noise ?? 0.003;
  const points = opts.evalPoints ?? 8;
  const units = planIsoflopGrid(opts.spec);
  const trainTokens = opts.trainTokens ?? Math.max(...units.map((u) => u.tokens));
  const rows: ScalingMetricRow[] = [];
  const runs: ScalingRunRow[] = [];
  const lossAt = (N: number, D: number) => law.E + law.A / N ** law.alpha + law.B / D ** law.beta;
  for (const u of units) {
    const diverged = opts.diverged?.includes(u.id) ?? false;
    const extra = metricRowExtra(u);
    const perToken = flopsPerTokenOf(u);
    const lr = 1e-3;
    let last = Number.NaN;
    for (let k = 0; k <= points; k++) {
      const step = Math.round((u.steps * k) / points);
      const tokens = step * opts.spec.tokensPerStep;
      const progress = step / u.steps;
      // Before the cosine has annealed, loss sits above what the same tokens reach at the end.
      const base =
        k === 0 ? Math.log(opts.spec.vocabSize) : lossAt(u.totalParams, tokens) * (1 + 0.03 * (1 - progress));
      const loss = base * Math.exp(noise * rng.normal());
      const value = diverged && k === points ? Number.NaN : loss;
      if (k > 0)
        rows.push({
          model: u.id,
          split: 'train',
          step,
          tokens,
          compute: perToken * tokens,
          loss: value * 1.01,
          ...extra,
          lr,
          tokensPerSec: 1000,
          elapsedSec: step,
        });
      rows.push({
        model: u.id,
        split: 'val',
        step,
        tokens,
        compute: perToken * tokens,
        loss: value,
        ...extra,
      });
      last = value;
    }
    runs.push(
      runRow(
        u,
        { lr, warmupSteps: Math.max(1, Math.round(0.05 * u.steps)), trainTokens },
        diverged
          ? {
              status: 'diverged',
              finalValLoss: null,
              finalTrainLoss: null,
              tokens: u.tokens,
              tokensPerSec: 1000,
              note: 'loss became NaN (synthetic)',
            }
          : {
              status: 'completed',
              finalValLoss: last,
              finalTrainLoss: last * 1.01,
              tokens: u.tokens,
              tokensPerSec: 1000,
            },
      ),
    );
  }
  return { units, runs, rows };
}
