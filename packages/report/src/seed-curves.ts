/**
 * Pretraining validation curves averaged over seeds, with a ±1 standard deviation band: the
 * figure both ablation reports (nsp, spans) draw for their loss curves.
 */
import * as aq from 'arquero';
import { metricObjects } from './compare.js';
import type { LoadedRun } from './results.js';

export interface CurvePoint {
  variant: string;
  step: number;
  tokens: number;
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

/**
 * `field` of the pretraining validation rows, averaged over seeds at each (variant, step) (tokens
 * differ a little between seeds, so they are averaged too), ordered by `order(seen)` where `seen`
 * lists the variants in the order the rows mention them.
 */
export function seedCurves(run: LoadedRun, field: string, order: (seen: string[]) => string[]): CurvePoint[] {
  const rows = metricObjects(run)
    .filter(
      (d) =>
        d.phase === 'pretrain' &&
        d.split === 'val' &&
        typeof d[field] === 'number' &&
        Number.isFinite(d[field] as number),
    )
    .map((d) => ({
      variant: String(d.variant),
      step: d.step as number,
      tokens: d.tokens as number,
      value: d[field] as number,
    }));
  if (rows.length === 0) return [];
  const agg = aq
    .from(rows)
    .groupby('variant', 'step')
    .rollup({
      tokens: aq.op.mean('tokens'),
      mean: aq.op.mean('value'),
      std: aq.op.stdev('value'),
      n: aq.op.count(),
    })
    .objects() as {
    variant: string;
    step: number;
    tokens: number;
    mean: number;
    std: number | null;
    n: number;
  }[];
  const sorted = order([...new Set(rows.map((r) => r.variant))]);
  return agg
    .map((r) => {
      const std = r.n > 1 && Number.isFinite(r.std) ? (r.std as number) : 0;
      return {
        variant: r.variant,
        step: r.step,
        tokens: r.tokens,
        mean: r.mean,
        lo: r.mean - std,
        hi: r.mean + std,
        n: r.n,
      };
    })
    .sort((a, b) => sorted.indexOf(a.variant) - sorted.indexOf(b.variant) || a.step - b.step);
}

/** Most seeds behind any point (0 for no points). */
export const seedCount = (points: readonly CurvePoint[]): number => Math.max(0, ...points.map((p) => p.n));

/** The line of means, then (with more than one seed) the ±1 std band over it. */
export function seedBandLayers(x: unknown, yTitle: string, color: unknown, seeds: number): unknown[] {
  // The band goes after the line so the legend takes its symbol from the line, not the faint band.
  const line = {
    mark: { type: 'line', strokeWidth: 1.8, point: { size: 14 } },
    encoding: { x, y: { field: 'mean', type: 'quantitative', title: yTitle, scale: { zero: false } }, color },
  };
  const band = {
    mark: { type: 'area', opacity: 0.15 },
    encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color },
  };
  return seeds > 1 ? [line, band] : [line];
}
