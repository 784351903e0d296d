/**
 * The NSP ablation's figures and report (Liu et al. 2019, RoBERTa Tables 1 and 2; ALBERT's
 * sentence-order prediction; at small scale), from one results run directory of experiments/nsp
 * alone: its summary.json in the ablation schema, config.json, run.json and metrics.jsonl.
 */
import type { TopLevelSpec } from 'vega-lite';
import { learningCurveSpec, lossCurveSpec } from '../ablation/charts.js';
import { verdictDetails } from '../ablation/claims.js';
import { type AblationRun, loadAblation } from '../ablation/summary.js';
import { pretrainTable, scoreTable } from '../ablation/tables.js';
import { runSection } from '../compare.js';
import { renderCharts } from '../render.js';
import { paperCell, paperTables } from './anchors.js';
import { judgeNsp, nspHonestReading } from './reading.js';
import { whatWasRun } from './setup.js';

export const NSP_FIGURES = ['nsp-mlm-loss', 'nsp-pair-loss', 'nsp-learning-curves'] as const;

const VARIANT_FIELDS = ['format', 'masking', 'pair'] as const;

export const nspMlmLossSpec = (r: AblationRun): TopLevelSpec =>
  lossCurveSpec(r.run, r.summary, 'mlm', {
    title: 'Validation MLM loss during pretraining',
    yTitle: 'Validation MLM loss (nats/token)',
  });

export const nspPairLossSpec = (r: AblationRun): TopLevelSpec =>
  lossCurveSpec(r.run, r.summary, 'pair', {
    title: 'Validation pair-task loss (NSP or SOP) during pretraining',
    yTitle: 'Validation pair loss (nats/pair)',
    reference: { y: Math.LN2, label: `chance: ln 2 = ${Math.LN2.toFixed(3)}` },
    emptyText: 'no variant of this run has a pair objective (NSP or SOP)',
  });

export const nspLearningCurvesSpec = (r: AblationRun): TopLevelSpec =>
  learningCurveSpec(r.summary, {
    title: 'Test score vs labelled training examples, by task and evaluation method',
    yTitle: `Test ${[...new Set(r.summary.tasks.map((t) => t.metric))].join(' / ') || 'score'} (%)`,
  });

/** Write the figures to `outDir`; returns the files (svg and png for each). */
export async function nspFigures(runDir: string, outDir: string): Promise<string[]> {
  const r = loadAblation(runDir);
  const specs: [string, TopLevelSpec][] = [
    ['nsp-mlm-loss', nspMlmLossSpec(r)],
    ['nsp-pair-loss', nspPairLossSpec(r)],
    ['nsp-learning-curves', nspLearningCurvesSpec(r)],
  ];
  return renderCharts(specs, outDir);
}

/** Markdown for docs/experiments/nsp.md; `figuresRelPath` is the figures folder relative to the report. */
export function nspReport(runDir: string, figuresRelPath: string): string {
  const { run, summary: s } = loadAblation(runDir);
  const cfg = run.config as Record<string, any>;
  const rel = figuresRelPath.replace(/\/+$/, '');
  const judged = judgeNsp(s);
  const seeds = s.seeds.length;
  const L: string[] = [
    '# NSP ablation: input format, next-sentence prediction, sentence order and masking',
    '',
    `This report reproduces, at small scale, RoBERTa's ablation of BERT's pretraining inputs (Liu et al. 2019, Tables 1 and 2) and ALBERT's sentence-order prediction: does next-sentence prediction (NSP) help, do single-sentence pairs hurt, does sentence-order prediction (SOP) beat NSP, and does dynamic masking match static masking? Every claim is tested cell by cell with a paired bootstrap over seeds and test examples. It was generated from \`${run.dir.split('/').slice(-2).join('/')}\` alone.`,
    '',
    ...runSection(run),
    ...whatWasRun(cfg, s),
    '## Figures',
    '',
    `![Validation MLM loss vs pretraining tokens](${rel}/nsp-mlm-loss.svg)`,
    '',
    `![Validation NSP/SOP loss vs pretraining tokens, with chance](${rel}/nsp-pair-loss.svg)`,
    '',
    `![Test score vs labelled training examples, per task and method](${rel}/nsp-learning-curves.svg)`,
    '',
    '## Pretraining',
    '',
    `Final validation losses in nats, ${seeds > 1 ? `mean ± sample standard deviation over ${seeds} seeds` : 'one seed'}; tokens, epochs and throughput are means over seeds.`,
    '',
    ...pretrainTable(s, { fields: VARIANT_FIELDS }),
    '',
    '## Results: ours beside RoBERTa',
    '',
    `Test ${listMetrics(s)} in percent, ${seeds > 1 ? `mean ± sample standard deviation over ${seeds} seeds` : 'one seed (no spread to show)'}, one table per task; a column per evaluation method and number of labelled training examples. The last column is the paper's row for the same input format (SQuAD 1.1/2.0 F1 · MNLI-m · SST-2 · RACE).`,
    '',
  ];
  const paper = {
    title: 'RoBERTa (SQuAD 1.1/2.0 · MNLI-m · SST-2 · RACE)',
    cell: (v: { fields: Record<string, unknown>; pretrained: boolean }) => paperCell(v.fields, v.pretrained),
  };
  for (const t of s.tasks) {
    L.push(`**${t.name}** (${t.classes ?? '?'} classes, ${t.testExamples} test examples, ${t.metric}):`, '');
    L.push(...scoreTable(s, { tasks: [t.name], losses: false, extraColumns: [paper] }), '');
  }
  if (s.tasks.length === 0) L.push('No task ran.', '');
  L.push(...paperTables(), '');
  L.push(
    "Our tasks are not the paper's: they are small classification tasks that run on a laptop, so compare the direction of differences between rows, not the numbers across tables.",
    '',
  );
  L.push('## Honest reading', '', ...nspHonestReading(s, judged, cfg));
  L.push(...verdictDetails(s, judged));
  L.push('## Skipped tasks', '');
  if (s.skippedTasks.length === 0) L.push('None: every configured task ran.');
  else for (const x of s.skippedTasks) L.push(`- ${x}`);
  L.push('');
  return L.join('\n');
}

const listMetrics = (s: AblationRun['summary']) =>
  [...new Set(s.tasks.map((t) => t.metric))].join(' / ') || 'scores';
