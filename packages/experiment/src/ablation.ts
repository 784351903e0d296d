/**
 * The ablation runner shared by the nsp, spans and objectives experiments: a grid of units,
 * each resumable and each writing tidy rows of the ablation schema (schema.ts).
 *
 *   for seed in seeds:
 *     baseline (random init)            -> eval units (task x method x training-set size)
 *     for variant in variants:
 *       pretrain unit (from its checkpoint when interrupted)  -> the same eval units
 *
 * Every row of a seed shares that seed's fine-tuning data order and head initialisation, so
 * rows are paired (paired.ts tests them). run-state.json (the ledger) lists finished units by
 * id; `--resume` skips them, continues an interrupted pretraining from its checkpoint, and
 * restarts an interrupted evaluation (short) after dropping the rows it wrote.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MetricsWriter, ProgressBar } from '@pretrain-lab/train';
import { writeJSONAtomic } from './atomic.js';
import { RunLedger } from './ledger.js';
import {
  type AblationState,
  type AblationSummary,
  type EvalRecord,
  type EvalSpec,
  makeSummary,
  type PretrainRecord,
  type TaskInfo,
  type VariantInfo,
} from './schema.js';
import { unitId } from './units.js';

export interface EvalQuery<T> {
  id: string;
  variant: string;
  seed: number;
  task: T;
  spec: EvalSpec;
  /** "variant | seed N | task | method n" for progress lines. */
  label: string;
}

export type EvalOutcome = Omit<EvalRecord, 'id' | 'variant' | 'seed' | 'task' | 'method' | 'trainExamples'>;
export type PretrainOutcome = Omit<PretrainRecord, 'id' | 'variant' | 'seed'>;

export interface AblationGrid<M, V extends { name: string }, T extends { name: string }> {
  experiment: string;
  seeds: number[];
  variants: V[];
  /** The no-pretraining row's name, or null for none. */
  baseline: string | null;
  tasks: T[];
  evals: EvalSpec[];
  /**
   * Which evaluations a task takes, of a row (default: all; e.g. no frozen probe on a generation
   * task, in-context prompts for decoder-only rows only).
   */
  applies?: (task: T, spec: EvalSpec, variant: string) => boolean;
  /** The config slices the units depend on: hashed into the unit ids. */
  unitConfig: { pretrain: unknown; eval: unknown };
  variantInfo(v: V): VariantInfo;
  taskInfo(t: T): TaskInfo;
  skippedTasks: string[];
  fresh(seed: number): M;
  pretrain(
    v: V,
    seed: number,
    unit: { id: string; checkpointDir: string; label: string },
  ): Promise<{ model: M; outcome: PretrainOutcome }>;
  /** The pretrained model from its final checkpoint (a resumed run with evaluations left). */
  restore(v: V, seed: number, checkpointDir: string): M;
  evaluate(model: M, q: EvalQuery<T>): Promise<EvalOutcome>;
  dispose(model: M): void;
}

export const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** What the environment gives an experiment's grid builder: where its data goes, and its sinks. */
export interface AblationEnv {
  /** Where the tokenizer (and other shared data) is trained and saved, or loaded from. */
  dir: string;
  metrics: MetricsWriter;
  progress: ProgressBar;
  log: (line: string) => void;
}

/**
 * A grid's unit ids and cells, shared by the single-process runner below and the many-worker
 * units (ablation-units.ts), so both name and order everything the same way.
 */
export function ablationLayout<M, V extends { name: string }, T extends { name: string }>(
  grid: AblationGrid<M, V, T>,
) {
  const pretrainId = (v: V, seed: number) =>
    unitId('pretrain', {
      experiment: grid.experiment,
      variant: grid.variantInfo(v),
      seed,
      config: grid.unitConfig.pretrain,
    });
  const evalId = (variant: string, seed: number, task: T, spec: EvalSpec) =>
    unitId('eval', {
      experiment: grid.experiment,
      variant,
      seed,
      task: task.name,
      spec,
      config: grid.unitConfig.eval,
      pretrain: variant === grid.baseline ? null : grid.unitConfig.pretrain,
    });
  const rows = [...(grid.baseline ? [grid.baseline] : []), ...grid.variants.map((v) => v.name)];
  const applies = grid.applies ?? (() => true);
  const cellsOf = (variant: string) =>
    grid.tasks.flatMap((task) =>
      grid.evals.filter((spec) => applies(task, spec, variant)).map((spec) => ({ task, spec })),
    );
  const head = (): Omit<AblationSummary, 'pretrain' | 'results' | 'skippedTasks'> => ({
    experiment: grid.experiment,
    seeds: grid.seeds,
    variants: [
      ...(grid.baseline ? [{ name: grid.baseline, pretrained: false, fields: {} }] : []),
      ...grid.variants.map((v) => grid.variantInfo(v)),
    ],
    baseline: grid.baseline,
    tasks: grid.tasks.map((t) => grid.taskInfo(t)),
    evals: grid.evals,
  });
  return { pretrainId, evalId, rows, cellsOf, head };
}

/** One evaluation cell: the model evaluated, its tidy test row appended to `metrics`, its record. */
export async function evalCell<M, V extends { name: string }, T extends { name: string }>(
  grid: AblationGrid<M, V, T>,
  metrics: MetricsWriter,
  model: M,
  q: { id: string; variant: string; seed: number; task: T; spec: EvalSpec },
): Promise<EvalRecord> {
  const { id, variant, seed, task, spec } = q;
  const label = `${variant} | seed ${seed} | ${task.name} | ${spec.method} ${spec.trainExamples}`;
  const out = await grid.evaluate(model, { ...q, label });
  const record: EvalRecord = {
    id,
    variant,
    seed,
    task: task.name,
    method: spec.method,
    trainExamples: spec.trainExamples,
    ...out,
  };
  // A tidy test row too (metrics.jsonl and TensorBoard's test/<metric>), before the caller
  // records the unit, so a rewind drops it with the rest of an unfinished attempt.
  metrics.append({
    model: label,
    phase: spec.method,
    split: 'test',
    variant,
    seed,
    task: task.name,
    trainExamples: spec.trainExamples,
    step: 0,
    ...record.scores,
  });
  return record;
}

export async function runAblation<M, V extends { name: string }, T extends { name: string }>(
  grid: AblationGrid<M, V, T>,
  ctx: { dir: string; metrics: MetricsWriter; log: (line: string) => void },
): Promise<AblationSummary> {
  const ledger = new RunLedger<AblationState>(ctx.dir, ctx.metrics, {
    pretrain: [],
    results: [],
    skippedTasks: [],
  });
  const state = ledger.state;
  for (const s of grid.skippedTasks) if (!state.skippedTasks.includes(s)) state.skippedTasks.push(s);

  const { pretrainId, evalId, rows, cellsOf, head } = ablationLayout(grid);
  const totalUnits =
    grid.seeds.length * (rows.reduce((a, r) => a + cellsOf(r).length, 0) + grid.variants.length);
  // Progress over the whole grid: the ETA times each kind of unit by its own mean so far
  // (a pretraining takes minutes, an evaluation seconds).
  const total = {
    pretrain: grid.seeds.length * grid.variants.length,
    eval: totalUnits - grid.seeds.length * grid.variants.length,
  };
  const left = { ...total };
  for (const id of state.done) left[id.startsWith('pretrain-') ? 'pretrain' : 'eval']--;
  const spent = { pretrain: { sec: 0, n: 0 }, eval: { sec: 0, n: 0 } };
  let last = Date.now();
  const tick = (kind: 'pretrain' | 'eval', what: string) => {
    const now = Date.now();
    spent[kind].sec += (now - last) / 1000;
    spent[kind].n++;
    last = now;
    left[kind]--;
    const mean = (k: 'pretrain' | 'eval') =>
      spent[k].n ? spent[k].sec / spent[k].n : spent.eval.n ? (spent.eval.sec / spent.eval.n) * 10 : 0;
    const eta = Math.round((left.pretrain * mean('pretrain') + left.eval * mean('eval')) / 60);
    const done = totalUnits - left.pretrain - left.eval;
    ctx.log(`[${done}/${totalUnits} units, about ${eta} min left] ${what}`);
  };

  const evaluateAll = async (variant: string, seed: number, model: M) => {
    for (const { task, spec } of cellsOf(variant)) {
      const id = evalId(variant, seed, task, spec);
      if (ledger.isDone(id)) continue;
      ledger.rewind();
      const record = await evalCell(grid, ctx.metrics, model, { id, variant, seed, task, spec });
      const label = `${variant} | seed ${seed} | ${task.name} | ${spec.method} ${spec.trainExamples}`;
      ledger.finish(id, (s) => s.results.push(record));
      tick('eval', `${label}: ${record.metric} ${(record.score * 100).toFixed(1)}`);
    }
  };
  const pendingEvals = (variant: string, seed: number) =>
    cellsOf(variant).some(({ task, spec }) => !ledger.isDone(evalId(variant, seed, task, spec)));

  for (const seed of grid.seeds) {
    if (grid.baseline && pendingEvals(grid.baseline, seed)) {
      const model = grid.fresh(seed);
      await evaluateAll(grid.baseline, seed, model);
      grid.dispose(model);
    }
    for (const v of grid.variants) {
      const id = pretrainId(v, seed);
      if (ledger.isDone(id) && !pendingEvals(v.name, seed)) continue;
      const checkpointDir = path.join(ctx.dir, 'checkpoints', `pretrain-${slug(v.name)}-s${seed}`);
      let model: M;
      if (ledger.isDone(id)) model = grid.restore(v, seed, checkpointDir);
      else {
        if (!fs.existsSync(path.join(checkpointDir, 'state.json'))) ledger.rewind();
        const label = `${v.name} | seed ${seed}`;
        const r = await grid.pretrain(v, seed, { id, checkpointDir, label });
        model = r.model;
        const record: PretrainRecord = { id, variant: v.name, seed, ...r.outcome };
        ledger.finish(id, (s) => s.pretrain.push(record));
        tick('pretrain', `${label}: pretrained (${record.status})`);
      }
      await evaluateAll(v.name, seed, model);
      grid.dispose(model);
    }
  }

  const summary = makeSummary(head(), state);
  writeJSONAtomic(path.join(ctx.dir, 'summary.json'), summary);
  return summary;
}
