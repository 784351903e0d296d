/**
 * The span-corruption study's claims (T5 Tables 6 and 7), each judged on every task × evaluation
 * cell by ablation/claims.ts, once over the run's generation tasks and once over its
 * classification tasks, so the two kinds are never pooled. Settings are found by what they are
 * (VariantInfo.fields meanSpan and rate), so a renamed row is still found; a claim whose rows the
 * run lacks names experiments/spans's default row for that setting and comes out 'not run'.
 */
import type { AblationSummary, TaskInfo } from '@pretrain-lab/experiment/schema';
import type { Claim } from '../ablation/claims.js';
import { tasksByKind } from '../ablation/summary.js';
import {
  scoresCell,
  T5_COLUMNS,
  T5_NO_PRETRAINING,
  T5_SPAN_RATE,
  T5_TABLE7,
  table6Text,
  table7Diff,
} from './anchors.js';

/** The no-pretraining row's name, as experiments/spans writes it. */
export const SPANS_BASELINE = 'no pretraining';

/** T5's sweeps, as experiments/spans/config.ts's defaults: mean spans at 15%, rates at span 3. */
export const T5_SPANS = [1, 2, 3, 5, 10] as const;
export const T5_RATES = [0.1, 0.15, 0.25, 0.5] as const;
const DEFAULT_RATE_SPAN = 3;

/** experiments/spans/config.ts's settingName: "span 1 (i.i.d.), 15%", "span 3, 50%". */
export const settingName = (meanSpan: number, rate: number): string =>
  `span ${meanSpan === 1 ? '1 (i.i.d.)' : meanSpan}, ${Math.round(rate * 100)}%`;

const same = (a: unknown, b: number) => typeof a === 'number' && Math.abs(a - b) < 1e-9;

/** The rate of the span sweep and the mean span of the rate sweep, from the run's rows. */
export function sweepAxes(s: AblationSummary): { spanRate: number; rateSpan: number } {
  const f = s.variants.filter((v) => v.pretrained).map((v) => v.fields);
  const spanRow = f.find((x) => x.group === 'span' || x.group === 'both');
  const rateRow = f.find((x) => x.group === 'rate' || x.group === 'both');
  return {
    spanRate: typeof spanRow?.rate === 'number' ? spanRow.rate : T5_SPAN_RATE,
    rateSpan: typeof rateRow?.meanSpan === 'number' ? rateRow.meanSpan : DEFAULT_RATE_SPAN,
  };
}

/** The run's variant for a (mean span, rate) setting: by its fields, else by the default name. */
export function settingVariant(s: AblationSummary, meanSpan: number, rate: number): string {
  const hit = s.variants.find(
    (v) => v.pretrained && same(v.fields.meanSpan, meanSpan) && same(v.fields.rate, rate),
  );
  return hit?.name ?? settingName(meanSpan, rate);
}

/** A row of one of the two sweeps: its variant, the sweep, and its short x label ('i.i.d.', '3', '50%'). */
export interface SweepRow {
  variant: string;
  sweep: 'span' | 'rate';
  label: string;
  meanSpan: number;
  rate: number;
}

/**
 * The run's pretrained rows in the two sweeps, as T5's tables lay them out: mean spans at the span
 * sweep's rate (by span), then rates at the rate sweep's span (by rate). The shared row (span 3,
 * 15% by default) is in both.
 */
export function sweepRows(s: AblationSummary): SweepRow[] {
  const { spanRate, rateSpan } = sweepAxes(s);
  const rows = s.variants
    .filter((v) => v.pretrained && typeof v.fields.meanSpan === 'number' && typeof v.fields.rate === 'number')
    .map((v) => ({ variant: v.name, meanSpan: v.fields.meanSpan as number, rate: v.fields.rate as number }));
  const span = rows
    .filter((r) => same(r.rate, spanRate))
    .sort((a, b) => a.meanSpan - b.meanSpan)
    .map((r) => ({ ...r, sweep: 'span' as const, label: r.meanSpan === 1 ? 'i.i.d.' : String(r.meanSpan) }));
  const rate = rows
    .filter((r) => same(r.meanSpan, rateSpan))
    .sort((a, b) => a.rate - b.rate)
    .map((r) => ({ ...r, sweep: 'rate' as const, label: `${Math.round(100 * r.rate)}%` }));
  return [...span, ...rate];
}

/** One claim of the paper, split by task kind: `perKind` has one Claim per kind the run has. */
export interface SpansClaim {
  id: string;
  a: string;
  b: string;
  direction: Claim['direction'];
  margin?: number;
  perKind: { kind: TaskInfo['kind']; claim: Claim }[];
}

export interface SpansClaimGroup {
  id: string;
  title: string;
  /** The paper's claim, in words, and its numbers. */
  text: string;
  anchor: string;
  claims: SpansClaim[];
}

const EQUAL_MARGIN = 0.02;

type Base = Omit<SpansClaim, 'perKind'>;

/** A claim once per task kind of the run (or once, over no task, when the run has none). */
function split(s: AblationSummary, text: string, anchor: string, c: Base): SpansClaim {
  const kinds = tasksByKind(s);
  const claim = (suffix: string, tasks?: string[]): Claim => ({
    id: `${c.id}${suffix}`,
    text,
    anchor,
    a: c.a,
    b: c.b,
    direction: c.direction,
    margin: c.margin,
    tasks,
  });
  const perKind = kinds.length
    ? kinds.map((k) => ({ kind: k.kind, claim: claim(`/${k.kind}`, k.tasks) }))
    : [{ kind: 'classification' as const, claim: claim('') }];
  return { ...c, perKind };
}

export function spansClaimGroups(s: AblationSummary): SpansClaimGroup[] {
  const { spanRate, rateSpan } = sweepAxes(s);
  const span = (m: number) => settingVariant(s, m, spanRate);
  const rate = (r: number) => settingVariant(s, rateSpan, r);
  const baseline = s.baseline ?? SPANS_BASELINE;
  const group = (g: Omit<SpansClaimGroup, 'claims'>, claims: Base[]): SpansClaimGroup => ({
    ...g,
    claims: claims.map((c) => split(s, g.text, g.anchor, c)),
  });

  // Every pretrained row of the run, then any default setting it lacks (listed as 'not run').
  const pretrained = s.variants.filter((v) => v.pretrained).map((v) => v.name);
  for (const name of [...T5_SPANS.map(span), ...T5_RATES.map(rate)])
    if (!pretrained.includes(name)) pretrained.push(name);

  return [
    group(
      {
        id: 'rate',
        title: 'Corruption rate has limited effect, except 50%, which hurts',
        text: 'corrupting 10%, 15% or 25% of the tokens gives about the same downstream scores; corrupting 50% is worse',
        anchor: `T5 Table 6 (i.i.d. corruption): ${table6Text()}; ours vary the rate at mean span ${rateSpan}`,
      },
      [
        { id: 'rate-15-vs-50', a: rate(0.15), b: rate(0.5), direction: 'greater' },
        { id: 'rate-10-vs-15', a: rate(0.1), b: rate(0.15), direction: 'equal', margin: EQUAL_MARGIN },
        { id: 'rate-25-vs-15', a: rate(0.25), b: rate(0.15), direction: 'equal', margin: EQUAL_MARGIN },
      ],
    ),
    group(
      {
        id: 'span',
        title: 'Mean spans of 2 to 5 beat or match i.i.d.; span 10 hurts slightly',
        text: 'corrupting spans of mean length 2 to 5 is at least as good as corrupting tokens one at a time (i.i.d., mean span 1); spans of 10 are slightly worse',
        anchor: `T5 Table 7 at 15%: span 3 − i.i.d.: ${table7Diff(3, 1)}; span 10 − span 3: ${table7Diff(10, 3)} (mixed across benchmarks)`,
      },
      [
        ...[2, 3, 5].map((m) => ({
          id: `span-${m}-vs-iid`,
          a: span(m),
          b: span(1),
          direction: 'notLess' as const,
          margin: EQUAL_MARGIN,
        })),
        { id: 'span-10-vs-3', a: span(10), b: span(3), direction: 'less' },
      ],
    ),
    group(
      {
        id: 'pretraining',
        title: 'Pretraining beats no pretraining',
        text: 'every span-corruption setting beats the same model trained from random initialisation',
        anchor: `T5 (${T5_COLUMNS.join(' · ')}): no pretraining ${scoresCell(T5_NO_PRETRAINING)} vs i.i.d. at 15% ${scoresCell(T5_TABLE7[0].scores)}`,
      },
      pretrained.map((name) => ({ id: `pretraining-${name}`, a: name, b: baseline, direction: 'greater' })),
    ),
  ];
}
