/**
 * The spans report's charts: validation loss vs pretraining tokens per setting
 * (ablation/charts.ts), each task's test score per setting of the two sweeps with seed bars and
 * the no-pretraining row as a rule, and the target length and throughput each setting gives
 * (ablation/point-chart.ts).
 */
import type { AblationSummary } from '@pretrain-lab/experiment/schema';
import { meanStd } from '@pretrain-lab/scaling';
import type { TopLevelSpec } from 'vega-lite';
import { lossCurveSpec } from '../ablation/charts.js';
import { type PanelPoint, type PanelRule, pointPanelsSpec } from '../ablation/point-chart.js';
import { type AblationRun, cellStat, evalLabel, evalsText, gridCells } from '../ablation/summary.js';
import { sweepAxes, sweepRows } from './claims.js';
import { metricLabel } from './setup.js';

export const SPANS_FIGURES = ['spans-loss', 'spans-scores', 'spans-target-length'] as const;

const pct = (rate: number) => `${Math.round(100 * rate)}%`;

/** The legend entries of the two sweeps. */
export function sweepGroups(s: AblationSummary): { span: string; rate: string } {
  const { spanRate, rateSpan } = sweepAxes(s);
  return {
    span: `mean span, at ${pct(spanRate)} corruption`,
    rate: `corruption rate, at mean span ${rateSpan}`,
  };
}

const xLabels = (s: AblationSummary) => [...new Set(sweepRows(s).map((r) => r.label))];

export const spansLossSpec = (r: AblationRun): TopLevelSpec =>
  // experiments/spans logs the span-corruption loss of its validation rows as 'loss'.
  lossCurveSpec(r.run, r.summary, 'loss', {
    title: 'Validation span-corruption loss during pretraining',
    yTitle: 'Validation loss (nats per target token)',
    note: "targets differ between settings (length and share of sentinels), so compare each curve's shape, not levels across settings",
  });

/** Each task and evaluation's headline score per setting of both sweeps, in percent. */
export function scorePoints(s: AblationSummary): {
  points: PanelPoint[];
  rules: PanelRule[];
  panels: string[];
} {
  const groups = sweepGroups(s);
  const oneEval = s.evals.length === 1;
  const points: PanelPoint[] = [];
  const rules: PanelRule[] = [];
  const panels: string[] = [];
  for (const c of gridCells(s)) {
    const task = s.tasks.find((t) => t.name === c.task);
    const panel = `${c.task} (${metricLabel(task?.metric ?? 'score')}, %)${oneEval ? '' : `, ${evalLabel(c)}`}`;
    panels.push(panel);
    for (const r of sweepRows(s)) {
      const st = cellStat(s, r.variant, c);
      if (!st) continue;
      const m = 100 * st.mean;
      const sd = 100 * st.std;
      points.push({
        panel,
        group: groups[r.sweep],
        label: r.label,
        variant: r.variant,
        mean: m,
        lo: m - sd,
        hi: m + sd,
        n: st.n,
      });
    }
    const b = s.baseline ? cellStat(s, s.baseline, c) : null;
    if (b) rules.push({ panel, y: 100 * b.mean });
  }
  return { points, rules, panels };
}

export function spansScoresSpec(r: AblationRun): TopLevelSpec {
  const s = r.summary;
  const { points, rules, panels } = scorePoints(s);
  const g = sweepGroups(s);
  return pointPanelsSpec(points, {
    title: 'Test score per span-corruption setting',
    subtitle: [`${evalsText(s.evals)} labelled training examples; each panel has its own y scale`],
    yTitle: 'Test score (%)',
    xTitle: 'Mean span (i.i.d. = 1) or corruption rate',
    labels: xLabels(s),
    panels,
    groups: [g.span, g.rate],
    rules,
    ruleLabel: s.baseline ?? undefined,
    emptyText: 'no evaluation of a span-corruption setting in this run',
  });
}

/** Mean target length and pretraining throughput per setting, from the pretraining records. */
export function spansTargetLengthSpec(r: AblationRun): TopLevelSpec {
  const s = r.summary;
  const g = sweepGroups(s);
  const panels = ['Mean target length (tokens per example)', 'Pretraining throughput (input tokens/s)'];
  const points: PanelPoint[] = [];
  for (const row of sweepRows(s)) {
    const recs = s.pretrain.filter((p) => p.variant === row.variant);
    const pick = [recs.map((p) => p.extra.targetLength), recs.map((p) => p.tokensPerSec)].map((xs) =>
      xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)),
    );
    pick.forEach((xs, i) => {
      if (!xs.length) return;
      const st = meanStd(xs);
      points.push({
        panel: panels[i],
        group: g[row.sweep],
        label: row.label,
        variant: row.variant,
        mean: st.mean,
        lo: st.mean - st.std,
        hi: st.mean + st.std,
        n: xs.length,
      });
    });
  }
  return pointPanelsSpec(points, {
    title: 'Target length and pretraining throughput per span-corruption setting',
    subtitle: [
      'the same input length for every setting; targets are the corrupted spans with one sentinel each',
    ],
    yTitle: null,
    xTitle: 'Mean span (i.i.d. = 1) or corruption rate',
    labels: xLabels(s),
    panels,
    groups: [g.span, g.rate],
    emptyText: 'no pretraining record of this run has a target length',
  });
}
