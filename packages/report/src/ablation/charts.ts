/**
 * Vega-lite specs of an ablation run, in the house chart style (chart-style.ts, render.ts):
 * pretraining validation loss vs tokens per variant (one chart per loss), and learning curves
 * (score vs labelled training examples, log x) per variant, faceted by task and method. One
 * fixed colour per variant in every chart; the no-pretraining row is grey and dashed.
 */
import type { AblationSummary } from '@pretrain-lab/experiment/schema';
import type { TopLevelSpec } from 'vega-lite';
import { BASELINE_COLOR, HEIGHT, PALETTE, WIDTH } from '../chart-style.js';
import type { LoadedRun } from '../results.js';
import { type CurvePoint, seedBandLayers, seedCount, seedCurves } from '../seed-curves.js';
import { cellStat, gridCells, METHOD_LABEL, variantNames } from './summary.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Colour scale over `order`: palette colours in order, grey for the baseline. */
export function variantColors(
  order: readonly string[],
  baseline: string | null,
): { domain: string[]; range: string[] } {
  let k = 0;
  return {
    domain: [...order],
    range: order.map((v) => (v === baseline ? BASELINE_COLOR : PALETTE[k++ % PALETTE.length])),
  };
}

const legend = {
  orient: 'right',
  labelLimit: 0,
  titleLimit: 0,
  symbolType: 'stroke',
  symbolStrokeWidth: 3,
  symbolOpacity: 1,
};

/** Validation `field` of the pretraining rows of metrics.jsonl, mean over seeds per variant and step. */
export function lossCurves(run: LoadedRun, s: AblationSummary, field: string): CurvePoint[] {
  return seedCurves(run, field, (seen) => [
    ...variantNames(s),
    ...seen.filter((v) => !variantNames(s).includes(v)),
  ]);
}

export interface LossChartOptions {
  title: string;
  yTitle: string;
  /** A dashed horizontal reference line, e.g. chance. */
  reference?: { y: number; label: string };
  /** Shown instead of the curves when no row has this loss. */
  emptyText?: string;
  /** A second subtitle line, e.g. how to read levels across variants. */
  note?: string;
}

/** Validation loss vs pretraining tokens, one line per variant (mean over seeds, ±1 std band). */
export function lossCurveSpec(
  run: LoadedRun,
  s: AblationSummary,
  field: string,
  o: LossChartOptions,
): TopLevelSpec {
  const points = lossCurves(run, s, field);
  const seeds = seedCount(points);
  if (points.length === 0) {
    return {
      $schema: SCHEMA,
      title: { text: o.title, subtitle: 'no data in this run' },
      width: WIDTH,
      height: 60,
      data: { values: [{ text: o.emptyText ?? `no pretraining row logs a validation '${field}' loss` }] },
      mark: { type: 'text', fontSize: 13, color: '#444444' },
      encoding: { text: { field: 'text' } },
    } as TopLevelSpec;
  }
  const order = variantNames(s).filter((v) => points.some((p) => p.variant === v));
  for (const p of points) if (!order.includes(p.variant)) order.push(p.variant);
  const color = {
    field: 'variant',
    type: 'nominal',
    title: 'Variant',
    scale: variantColors(order, s.baseline),
    legend,
  };
  const x = { field: 'tokens', type: 'quantitative', title: 'Pretraining tokens', axis: { format: '~s' } };
  const extra: unknown[] = [];
  if (o.reference) {
    const ref = [o.reference];
    extra.push(
      {
        data: { values: ref },
        mark: { type: 'rule', color: '#444444', strokeDash: [6, 4], strokeWidth: 1.5 },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: ref },
        mark: {
          type: 'text',
          align: 'left',
          baseline: 'bottom',
          dx: 4,
          dy: -3,
          color: '#444444',
          fontSize: 11,
        },
        encoding: { y: { field: 'y', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } },
      },
    );
  }
  const subtitle =
    seeds > 1
      ? `mean over ${seeds} seeds; band: ±1 standard deviation across seeds; fixed validation set`
      : 'one seed; fixed validation set';
  return {
    $schema: SCHEMA,
    title: { text: o.title, subtitle: o.note ? [subtitle, o.note] : subtitle },
    width: WIDTH,
    height: HEIGHT,
    layer: [{ data: { values: points }, layer: seedBandLayers(x, o.yTitle, color, seeds) }, ...extra],
  } as TopLevelSpec;
}

export interface LearningPoint {
  variant: string;
  task: string;
  method: string;
  trainExamples: number;
  /** Percent. */
  mean: number;
  lo: number;
  hi: number;
  n: number;
  baseline: boolean;
}

/** Mean ± sample std over seeds of the headline score (or `metric`), in percent, per variant and cell. */
export function learningPoints(s: AblationSummary, metric?: string): LearningPoint[] {
  const out: LearningPoint[] = [];
  for (const v of variantNames(s))
    for (const c of gridCells(s)) {
      const st = cellStat(s, v, c, metric);
      if (!st) continue;
      const m = 100 * st.mean;
      const sd = 100 * st.std;
      out.push({
        variant: v,
        task: c.task,
        method: METHOD_LABEL[c.method],
        trainExamples: c.trainExamples,
        mean: m,
        lo: m - sd,
        hi: m + sd,
        n: st.n,
        baseline: v === s.baseline,
      });
    }
  return out;
}

/**
 * Score vs labelled training examples (log x), one line per variant, a panel per task (columns)
 * and method (rows); bars are ±1 std over seeds. The baseline is grey and dashed.
 */
export function learningCurveSpec(
  s: AblationSummary,
  o: { title: string; yTitle: string; metric?: string },
): TopLevelSpec {
  const values = learningPoints(s, o.metric);
  const order = variantNames(s).filter((v) => values.some((p) => p.variant === v));
  const sizes = [...new Set(values.map((p) => p.trainExamples))].sort((a, b) => a - b);
  const seeds = Math.max(0, ...values.map((p) => p.n));
  const lo = sizes.length ? sizes[0] / 1.4 : 1;
  const hi = sizes.length ? sizes[sizes.length - 1] * 1.4 : 10;
  const x = {
    field: 'trainExamples',
    type: 'quantitative',
    title: 'Labelled training examples',
    scale: { type: 'log', domain: [lo, hi], nice: false },
    axis: { values: sizes, format: 'd' },
  };
  const y = {
    field: 'mean',
    type: 'quantitative',
    title: o.yTitle,
    scale: { zero: false },
    axis: { format: '~f' },
  };
  const color = {
    field: 'variant',
    type: 'nominal',
    title: 'Variant',
    scale: variantColors(order, s.baseline),
    legend,
  };
  const strokeDash = {
    field: 'baseline',
    type: 'nominal',
    scale: {
      domain: [false, true],
      range: [
        [1, 0],
        [5, 3],
      ],
    },
    legend: null,
  };
  const layers: unknown[] = [
    { mark: { type: 'line', strokeWidth: 1.8, point: { size: 28 } }, encoding: { x, y, color, strokeDash } },
  ];
  if (seeds > 1)
    layers.push({
      mark: { type: 'rule', strokeWidth: 1.2, opacity: 0.6 },
      encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color },
    });
  const methods = [...new Set(values.map((p) => p.method))];
  return {
    $schema: SCHEMA,
    title: {
      text: o.title,
      subtitle:
        seeds > 1
          ? `mean over ${seeds} seeds; bars: ±1 standard deviation across seeds; grey dashed: ${s.baseline ?? 'baseline'}`
          : `one seed; grey dashed: ${s.baseline ?? 'baseline'}`,
    },
    data: { values },
    facet: {
      column: { field: 'task', type: 'nominal', title: null, sort: s.tasks.map((t) => t.name) },
      row: { field: 'method', type: 'nominal', title: null, sort: methods },
    },
    resolve: { scale: { y: 'independent' } },
    spec: { width: 240, height: 170, layer: layers },
  } as TopLevelSpec;
}
