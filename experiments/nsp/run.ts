/**
 * The NSP ablation, top to bottom: data and tokenizer, the tasks, the pretraining examples of
 * each input format, then the grid (seeds x {no pretraining, each variant} x tasks x
 * evaluations) handed to the shared ablation runner, which resumes, pairs seeds across rows and
 * writes summary.json in the ablation schema. The report judges the claims from it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { documentText } from '@pretrain-lab/data';
import {
  type AblationEnv,
  type AblationGrid,
  type ExperimentContext,
  runAblation,
} from '@pretrain-lab/experiment';
import { BERT, resolveBERTConfig } from '@pretrain-lab/models';
import { buildBertInputs, type MlmOptions, pairObjective } from '@pretrain-lab/objectives';
import { loadOrTrainTokenizer, WordPieceTokenizer } from '@pretrain-lab/tokenizers';
import { loadCheckpoint } from '@pretrain-lab/train';
import { BASELINE, type NspConfig, type NspVariant } from './config.js';
import {
  corpusSplits,
  type EncodedTask,
  encodeDocuments,
  encodeTask,
  pretrainingDocuments,
  specialIds,
} from './data.js';
import { evaluateBert, pretrainBert, type UnitContext } from './units.js';

/** The grid, built from the config and the environment (single process or one unit of many). */
export async function nspGrid(
  cfg: NspConfig,
  env: AblationEnv,
): Promise<AblationGrid<BERT, NspVariant, EncodedTask>> {
  const dir = env.dir;
  const T = cfg.model.maxLen;

  // Data: the corpus split by document; the pretraining documents (a subset of the training
  // documents plus the self-pretraining task inputs); a WordPiece tokenizer trained on the
  // corpus's training documents only: trained with the spam inputs too, e-mail characters took
  // so much of a 1,000-piece vocabulary that Brown text needed 4.8 pieces a word (2.1 without).
  const splits = corpusSplits(cfg.corpus, cfg.splitSeed);
  const pre = pretrainingDocuments(splits.train, { ...cfg.pretrain, splitSeed: cfg.splitSeed });
  const tokPath = path.join(dir, 'tokenizer.json');
  const tok = loadOrTrainTokenizer(tokPath, () =>
    WordPieceTokenizer.train(splits.train.map(documentText), cfg.tokenizer),
  );
  const ids = specialIds(tok);
  const trainDocs = encodeDocuments(pre.docs, tok);
  const valDocs = encodeDocuments(splits.validation, tok);
  env.log(`pretraining corpus: ${pre.notes.join('; ')}; WordPiece vocabulary ${tok.vocabSize}`);
  const mlmOpts: MlmOptions = {
    vocabSize: tok.vocabSize,
    maskId: ids.maskId,
    specialIds: [ids.padId, ids.clsId, ids.sepId, ids.maskId],
  };

  // Tasks: each with its training examples in a seeded order (nested subsets) and a test set.
  const maxTrain = Math.max(...cfg.evals.map((e) => e.trainExamples));
  const tasks: EncodedTask[] = [];
  const skipped: string[] = [];
  for (const name of cfg.finetune.tasks) {
    const t = encodeTask(name, tok, ids, {
      maxLen: T,
      splitSeed: cfg.splitSeed,
      maxTrain,
      maxTest: cfg.finetune.maxTestExamples,
    });
    if ('skipped' in t) {
      env.log(`task skipped: ${t.skipped}`);
      skipped.push(t.skipped);
      continue;
    }
    env.log(
      `task ${t.name}: ${t.labels.length} classes, ${t.train.examples.length} training and ${t.test.examples.length} test examples`,
    );
    tasks.push(t);
  }
  if (tasks.length === 0) throw new Error('no fine-tuning task is available; see the notes above');

  // Models: one encoder config, with a pair head where the format has a pair label.
  const modelConfig = (pair: boolean) =>
    resolveBERTConfig({ vocabSize: tok.vocabSize, ...cfg.model, nsp: pair });
  const inputIds = { clsId: ids.clsId, sepId: ids.sepId, padId: ids.padId, maxLen: T };
  const inputs = (v: NspVariant, seed: number) => ({
    examples: buildBertInputs(trainDocs, { format: v.format, ...inputIds, seed }),
    validation: buildBertInputs(valDocs, { format: v.format, ...inputIds, seed: cfg.splitSeed }),
  });
  const units: UnitContext = {
    cfg,
    metrics: env.metrics,
    progress: env.progress,
    mlmOpts,
    extraFiles: { 'tokenizer.json': fs.readFileSync(tokPath, 'utf8') },
    log: env.log,
  };

  // The grid, run by the shared ablation runner.
  const { pretrain, probe, finetune, evals } = cfg;
  return {
    experiment: 'nsp',
    seeds: cfg.seeds,
    variants: cfg.variants,
    baseline: cfg.baseline ? BASELINE : null,
    tasks,
    evals,
    unitConfig: {
      pretrain: {
        corpus: cfg.corpus,
        splitSeed: cfg.splitSeed,
        tokenizer: cfg.tokenizer,
        model: cfg.model,
        pretrain,
      },
      eval: { probe, finetune: { ...finetune, tasks: undefined } },
    },
    skippedTasks: skipped,
    variantInfo: (v) => ({
      name: v.name,
      pretrained: true,
      fields: { format: v.format, masking: v.masking, pair: pairObjective(v.format) },
    }),
    taskInfo: (t) => ({
      name: t.name,
      kind: 'classification',
      metric: 'accuracy',
      classes: t.labels.length,
      trainExamples: t.train.examples.length,
      testExamples: t.test.examples.length,
    }),
    fresh: (seed) => new BERT(modelConfig(false), seed),
    pretrain: async (v, seed, unit) => {
      const model = new BERT(modelConfig(pairObjective(v.format) !== null), seed);
      const data = inputs(v, seed);
      env.log(
        `${unit.label}: ${data.examples.length} inputs, ${cfg.pretrain.tokens.toLocaleString('en-US')} real tokens`,
      );
      return { model, outcome: await pretrainBert(units, model, v, seed, data, unit) };
    },
    restore: (v, seed, checkpointDir) => {
      const model = new BERT(modelConfig(pairObjective(v.format) !== null), seed);
      const ck = loadCheckpoint(checkpointDir);
      model.params.assign(Object.fromEntries(Object.entries(ck.weights).map(([k, w]) => [k, w.data])));
      return model;
    },
    evaluate: (model, q) => evaluateBert(units, model, q),
    dispose: (model) => model.dispose(),
  };
}

export async function runNsp(cfg: NspConfig, ctx: ExperimentContext): Promise<void> {
  const env = { dir: ctx.run.dir, metrics: ctx.metrics, progress: ctx.progress, log: ctx.log };
  await runAblation(await nspGrid(cfg, env), env);
}
