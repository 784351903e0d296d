/**
 * The span-corruption study's figures and report (Raffel et al. 2020, T5 Tables 6 and 7, at
 * small scale), from one results run directory of experiments/spans alone: its summary.json in
 * the ablation schema, config.json, run.json and metrics.jsonl.
 */
import type { AblationSummary, VariantInfo } from '@pretrain-lab/experiment/schema';
import type { TopLevelSpec } from 'vega-lite';
import { loadAblation } from '../ablation/summary.js';
import { type ExtraColumn, pretrainTable, scoreTable } from '../ablation/tables.js';
import { listText, runSection } from '../compare.js';
import { renderCharts } from '../render.js';
import { paperTables, T5_COLUMNS, table6Cell, table7Cell } from './anchors.js';
import { spansLossSpec, spansScoresSpec, spansTargetLengthSpec } from './charts.js';
import { sweepAxes, sweepRows } from './claims.js';
import { judgeSpans, spansHonestReading } from './reading.js';
import { metricLabel, whatWasRun } from './setup.js';

export { SPANS_FIGURES } from './charts.js';

/** Write the figures to `outDir`; returns the files (svg and png for each). */
export async function spansFigures(runDir: string, outDir: string): Promise<string[]> {
  const r = loadAblation(runDir);
  const specs: [string, TopLevelSpec][] = [
    ['spans-loss', spansLossSpec(r)],
    ['spans-scores', spansScoresSpec(r)],
    ['spans-target-length', spansTargetLengthSpec(r)],
  ];
  return renderCharts(specs, outDir);
}

const pct = (rate: number) => `${Math.round(100 * rate)}%`;
const num = (v: VariantInfo, k: string) =>
  typeof v.fields[k] === 'number' ? (v.fields[k] as number) : undefined;
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : null);

/** Mean over seeds of a pretraining record's extra number, as text ('—' when absent). */
const extraCell =
  (s: AblationSummary, key: string, digits: number): ExtraColumn['cell'] =>
  (v) => {
    const m = mean(
      s.pretrain
        .filter((p) => p.variant === v.name)
        .map((p) => p.extra[key])
        .filter((x): x is number => typeof x === 'number'),
    );
    return m === null ? '—' : m.toFixed(digits);
  };

/** The baseline first, then the sweep's rows in T5's order. */
const rowsOf = (s: AblationSummary, sweep: 'span' | 'rate') => [
  ...(s.baseline ? [s.baseline] : []),
  ...sweepRows(s)
    .filter((r) => r.sweep === sweep)
    .map((r) => r.variant),
];

/** Every row: the baseline, the two sweeps, then any other row of the run. */
const allRows = (s: AblationSummary) => [
  ...new Set([...rowsOf(s, 'span'), ...rowsOf(s, 'rate'), ...s.variants.map((v) => v.name)]),
];

/** Markdown for docs/experiments/spans.md; `figuresRelPath` is the figures folder relative to the report. */
export function spansReport(runDir: string, figuresRelPath: string): string {
  const { run, summary: s } = loadAblation(runDir);
  const cfg = run.config as Record<string, any>;
  const rel = figuresRelPath.replace(/\/+$/, '');
  const judged = judgeSpans(s);
  const seeds = s.seeds.length;
  const { spanRate, rateSpan } = sweepAxes(s);
  const spread =
    seeds > 1 ? `mean ± sample standard deviation over ${seeds} seeds` : 'one seed (no spread to show)';
  const headline = listText(s.tasks.map((t) => `${t.name} ${metricLabel(t.metric)}`));
  const L: string[] = [
    '# Span corruption: mean span length and corruption rate',
    '',
    `This report reproduces, at small scale, T5's study of the span-corruption objective (Raffel et al. 2020, Table 7: mean span length at 15% corruption; Table 6: corruption rate). Mean span 1 is i.i.d. corruption. Every claim is tested cell by cell with a paired bootstrap over seeds and test examples, separately on generation and classification tasks. It was generated from \`${run.dir.split('/').slice(-2).join('/')}\` alone.`,
    '',
    ...runSection(run),
    ...whatWasRun(cfg, s),
    '## Figures',
    '',
    `![Validation span-corruption loss vs pretraining tokens, per setting](${rel}/spans-loss.svg)`,
    '',
    `![Test score per setting and task, with no pretraining as a rule](${rel}/spans-scores.svg)`,
    '',
    `![Mean target length and throughput per setting](${rel}/spans-target-length.svg)`,
    '',
    '## Pretraining',
    '',
    `Final validation loss in nats per target token, ${spread}; tokens, epochs and throughput are means over seeds. Raw tokens are those cut from the corpus for one ${cfg.pretrain?.inputLength ?? ''}-token input; the target is the corrupted spans, a sentinel before each, and an end token.`,
    '',
    ...pretrainTable(s, {
      variants: allRows(s),
      extraColumns: [
        { title: 'raw tokens', align: 'right', cell: extraCell(s, 'rawTokensPerExample', 0) },
        { title: 'target tokens', align: 'right', cell: extraCell(s, 'targetLength', 1) },
      ],
    }),
    '',
    `## Mean span length at ${pct(spanRate)} corruption (T5 Table 7)`,
    '',
    `Test scores in percent (${headline}), ${spread}; a column per task and labelled training-set size. The last column is T5's row for the same mean span (${T5_COLUMNS.join(' · ')}).`,
    '',
    ...scoreTable(s, {
      variants: rowsOf(s, 'span'),
      losses: false,
      extraColumns: [
        {
          title: 'T5 Table 7',
          cell: (v) =>
            table7Cell({ pretrained: v.pretrained, meanSpan: num(v, 'meanSpan'), rate: num(v, 'rate') }),
        },
      ],
    }),
    '',
    `## Corruption rate at mean span ${rateSpan} (T5 Table 6)`,
    '',
    `As above; the last column is T5's GLUE score at the same rate. T5 varied the rate under i.i.d. corruption, ours at mean span ${rateSpan}, so compare the trend, not the rows one for one.`,
    '',
    ...scoreTable(s, {
      variants: rowsOf(s, 'rate'),
      losses: false,
      extraColumns: [
        {
          title: 'T5 Table 6 GLUE',
          align: 'right',
          cell: (v) => table6Cell({ pretrained: v.pretrained, rate: num(v, 'rate') }),
        },
      ],
    }),
    '',
    '## Second scores (reported, not judged)',
    '',
  ];
  for (const t of s.tasks) {
    // Every metric besides the headline that some row of this task records, in first-seen order.
    const metrics = [
      ...new Set(
        s.results
          .filter((r) => r.task === t.name)
          .flatMap((r) => Object.keys(r.scores).filter((k) => k !== t.metric)),
      ),
    ];
    for (const metric of metrics) {
      L.push(
        `**${t.name}**, ${metricLabel(metric)} in percent${metric === 'rougeL' && t.metric === 'exactMatch' ? ' over cased tokens, so case and punctuation count' : ''}:`,
        '',
      );
      L.push(...scoreTable(s, { tasks: [t.name], metric, losses: false, variants: allRows(s) }), '');
    }
  }
  L.push(...paperTables(), '');
  L.push(
    "Our tasks are not the paper's: they are small tasks that run on a laptop, so compare the direction of differences between rows, not the numbers across tables.",
    '',
  );
  L.push('## Honest reading', '', ...spansHonestReading(s, judged, cfg));
  L.push('## Skipped tasks', '');
  if (s.skippedTasks.length === 0) L.push('None: every configured task ran.');
  else for (const x of s.skippedTasks) L.push(`- ${x}`);
  L.push('');
  return L.join('\n');
}
