/**
 * Markdown tables of an ablation run: scores per variant (rows) and grid cell (columns: task,
 * method, training-set size) as mean ± sample standard deviation over seeds in percent, and the
 * pretraining records (final validation losses, tokens, epochs) per variant.
 */
import type { AblationSummary, VariantInfo } from '@pretrain-lab/experiment/schema';
import { mdRow } from '../compare.js';
import { fmtInt } from '../format.js';
import {
  type Cell,
  cellLabel,
  cellStat,
  evalLabel,
  fmtStat,
  gridCells,
  lossNames,
  lossStat,
} from './summary.js';

/** A table cell's text must not end the cell early. */
const esc = (s: string) => s.replace(/\|/g, '\\|');

/** "val mlm loss"; a loss named 'val' is just "val loss". */
const lossHeader = (l: string) => (l === 'val' ? 'val loss' : `val ${l} loss`);

/** A column the caller adds to every row (e.g. the paper's numbers beside ours). */
export interface ExtraColumn {
  title: string;
  align?: 'left' | 'right';
  cell: (variant: VariantInfo) => string;
}

export interface ScoreTableOptions {
  /** Tasks to show (default: all, in summary order). */
  tasks?: readonly string[];
  /** Rows to show, in this order (default: every variant, in summary order); absent names are left out. */
  variants?: readonly string[];
  /** A metric of EvalRecord.scores (e.g. 'macroF1'); default the headline `score`. */
  metric?: string;
  /** Final pretraining losses to show: true (default) for all, false for none, or their names. */
  losses?: boolean | readonly string[];
  /** VariantInfo.fields to show after the name (e.g. format, masking). */
  fields?: readonly string[];
  extraColumns?: readonly ExtraColumn[];
  /** Only the cells of these evaluation methods (default: every one). */
  methods?: readonly string[];
  /** Leave out the cells no row was evaluated on (a task that takes only some evaluations). */
  onlyEvaluated?: boolean;
}

const fieldText = (v: VariantInfo, k: string) => {
  const x = v.fields[k];
  return x === undefined || x === null || x === '' ? '—' : String(x);
};

/** Losses to show under `opt`: every one the records have, none, or those named that exist. */
function pickLosses(s: AblationSummary, opt: ScoreTableOptions['losses']): string[] {
  const all = lossNames(s);
  if (opt === false) return [];
  if (opt === true || opt === undefined) return all;
  return opt.filter((l) => all.includes(l));
}

/** The variants named, in that order, or every one. */
const pickVariants = (s: AblationSummary, names?: readonly string[]): VariantInfo[] =>
  names ? names.flatMap((n) => s.variants.filter((v) => v.name === n)) : s.variants;

/**
 * Scores in percent, mean ± sample std over seeds (1 decimal); a cell with fewer seeds than the
 * run's says how many it has. Final losses are nats, 3 decimals; '—' for the no-pretraining row.
 */
export function scoreTable(s: AblationSummary, opts: ScoreTableOptions = {}): string[] {
  const cells: Cell[] = gridCells(s, opts.tasks).filter(
    (c) =>
      (!opts.methods || opts.methods.includes(c.method)) &&
      (!opts.onlyEvaluated ||
        s.results.some(
          (r) => r.task === c.task && r.method === c.method && r.trainExamples === c.trainExamples,
        )),
  );
  const oneTask = new Set(cells.map((c) => c.task)).size === 1;
  const losses = pickLosses(s, opts.losses);
  const fields = opts.fields ?? [];
  const extra = opts.extraColumns ?? [];
  const head = [
    'variant',
    ...fields,
    ...losses.map((l) => lossHeader(l)),
    ...cells.map((c) => (oneTask ? evalLabel(c) : cellLabel(c))),
    ...extra.map((e) => e.title),
  ];
  const align = [
    '---',
    ...fields.map(() => '---'),
    ...losses.map(() => '---:'),
    ...cells.map(() => '---:'),
    ...extra.map((e) => (e.align === 'right' ? '---:' : '---')),
  ];
  const lines = [mdRow(head), mdRow(align)];
  const seeds = s.seeds.length;
  for (const v of pickVariants(s, opts.variants)) {
    const row = [esc(v.name), ...fields.map((k) => esc(fieldText(v, k)))];
    for (const l of losses)
      row.push(v.pretrained ? fmtStat(lossStat(s, v.name, l), 1, 3).replace('n/a', '—') : '—');
    for (const c of cells) {
      const st = cellStat(s, v.name, c, opts.metric);
      row.push(!st ? 'not run' : st.n < seeds ? `${fmtStat(st)} (${st.n} of ${seeds} seeds)` : fmtStat(st));
    }
    for (const e of extra) row.push(e.cell(v));
    lines.push(mdRow(row));
  }
  return lines;
}

/** "3 completed" or "2 completed, 1 diverged". */
function statusText(statuses: string[]): string {
  const counts = new Map<string, number>();
  for (const x of statuses) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}

const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

/**
 * One row per pretrained variant: seeds and their status, mean tokens and epochs, each final
 * validation loss (mean ± sample std over seeds, nats) and mean throughput.
 */
export function pretrainTable(
  s: AblationSummary,
  opts: {
    fields?: readonly string[];
    variants?: readonly string[];
    extraColumns?: readonly ExtraColumn[];
    /** Only these final losses, in this order, where the run has them (default: every one). */
    losses?: readonly string[];
  } = {},
): string[] {
  const losses = opts.losses ? opts.losses.filter((l) => lossNames(s).includes(l)) : lossNames(s);
  const fields = opts.fields ?? [];
  const extra = opts.extraColumns ?? [];
  const lines = [
    mdRow([
      'variant',
      ...fields,
      'seeds',
      'tokens',
      'epochs',
      ...losses.map((l) => lossHeader(l)),
      'tokens/s',
      ...extra.map((e) => e.title),
    ]),
    mdRow([
      '---',
      ...fields.map(() => '---'),
      '---',
      '---:',
      '---:',
      ...losses.map(() => '---:'),
      '---:',
      ...extra.map((e) => (e.align === 'right' ? '---:' : '---')),
    ]),
  ];
  for (const v of pickVariants(s, opts.variants).filter((x) => x.pretrained)) {
    const recs = s.pretrain.filter((p) => p.variant === v.name);
    const row = [esc(v.name), ...fields.map((k) => esc(fieldText(v, k)))];
    if (recs.length === 0) {
      lines.push(mdRow([...row, 'not run', ...Array(3 + losses.length + extra.length).fill('—')]));
      continue;
    }
    row.push(
      statusText(recs.map((p) => p.status)),
      fmtInt(mean(recs.map((p) => p.tokens))),
      mean(recs.map((p) => p.epochs)).toFixed(2),
      ...losses.map((l) => fmtStat(lossStat(s, v.name, l), 1, 3).replace('n/a', '—')),
      fmtInt(mean(recs.map((p) => p.tokensPerSec))),
      ...extra.map((e) => e.cell(v)),
    );
    lines.push(mdRow(row));
  }
  return lines;
}
