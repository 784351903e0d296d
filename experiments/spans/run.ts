/**
 * The span-corruption study, top to bottom: corpus and tokenizer, the tasks, then the grid
 * (seeds x {no pretraining, each (mean span, rate) setting} x tasks x evaluations) handed to
 * the shared ablation runner, which resumes, pairs seeds across rows and writes summary.json in
 * the ablation schema. The report judges T5 Tables 6-7's claims from it.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  type AblationEnv,
  type AblationGrid,
  type ExperimentContext,
  runAblation,
} from '@pretrain-lab/experiment';
import { resolveT5Config, T5 } from '@pretrain-lab/models';
import { loadCheckpoint } from '@pretrain-lab/train';
import { BASELINE, type SpansConfig, type SpanVariant, settings } from './config.js';
import { encodeTextTask, pretrainingData, type TextTask } from './data.js';
import { evaluateT5 } from './evaluate.js';
import { pretrainT5, type UnitContext } from './units.js';

/** The grid, built from the config and the environment (single process or one unit of many). */
export async function spansGrid(
  cfg: SpansConfig,
  env: AblationEnv,
): Promise<AblationGrid<T5, SpanVariant, TextTask>> {
  const dir = env.dir;

  // Data: the corpus split by document; a Unigram tokenizer with T5's 100 sentinels trained on
  // the corpus's training documents; the pretraining stream (those documents, then the
  // self-pretraining task inputs) and the validation split, which pretraining cuts into chunks.
  const t0 = Date.now();
  const { splits, tok, selfNotes, streams } = pretrainingData(cfg, dir);
  env.log(
    `corpus ${cfg.corpus}: ${splits.train.length} training documents${selfNotes.map((n) => ` + ${n}`).join('')}: ${streams.train.length.toLocaleString('en-US')} pretraining and ${streams.validation.length.toLocaleString('en-US')} validation tokens; Unigram vocabulary ${tok.vocabSize} (100 sentinels); ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  // Tasks, text to text: training examples in a seeded order (nested subsets) and a test set.
  const f = cfg.finetune;
  const maxTrain = Math.max(...cfg.evals.map((e) => e.trainExamples));
  const tasks: TextTask[] = [];
  const skipped: string[] = [];
  for (const name of f.tasks) {
    const t = encodeTextTask(name, tok, {
      splitSeed: cfg.splitSeed,
      maxTrain,
      maxTest: f.maxTestExamples,
      maxInputLength: f.maxInputLength,
      maxTargetLength: f.maxTargetLength,
    });
    if ('skipped' in t) {
      env.log(`task skipped: ${t.skipped}`);
      skipped.push(t.skipped);
      continue;
    }
    const ceiling =
      t.ceiling === null
        ? ''
        : `; ${(t.ceiling * 100).toFixed(1)}% of test targets survive the tokenizer and the cut`;
    env.log(
      `task ${t.name} (${t.kind}): ${t.train.inputs.length} training and ${t.test.inputs.length} test examples, targets of up to ${t.targetLength} tokens${ceiling}`,
    );
    tasks.push(t);
  }
  if (tasks.length === 0) throw new Error('no fine-tuning task is available; see the notes above');

  // One model config for every row: T5 v1.0 (ReLU, tied embeddings), <pad> as decoder start.
  const modelConfig = resolveT5Config({
    vocabSize: tok.vocabSize,
    ...cfg.model,
    padId: 0,
    decoderStartId: 0,
    eosId: tok.eosId,
  });
  const units: UnitContext = {
    cfg,
    metrics: env.metrics,
    progress: env.progress,
    log: env.log,
    tok,
    modelConfig,
    extraFiles: { 'tokenizer.json': fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8') },
  };

  // The grid, run by the shared ablation runner.
  const { corpus, splitSeed, tokenizer, model, pretrain, evals } = cfg;
  return {
    experiment: 'spans',
    seeds: cfg.seeds,
    variants: settings(cfg),
    baseline: cfg.baseline ? BASELINE : null,
    tasks,
    evals,
    // The frozen-encoder probe is a classifier: classification tasks only.
    applies: (task, spec) => spec.method !== 'probe' || task.kind === 'classification',
    unitConfig: {
      pretrain: { corpus, splitSeed, tokenizer, model, pretrain },
      // The baseline's evaluations depend on the tokenizer and model too (no pretraining slice).
      eval: { corpus, splitSeed, tokenizer, model, probe: cfg.probe, finetune: { ...f, tasks: undefined } },
    },
    skippedTasks: skipped,
    variantInfo: (v) => ({
      name: v.name,
      pretrained: true,
      fields: { meanSpan: v.meanSpan, rate: v.rate, group: v.group },
    }),
    taskInfo: (t) => ({
      name: t.name,
      kind: t.kind,
      metric: t.metric,
      classes: t.kind === 'classification' ? t.labels.length : null,
      trainExamples: t.train.inputs.length,
      testExamples: t.test.inputs.length,
    }),
    fresh: (seed) => new T5(modelConfig, seed),
    pretrain: async (v, seed, unit) => {
      const m = new T5(modelConfig, seed);
      return { model: m, outcome: await pretrainT5(units, m, v, seed, streams, unit) };
    },
    restore: (_v, seed, checkpointDir) => {
      const m = new T5(modelConfig, seed);
      const ck = loadCheckpoint(checkpointDir);
      m.params.assign(Object.fromEntries(Object.entries(ck.weights).map(([k, w]) => [k, w.data])));
      return m;
    },
    evaluate: (m, q) => evaluateT5(units, m, q),
    dispose: (m) => m.dispose(),
  };
}

export async function runSpans(cfg: SpansConfig, ctx: ExperimentContext): Promise<void> {
  const env = { dir: ctx.run.dir, metrics: ctx.metrics, progress: ctx.progress, log: ctx.log };
  await runAblation(await spansGrid(cfg, env), env);
}
