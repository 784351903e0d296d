/**
 * The training loop for language models: seeded batches in, AdamW steps with warmup + cosine,
 * periodic evaluation, tidy metric rows, a progress bar, atomic checkpoints, exact resume, and
 * a clear stop on a non-finite loss.
 *
 * Exact resume: everything a step depends on is either derived from (seed, step) (dropout
 * seeds), or saved in the checkpoint (weights, AdamW moments and step, data position, the
 * running loss accumulator, metrics length). A run killed and resumed therefore writes the
 * same rows as one that never stopped, apart from wall-clock columns (tokensPerSec, elapsedSec).
 */
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext, ParamStore } from '@pretrain-lab/layers';
import { opSeed } from '@pretrain-lab/runtime';
import { ADAMW_DEFAULTS, AdamW, type AdamWConfig } from './adamw.js';
import { checkpointExists, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { MetricRow, MetricsWriter } from './metrics.js';
import type { ProgressBar } from './progress.js';
import { learningRate } from './schedule.js';

export interface TrainLoopConfig {
  steps: number;
  batchSize: number;
  seqLen: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  adamw: AdamWConfig;
  /** Evaluate every this many steps (and always at the end). */
  evalEvery: number;
  evalBatches: number;
  /** Log a train row (mean loss since the last one) every this many steps. */
  logEvery: number;
  /** Save a checkpoint every this many steps (0: only at the end). */
  checkpointEvery: number;
  seed: number;
}

export const TRAIN_DEFAULTS: Omit<TrainLoopConfig, 'steps' | 'batchSize' | 'seqLen'> = {
  lr: 3e-3,
  minLr: 3e-4,
  warmupSteps: 20,
  adamw: ADAMW_DEFAULTS,
  evalEvery: 50,
  evalBatches: 8,
  logEvery: 10,
  checkpointEvery: 100,
  seed: 1,
};

export interface LanguageModel {
  readonly params: ParamStore;
  readonly config: object;
  loss(inputs: tf.Tensor2D, targets: tf.Tensor2D, ctx?: ForwardContext): tf.Scalar;
}

export interface Batch {
  inputs: Int32Array;
  targets: Int32Array;
}

/** A seeded, resumable stream of training batches. */
export interface BatchSource {
  next(): Batch;
  getPosition(): unknown;
  setPosition(position: any): void;
}

export interface TrainJob {
  /** Model name written into every metric row. */
  name: string;
  model: LanguageModel;
  train: BatchSource;
  /** Evaluation sets by split name; each call yields the same batches in the same order. */
  evalSets: Record<string, () => Iterable<Batch>>;
  cfg: TrainLoopConfig;
  metrics: MetricsWriter;
  /** Columns added to every row (e.g. nonEmbeddingParams). */
  rowExtra?: MetricRow;
  /** Training FLOPs per token, for the `compute` column (Kaplan: 6N). */
  flopsPerToken: number;
  checkpointDir?: string;
  /** Continue from checkpointDir if it holds a checkpoint. */
  resume?: boolean;
  runConfig?: Record<string, unknown>;
  /** Files stored in every checkpoint beside the tensors (e.g. tokenizer.json), hashed like them. */
  extraFiles?: Record<string, string>;
  progress?: ProgressBar;
  /** Stop (as if killed) after this many steps; for tests of resume. */
  stopAfterStep?: number;
}

export interface TrainResult {
  steps: number;
  tokens: number;
  finalLoss: Record<string, number>;
  trainLoss: number;
  tokensPerSec: number;
  resumedFrom: number | null;
  stoppedEarly: boolean;
}

export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

/** Mean loss over the batches, weighting each by its rows (a last partial batch counts less). */
export async function evaluate(model: LanguageModel, batches: Iterable<Batch>, T: number): Promise<number> {
  let sum = 0;
  let rowsSeen = 0;
  for (const batch of batches) {
    const rows = batch.inputs.length / T;
    const loss = tf.tidy(() => {
      const x = tf.tensor2d(batch.inputs, [rows, T], 'int32');
      const y = tf.tensor2d(batch.targets, [rows, T], 'int32');
      return model.loss(x, y);
    });
    sum += (await loss.data())[0] * rows;
    loss.dispose();
    rowsSeen += rows;
  }
  if (rowsSeen === 0) throw new Error('evaluation set is empty');
  return sum / rowsSeen;
}

export async function trainLanguageModel(job: TrainJob): Promise<TrainResult> {
  const { model, cfg, metrics } = job;
  const B = cfg.batchSize;
  const T = cfg.seqLen;
  const tokensPerStep = B * T;
  const params = model.params;
  const optimizer = new AdamW(params.vars, params.noDecay, cfg.adamw);
  const schedule = { lr: cfg.lr, warmupSteps: cfg.warmupSteps, decaySteps: cfg.steps, minLr: cfg.minLr };

  let step = 0;
  let lossSum = 0;
  let lossCount = 0;
  let resumedFrom: number | null = null;
  if (job.resume && job.checkpointDir && checkpointExists(job.checkpointDir)) {
    const ck = loadCheckpoint(job.checkpointDir);
    params.assign(Object.fromEntries(Object.entries(ck.weights).map(([k, v]) => [k, v.data])));
    for (const [name, mVar] of optimizer.m) {
      const m = ck.optimizer[`m.${name}`];
      const v = ck.optimizer[`v.${name}`];
      if (!m || !v) throw new Error(`checkpoint ${job.checkpointDir} has no optimizer state for '${name}'`);
      tf.tidy(() => {
        mVar.assign(tf.tensor(m.data, mVar.shape));
        optimizer.v.get(name)!.assign(tf.tensor(v.data, mVar.shape));
      });
    }
    const tr = ck.state.trainer as { optimizerStep: number; dataPosition: unknown; lossSum: number; lossCount: number; metricsBytes: number };
    optimizer.step = tr.optimizerStep;
    job.train.setPosition(tr.dataPosition);
    lossSum = tr.lossSum;
    lossCount = tr.lossCount;
    metrics.truncate(tr.metricsBytes);
    step = ck.state.step;
    resumedFrom = step;
  }

  const row = (split: string, s: number, loss: number, extra: MetricRow = {}): MetricRow => ({
    model: job.name,
    split,
    step: s,
    tokens: s * tokensPerStep,
    compute: job.flopsPerToken * s * tokensPerStep,
    loss,
    ...(job.rowExtra ?? {}),
    ...extra,
  });

  const save = async () => {
    if (!job.checkpointDir) return;
    const weights = await params.snapshot();
    const opt: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [name, m] of optimizer.m) {
      opt[`m.${name}`] = { shape: m.shape.slice(), data: (await m.data()) as Float32Array };
      const v = optimizer.v.get(name)!;
      opt[`v.${name}`] = { shape: v.shape.slice(), data: (await v.data()) as Float32Array };
    }
    saveCheckpoint(job.checkpointDir, {
      weights,
      optimizer: opt,
      state: {
        step,
        trainer: {
          optimizerStep: optimizer.step,
          dataPosition: job.train.getPosition(),
          lossSum,
          lossCount,
          metricsBytes: metrics.size(),
        },
        modelConfig: { ...(model.config as Record<string, unknown>) },
        runConfig: job.runConfig ?? {},
      },
      extraFiles: job.extraFiles,
    });
  };

  const runEval = async (s: number) => {
    const out: Record<string, number> = {};
    for (const [split, batches] of Object.entries(job.evalSets)) {
      out[split] = await evaluate(model, batches(), T);
      metrics.append(row(split, s, out[split]));
    }
    return out;
  };

  const vars = [...params.vars.values()];
  const started = Date.now();
  const stepsAtStart = step;
  let lastTrainLoss = Number.NaN;
  let lastVal: number | undefined;
  let finalLoss: Record<string, number> = {};
  let stoppedEarly = false;
  if (step === 0 && Object.keys(job.evalSets).length > 0) {
    finalLoss = await runEval(0);
    lastVal = finalLoss.val;
  }

  while (step < cfg.steps) {
    const lr = learningRate(step, schedule);
    const batch = job.train.next();
    const ctx: ForwardContext = { training: true, seed: opSeed(cfg.seed, 'step', step), site: 0 };
    const { value, grads } = tf.tidy(() => {
      const x = tf.tensor2d(batch.inputs, [B, T], 'int32');
      const y = tf.tensor2d(batch.targets, [B, T], 'int32');
      return tf.variableGrads(() => model.loss(x, y, ctx), vars);
    });
    const lossValue = (await value.data())[0];
    if (!Number.isFinite(lossValue)) {
      value.dispose();
      tf.dispose(Object.values(grads));
      optimizer.dispose();
      throw new NonFiniteLossError(
        `${job.name}: loss became ${lossValue} at step ${step + 1}; stopping. ` +
          (job.checkpointDir && checkpointExists(job.checkpointDir)
            ? `The last good checkpoint is kept at ${job.checkpointDir}. `
            : '') +
          'Try a lower learning rate (--train.lr=...) or more warmup.',
      );
    }
    const named = new Map<string, tf.Tensor>();
    for (const [tfName, g] of Object.entries(grads)) named.set(params.nameOf(tfName), g);
    const norm = optimizer.apply(named, lr);
    value.dispose();
    norm.dispose();
    tf.dispose(Object.values(grads));
    step += 1;
    lossSum += lossValue;
    lossCount += 1;
    lastTrainLoss = lossValue;

    const elapsed = (Date.now() - started) / 1000;
    const tokensPerSec = ((step - stepsAtStart) * tokensPerStep) / Math.max(elapsed, 1e-9);
    if (step % cfg.logEvery === 0 || step === cfg.steps) {
      metrics.append(row('train', step, lossSum / lossCount, { lr, tokensPerSec, elapsedSec: elapsed }));
      lossSum = 0;
      lossCount = 0;
    }
    if (step % cfg.evalEvery === 0 || step === cfg.steps) {
      finalLoss = await runEval(step);
      lastVal = finalLoss.val;
    }
    if ((cfg.checkpointEvery > 0 && step % cfg.checkpointEvery === 0) || step === cfg.steps) await save();
    const eta = ((cfg.steps - step) * tokensPerStep) / Math.max(tokensPerSec, 1e-9);
    job.progress?.update(
      { label: job.name, step, totalSteps: cfg.steps, loss: lossValue, tokensPerSec, valLoss: lastVal },
      eta,
      step === cfg.steps,
    );
    if (job.stopAfterStep !== undefined && step >= job.stopAfterStep && step < cfg.steps) {
      stoppedEarly = true;
      break;
    }
  }
  const elapsed = (Date.now() - started) / 1000;
  optimizer.dispose();
  return {
    steps: step,
    tokens: step * tokensPerStep,
    finalLoss,
    trainLoss: lastTrainLoss,
    tokensPerSec: ((step - stepsAtStart) * tokensPerStep) / Math.max(elapsed, 1e-9),
    resumedFrom,
    stoppedEarly,
  };
}
