/**
 * The objectives comparison, top to bottom: data and tokenizer, the tasks, then the grid
 * (seeds x rows x tasks x probe sizes) handed to the shared ablation runner, which resumes,
 * pairs seeds across rows and writes summary.json in the ablation schema. A 'none' row is a
 * randomly initialised model of its architecture (zero pretraining steps); every other row
 * pretrains on its objective for the same FLOPs. The report judges the papers' claims from it.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  type AblationEnv,
  type AblationGrid,
  type ExperimentContext,
  runAblation,
} from '@pretrain-lab/experiment';
import { loadCheckpoint } from '@pretrain-lab/train';
import { architectureOf, type ObjectivesConfig, type ObjectivesRow } from './config.js';
import { type GridTask, loadData, type RecallTask } from './data.js';
import { evaluateRow } from './evaluate.js';
import { makeModel, pretrainRow, type RowModel, type UnitContext } from './units.js';

/** The grid, built from the config and the environment (single process or one unit of many). */
export async function objectivesGrid(
  cfg: ObjectivesConfig,
  env: AblationEnv,
): Promise<AblationGrid<RowModel, ObjectivesRow, GridTask>> {
  const dir = env.dir;

  // Data: one tokenizer and token stream for every row; the tasks' texts as token ids.
  const data = loadData(cfg, dir);
  env.log(`pretraining corpus: ${data.notes.join('; ')}`);
  for (const s of data.skipped) env.log(`task skipped: ${s}`);
  for (const t of data.tasks)
    env.log(
      `task ${t.name}: ${t.labels.length} classes, ${t.train.ids.length} training and ${t.test.ids.length} test examples`,
    );
  if (data.tasks.length === 0) throw new Error('no task is available; see the notes above');

  // In context: the decoder-only rows also read prompts (in-context.ts), with no gradient step.
  const ic = cfg.inContext;
  const recall: RecallTask = { kind: 'kv-recall', name: 'kv-recall' };
  const tasks: GridTask[] = [...data.tasks, recall];
  const inContextEvals = [...new Set([...ic.shots, ...ic.kvPairs])]
    .sort((a, b) => a - b)
    .map((k) => ({ method: 'in-context' as const, trainExamples: k }));
  const isDecoder = new Set(cfg.rows.filter((r) => architectureOf(r) === 'decoder').map((r) => r.name));
  const applies = (t: GridTask, spec: { method: string; trainExamples: number }, variant: string) => {
    if (spec.method !== 'in-context') return t.kind === 'classification';
    if (!isDecoder.has(variant)) return false;
    return t.kind === 'kv-recall'
      ? ic.kvPairs.includes(spec.trainExamples)
      : ic.tasks.includes(t.name) && ic.shots.includes(spec.trainExamples);
  };

  const units: UnitContext = {
    cfg,
    data,
    metrics: env.metrics,
    progress: env.progress,
    extraFiles: { 'tokenizer.json': fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8') },
    log: env.log,
  };

  // The grid, run by the shared ablation runner.
  return {
    experiment: 'objectives',
    seeds: cfg.seeds,
    variants: cfg.rows,
    baseline: null,
    tasks,
    evals: [...cfg.evals, ...inContextEvals],
    applies,
    unitConfig: {
      pretrain: {
        corpus: cfg.corpus,
        splitSeed: cfg.splitSeed,
        tokenizer: cfg.tokenizer,
        model: cfg.model,
        electra: cfg.electra,
        noise: cfg.noise,
        pretrain: cfg.pretrain,
      },
      eval: { probe: cfg.probe, tasks: cfg.tasks, inContext: ic },
    },
    skippedTasks: data.skipped,
    variantInfo: (r) => ({
      name: r.name,
      pretrained: r.objective !== 'none',
      fields: {
        objective: r.objective,
        architecture: architectureOf(r),
        dModel: r.dModel ?? cfg.model.dModel,
        recall: r.recall ?? 0,
        sbo: r.sbo ?? false,
      },
    }),
    taskInfo: (t) =>
      t.kind === 'kv-recall'
        ? {
            name: t.name,
            kind: 'generation',
            metric: 'accuracy',
            classes: null,
            trainExamples: 0,
            testExamples: ic.kvPrompts,
          }
        : {
            name: t.name,
            kind: 'classification',
            metric: 'accuracy',
            classes: t.labels.length,
            trainExamples: t.train.ids.length,
            testExamples: t.test.ids.length,
          },
    fresh: () => {
      throw new Error('the objectives grid has no single baseline: its none rows are variants');
    },
    pretrain: async (r, seed, unit) => {
      const model = makeModel(cfg, data, r, seed);
      if (r.objective === 'none') {
        const outcome = {
          status: 'completed' as const,
          steps: 0,
          tokens: 0,
          epochs: 0,
          finalLoss: {},
          tokensPerSec: 0,
          extra: { flops: 0, flopsPerStep: 0, architecture: architectureOf(r) },
        };
        return { model, outcome };
      }
      return { model, outcome: await pretrainRow(units, model, r, seed, unit) };
    },
    restore: (r, seed, checkpointDir) => {
      const model = makeModel(cfg, data, r, seed);
      if (r.objective === 'none') return model;
      const ck = loadCheckpoint(checkpointDir);
      model.m.params.assign(Object.fromEntries(Object.entries(ck.weights).map(([k, w]) => [k, w.data])));
      return model;
    },
    evaluate: (model, q) => evaluateRow(units, model, q),
    dispose: (model) => model.m.dispose(),
  };
}

export async function runObjectives(cfg: ObjectivesConfig, ctx: ExperimentContext): Promise<void> {
  const env = { dir: ctx.run.dir, metrics: ctx.metrics, progress: ctx.progress, log: ctx.log };
  await runAblation(await objectivesGrid(cfg, env), env);
}
