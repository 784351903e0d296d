/**
 * The span-corruption experiment's figures and report (Raffel et al. 2020, T5 Tables 6 and 7,
 * at small scale), from a results run directory of experiments/spans alone.
 */

import type { TopLevelSpec } from 'vega-lite';
import { HEIGHT, PALETTE, WIDTH } from './chart-style.js';
import {
  type ClaimCounts,
  compareMeans,
  describeCorpus,
  fmtDiff,
  fmtMeanStd,
  listText,
  type MeanStd,
  mdRow,
  NOISE_RULE,
  runSection,
  zeroCounts,
} from './compare.js';
import { fmtInt } from './format.js';
import { renderCharts } from './render.js';
import { type LoadedRun, loadRun } from './results.js';
import { seedBandLayers, seedCount, seedCurves } from './seed-curves.js';

export const SPANS_FIGURES = ['spans-loss', 'spans-target-length', 'spans-scores'] as const;

/** T5 Table 7: mean span length at 15% corruption (ANCHORS.md). */
export const T5_TABLE7 = [
  {
    meanSpan: 1,
    label: 'i.i.d.',
    glue: 83.28,
    cnndm: 19.24,
    squad: 80.88,
    sglue: 71.36,
    ende: 26.98,
    enfr: 39.82,
    enro: 27.65,
  },
  {
    meanSpan: 2,
    label: '2',
    glue: 83.54,
    cnndm: 19.39,
    squad: 82.09,
    sglue: 72.2,
    ende: 26.76,
    enfr: 39.99,
    enro: 27.63,
  },
  {
    meanSpan: 3,
    label: '3',
    glue: 83.49,
    cnndm: 19.62,
    squad: 81.84,
    sglue: 72.53,
    ende: 26.86,
    enfr: 39.65,
    enro: 27.62,
  },
  {
    meanSpan: 5,
    label: '5',
    glue: 83.4,
    cnndm: 19.24,
    squad: 82.05,
    sglue: 72.23,
    ende: 26.88,
    enfr: 39.4,
    enro: 27.53,
  },
  {
    meanSpan: 10,
    label: '10',
    glue: 82.85,
    cnndm: 19.33,
    squad: 81.84,
    sglue: 70.44,
    ende: 26.79,
    enfr: 39.49,
    enro: 27.69,
  },
] as const;

/** T5 Table 6: GLUE by corruption rate (i.i.d. corruption in the paper). */
export const T5_TABLE6 = [
  { rate: 10, glue: 82.82 },
  { rate: 15, glue: 83.28 },
  { rate: 25, glue: 83.0 },
  { rate: 50, glue: 81.27 },
] as const;

/** Standard deviation of T5's baseline GLUE score over runs. */
export const T5_GLUE_STD = 0.235;

export interface SpansTaskCell {
  metric: 'accuracy' | 'rouge';
  accuracy?: MeanStd;
  rouge1?: MeanStd;
  rouge2?: MeanStd;
  rougeL?: MeanStd;
  n: number;
}

export interface SpansTableRow {
  setting: string;
  meanSpan: number;
  rate: number;
  group: 'span' | 'rate' | 'both';
  pretrainLoss: MeanStd | null;
  targetLength: { mean: number } | null;
  inputLength: { mean: number } | null;
  tokensPerSec: { mean: number } | null;
  tasks: Record<string, SpansTaskCell>;
}

/** summary.json of experiments/spans. */
export interface SpansSummary {
  tasks: string[];
  seeds: number[];
  table: SpansTableRow[];
  baseline: SpansTableRow | null;
  pretrain: unknown[];
  finetune: unknown[];
  skippedTasks: string[];
}

function spansSummary(run: LoadedRun): SpansSummary {
  const s = run.summary as unknown as SpansSummary | null;
  if (!s || !Array.isArray(s.table)) {
    throw new Error(`${run.dir}/summary.json has no spans table: has the spans run finished?`);
  }
  return s;
}

/** Rate as a percentage whether stored as a fraction (0.15) or a percent (15). */
export const ratePct = (rate: number): number => (rate <= 1 ? 100 * rate : rate);
const rateFrac = (rate: number): number => (rate <= 1 ? rate : rate / 100);
const spanLabel = (m: number): string => (m === 1 ? 'i.i.d.' : String(m));
const inSpanTable = (r: SpansTableRow) => r.group === 'span' || r.group === 'both';
const inRateTable = (r: SpansTableRow) => r.group === 'rate' || r.group === 'both';

/** Rows of the mean-span table (Table 7's layout), by mean span. */
export function spanRows(summary: SpansSummary): SpansTableRow[] {
  return summary.table.filter(inSpanTable).sort((a, b) => a.meanSpan - b.meanSpan);
}

/** Rows of the corruption-rate table (Table 6's layout), by rate. */
export function rateRows(summary: SpansSummary): SpansTableRow[] {
  return summary.table.filter(inRateTable).sort((a, b) => a.rate - b.rate);
}

/** Settings in a stable order: the span table, then rate-only rows. */
function settingOrder(summary: SpansSummary): string[] {
  const out = spanRows(summary).map((r) => r.setting);
  for (const r of rateRows(summary)) if (!out.includes(r.setting)) out.push(r.setting);
  for (const r of summary.table) if (!out.includes(r.setting)) out.push(r.setting);
  return out;
}

/** The headline score of a cell: accuracy, or ROUGE-2 (T5 reports CNN/DM as ROUGE-2), else ROUGE-L/1. */
export function headline(cell: SpansTaskCell | undefined): { label: string; value: MeanStd } | null {
  if (!cell) return null;
  if (cell.metric === 'accuracy') return cell.accuracy ? { label: 'accuracy', value: cell.accuracy } : null;
  if (cell.rouge2) return { label: 'ROUGE-2', value: cell.rouge2 };
  if (cell.rougeL) return { label: 'ROUGE-L', value: cell.rougeL };
  if (cell.rouge1) return { label: 'ROUGE-1', value: cell.rouge1 };
  return null;
}

function taskMetricLabel(summary: SpansSummary, task: string): string {
  for (const r of summary.table) {
    const h = headline(r.tasks[task]);
    if (h) return h.label;
  }
  return 'score';
}

export function spansLossSpec(run: LoadedRun): TopLevelSpec {
  const summary = spansSummary(run);
  const order = settingOrder(summary);
  const points = seedCurves(run, 'loss', (seen) => [...order, ...seen.filter((v) => !order.includes(v))]);
  const seeds = seedCount(points);
  for (const p of points) if (!order.includes(p.variant)) order.push(p.variant);
  const domain = order.filter((v) => points.some((p) => p.variant === v));
  const color = {
    field: 'variant',
    type: 'nominal',
    title: 'Setting',
    scale: { domain, range: domain.map((_, i) => PALETTE[i % PALETTE.length]) },
    legend: { orient: 'right', labelLimit: 0, symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 },
  };
  const x = { field: 'tokens', type: 'quantitative', title: 'Pretraining tokens', axis: { format: '~s' } };
  const layers = seedBandLayers(x, 'Validation loss (nats per target token)', color, seeds);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Validation span-corruption loss during pretraining',
      subtitle: [
        seeds > 1 ? `mean over ${seeds} seeds; band: ±1 standard deviation across seeds` : 'one seed',
        "targets differ between settings, so compare each curve's shape, not levels across settings",
      ],
    },
    width: WIDTH,
    height: HEIGHT,
    data: { values: points },
    layer: layers,
  } as TopLevelSpec;
}

/** Target length, input length and tokens/s against mean span (the span table's rows). */
export function spansTargetLengthSpec(run: LoadedRun): TopLevelSpec {
  const summary = spansSummary(run);
  const rows = spanRows(summary);
  const lengths: Record<string, unknown>[] = [];
  const speed: Record<string, unknown>[] = [];
  for (const r of rows) {
    if (r.targetLength)
      lengths.push({ meanSpan: r.meanSpan, series: 'target (mean tokens)', value: r.targetLength.mean });
    if (r.inputLength)
      lengths.push({ meanSpan: r.meanSpan, series: 'input (mean tokens)', value: r.inputLength.mean });
    if (r.tokensPerSec) speed.push({ meanSpan: r.meanSpan, value: r.tokensPerSec.mean });
  }
  const spans = rows.map((r) => r.meanSpan);
  const x = {
    field: 'meanSpan',
    type: 'quantitative',
    title: 'Mean span length (1 = i.i.d.)',
    scale: { type: 'log', nice: false, padding: 12 },
    axis: { values: spans, labelExpr: "datum.value === 1 ? 'i.i.d.' : datum.label", grid: true },
  };
  const rate = rows.length > 0 ? `${ratePct(rows[0].rate)}%` : '';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Longer spans: shorter targets, faster pretraining',
      subtitle: `span-length settings at ${rate || 'a fixed'} corruption; means over seeds`,
    },
    hconcat: [
      {
        width: 300,
        height: 260,
        title: { text: 'Sequence lengths', fontSize: 12 },
        data: { values: lengths },
        mark: { type: 'line', point: { size: 40, filled: true }, strokeWidth: 2 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: 'Mean length (tokens)' },
          color: {
            field: 'series',
            type: 'nominal',
            title: null,
            scale: { domain: ['target (mean tokens)', 'input (mean tokens)'], range: ['#d62728', '#1f77b4'] },
            legend: { orient: 'bottom', labelLimit: 0 },
          },
        },
      },
      {
        width: 300,
        height: 260,
        title: { text: 'Pretraining throughput', fontSize: 12 },
        data: { values: speed },
        mark: { type: 'line', point: { size: 40, filled: true }, strokeWidth: 2, color: '#2ca02c' },
        encoding: {
          x,
          y: {
            field: 'value',
            type: 'quantitative',
            title: 'Tokens per second',
            scale: { zero: false },
            axis: { format: '~s' },
          },
        },
      },
    ],
  } as TopLevelSpec;
}

/** Task score against mean span and against corruption rate, ±1 std, one row of panels per task. */
export function spansScoresSpec(run: LoadedRun): TopLevelSpec {
  const summary = spansSummary(run);
  const spanPanel = 'mean span (i.i.d. = 1)';
  const ratePanel = 'corruption rate (%)';
  const values: Record<string, unknown>[] = [];
  for (const task of summary.tasks) {
    const taskLabel = `${task} (${taskMetricLabel(summary, task)}, %)`;
    const add = (panel: string, r: SpansTableRow, x: number) => {
      const h = headline(r.tasks[task]);
      if (!h) return;
      const m = 100 * h.value.mean;
      const s = 100 * (h.value.std || 0);
      values.push({ kind: 'point', taskLabel, panel, x, score: m, lo: m - s, hi: m + s, setting: r.setting });
    };
    for (const r of spanRows(summary)) add(spanPanel, r, r.meanSpan);
    for (const r of rateRows(summary)) add(ratePanel, r, ratePct(r.rate));
    const b = summary.baseline ? headline(summary.baseline.tasks[task]) : null;
    if (b) {
      for (const panel of [spanPanel, ratePanel])
        values.push({ kind: 'baseline', taskLabel, panel, score: 100 * b.value.mean });
    }
  }
  const x = { field: 'x', type: 'quantitative', title: null, scale: { zero: false, padding: 14 } };
  const y = { field: 'score', type: 'quantitative', title: 'Test score (%)', scale: { zero: false } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Fine-tuned test score vs mean span and vs corruption rate',
      subtitle: `points: mean over ${summary.seeds.length} seed${summary.seeds.length === 1 ? '' : 's'}; bars: ±1 std${
        summary.baseline ? '; dashed: no pretraining' : ''
      }`,
    },
    data: { values },
    facet: {
      row: {
        field: 'taskLabel',
        type: 'nominal',
        title: null,
        header: { labelAngle: 0, labelAlign: 'left', labelOrient: 'top', labelFontWeight: 'bold' },
      },
      column: {
        field: 'panel',
        type: 'nominal',
        title: null,
        sort: [spanPanel, ratePanel],
        header: { labelFontSize: 12 },
      },
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: {
      width: 260,
      height: 170,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'baseline'" }],
          mark: { type: 'rule', color: '#7f7f7f', strokeDash: [5, 4], strokeWidth: 1.5 },
          encoding: { y },
        },
        {
          transform: [{ filter: "datum.kind === 'point'" }],
          mark: { type: 'rule', color: '#1f77b4', strokeWidth: 2 },
          encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
        },
        {
          transform: [{ filter: "datum.kind === 'point'" }],
          mark: {
            type: 'line',
            color: '#1f77b4',
            strokeWidth: 1.2,
            opacity: 0.6,
            point: { filled: true, size: 60, color: '#1f77b4' },
          },
          encoding: { x, y, order: { field: 'x' } },
        },
      ],
    },
  } as TopLevelSpec;
}

/** Write the three figures to `outDir`; returns the files (svg and png for each). */
export async function spansFigures(runDir: string, outDir: string): Promise<string[]> {
  const run = loadRun(runDir);
  const specs: [string, TopLevelSpec][] = [
    ['spans-loss', spansLossSpec(run)],
    ['spans-target-length', spansTargetLengthSpec(run)],
    ['spans-scores', spansScoresSpec(run)],
  ];
  return renderCharts(specs, outDir);
}

// ---------------------------------------------------------------------------------------------
// Report

/**
 * Expected target length from the input length under T5's random_spans_noise_mask: raw length R,
 * noise d·R in d·R/m spans; input = R − d·R + d·R/m sentinels, target = d·R + d·R/m sentinels
 * (EOS left out of both), so target = input · d(1 + 1/m) / (1 − d + d/m).
 */
export function expectedTargetLength(inputLength: number, rate: number, meanSpan: number): number {
  const d = rateFrac(rate);
  return (inputLength * d * (1 + 1 / meanSpan)) / (1 - d + d / meanSpan);
}

type Counts = ClaimCounts;
const zero = zeroCounts;

/** Compare a against b on every task; `want` 'higher' | 'lower' | 'notLower' | 'equal'. */
function compareRows(
  summary: SpansSummary,
  a: SpansTableRow,
  b: SpansTableRow,
  want: 'higher' | 'lower' | 'notLower' | 'equal',
  counts: Counts,
): string {
  const parts: string[] = [];
  for (const task of summary.tasks) {
    const ha = headline(a.tasks[task]);
    const hb = headline(b.tasks[task]);
    if (!ha || !hb) continue;
    const n = Math.min(a.tasks[task].n, b.tasks[task].n, summary.seeds.length);
    const c = compareMeans(ha.value, hb.value, n);
    const d = `${fmtDiff(c.diff, 100)} points, noise ${(100 * c.noise).toFixed(1)}`;
    let v: string;
    if (c.verdict === 'one seed') {
      counts.unjudged++;
      v = 'one seed, not judged';
    } else if (c.verdict === 'within noise') {
      if (want === 'equal' || want === 'notLower') counts.agree++;
      else counts.noise++;
      v = 'within noise';
    } else {
      const ok = want === 'equal' ? false : want === 'notLower' ? c.verdict === 'higher' : c.verdict === want;
      if (ok) counts.agree++;
      else counts.against++;
      v =
        want === 'equal'
          ? `differs (${c.verdict})`
          : `${c.verdict}, ${ok ? 'as the paper found' : 'against the paper'}`;
    }
    parts.push(`${task} ${ha.label} ${d}: ${v}`);
  }
  return parts.length ? parts.join('; ') : 'no task scored for both';
}

function verdict(counts: Counts, mode: 'directional' | 'notWorse' | 'equal'): string {
  const total = counts.agree + counts.against + counts.noise + counts.unjudged;
  if (total === 0) return 'Not tested in this run (a row it needs is missing).';
  if (counts.unjudged === total) return 'Cannot be judged: one seed gives no spread to compare against.';
  let v: string;
  if (mode === 'equal')
    v = counts.against === 0 ? 'consistent with our numbers' : 'not supported by our numbers';
  else if (counts.against > 0 && counts.agree === 0 && (mode === 'notWorse' || counts.noise === 0))
    v = 'contradicted by our numbers';
  else if (counts.against > 0) v = 'mixed';
  else if (mode === 'notWorse') v = 'consistent: at or above, judged within noise';
  else if (counts.agree > 0) v = counts.noise === 0 ? 'supported' : 'partly supported';
  else v = 'not shown: every difference is within noise';
  const bits = [`${counts.agree} of ${total} comparisons agree`];
  if (counts.against > 0) bits.push(`${counts.against} disagree beyond noise`);
  if (counts.noise > 0) bits.push(`${counts.noise} within noise`);
  if (counts.unjudged > 0) bits.push(`${counts.unjudged} not judged (one seed)`);
  return `Verdict: ${v} (${bits.join(', ')}).`;
}

function monotone(values: number[], dir: 'down' | 'up'): boolean {
  for (let i = 1; i < values.length; i++) {
    if (dir === 'down' ? values[i] >= values[i - 1] : values[i] <= values[i - 1]) return false;
  }
  return values.length > 1;
}

const relChange = (a: number, b: number) =>
  `${b >= a ? '+' : '−'}${Math.abs((100 * (b - a)) / a).toFixed(0)}%`;

/** The "Honest reading": one bullet per T5 claim, judged by NOISE_RULE. */
export function spansHonestReading(summary: SpansSummary): string[] {
  const out: string[] = [];
  const spans = spanRows(summary);
  const iid = spans.find((r) => r.meanSpan === 1);
  const mid = spans.filter((r) => r.meanSpan > 1 && r.meanSpan <= 5);
  const long = spans.filter((r) => r.meanSpan >= 10);
  const span3 = spans.find((r) => r.meanSpan === 3);

  {
    const counts = zero();
    const det = iid
      ? mid.map((r) => `span ${r.meanSpan} minus i.i.d.: ${compareRows(summary, r, iid, 'notLower', counts)}`)
      : [];
    out.push(
      `**Mean spans of 2 to 5 do at least as well as i.i.d.** (T5 Table 7: +0.1 to +0.3 GLUE, +1.0 to +1.2 SQuAD; "within noise" counts as "at").${det.length ? ` ${det.join('. ')}.` : ''} ${verdict(counts, 'notWorse')}`,
    );
  }
  {
    const counts = zero();
    const det: string[] = [];
    for (const r of long) {
      if (iid) det.push(`span ${r.meanSpan} minus i.i.d.: ${compareRows(summary, r, iid, 'lower', counts)}`);
      if (span3)
        det.push(`span ${r.meanSpan} minus span 3: ${compareRows(summary, r, span3, 'lower', counts)}`);
    }
    out.push(
      `**Mean span 10 is slightly worse** (T5: −0.4 GLUE and −0.9 SuperGLUE against i.i.d., but not worse on CNN/DM or SQuAD, so the paper's own evidence is mixed).${det.length ? ` ${det.join('. ')}.` : ''} ${verdict(counts, 'directional')}`,
    );
  }
  {
    const withLen = spans.filter((r) => r.targetLength && r.inputLength);
    const withSpeed = spans.filter((r) => r.tokensPerSec);
    if (withLen.length < 2 && withSpeed.length < 2) {
      out.push(
        '**Longer spans give shorter targets and faster training**: Not tested in this run (fewer than two span settings with lengths).',
      );
    } else {
      const parts: string[] = [];
      if (withLen.length >= 2) {
        const t = withLen.map((r) => (r.targetLength as { mean: number }).mean);
        const first = withLen[0];
        const last = withLen[withLen.length - 1];
        const exp = withLen.map(
          (r) =>
            `${spanLabel(r.meanSpan)} ${(r.targetLength as { mean: number }).mean.toFixed(1)} (expected ${expectedTargetLength((r.inputLength as { mean: number }).mean, r.rate, r.meanSpan).toFixed(1)})`,
        );
        parts.push(
          `mean target length goes from ${t[0].toFixed(1)} tokens at ${spanLabel(first.meanSpan)} to ${t[t.length - 1].toFixed(1)} at span ${last.meanSpan} (${relChange(t[0], t[t.length - 1])}), ${
            monotone(t, 'down') ? 'falling at every step' : 'not falling at every step'
          }; measured vs expected from T5's noise-mask arithmetic: ${exp.join(', ')}`,
        );
      }
      if (withSpeed.length >= 2) {
        const s = withSpeed.map((r) => (r.tokensPerSec as { mean: number }).mean);
        parts.push(
          `pretraining throughput goes from ${fmtInt(s[0])} to ${fmtInt(s[s.length - 1])} tokens/s (${relChange(s[0], s[s.length - 1])}), ${
            monotone(s, 'up') ? 'rising at every step' : 'not rising at every step'
          }`,
        );
      }
      const t = withLen.map((r) => (r.targetLength as { mean: number }).mean);
      const s = withSpeed.map((r) => (r.tokensPerSec as { mean: number }).mean);
      const shorter = t.length >= 2 && t[t.length - 1] < t[0];
      const faster = s.length >= 2 && s[s.length - 1] > s[0];
      const v =
        shorter && faster
          ? 'supported'
          : shorter
            ? 'targets shrink as claimed; the speed-up is not visible'
            : faster
              ? 'faster, but targets do not shrink'
              : 'not supported';
      out.push(
        `**Longer spans give shorter targets and faster training** (T5 section 3.3.4). ${parts.join('; ')}. Only means are recorded for lengths and speed, so this is judged on the trend; tokens/s on a shared machine also moves with load. Verdict: ${v}.`,
      );
    }
  }
  {
    const rates = rateRows(summary);
    const at15 = rates.find((r) => Math.abs(ratePct(r.rate) - 15) < 1e-9);
    const counts = zero();
    const det: string[] = [];
    const eqCounts = zero();
    if (at15) {
      for (const r of rates) {
        if (r === at15) continue;
        const pct = ratePct(r.rate);
        if (pct >= 50) det.push(`${pct}% minus 15%: ${compareRows(summary, r, at15, 'lower', counts)}`);
        else
          det.push(
            `${pct}% minus 15% (expected about equal): ${compareRows(summary, r, at15, 'equal', eqCounts)}`,
          );
      }
    }
    out.push(
      `**Corruption rate: 10 to 25% about equal, 50% worse** (T5 Table 6: ${T5_TABLE6.map((r) => `${r.rate}% ${r.glue.toFixed(2)}`).join(', ')} GLUE; the 50% row is 2.0 below 15%).${det.length ? ` ${det.join('. ')}.` : ''} For 50%: ${verdict(counts, 'directional')} For 10 to 25%: ${verdict(eqCounts, 'equal')}`,
    );
  }
  if (summary.baseline) {
    const counts = zero();
    const det = summary.table.map(
      (r) => `${r.setting}: ${compareRows(summary, r, summary.baseline as SpansTableRow, 'higher', counts)}`,
    );
    out.push(
      `**Pretraining beats no pretraining**. Each setting minus no pretraining: ${det.join('. ')}. ${verdict(counts, 'directional')}`,
    );
  }
  return out;
}

function lengthCells(r: SpansTableRow): string[] {
  return [
    r.pretrainLoss ? fmtMeanStd(r.pretrainLoss, 1, 3) : '—',
    r.inputLength ? r.inputLength.mean.toFixed(1) : '—',
    r.targetLength ? r.targetLength.mean.toFixed(1) : '—',
    r.tokensPerSec ? fmtInt(r.tokensPerSec.mean) : '—',
  ];
}

function scoreCells(summary: SpansSummary, r: SpansTableRow): string[] {
  return summary.tasks.map((t) => {
    const h = headline(r.tasks[t]);
    return h ? fmtMeanStd(h.value, 100, 1) : 'n/a';
  });
}

/** Markdown for docs/experiments/spans.md. `figuresRelPath` is the figures folder relative to the report. */
export function spansReport(runDir: string, figuresRelPath: string): string {
  const run = loadRun(runDir);
  const summary = spansSummary(run);
  const cfg = run.config as Record<string, any>;
  const rel = figuresRelPath.replace(/\/+$/, '');
  const seeds = summary.seeds;
  const L: string[] = [];
  L.push('# Span corruption: mean span length and corruption rate');
  L.push('');
  L.push(
    `This report reproduces, at small scale, T5's study of the span-corruption objective (Raffel et al. 2020, Table 7: mean span length at 15% corruption; Table 6: corruption rate). Mean span 1 is i.i.d. corruption. It was generated from \`${run.dir.split('/').slice(-2).join('/')}\` alone.`,
  );
  L.push('');
  L.push(...runSection(run));
  L.push('## What was run');
  L.push('');
  const model = cfg.model as Record<string, unknown> | undefined;
  const pre = cfg.pretrain as Record<string, unknown> | undefined;
  L.push(
    `- Corpus: ${describeCorpus(cfg.corpus)}${cfg.tokenizer?.vocabSize ? `; tokenizer of ${fmtInt(cfg.tokenizer.vocabSize)} tokens` : ''}.`,
  );
  L.push(
    model
      ? `- Model: T5-style encoder-decoder, ${Object.entries(model)
          .filter(([, v]) => typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string')
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}.`
      : '- Model: not recorded in config.json.',
  );
  L.push(
    `- Pretraining: ${pre?.tokens !== undefined ? `${fmtInt(pre.tokens as number)} tokens per setting and seed` : pre?.steps !== undefined && pre?.batchSize !== undefined && pre?.inputLength !== undefined ? `${fmtInt(pre.steps as number)} steps of ${pre.batchSize} inputs of ${pre.inputLength} tokens (${fmtInt((pre.steps as number) * (pre.batchSize as number) * (pre.inputLength as number))} input tokens) per setting and seed` : 'budget not recorded'}${
      pre?.batchSize !== undefined ? `, batch ${pre.batchSize}` : ''
    }${pre?.lr !== undefined ? `, peak lr ${pre.lr}` : ''}; T5 pretrained on 2^35 ≈ 34B tokens for these tables.`,
  );
  L.push(
    `- Settings: ${listText([...settingOrder(summary), ...(summary.baseline ? [summary.baseline.setting] : [])].map((s) => `\`${s}\``))}.`,
  );
  L.push(
    `- Seeds: ${listText(seeds)} (${seeds.length}); tasks: ${listText(summary.tasks.map((t) => `\`${t}\` (${taskMetricLabel(summary, t)})`))}.`,
  );
  L.push('');
  L.push('## Figures');
  L.push('');
  L.push(`![Validation loss vs pretraining tokens per setting](${rel}/spans-loss.svg)`);
  L.push('');
  L.push(`![Target length and throughput vs mean span](${rel}/spans-target-length.svg)`);
  L.push('');
  L.push(`![Task scores vs mean span and corruption rate](${rel}/spans-scores.svg)`);
  L.push('');
  L.push('## Mean span length at 15% corruption (T5 Table 7 layout)');
  L.push('');
  L.push(
    `Scores in percent, mean ± sample standard deviation over ${seeds.length} seed${seeds.length === 1 ? '' : 's'} (accuracy, or ROUGE-2 for generation tasks as T5 reports CNN/DM). Lengths are mean tokens per example; loss is the final validation loss per target token.`,
  );
  L.push('');
  const taskHead = summary.tasks.map((t) => `${t} ${taskMetricLabel(summary, t)}`);
  L.push(
    mdRow([
      'span',
      'setting',
      'val loss',
      'input len',
      'target len',
      'tokens/s',
      ...taskHead,
      'T5 GLUE',
      'T5 CNNDM R-2',
      'T5 SQuAD EM',
      'T5 SGLUE',
    ]),
  );
  L.push(
    mdRow([
      '---',
      '---',
      '---:',
      '---:',
      '---:',
      '---:',
      ...summary.tasks.map(() => '---:'),
      '---:',
      '---:',
      '---:',
      '---:',
    ]),
  );
  for (const r of spanRows(summary)) {
    const p = T5_TABLE7.find((x) => x.meanSpan === r.meanSpan);
    L.push(
      mdRow([
        spanLabel(r.meanSpan),
        r.setting,
        ...lengthCells(r),
        ...scoreCells(summary, r),
        ...(p
          ? [p.glue.toFixed(2), p.cnndm.toFixed(2), p.squad.toFixed(2), p.sglue.toFixed(2)]
          : ['—', '—', '—', '—']),
      ]),
    );
  }
  if (summary.baseline) {
    L.push(
      mdRow([
        '—',
        summary.baseline.setting,
        ...lengthCells(summary.baseline),
        ...scoreCells(summary, summary.baseline),
        '—',
        '—',
        '—',
        '—',
      ]),
    );
  }
  L.push('');
  L.push(
    `T5's translation columns (EnDe, EnFr, EnRo) move by at most 0.6 BLEU across spans and are left out. T5's standard deviation of the baseline GLUE score is ${T5_GLUE_STD}, so most of its Table 7 gaps are one to two standard deviations.`,
  );
  L.push('');
  L.push('## Corruption rate at mean span 3 (T5 Table 6 layout)');
  L.push('');
  L.push(
    mdRow(['rate', 'setting', 'val loss', 'input len', 'target len', 'tokens/s', ...taskHead, 'T5 GLUE']),
  );
  L.push(mdRow(['---', '---', '---:', '---:', '---:', '---:', ...summary.tasks.map(() => '---:'), '---:']));
  for (const r of rateRows(summary)) {
    const p = T5_TABLE6.find((x) => Math.abs(x.rate - ratePct(r.rate)) < 1e-9);
    L.push(
      mdRow([
        `${ratePct(r.rate)}%`,
        r.setting,
        ...lengthCells(r),
        ...scoreCells(summary, r),
        p ? p.glue.toFixed(2) : '—',
      ]),
    );
  }
  L.push('');
  L.push(
    "T5's Table 6 varies the rate under i.i.d. corruption (its 15% row, 83.28, is Table 7's i.i.d. row); ours varies it at mean span 3, so compare the trend, not the rows one for one.",
  );
  L.push('');
  L.push('## Honest reading');
  L.push('');
  L.push(`Rule: ${NOISE_RULE} Each claim is judged on every task's headline score.`);
  L.push('');
  for (const s of spansHonestReading(summary)) L.push(`- ${s}`);
  L.push('');
  L.push(
    `At this scale the differences may well be within noise: T5's own gaps in Table 7 are a few tenths of a GLUE point on a model pretrained on about 34B tokens, and a small model on a small corpus with ${seeds.length} seed${seeds.length === 1 ? '' : 's'} cannot resolve gaps that size. A claim "not shown" here is not refuted; the length and speed trends, which follow from the noise-mask arithmetic, are the part that should reproduce at any scale.`,
  );
  L.push('');
  L.push('## Skipped tasks');
  L.push('');
  if (summary.skippedTasks.length === 0) L.push('None: every configured task ran.');
  else for (const s of summary.skippedTasks) L.push(`- ${s}`);
  L.push('');
  return L.join('\n');
}
