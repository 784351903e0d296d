/**
 * The NSP ablation's units: pretraining one BERT (MLM, plus NSP or SOP where the format has a
 * pair label) and evaluating an encoder on a task, by full fine-tuning of a [CLS] classifier
 * or by a linear probe on its frozen mean-pooled states. Each returns the ablation schema's
 * rows (packages/experiment/src/schema.ts); the runner decides when each runs.
 */

import { IndexStream } from '@pretrain-lab/data';
import {
  classificationOutcome,
  type EvalOutcome,
  type EvalQuery,
  finetuneLoop,
  type PretrainOutcome,
  pretrainLoop,
} from '@pretrain-lab/experiment';
import { maskedMean } from '@pretrain-lab/layers';
import type { BERT } from '@pretrain-lab/models';
import {
  type BertExample,
  formatHasPairLabel,
  type MlmOptions,
  maskBatch,
  pairObjective,
} from '@pretrain-lab/objectives';
import { linearProbe, type MetricsWriter, type ProgressBar, train } from '@pretrain-lab/train';
import * as tf from '@tensorflow/tfjs';
import type { NspConfig, NspVariant } from './config.js';
import type { EncodedTask } from './data.js';

interface EncoderBatch {
  inputIds: Int32Array;
  tokenTypeIds: Int32Array;
  attentionMask: Int32Array;
  rows: number;
}
interface PretrainBatch extends EncoderBatch {
  mlmLabels: Int32Array;
  pairLabels: Int32Array | null;
}
interface ClassifyBatch extends EncoderBatch {
  labels: Int32Array;
}

export interface UnitContext {
  cfg: NspConfig;
  metrics: MetricsWriter;
  progress: ProgressBar;
  mlmOpts: MlmOptions;
  extraFiles: Record<string, string>;
  log: (line: string) => void;
}

function gatherRows(examples: readonly BertExample[], indices: ArrayLike<number>, T: number) {
  const rows = indices.length;
  const b = {
    inputIds: new Int32Array(rows * T),
    tokenTypeIds: new Int32Array(rows * T),
    attentionMask: new Int32Array(rows * T),
    rows,
    pair: new Int32Array(rows),
  };
  for (let r = 0; r < rows; r++) {
    const ex = examples[indices[r]];
    b.inputIds.set(ex.inputIds, r * T);
    b.tokenTypeIds.set(ex.tokenTypeIds, r * T);
    b.attentionMask.set(ex.attentionMask, r * T);
    b.pair[r] = ex.nspLabel;
  }
  return b;
}

function tensors(b: EncoderBatch, T: number) {
  return {
    inputIds: tf.tensor2d(b.inputIds, [b.rows, T], 'int32'),
    tokenTypeIds: tf.tensor2d(b.tokenTypeIds, [b.rows, T], 'int32'),
    attentionMask: tf.tensor2d(b.attentionMask, [b.rows, T], 'int32'),
  };
}

const realTokens = (b: EncoderBatch) => b.attentionMask.reduce((a, x) => a + x, 0);
const range = (start: number, n: number) => Int32Array.from({ length: n }, (_, i) => start + i);

/** Pretrain `model` on `examples` for the configured budget of real tokens, from its checkpoint. */
export async function pretrainBert(
  u: UnitContext,
  model: BERT,
  v: NspVariant,
  seed: number,
  data: { examples: BertExample[]; validation: BertExample[] },
  unit: { checkpointDir: string; label: string },
): Promise<PretrainOutcome> {
  const { cfg } = u;
  const p = cfg.pretrain;
  const T = cfg.model.maxLen;
  const pair = formatHasPairLabel(v.format);
  const { examples } = data;
  const meanReal = examples.reduce((a, e) => a + e.length, 0) / examples.length;
  const steps = Math.max(1, Math.round(p.tokens / (p.batchSize * meanReal)));
  const order = new IndexStream(examples.length, p.batchSize, seed, 'examples');
  const masking = { masking: v.masking, seed, numCopies: p.staticCopies };
  const batch = (
    ex: readonly BertExample[],
    idx: Int32Array,
    m: Parameters<typeof maskBatch>[2],
  ): PretrainBatch => {
    const b = gatherRows(ex, idx, T);
    const masked = maskBatch(b.inputIds, T, m, u.mlmOpts, { sequenceIndices: idx });
    return { ...b, inputIds: masked.inputs, mlmLabels: masked.labels, pairLabels: pair ? b.pair : null };
  };
  const source = {
    next: (): PretrainBatch => {
      const { indices, epoch } = order.next();
      return batch(examples, indices, { ...masking, epoch });
    },
    getPosition: () => order.getPosition(),
    setPosition: (pos: any) => order.setPosition(pos),
  };
  // Validation: the same masks every time (epoch 0 of the split seed).
  const valBatches: PretrainBatch[] = [];
  const val = data.validation.slice(0, p.evalExamples);
  for (let s = 0; s < val.length; s += p.batchSize) {
    const idx = range(s, Math.min(p.batchSize, val.length - s));
    valBatches.push(batch(val, idx, { masking: 'dynamic', seed: cfg.splitSeed, epoch: 0 }));
  }
  const result = await train<PretrainBatch>({
    name: unit.label,
    model,
    train: source,
    lossFn: (b, fctx) => {
      const out = model.pretrainLoss(
        {
          ...tensors(b, T),
          mlmLabels: tf.tensor2d(b.mlmLabels, [b.rows, T], 'int32'),
          nspLabels: b.pairLabels ? tf.tensor1d(b.pairLabels, 'int32') : null,
        },
        fctx,
      );
      const parts: Record<string, tf.Scalar> = { mlm: out.mlmLoss };
      if (out.nspLoss) parts.pair = out.nspLoss;
      return { loss: out.loss, parts };
    },
    evalSets: { val: () => valBatches },
    tokensIn: realTokens,
    weightOf: (b) => b.rows,
    cfg: pretrainLoop(p, { steps, warmupSteps: Math.max(1, Math.round(p.warmupFraction * steps)), seed }),
    metrics: u.metrics,
    rowExtra: { phase: 'pretrain', variant: v.name, seed },
    checkpointDir: unit.checkpointDir,
    resume: true,
    runConfig: { experiment: 'nsp', variant: v.name, seed, pairObjective: pairObjective(v.format) },
    extraFiles: u.extraFiles,
    progress: u.progress,
  });
  if (result.status === 'diverged')
    u.log(`${unit.label}: diverged (${result.divergence?.reason}); kept its last good checkpoint`);
  const finalLoss: Record<string, number> = { mlm: result.finalLoss['val.mlm'] };
  if (pair) finalLoss.pair = result.finalLoss['val.pair'];
  return {
    status: result.status,
    steps: result.steps,
    tokens: result.tokens,
    epochs: (result.steps * p.batchSize) / examples.length,
    finalLoss,
    tokensPerSec: Math.round(result.tokensPerSec),
    extra: { examples: examples.length, meanRealTokens: meanReal },
  };
}

/** Mean of the last hidden states over real tokens, [rows, dModel] row-major. */
async function meanPooled(model: BERT, examples: readonly BertExample[], T: number): Promise<Float32Array> {
  const C = model.config.dModel;
  const out = new Float32Array(examples.length * C);
  for (let s = 0; s < examples.length; s += 64) {
    const b = gatherRows(examples, range(s, Math.min(64, examples.length - s)), T);
    const f = tf.tidy(() => {
      const t = tensors(b, T);
      return maskedMean(model.encode(t.inputIds, t.tokenTypeIds, t.attentionMask), t.attentionMask); // [B, C]
    });
    out.set((await f.data()) as Float32Array, s * C);
    f.dispose();
  }
  return out;
}

/** The test set's gold and predicted labels (indices into task.labels) as an evaluation row. */
function outcomeOf(
  task: EncodedTask,
  predicted: ArrayLike<number>,
  trainLoss: number,
  status: 'completed' | 'diverged',
) {
  const gold = Array.from(task.test.labels, (l) => task.labels[l]);
  return classificationOutcome(
    gold,
    Array.from(predicted, (l) => task.labels[l]),
    trainLoss,
    status,
  );
}

/** Frozen features of a task's training and test inputs, computed once per encoder and task. */
const featureCache = new WeakMap<BERT, Map<string, { train: Float32Array; test: Float32Array }>>();
async function probeFeatures(encoder: BERT, task: EncodedTask, T: number) {
  let byTask = featureCache.get(encoder);
  if (!byTask) {
    byTask = new Map();
    featureCache.set(encoder, byTask);
  }
  let f = byTask.get(task.name);
  if (!f) {
    f = {
      train: await meanPooled(encoder, task.train.examples, T),
      test: await meanPooled(encoder, task.test.examples, T),
    };
    byTask.set(task.name, f);
  }
  return f;
}

/** Evaluate an encoder on a task: a frozen linear probe, or full fine-tuning of a copy. */
export async function evaluateBert(
  u: UnitContext,
  encoder: BERT,
  q: EvalQuery<EncodedTask>,
): Promise<EvalOutcome> {
  const { cfg } = u;
  const T = cfg.model.maxLen;
  const task = q.task;
  const n = Math.min(q.spec.trainExamples, task.train.examples.length);
  // The nested subsets: the first n of the task's seeded order, the same for every row.
  if (q.spec.method === 'probe') {
    const feats = await probeFeatures(encoder, task, T);
    const C = encoder.config.dModel;
    const train = { features: feats.train.subarray(0, n * C), labels: task.train.labels.slice(0, n) };
    const r = linearProbe(train, feats.test, C, { classes: task.labels.length, ...cfg.probe });
    const out = outcomeOf(task, r.predicted, r.trainLoss, 'completed');
    u.progress.done(`${q.label}: probe accuracy ${(out.score * 100).toFixed(1)}%`);
    return out;
  }
  const f = cfg.finetune;
  const model = encoder.withClassifier(task.labels.length, q.seed);
  const order = new IndexStream(n, Math.min(f.batchSize, n), q.seed, `${task.name} examples`);
  const source = {
    next: (): ClassifyBatch => {
      const { indices } = order.next();
      const b = gatherRows(task.train.examples, indices, T);
      return { ...b, labels: Int32Array.from(indices, (i) => task.train.labels[i]) };
    },
    getPosition: () => order.getPosition(),
    setPosition: (pos: any) => order.setPosition(pos),
  };
  const result = await train<ClassifyBatch>({
    name: q.label,
    model,
    train: source,
    lossFn: (b, fctx) =>
      model.classificationLoss({ ...tensors(b, T), labels: tf.tensor1d(b.labels, 'int32') }, fctx),
    evalSets: {},
    tokensIn: realTokens,
    cfg: finetuneLoop(f, q.seed),
    metrics: u.metrics,
    rowExtra: { phase: 'finetune', variant: q.variant, seed: q.seed, task: task.name, trainExamples: n },
    progress: u.progress,
  });
  const predicted: number[] = [];
  for (let s = 0; s < task.test.examples.length; s += 64) {
    const b = gatherRows(task.test.examples, range(s, Math.min(64, task.test.examples.length - s)), T);
    const arg = tf.tidy(() => {
      const t = tensors(b, T);
      return tf.argMax(model.classifyLogits(t.inputIds, t.tokenTypeIds, t.attentionMask), -1);
    });
    predicted.push(...((await arg.data()) as Int32Array));
    arg.dispose();
  }
  model.dispose();
  const out = outcomeOf(task, predicted, result.trainLoss, result.status);
  u.progress.done(`${q.label}: test accuracy ${(out.score * 100).toFixed(1)}%`);
  return out;
}
