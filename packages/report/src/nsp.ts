/**
 * The NSP ablation's figures and report (Liu et al. 2019, RoBERTa Tables 1 and 2, at small
 * scale), from a results run directory of experiments/nsp alone.
 */

import type { TopLevelSpec } from 'vega-lite';
import { BASELINE_COLOR, HEIGHT, PALETTE, WIDTH } from './chart-style.js';
import {
  type Comparison,
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
import { fmtInt, fmtSig } from './format.js';
import { renderCharts } from './render.js';
import { type LoadedRun, loadRun } from './results.js';
import { type CurvePoint, seedBandLayers, seedCount, seedCurves } from './seed-curves.js';

/** The no-pretraining row's name, as experiments/nsp writes it. */
export const NSP_BASELINE = 'no pretraining';

export const NSP_FIGURES = ['nsp-mlm-loss', 'nsp-nsp-loss', 'nsp-finetune'] as const;

/** RoBERTa Table 2 (base models, medians of 5 seeds), from ANCHORS.md. */
export const ROBERTA_TABLE2 = [
  {
    format: 'segment-pair',
    name: 'SEGMENT-PAIR + NSP',
    squad11: 90.4,
    squad20: 78.7,
    mnli: 84.0,
    sst2: 92.9,
    race: 64.2,
  },
  {
    format: 'sentence-pair',
    name: 'SENTENCE-PAIR + NSP',
    squad11: 88.7,
    squad20: 76.2,
    mnli: 82.9,
    sst2: 92.1,
    race: 63.0,
  },
  {
    format: 'full-sentences',
    name: 'FULL-SENTENCES (no NSP)',
    squad11: 90.4,
    squad20: 79.1,
    mnli: 84.7,
    sst2: 92.5,
    race: 64.8,
  },
  {
    format: 'doc-sentences',
    name: 'DOC-SENTENCES (no NSP)',
    squad11: 90.6,
    squad20: 79.7,
    mnli: 84.7,
    sst2: 92.7,
    race: 65.6,
  },
] as const;

/** RoBERTa Table 1 (SQuAD 2.0 F1, MNLI-m, SST-2). */
export const ROBERTA_TABLE1 = {
  static: { squad20: 78.3, mnli: 84.3, sst2: 92.5 },
  dynamic: { squad20: 78.7, mnli: 84.0, sst2: 92.9 },
} as const;

/**
 * Tasks whose classes are far from balanced, so accuracy mostly measures the majority class and
 * macro-F1 is the headline (packages/tasks: Brown genres range from 6 to 80 documents; spam/ham
 * is not 50/50). A task not listed here is treated as unbalanced too when some row's macro-F1
 * falls more than UNBALANCED_GAP below its accuracy.
 */
export const UNBALANCED_TASKS: readonly string[] = ['brown-genre', 'spam'];
const UNBALANCED_GAP = 0.1;

export interface NspTaskCell {
  accuracy: MeanStd;
  macroF1: MeanStd;
  n: number;
}

export interface NspTableRow {
  variant: string;
  format: string | null;
  masking: string | null;
  nsp: boolean | null;
  pretrainMlmLoss: MeanStd | null;
  pretrainNspLoss: MeanStd | null;
  tasks: Record<string, NspTaskCell>;
}

export interface NspPretrainResult {
  variant: string;
  format: string;
  masking: string;
  seed: number;
  steps: number;
  tokens: number;
  finalMlmLoss: number;
  finalNspLoss: number | null;
  tokensPerSec: number;
}

export interface NspFinetuneResult {
  variant: string;
  seed: number;
  task: string;
  accuracy: number;
  macroF1: number;
  testExamples: number;
  trainLoss?: number;
}

/** summary.json of experiments/nsp (see `summarize` in experiments/nsp/run.ts). */
export interface NspSummary {
  tasks: string[];
  seeds: number[];
  table: NspTableRow[];
  pretrain: NspPretrainResult[];
  finetune: NspFinetuneResult[];
  skippedTasks: string[];
}

function nspSummary(run: LoadedRun): NspSummary {
  const s = run.summary as unknown as NspSummary | null;
  if (!s || !Array.isArray(s.table)) {
    throw new Error(`${run.dir}/summary.json has no NSP table: has the nsp run finished?`);
  }
  return s;
}

/** Variant names in the summary's order (baseline first when present), then any only in metrics. */
function variantOrder(summary: NspSummary, extra: readonly string[] = []): string[] {
  const names = summary.table.map((r) => r.variant);
  for (const v of extra) if (!names.includes(v)) names.push(v);
  return names;
}

/** One fixed colour per variant in every figure; the no-pretraining row is grey. */
function variantColors(order: readonly string[]): { domain: string[]; range: string[] } {
  let k = 0;
  return {
    domain: [...order],
    range: order.map((v) => (v === NSP_BASELINE ? BASELINE_COLOR : PALETTE[k++ % PALETTE.length])),
  };
}

/**
 * Validation curves of the pretraining phase for `field` ('mlm' or 'nsp'), averaged over seeds
 * at each evaluation step (tokens differ a little between seeds, so they are averaged too).
 */
export function nspValidationCurves(run: LoadedRun, field: 'mlm' | 'nsp'): CurvePoint[] {
  return seedCurves(run, field, (seen) => variantOrder(nspSummary(run), seen));
}

function curveSpec(
  run: LoadedRun,
  field: 'mlm' | 'nsp',
  title: string,
  yTitle: string,
  extraLayers: unknown[] = [],
): TopLevelSpec {
  const points = nspValidationCurves(run, field);
  const seeds = seedCount(points);
  const order = variantOrder(nspSummary(run)).filter((v) => points.some((p) => p.variant === v));
  const color = {
    field: 'variant',
    type: 'nominal',
    title: 'Variant',
    scale: variantColors(order),
    legend: {
      orient: 'right',
      labelLimit: 0,
      titleLimit: 0,
      symbolType: 'stroke',
      symbolStrokeWidth: 3,
      symbolOpacity: 1,
    },
  };
  const x = {
    field: 'tokens',
    type: 'quantitative',
    title: 'Pretraining tokens (real, non-padding)',
    axis: { format: '~s' },
  };
  const layers = seedBandLayers(x, yTitle, color, seeds);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: title,
      subtitle:
        seeds > 1
          ? `mean over ${seeds} seeds; band: ±1 standard deviation across seeds; fixed validation masks`
          : 'one seed; fixed validation masks',
    },
    width: WIDTH,
    height: HEIGHT,
    layer: [{ data: { values: points }, layer: layers }, ...extraLayers],
  } as TopLevelSpec;
}

export function nspMlmLossSpec(run: LoadedRun): TopLevelSpec {
  return curveSpec(run, 'mlm', 'Validation MLM loss during pretraining', 'Validation MLM loss (nats/token)');
}

export function nspNspLossSpec(run: LoadedRun): TopLevelSpec {
  const chance = [{ y: Math.LN2, label: `chance: ln 2 = ${Math.LN2.toFixed(3)}` }];
  return curveSpec(
    run,
    'nsp',
    'Validation NSP loss (variants with next-sentence prediction)',
    'Validation NSP loss (nats/pair)',
    [
      {
        data: { values: chance },
        mark: { type: 'rule', color: '#444444', strokeDash: [6, 4], strokeWidth: 1.5 },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: chance },
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
    ],
  );
}

/** Test accuracy per task and variant: mean ± 1 std over seeds, with each seed as a small dot. */
export function nspFinetuneSpec(run: LoadedRun): TopLevelSpec {
  const summary = nspSummary(run);
  const order = variantOrder(summary);
  const values: Record<string, unknown>[] = [];
  for (const row of summary.table) {
    for (const task of summary.tasks) {
      const cell = row.tasks[task];
      if (!cell) continue;
      const m = 100 * cell.accuracy.mean;
      const s = 100 * (cell.accuracy.std || 0);
      values.push({ kind: 'mean', task, variant: row.variant, acc: m, lo: m - s, hi: m + s });
    }
  }
  const seedRows = [...(summary.finetune ?? [])].sort(
    (a, b) =>
      order.indexOf(a.variant) - order.indexOf(b.variant) ||
      (a.task < b.task ? -1 : a.task > b.task ? 1 : 0) ||
      a.seed - b.seed,
  );
  for (const r of seedRows) {
    values.push({ kind: 'seed', task: r.task, variant: r.variant, acc: 100 * r.accuracy, seed: r.seed });
  }
  const y = { field: 'variant', type: 'nominal', title: null, sort: order, axis: { labelLimit: 0 } };
  const x = { field: 'acc', type: 'quantitative', title: 'Test accuracy (%)', scale: { zero: false } };
  const color = { field: 'variant', type: 'nominal', scale: variantColors(order), legend: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Fine-tuned test accuracy by pretraining variant',
      subtitle: `points: mean over ${summary.seeds.length} seed${summary.seeds.length === 1 ? '' : 's'}; bars: ±1 std; small dots: single seeds`,
    },
    data: { values },
    facet: { field: 'task', type: 'nominal', title: null, sort: summary.tasks },
    columns: Math.min(3, Math.max(1, summary.tasks.length)),
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 240,
      height: 26 * order.length,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'mean'" }],
          mark: { type: 'rule', strokeWidth: 2 },
          encoding: {
            y,
            x: { field: 'lo', type: 'quantitative', title: 'Test accuracy (%)' },
            x2: { field: 'hi' },
            color,
          },
        },
        {
          transform: [{ filter: "datum.kind === 'seed'" }],
          mark: { type: 'point', size: 18, opacity: 0.6, color: '#555555', shape: 'circle' },
          encoding: { y, x },
        },
        {
          transform: [{ filter: "datum.kind === 'mean'" }],
          mark: { type: 'point', filled: true, size: 70, opacity: 1 },
          encoding: { y, x, color },
        },
      ],
    },
  } as TopLevelSpec;
}

/** Write the three figures to `outDir`; returns the files (svg and png for each). */
export async function nspFigures(runDir: string, outDir: string): Promise<string[]> {
  const run = loadRun(runDir);
  const specs: [string, TopLevelSpec][] = [
    ['nsp-mlm-loss', nspMlmLossSpec(run)],
    ['nsp-nsp-loss', nspNspLossSpec(run)],
    ['nsp-finetune', nspFinetuneSpec(run)],
  ];
  return renderCharts(specs, outDir);
}

// ---------------------------------------------------------------------------------------------
// Report

type Metric = 'accuracy' | 'macroF1';
const METRIC_LABEL: Record<Metric, string> = { accuracy: 'accuracy', macroF1: 'macro-F1' };

/** The headline metric of each task: macro-F1 for unbalanced tasks, accuracy otherwise. */
export function nspHeadlineMetrics(summary: NspSummary): Record<string, Metric> {
  const out: Record<string, Metric> = {};
  for (const task of summary.tasks) {
    const gap = summary.table.some((r) => {
      const c = r.tasks[task];
      return c !== undefined && c.accuracy.mean - c.macroF1.mean > UNBALANCED_GAP;
    });
    out[task] = UNBALANCED_TASKS.includes(task) || gap ? 'macroF1' : 'accuracy';
  }
  return out;
}

const pct = (x: MeanStd | null | undefined) => fmtMeanStd(x, 100, 1);
const f1 = (x: number) => x.toFixed(1);

function findRow(summary: NspSummary, format: string, masking?: string): NspTableRow | undefined {
  const rows = summary.table.filter((r) => r.format === format);
  return rows.find((r) => r.masking === (masking ?? 'dynamic')) ?? (masking ? undefined : rows[0]);
}

function verdictText(c: Comparison, wantHigher: boolean | 'equal'): string {
  const d = `${fmtDiff(c.diff, 100)} points, noise ${(100 * c.noise).toFixed(1)}`;
  if (c.verdict === 'one seed') return `${d}: one seed, not judged`;
  if (c.verdict === 'within noise') return `${d}: within noise`;
  if (wantHigher === 'equal') return `${d}: differs (${c.verdict})`;
  const agrees = (c.verdict === 'higher') === wantHigher;
  return `${d}: ${c.verdict}, ${agrees ? 'as the paper found' : 'against the paper'}`;
}

interface ClaimResult {
  lines: string[];
  counts: { agree: number; against: number; noise: number; unjudged: number };
}

/** Compare variant a against b on every task's headline metric. */
function claimComparisons(
  summary: NspSummary,
  metrics: Record<string, Metric>,
  a: NspTableRow,
  b: NspTableRow,
  want: boolean | 'equal',
  counts: ClaimResult['counts'],
): string {
  const seeds = summary.seeds.length;
  const parts: string[] = [];
  for (const task of summary.tasks) {
    const ca = a.tasks[task];
    const cb = b.tasks[task];
    if (!ca || !cb) continue;
    const m = metrics[task];
    const c = compareMeans(ca[m], cb[m], Math.min(ca.n, cb.n, seeds));
    if (c.verdict === 'one seed') counts.unjudged++;
    else if (c.verdict === 'within noise') {
      if (want === 'equal') counts.agree++;
      else counts.noise++;
    } else if (want === 'equal') counts.against++;
    else if ((c.verdict === 'higher') === want) counts.agree++;
    else counts.against++;
    parts.push(`${task} ${METRIC_LABEL[m]} ${verdictText(c, want)}`);
  }
  return parts.length > 0 ? parts.join('; ') : 'no task scored for both';
}

/**
 * One verdict for a claim. 'directional': the claim predicts a difference (agree = beyond noise
 * in its direction). 'notWorse': the claim allows equal or better (within noise counts as
 * matching). 'equal': the claim predicts no difference.
 */
function overall(counts: ClaimResult['counts'], mode: 'directional' | 'notWorse' | 'equal'): string {
  const total = counts.agree + counts.against + counts.noise + counts.unjudged;
  if (total === 0) return 'Not tested in this run (a row it needs is missing).';
  if (counts.unjudged === total) return 'Cannot be judged: one seed gives no spread to compare against.';
  const bits: string[] = [];
  if (mode === 'equal') {
    bits.push(`${counts.agree} of ${total} comparisons within noise`);
    if (counts.against > 0) bits.push(`${counts.against} differ beyond noise`);
  } else {
    bits.push(`${counts.agree} of ${total} comparisons go the paper's way beyond noise`);
    if (counts.against > 0) bits.push(`${counts.against} go against it beyond noise`);
    if (counts.noise > 0) bits.push(`${counts.noise} are within noise`);
  }
  if (counts.unjudged > 0) bits.push(`${counts.unjudged} not judged (one seed)`);
  let verdict: string;
  if (mode === 'equal')
    verdict = counts.against === 0 ? 'consistent with our numbers' : 'not supported by our numbers';
  else if (counts.against > 0 && counts.agree === 0 && (mode === 'notWorse' || counts.noise === 0))
    verdict = 'contradicted by our numbers';
  else if (counts.against > 0) verdict = 'mixed';
  else if (mode === 'notWorse')
    verdict = counts.agree > 0 ? 'supported' : 'consistent: the rows match within noise, as "matches" allows';
  else if (counts.agree > 0) verdict = counts.noise === 0 ? 'supported' : 'partly supported';
  else verdict = 'not shown: every difference is within noise';
  return `Verdict: ${verdict} (${bits.join(', ')}).`;
}

const zero = zeroCounts;

/** The "Honest reading": one bullet per paper claim, judged by NOISE_RULE. */
export function nspHonestReading(summary: NspSummary): string[] {
  const metrics = nspHeadlineMetrics(summary);
  const out: string[] = [];
  const segment = findRow(summary, 'segment-pair');
  const sentence = findRow(summary, 'sentence-pair');
  // Without-NSP rows to set against SEGMENT-PAIR + NSP: dynamic masking as in Table 2, or any
  // masking when the run has no dynamic one.
  const allNoNsp = summary.table.filter((r) => r.format === 'full-sentences' || r.format === 'doc-sentences');
  const dynNoNsp = allNoNsp.filter((r) => r.masking === 'dynamic');
  const noNsp = dynNoNsp.length > 0 ? dynNoNsp : allNoNsp;
  const baseline = summary.table.find((r) => r.variant === NSP_BASELINE);
  const pretrained = summary.table.filter((r) => r.variant !== NSP_BASELINE);

  // 1. Single-sentence pairs hurt.
  {
    const counts = zero();
    let detail = '';
    if (segment && sentence)
      detail = ` ${sentence.variant} minus ${segment.variant}: ${claimComparisons(summary, metrics, sentence, segment, false, counts)}.`;
    out.push(
      `**Single-sentence pairs hurt** (RoBERTa: SENTENCE-PAIR is 0.8 to 2.5 points below SEGMENT-PAIR, both with NSP).${detail} ${overall(counts, 'directional')}`,
    );
  }
  // 2. Removing NSP matches or slightly improves: "worse" is the only outcome against it.
  {
    const counts = zero();
    const details: string[] = [];
    if (segment) {
      for (const r of noNsp) {
        details.push(
          `${r.variant} minus ${segment.variant}: ${claimComparisons(summary, metrics, r, segment, true, counts)}`,
        );
      }
    }
    out.push(
      `**Removing NSP matches or slightly improves** (RoBERTa: FULL-/DOC-SENTENCES without NSP are −0.4 to +1.4 points from SEGMENT-PAIR + NSP, mostly above; here "within noise" counts as matching).${
        details.length ? ` ${details.join('. ')}.` : ''
      } ${overall(counts, 'notWorse')}`,
    );
  }
  // 3. Dynamic masking about equals static.
  {
    const counts = zero();
    let detail = '';
    let identical = false;
    const formats = [...new Set(summary.table.map((r) => r.format).filter((f): f is string => !!f))];
    for (const f of formats) {
      const dyn = findRow(summary, f, 'dynamic');
      const stat = findRow(summary, f, 'static');
      if (dyn && stat) {
        detail += ` ${dyn.variant} minus ${stat.variant}: ${claimComparisons(summary, metrics, dyn, stat, 'equal', counts)}.`;
        identical ||=
          JSON.stringify(dyn.tasks) === JSON.stringify(stat.tasks) &&
          JSON.stringify(dyn.pretrainMlmLoss) === JSON.stringify(stat.pretrainMlmLoss);
      }
    }
    // Static masking's k copies and dynamic masking draw the same mask the first time a sequence
    // is seen (objectives/mlm.ts), so they can only differ once training passes over the data
    // more than once. Identical rows mean that never happened: the comparison is empty, not a result.
    const verdict = identical
      ? 'Verdict: not tested: the two rows are identical because the budget is under one pass over the data, so every sequence was masked exactly once under both schemes (they differ only from the second pass on). Testing this needs a budget of several epochs.'
      : overall(counts, 'equal');
    out.push(
      `**Dynamic masking is about equal to static** (RoBERTa Table 1: within 0.4 points either way).${detail} ${verdict}`,
    );
  }
  // 4. Pretraining beats no pretraining.
  {
    const counts = zero();
    const details: string[] = [];
    if (baseline) {
      for (const r of pretrained) {
        details.push(`${r.variant}: ${claimComparisons(summary, metrics, r, baseline, true, counts)}`);
      }
    }
    out.push(
      `**Pretraining beats no pretraining** (implicit in every row of the paper).${details.length ? ` Each variant minus ${NSP_BASELINE}: ${details.join('. ')}.` : ''} ${overall(counts, 'directional')}`,
    );
  }
  // The NSP head itself: did it learn anything beyond chance?
  const nspRows = summary.table.filter((r) => r.pretrainNspLoss);
  if (nspRows.length > 0) {
    const parts = nspRows.map((r) => {
      const l = r.pretrainNspLoss as MeanStd;
      const below = l.mean + l.std < Math.LN2;
      return `${r.variant} ends at ${l.mean.toFixed(3)} ± ${l.std.toFixed(3)} (${below ? 'below chance: the NSP head learned something' : 'not clearly below chance: the NSP head learned little'})`;
    });
    out.push(
      `**The NSP task itself**: chance is ln 2 = 0.693 nats per pair; D2L's small BERT reports 0.74 to 0.76 after 50 steps. ${parts.join('; ')}. If NSP stays at chance, its loss adds gradient noise without a signal, which is one small-scale reason removing it can help.`,
    );
  }
  return out;
}

/** Non-embedding weights of the encoder (attention 4·d², feed-forward 2·d·d_ff per layer). */
function encoderWeights(model: Record<string, number> | undefined): number | null {
  if (!model?.numLayers || !model.dModel) return null;
  const dFF = model.dFF ?? 4 * model.dModel;
  return model.numLayers * (4 * model.dModel * model.dModel + 2 * model.dModel * dFF);
}

/** Markdown for docs/experiments/nsp.md. `figuresRelPath` is the figures folder relative to the report. */
export function nspReport(runDir: string, figuresRelPath: string): string {
  const run = loadRun(runDir);
  const summary = nspSummary(run);
  const cfg = run.config as Record<string, any>;
  const rel = figuresRelPath.replace(/\/+$/, '');
  const metrics = nspHeadlineMetrics(summary);
  const seeds = summary.seeds;
  const L: string[] = [];
  L.push('# NSP ablation: input format, next-sentence prediction and masking');
  L.push('');
  L.push(
    `This report reproduces, at small scale, RoBERTa's ablation of BERT's pretraining inputs (Liu et al. 2019, Tables 1 and 2): does next-sentence prediction (NSP) help, do single-sentence pairs hurt, and does dynamic masking match static masking? It was generated from \`${run.dir.split('/').slice(-2).join('/')}\` alone.`,
  );
  L.push('');
  L.push(...runSection(run));
  L.push('## What was run');
  L.push('');
  const m = cfg.model as Record<string, number> | undefined;
  const weights = encoderWeights(m);
  const pre = cfg.pretrain as Record<string, number> | undefined;
  const ft = cfg.finetune as Record<string, unknown> | undefined;
  const actualTokens = summary.pretrain.map((p) => p.tokens);
  const tps = summary.pretrain.map((p) => p.tokensPerSec).filter((x) => Number.isFinite(x));
  L.push(
    `- Corpus: ${describeCorpus(cfg.corpus)}, documents split with seed ${cfg.splitSeed ?? 'n/a'}; WordPiece tokenizer of ${fmtInt(cfg.tokenizer?.vocabSize)} tokens${cfg.tokenizer?.lowercase ? ', lowercased' : ''}, trained on the training documents.`,
  );
  L.push(
    m
      ? `- Model: BERT encoder, ${m.numLayers} layers, d_model ${m.dModel}, ${m.numHeads} heads, d_ff ${m.dFF}, sequence length ${m.maxLen}${weights ? ` (${fmtInt(weights)} weights outside embeddings; RoBERTa-base has about 85M)` : ''}.`
      : '- Model: not recorded in config.json.',
  );
  L.push(
    `- Pretraining budget: ${pre?.tokens !== undefined ? fmtInt(pre.tokens) : 'n/a'} real (non-padding) tokens per variant and seed, the same for every format${
      actualTokens.length
        ? ` (actually ${fmtInt(Math.min(...actualTokens))} to ${fmtInt(Math.max(...actualTokens))})`
        : ''
    }, batch ${pre?.batchSize ?? 'n/a'}, peak lr ${pre?.lr ?? 'n/a'}; static masking keeps ${pre?.staticCopies ?? 'n/a'} fixed masks per sequence as RoBERTa did${
      tps.length ? `; ${fmtInt(Math.min(...tps))} to ${fmtInt(Math.max(...tps))} tokens/s` : ''
    }. RoBERTa's base ablation trained on about 1M steps × 256 × 512 tokens.`,
  );
  L.push(
    `- Fine-tuning: ${ft?.steps ?? 'n/a'} steps per task, batch ${ft?.batchSize ?? 'n/a'}, lr ${ft?.lr ?? 'n/a'}, at most ${ft?.maxTrainExamples ?? 'n/a'} training and ${ft?.maxTestExamples ?? 'n/a'} test examples; a classifier on the [CLS] vector.`,
  );
  L.push(
    `- Seeds: ${listText(seeds)} (${seeds.length}); tasks: ${listText(summary.tasks.map((t) => `\`${t}\``))}.`,
  );
  L.push(
    `- Variants: ${listText(summary.table.map((r) => (r.variant === NSP_BASELINE ? `${r.variant} (random initialisation, fine-tuned the same way)` : `${r.variant} (${r.format}, ${r.masking} masking${r.nsp ? ', NSP' : ''})`)))}.`,
  );
  L.push('');
  L.push('## Figures');
  L.push('');
  L.push(`![Validation MLM loss vs pretraining tokens](${rel}/nsp-mlm-loss.svg)`);
  L.push('');
  L.push(`![Validation NSP loss vs pretraining tokens, with chance](${rel}/nsp-nsp-loss.svg)`);
  L.push('');
  L.push(`![Fine-tuned test accuracy per task and variant](${rel}/nsp-finetune.svg)`);
  L.push('');
  L.push('## Results: ours in the layout of RoBERTa Table 2');
  L.push('');
  L.push(
    `Test scores in percent, mean ± sample standard deviation over ${seeds.length} seed${seeds.length === 1 ? '' : 's'}. Macro-F1 is given beside accuracy for tasks with unbalanced classes (${listText(summary.tasks.filter((t) => metrics[t] === 'macroF1').map((t) => `\`${t}\``)) || 'none here'}), and is their headline metric below. Pretraining losses are the final validation losses (nats).`,
  );
  L.push('');
  const head = ['variant', 'format', 'masking', 'NSP', 'val MLM loss', 'val NSP loss'];
  const align = ['---', '---', '---', '---', '---:', '---:'];
  for (const t of summary.tasks) {
    head.push(`${t} acc`);
    align.push('---:');
    if (metrics[t] === 'macroF1') {
      head.push(`${t} macro-F1`);
      align.push('---:');
    }
  }
  head.push('RoBERTa (SQuAD 1.1/2.0 · MNLI-m · SST-2 · RACE)');
  align.push('---');
  L.push(mdRow(head));
  L.push(mdRow(align));
  for (const r of summary.table) {
    const cells = [
      r.variant,
      r.format ?? '—',
      r.masking ?? '—',
      r.nsp === null ? '—' : r.nsp ? 'yes' : 'no',
      r.pretrainMlmLoss ? fmtMeanStd(r.pretrainMlmLoss, 1, 3) : '—',
      r.pretrainNspLoss ? fmtMeanStd(r.pretrainNspLoss, 1, 3) : '—',
    ];
    for (const t of summary.tasks) {
      const c = r.tasks[t];
      cells.push(c ? pct(c.accuracy) : 'n/a');
      if (metrics[t] === 'macroF1') cells.push(c ? pct(c.macroF1) : 'n/a');
    }
    const paper = ROBERTA_TABLE2.find((p) => p.format === r.format);
    if (r.variant === NSP_BASELINE) cells.push('not reported');
    else if (r.masking === 'static') {
      const s = ROBERTA_TABLE1.static;
      cells.push(`Table 1 static masking: — / ${f1(s.squad20)} · ${f1(s.mnli)} · ${f1(s.sst2)} · —`);
    } else if (paper)
      cells.push(
        `${f1(paper.squad11)}/${f1(paper.squad20)} · ${f1(paper.mnli)} · ${f1(paper.sst2)} · ${f1(paper.race)}`,
      );
    else cells.push('—');
    L.push(mdRow(cells));
  }
  L.push('');
  L.push("The paper's numbers, for reference (base models, medians of 5 seeds; SQuAD is F1):");
  L.push('');
  L.push(mdRow(['RoBERTa Table 2 input format', 'SQuAD 1.1/2.0', 'MNLI-m', 'SST-2', 'RACE']));
  L.push(mdRow(['---', '---:', '---:', '---:', '---:']));
  for (const p of ROBERTA_TABLE2)
    L.push(mdRow([p.name, `${f1(p.squad11)}/${f1(p.squad20)}`, f1(p.mnli), f1(p.sst2), f1(p.race)]));
  L.push('');
  L.push(mdRow(['RoBERTa Table 1 masking', 'SQuAD 2.0', 'MNLI-m', 'SST-2']));
  L.push(mdRow(['---', '---:', '---:', '---:']));
  for (const k of ['static', 'dynamic'] as const) {
    const t = ROBERTA_TABLE1[k];
    L.push(mdRow([k, f1(t.squad20), f1(t.mnli), f1(t.sst2)]));
  }
  L.push('');
  L.push(
    "Our tasks are not the paper's: they are small classification tasks that run on a laptop, so compare the direction of differences between rows, not the numbers across tables.",
  );
  L.push('');
  L.push('## Honest reading');
  L.push('');
  L.push(
    `Rule: ${NOISE_RULE} Each claim is judged on every task's headline metric (macro-F1 for unbalanced tasks, accuracy otherwise).`,
  );
  L.push('');
  for (const s of nspHonestReading(summary)) L.push(`- ${s}`);
  L.push('');
  const noises: number[] = [];
  for (const r of summary.table)
    for (const t of summary.tasks) {
      const c = r.tasks[t];
      if (c) noises.push(100 * c[metrics[t]].std);
    }
  noises.sort((a, b) => a - b);
  const medianStd = noises.length ? noises[Math.floor(noises.length / 2)] : Number.NaN;
  L.push(
    `At this scale the differences may well be within noise: the encoders are ${weights ? `${fmtSig(85e6 / weights, 2)}x smaller than RoBERTa-base` : 'far smaller than RoBERTa-base'} and see a tiny fraction of its data, and the paper's gaps between rows are 0 to 2.5 points${
      Number.isFinite(medianStd) && seeds.length > 1
        ? `, while the median seed standard deviation of our scores is ${medianStd.toFixed(1)} points`
        : ''
    }. A claim "not shown" here is not refuted; it needs more seeds, more pretraining, or tasks that depend on cross-sentence reasoning (as SQuAD, MNLI and RACE do) to be tested.`,
  );
  L.push('');
  L.push('## Skipped tasks');
  L.push('');
  if (summary.skippedTasks.length === 0) L.push('None: every configured task ran.');
  else for (const s of summary.skippedTasks) L.push(`- ${s}`);
  L.push('');
  return L.join('\n');
}
