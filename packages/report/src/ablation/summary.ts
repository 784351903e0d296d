/**
 * Reading an ablation run (nsp, spans, objectives): summary.json in the one schema of
 * packages/experiment/src/schema.ts, and the cells of its grid. Everything here is shared by
 * the tables, the claim verdicts and the charts, so they agree on order and labels.
 */
import {
  type AblationSummary,
  cell,
  type EvalMethod,
  type EvalRecord,
  type EvalSpec,
  type TaskInfo,
} from '@pretrain-lab/experiment/schema';
import { type MeanStd, meanStd } from '@pretrain-lab/scaling';
import { listText } from '../compare.js';
import { fmtInt } from '../format.js';
import { type LoadedRun, loadRun } from '../results.js';

export interface AblationRun {
  run: LoadedRun;
  summary: AblationSummary;
}

/** A run directory and its summary.json, checked to be in the ablation schema. */
export function loadAblation(runDir: string): AblationRun {
  const run = loadRun(runDir);
  const s = run.summary as unknown as AblationSummary | null;
  if (!s) throw new Error(`${runDir}/summary.json is missing: has the run finished?`);
  for (const key of ['variants', 'tasks', 'evals', 'pretrain', 'results', 'seeds'] as const)
    if (!Array.isArray(s[key]))
      throw new Error(
        `${runDir}/summary.json has no '${key}' list: it is not in the ablation schema (packages/experiment/src/schema.ts); a run written before the shared runner needs re-running`,
      );
  return { run, summary: s };
}

/** "probe at 64, 256 and 1,024; fine-tune at 256 and 1,024". */
export function evalsText(evals: readonly EvalSpec[]): string {
  const methods = [...new Set(evals.map((e) => e.method))];
  return methods
    .map((m) => {
      const sizes = evals.filter((e) => e.method === m).map((e) => fmtInt(e.trainExamples));
      return `${METHOD_LABEL[m]} at ${listText(sizes)}`;
    })
    .join('; ');
}

/** One evaluation setting of the grid: a task, a method and a training-set size. */
export interface Cell {
  task: string;
  method: EvalMethod;
  trainExamples: number;
}

export const METHOD_LABEL: Record<EvalMethod, string> = {
  finetune: 'fine-tune',
  probe: 'probe',
  'in-context': 'in-context',
};

/** "probe 64", "fine-tune 1024". */
export const evalLabel = (c: { method: EvalMethod; trainExamples: number }): string =>
  `${METHOD_LABEL[c.method]} ${c.trainExamples}`;

/** "spam, probe 64". */
export const cellLabel = (c: Cell): string => `${c.task}, ${evalLabel(c)}`;

/** Every configured cell, tasks in summary order, then evaluations in config order. */
export function gridCells(s: AblationSummary, tasks?: readonly string[]): Cell[] {
  const names = s.tasks.map((t) => t.name).filter((t) => !tasks || tasks.includes(t));
  return names.flatMap((task) =>
    s.evals.map((e) => ({ task, method: e.method, trainExamples: e.trainExamples })),
  );
}

export const sameCell = (r: Cell, c: Cell): boolean =>
  r.task === c.task && r.method === c.method && r.trainExamples === c.trainExamples;

/** The rows of (variant, cell), one per seed, in seed order. */
export const cellRows = (s: AblationSummary, variant: string, c: Cell): EvalRecord[] =>
  cell(s, { variant, task: c.task, method: c.method, trainExamples: c.trainExamples });

/** The run's tasks grouped by kind, kinds in the order the run's tasks first give them. */
export function tasksByKind(s: AblationSummary): { kind: TaskInfo['kind']; tasks: string[] }[] {
  const kinds = [...new Set(s.tasks.map((t) => t.kind))];
  return kinds.map((kind) => ({ kind, tasks: s.tasks.filter((t) => t.kind === kind).map((t) => t.name) }));
}

/** Variant names in summary order (the baseline first, as the runner writes them). */
export const variantNames = (s: AblationSummary): string[] => s.variants.map((v) => v.name);

/** True when the variant has at least one pretraining or evaluation row. */
export const hasRows = (s: AblationSummary, variant: string): boolean =>
  s.results.some((r) => r.variant === variant) || s.pretrain.some((p) => p.variant === variant);

/** Mean and sample std over seeds of `metric` (the headline `score` by default) in one cell. */
export function cellStat(
  s: AblationSummary,
  variant: string,
  c: Cell,
  metric?: string,
): (MeanStd & { n: number }) | null {
  const xs = cellRows(s, variant, c)
    .map((r) => (metric ? r.scores[metric] : r.score))
    .filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return xs.length ? { ...meanStd(xs), n: xs.length } : null;
}

/** Names of the final pretraining losses (mlm, pair, ...), in the order the records first give them. */
export function lossNames(s: AblationSummary): string[] {
  const out: string[] = [];
  for (const p of s.pretrain) for (const k of Object.keys(p.finalLoss)) if (!out.includes(k)) out.push(k);
  return out;
}

/** Mean and sample std over seeds of one final pretraining loss of a variant; null when none. */
export function lossStat(
  s: AblationSummary,
  variant: string,
  loss: string,
): (MeanStd & { n: number }) | null {
  const xs = s.pretrain
    .filter((p) => p.variant === variant)
    .map((p) => p.finalLoss[loss])
    .filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return xs.length ? { ...meanStd(xs), n: xs.length } : null;
}

/** `scale`·mean ± `scale`·std; the mean alone when it rests on one seed (`n` < 2); 'n/a' when missing. */
export function fmtStat(x: (MeanStd & { n?: number }) | null | undefined, scale = 100, digits = 1): string {
  if (!x || !Number.isFinite(x.mean)) return 'n/a';
  const m = (scale * x.mean).toFixed(digits);
  if (x.n !== undefined && x.n < 2) return m;
  return `${m} ± ${(scale * (Number.isFinite(x.std) ? x.std : 0)).toFixed(digits)}`;
}
