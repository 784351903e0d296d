/**
 * The training loop: seeded batches in, AdamW steps with warmup + cosine, periodic
 * evaluation, tidy metric rows, a progress bar, atomic checkpoints, exact resume, and a stop
 * on divergence. Generic over the batch type, so GPT pretraining, BERT's MLM + NSP,
 * T5's span corruption and fine-tuning all run through the same loop.
 *
 * Exact resume: everything a step depends on is either derived from (seed, step) (dropout
 * seeds), or saved in the checkpoint (weights, AdamW moments and step, data position, the
 * running loss accumulators, tokens seen, metrics length). A run killed and resumed therefore
 * writes the same rows as one that never stopped, apart from wall-clock columns
 * (tokensPerSec, elapsedSec).
 *
 * Divergence: a non-finite loss or gradient norm, or an evaluation loss more than
 * `divergence.nats` above the first evaluation's for `divergence.patience` evaluations in a
 * row (or at the last evaluation), stops the job with `status: 'diverged'`: no checkpoint is written after that point, the
 * weights in memory are set back to the last checkpoint (when there is one), and the caller
 * goes on with its other units.
 */

import type { ForwardContext, ParamStore } from '@pretrain-lab/layers';
import { opSeed } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { ADAMW_DEFAULTS, AdamW, type AdamWConfig } from './adamw.js';
import { checkpointExists, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { MetricRow, MetricsWriter } from './metrics.js';
import type { ProgressBar } from './progress.js';
import { learningRate } from './schedule.js';

export interface TrainLoopConfig {
  steps: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  adamw: AdamWConfig;
  /** Evaluate every this many steps (and always at the end). */
  evalEvery: number;
  /** Log a train row (mean loss since the last one) every this many steps. */
  logEvery: number;
  /** Save a checkpoint every this many steps (0: only at the end). */
  checkpointEvery: number;
  seed: number;
  /** When a loss counts as diverged (see the file comment); DIVERGENCE_DEFAULTS if absent. */
  divergence?: DivergenceConfig;
}

export interface DivergenceConfig {
  /** How far above the first evaluation's loss (in nats) an evaluation counts against the run. */
  nats: number;
  /** How many such evaluations in a row stop it (one is enough at the last evaluation). */
  patience: number;
}

export const DIVERGENCE_DEFAULTS: DivergenceConfig = { nats: 2, patience: 3 };

export const TRAIN_DEFAULTS: Omit<TrainLoopConfig, 'steps'> = {
  lr: 3e-3,
  minLr: 3e-4,
  warmupSteps: 20,
  adamw: ADAMW_DEFAULTS,
  evalEvery: 50,
  logEvery: 10,
  checkpointEvery: 100,
  seed: 1,
};

export interface Trainable {
  readonly params: ParamStore;
  readonly config: object;
}

/** A loss, optionally with named parts (e.g. mlm and nsp) logged beside it. */
export interface LossOutput {
  loss: tf.Scalar;
  parts?: Record<string, tf.Scalar>;
}

/** A seeded, resumable stream of training batches. */
export interface BatchSource<B> {
  next(): B;
  getPosition(): unknown;
  setPosition(position: any): void;
}

export interface TrainJob<B> {
  /** Model name written into every metric row. */
  name: string;
  model: Trainable;
  train: BatchSource<B>;
  /** The loss of one batch; must be built inside the call (it runs under tf.variableGrads). */
  lossFn: (batch: B, ctx: ForwardContext) => tf.Scalar | LossOutput;
  /** Evaluation sets by split name; each call yields the same batches in the same order. */
  evalSets: Record<string, () => Iterable<B>>;
  /** Tokens a batch counts for the `tokens` and `compute` columns. */
  tokensIn: (batch: B) => number;
  /** Weight of a batch in evaluation means (e.g. its rows); default 1. */
  weightOf?: (batch: B) => number;
  cfg: TrainLoopConfig;
  metrics: MetricsWriter;
  /** Columns added to every row (e.g. nonEmbeddingParams). */
  rowExtra?: MetricRow;
  /** Training FLOPs per token, for the `compute` column (Kaplan: 6N); 0 leaves it out. */
  flopsPerToken?: number;
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
  /**
   * 'diverged': stopped by the divergence check (see the file comment); the weights in memory
   * and on disk are the last checkpoint's. Fits and tables should leave such a unit out.
   */
  status: 'completed' | 'diverged';
  /** Why and where a diverged job stopped (absent when it completed). */
  divergence?: { step: number; reason: string };
  steps: number;
  tokens: number;
  /** Last evaluation, by split, with parts as `<split>.<part>`. */
  finalLoss: Record<string, number>;
  trainLoss: number;
  tokensPerSec: number;
  resumedFrom: number | null;
  stoppedEarly: boolean;
}

/** Kept for callers that treat a non-finite loss as fatal; train() itself returns 'diverged'. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

function asLossOutput(out: tf.Scalar | LossOutput): LossOutput {
  return out instanceof tf.Tensor ? { loss: out } : out;
}

/** Weighted means of the loss and its parts over the batches. */
export async function evaluateLoss<B>(
  lossFn: TrainJob<B>['lossFn'],
  batches: Iterable<B>,
  weightOf: (b: B) => number = () => 1,
): Promise<Record<string, number>> {
  const sums: Record<string, number> = {};
  let total = 0;
  const ctx: ForwardContext = { training: false, seed: 0, site: 0 };
  for (const batch of batches) {
    const w = weightOf(batch);
    let names: string[] = [];
    const out = tf.tidy(() => {
      const o = asLossOutput(lossFn(batch, ctx));
      names = ['loss', ...Object.keys(o.parts ?? {})];
      return [o.loss, ...Object.values(o.parts ?? {})] as tf.Scalar[];
    });
    const values = await Promise.all(out.map(async (t) => (await t.data())[0]));
    tf.dispose(out);
    names.forEach((n, i) => {
      sums[n] = (sums[n] ?? 0) + values[i] * w;
    });
    total += w;
  }
  if (total === 0) throw new Error('evaluation set is empty');
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / total]));
}

export async function train<B>(job: TrainJob<B>): Promise<TrainResult> {
  const { model, cfg, metrics } = job;
  const params = model.params;
  const optimizer = new AdamW(params.vars, params.noDecay, cfg.adamw);
  const schedule = { lr: cfg.lr, warmupSteps: cfg.warmupSteps, decaySteps: cfg.steps, minLr: cfg.minLr };
  const flops = job.flopsPerToken ?? 0;

  let step = 0;
  let tokens = 0;
  let lossSums: Record<string, number> = {};
  let lossCount = 0;
  let gradNormSum = 0;
  let resumedFrom: number | null = null;
  // Divergence watch: the first evaluation's loss (train rows when there is no eval set) and
  // how many evaluations in a row have been far above it; saved in checkpoints for resume.
  const divergence = cfg.divergence ?? DIVERGENCE_DEFAULTS;
  let watchStart: number | null = null;
  let strikes = 0;
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
    const tr = ck.state.trainer as {
      optimizerStep: number;
      dataPosition: unknown;
      lossSums: Record<string, number>;
      lossCount: number;
      tokens: number;
      metricsBytes: number;
      gradNormSum?: number;
      divergence?: { start: number | null; strikes: number };
    };
    optimizer.step = tr.optimizerStep;
    job.train.setPosition(tr.dataPosition);
    lossSums = { ...tr.lossSums };
    lossCount = tr.lossCount;
    tokens = tr.tokens;
    gradNormSum = tr.gradNormSum ?? 0;
    watchStart = tr.divergence?.start ?? null;
    strikes = tr.divergence?.strikes ?? 0;
    metrics.truncate(tr.metricsBytes);
    step = ck.state.step;
    resumedFrom = step;
  }

  const row = (
    split: string,
    s: number,
    values: Record<string, number>,
    extra: MetricRow = {},
  ): MetricRow => {
    const { loss, ...parts } = values;
    return {
      model: job.name,
      split,
      step: s,
      tokens,
      ...(flops > 0 ? { compute: flops * tokens } : {}),
      loss,
      ...parts,
      ...(job.rowExtra ?? {}),
      ...extra,
    };
  };

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
          lossSums,
          lossCount,
          tokens,
          metricsBytes: metrics.size(),
          gradNormSum,
          divergence: { start: watchStart, strikes },
        },
        modelConfig: { ...(model.config as Record<string, unknown>) },
        runConfig: job.runConfig ?? {},
      },
      extraFiles: job.extraFiles,
    });
  };

  let diverged: { step: number; reason: string } | null = null;
  /** Checks one evaluation (or train-row) loss against the divergence rule. */
  const watch = (loss: number, s: number, what: string) => {
    if (!Number.isFinite(loss)) {
      diverged = { step: s, reason: `${what} loss became ${loss} at step ${s}` };
    } else if (watchStart === null) {
      watchStart = loss;
    } else if (loss > watchStart + divergence.nats) {
      strikes += 1;
      const above = `${what} loss ${loss.toPrecision(4)} at step ${s} is more than ${divergence.nats} nats above its first value ${watchStart.toPrecision(4)}`;
      if (strikes >= divergence.patience)
        diverged = { step: s, reason: `${above}, for ${strikes} evaluations in a row` };
      // A job that ends that far above where it began did not train, however few evaluations it had.
      else if (s === cfg.steps) diverged = { step: s, reason: `${above} at the end` };
    } else {
      strikes = 0;
    }
  };
  const watchedSplit = Object.keys(job.evalSets)[0];

  const runEval = async (s: number) => {
    const out: Record<string, number> = {};
    for (const [split, batches] of Object.entries(job.evalSets)) {
      const values = await evaluateLoss(job.lossFn, batches(), job.weightOf);
      metrics.append(row(split, s, values));
      for (const [k, v] of Object.entries(values)) out[k === 'loss' ? split : `${split}.${k}`] = v;
    }
    if (watchedSplit !== undefined) watch(out[watchedSplit], s, watchedSplit);
    return out;
  };

  const vars = [...params.vars.values()];
  const started = Date.now();
  const stepsAtStart = step;
  const tokensAtStart = tokens;
  let lastTrainLoss = Number.NaN;
  let lastVal: number | undefined;
  let finalLoss: Record<string, number> = {};
  let stoppedEarly = false;
  if (step === 0 && Object.keys(job.evalSets).length > 0) {
    finalLoss = await runEval(0);
    lastVal = finalLoss.val;
  }

  while (step < cfg.steps && !diverged) {
    const lr = learningRate(step, schedule);
    const batch = job.train.next();
    const ctx: ForwardContext = { training: true, seed: opSeed(cfg.seed, 'step', step), site: 0 };
    const parts: Record<string, tf.Scalar> = {};
    const { value, grads } = tf.variableGrads(() => {
      const out = asLossOutput(job.lossFn(batch, ctx));
      for (const [k, t] of Object.entries(out.parts ?? {})) parts[k] = tf.keep(t);
      return out.loss;
    }, vars);
    const lossValue = (await value.data())[0];
    const partValues: Record<string, number> = {};
    for (const [k, t] of Object.entries(parts)) partValues[k] = (await t.data())[0];
    tf.dispose(Object.values(parts));
    if (!Number.isFinite(lossValue)) {
      value.dispose();
      tf.dispose(Object.values(grads));
      diverged = { step: step + 1, reason: `training loss became ${lossValue} at step ${step + 1}` };
      break;
    }
    const named = new Map<string, tf.Tensor>();
    for (const [tfName, g] of Object.entries(grads)) named.set(params.nameOf(tfName), g);
    const norm = optimizer.apply(named, lr);
    const gradNorm = (await norm.data())[0];
    value.dispose();
    norm.dispose();
    tf.dispose(Object.values(grads));
    if (!Number.isFinite(gradNorm)) {
      // The update has already used it; the weights are set back to the last checkpoint below.
      diverged = { step: step + 1, reason: `gradient norm became ${gradNorm} at step ${step + 1}` };
      break;
    }
    step += 1;
    gradNormSum += gradNorm;
    tokens += job.tokensIn(batch);
    for (const [k, v] of Object.entries({ loss: lossValue, ...partValues }))
      lossSums[k] = (lossSums[k] ?? 0) + v;
    lossCount += 1;
    lastTrainLoss = lossValue;

    const elapsed = (Date.now() - started) / 1000;
    const tokensPerSec = (tokens - tokensAtStart) / Math.max(elapsed, 1e-9);
    if (step % cfg.logEvery === 0 || step === cfg.steps) {
      const means = Object.fromEntries(Object.entries(lossSums).map(([k, v]) => [k, v / lossCount]));
      // The mean gradient norm goes to TensorBoard, not to metrics.jsonl (whose columns stay as they were).
      metrics.append(row('train', step, means, { lr, tokensPerSec, elapsedSec: elapsed }), {
        gradNorm: gradNormSum / lossCount,
      });
      lossSums = {};
      lossCount = 0;
      gradNormSum = 0;
      if (watchedSplit === undefined) watch(means.loss, step, 'training');
    }
    if (!diverged && (step % cfg.evalEvery === 0 || step === cfg.steps)) {
      finalLoss = await runEval(step);
      lastVal = finalLoss.val;
    }
    if (diverged) break;
    if ((cfg.checkpointEvery > 0 && step % cfg.checkpointEvery === 0) || step === cfg.steps) await save();
    const stepsPerSec = (step - stepsAtStart) / Math.max(elapsed, 1e-9);
    job.progress?.update(
      { label: job.name, step, totalSteps: cfg.steps, loss: lossValue, tokensPerSec, valLoss: lastVal },
      (cfg.steps - step) / Math.max(stepsPerSec, 1e-9),
      step === cfg.steps,
    );
    // Let the event loop turn once a step: tensor reads resolve as microtasks, so without this a
    // SIGINT or SIGTERM handler (the CLI's, which records the run and closes its files) would
    // wait for the whole job to end.
    await new Promise((resolve) => setImmediate(resolve));
    if (job.stopAfterStep !== undefined && step >= job.stopAfterStep && step < cfg.steps) {
      stoppedEarly = true;
      break;
    }
  }
  const elapsed = (Date.now() - started) / 1000;
  optimizer.dispose();
  if (diverged && job.checkpointDir && checkpointExists(job.checkpointDir)) {
    // What the caller goes on with (e.g. fine-tuning) is the last good state, as on disk.
    const ck = loadCheckpoint(job.checkpointDir);
    params.assign(Object.fromEntries(Object.entries(ck.weights).map(([k, v]) => [k, v.data])));
  }
  const stop = diverged as { step: number; reason: string } | null;
  return {
    status: stop ? 'diverged' : 'completed',
    ...(stop ? { divergence: stop } : {}),
    steps: step,
    tokens,
    finalLoss,
    trainLoss: lastTrainLoss,
    tokensPerSec: (tokens - tokensAtStart) / Math.max(elapsed, 1e-9),
    resumedFrom,
    stoppedEarly,
  };
}
