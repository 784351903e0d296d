/**
 * The span-corruption study's units: pretraining one T5 on span corruption at a (mean span,
 * rate) setting, and evaluating a model on a task by full fine-tuning of a copy, text to text,
 * with greedy decoding of the test inputs. Each returns the ablation schema's rows
 * (packages/experiment/src/schema.ts); the runner decides when each runs.
 */
import { IndexStream } from '@pretrain-lab/data';
import {
  type EvalOutcome,
  type EvalQuery,
  finetuneLoop,
  type PretrainOutcome,
} from '@pretrain-lab/experiment';
import { T5, type T5Config } from '@pretrain-lab/models';
import { randomSpansHelper, spanCorruption } from '@pretrain-lab/objectives';
import { Rng, UserError } from '@pretrain-lab/runtime';
import { accuracy, casedTokenize, exactMatch, macroF1, rougeLPerExample } from '@pretrain-lab/tasks';
import type { UnigramTokenizer } from '@pretrain-lab/tokenizers';
import { linearProbe, type MetricsWriter, type ProgressBar, train } from '@pretrain-lab/train';
import * as tf from '@tensorflow/tfjs';
import type { SpansConfig, SpanVariant } from './config.js';
import type { TextTask } from './data.js';

interface Seq2SeqBatch {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  labels: Int32Array;
  rows: number;
  inLen: number;
  outLen: number;
}

export interface UnitContext {
  cfg: SpansConfig;
  metrics: MetricsWriter;
  progress: ProgressBar;
  log: (line: string) => void;
  tok: UnigramTokenizer;
  modelConfig: T5Config;
  extraFiles: Record<string, string>;
}

const PAD = 0;
const DECODE_BATCH = 64;
const mean = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length);

/**
 * Pad rows of ids to one batch: inputs with pad and a mask, labels with -100 (ignored). Lengths
 * default to the batch's longest row: padding changes no loss (masked keys, ignored labels) but
 * costs time, about 3x per step at half padding with the native kernels (a masked row is slower
 * than a full one, not just longer).
 */
function collate(
  inputs: readonly Int32Array[],
  targets: readonly Int32Array[],
  inLen = Math.max(1, ...inputs.map((x) => x.length)),
  outLen = Math.max(1, ...targets.map((x) => x.length)),
): Seq2SeqBatch {
  const rows = inputs.length;
  const inputIds = new Int32Array(rows * inLen).fill(PAD);
  const attentionMask = new Int32Array(rows * inLen);
  const labels = new Int32Array(rows * outLen).fill(-100);
  for (let r = 0; r < rows; r++) {
    const x = inputs[r].subarray(0, inLen);
    inputIds.set(x, r * inLen);
    attentionMask.fill(1, r * inLen, r * inLen + x.length);
    labels.set(targets[r].subarray(0, outLen), r * outLen);
  }
  return { inputIds, attentionMask, labels, rows, inLen, outLen };
}

function lossOf(model: T5, b: Seq2SeqBatch, ctx: Parameters<T5['loss']>[1]) {
  return model.loss(
    {
      inputIds: tf.tensor2d(b.inputIds, [b.rows, b.inLen], 'int32'), // [B, S]
      attentionMask: tf.tensor2d(b.attentionMask, [b.rows, b.inLen], 'int32'), // [B, S]
      labels: tf.tensor2d(b.labels, [b.rows, b.outLen], 'int32'), // [B, T]
    },
    ctx,
  );
}

/**
 * Fine-tuning batches grouped by length, as Hugging Face's `group_by_length`: each epoch a
 * seeded permutation of the n examples is cut into groups of 16 batches, each group sorted by
 * length and cut into batches, and the epoch's batches are shuffled. A batch then pads little
 * (see collate). The remainder of the last group is dropped, as IndexStream drops its remainder.
 */
class LengthGroupedBatches {
  private epoch = 0;
  private offset = 0;
  private batches: Int32Array[] = [];
  private builtFor = -1;

  constructor(
    private readonly lengths: readonly number[],
    private readonly batchSize: number,
    private readonly seed: number,
    private readonly label: string,
  ) {
    if (!(batchSize >= 1 && lengths.length >= batchSize))
      throw new Error(`${label}: ${lengths.length} training examples for batch size ${batchSize}`);
  }

  private build(epoch: number): Int32Array[] {
    if (this.builtFor === epoch) return this.batches;
    const n = this.lengths.length;
    const rng = Rng.derive(this.seed, `${this.label}/length-grouped/epoch${epoch}`);
    const order = rng.permutation(n);
    const group = this.batchSize * 16;
    const batches: Int32Array[] = [];
    for (let g = 0; g < n; g += group) {
      const members = Array.from(order.subarray(g, Math.min(n, g + group))).sort(
        (a, b) => this.lengths[b] - this.lengths[a] || a - b,
      );
      for (let b = 0; b + this.batchSize <= members.length; b += this.batchSize)
        batches.push(Int32Array.from(members.slice(b, b + this.batchSize)));
    }
    this.batches = rng.shuffle(batches);
    this.builtFor = epoch;
    return batches;
  }

  next(): Int32Array {
    if (this.offset >= this.build(this.epoch).length) {
      this.epoch++;
      this.offset = 0;
    }
    return this.build(this.epoch)[this.offset++];
  }

  getPosition() {
    return { epoch: this.epoch, offset: this.offset };
  }

  setPosition(pos: { epoch: number; offset: number }) {
    this.epoch = pos.epoch;
    this.offset = pos.offset;
  }
}

/** Pretrain `model` on span corruption of `streams.train` for pretrain.steps, from its checkpoint. */
export async function pretrainT5(
  u: UnitContext,
  model: T5,
  s: SpanVariant,
  seed: number,
  streams: { train: Int32Array; validation: Int32Array },
  unit: { checkpointDir: string; label: string },
): Promise<PretrainOutcome> {
  const { cfg, tok } = u;
  const p = cfg.pretrain;
  // As T5's random_spans_helper: raw tokens per example so that the corrupted inputs fill inputLength.
  const { tokensLength, targetsLength } = randomSpansHelper(p.inputLength, s.rate, s.meanSpan);
  const chunks = Math.floor(streams.train.length / tokensLength);
  // One mask per (chunk, epoch), from a stream of its own: resumable and independent of batch order.
  const corrupt = (src: Int32Array, i: number, rngSeed: number, epoch: number) =>
    spanCorruption(src.subarray(i * tokensLength, (i + 1) * tokensLength), {
      noiseDensity: s.rate,
      meanNoiseSpanLength: s.meanSpan,
      rng: Rng.derive(rngSeed, `spans/${i}/${epoch}`),
      sentinelId: (k) => tok.sentinelId(k),
      eosId: tok.eosId,
    });
  const batch = (ex: ReturnType<typeof corrupt>[]) =>
    collate(
      ex.map((e) => e.inputs),
      ex.map((e) => e.targets),
      p.inputLength,
      targetsLength,
    );
  const order = new IndexStream(
    chunks,
    p.batchSize,
    seed,
    `chunks of ${tokensLength} training tokens (corpus '${cfg.corpus}', ${streams.train.length} tokens)`,
  );
  const source = {
    next: (): Seq2SeqBatch => {
      const { indices, epoch } = order.next();
      return batch(Array.from(indices, (i) => corrupt(streams.train, i, seed, epoch)));
    },
    getPosition: () => order.getPosition(),
    setPosition: (pos: any) => order.setPosition(pos),
  };
  // Validation: the same chunks and masks every time (epoch 0 of the split seed).
  const valChunks = Math.min(p.evalExamples, Math.floor(streams.validation.length / tokensLength));
  const valBatches: Seq2SeqBatch[] = [];
  const valTargets: number[] = [];
  for (let st = 0; st < valChunks; st += p.batchSize) {
    const ex = Array.from({ length: Math.min(p.batchSize, valChunks - st) }, (_, j) =>
      corrupt(streams.validation, st + j, cfg.splitSeed, 0),
    );
    for (const e of ex) valTargets.push(e.targets.length);
    valBatches.push(batch(ex));
  }
  const targetLength = mean(valTargets);
  u.log(
    `${unit.label}: ${tokensLength} raw tokens -> ${p.inputLength} inputs and ${targetsLength} targets (mean ${targetLength.toFixed(1)}), ${chunks} chunks`,
  );
  const result = await train<Seq2SeqBatch>({
    name: unit.label,
    model,
    train: source,
    lossFn: (b, fctx) => lossOf(model, b, fctx),
    evalSets: { val: () => valBatches },
    tokensIn: (b) => b.rows * b.inLen,
    weightOf: (b) => b.rows,
    cfg: {
      steps: p.steps,
      lr: p.lr,
      minLr: p.lr * p.minLrRatio,
      warmupSteps: p.warmupSteps,
      adamw: { beta1: p.beta1, beta2: p.beta2, eps: p.eps, weightDecay: p.weightDecay, gradClip: 1.0 },
      evalEvery: p.evalEvery,
      logEvery: p.logEvery,
      checkpointEvery: p.checkpointEvery,
      seed,
    },
    metrics: u.metrics,
    rowExtra: { phase: 'pretrain', variant: s.name, seed, meanSpan: s.meanSpan, rate: s.rate },
    checkpointDir: unit.checkpointDir,
    resume: true,
    runConfig: { experiment: 'spans', variant: s.name, seed },
    extraFiles: u.extraFiles,
    progress: u.progress,
  });
  u.progress.done(
    `${unit.label}: val loss ${result.finalLoss.val.toFixed(3)}, ${Math.round(result.tokensPerSec)} input tokens/s`,
  );
  if (result.status === 'diverged')
    u.log(`${unit.label}: diverged (${result.divergence?.reason}); kept its last good checkpoint`);
  return {
    status: result.status,
    steps: result.steps,
    // Input tokens: the budget T5 holds fixed across Tables 6-7 (the raw tokens differ by setting).
    tokens: result.tokens,
    epochs: (result.steps * p.batchSize) / chunks,
    finalLoss: { val: result.finalLoss.val },
    tokensPerSec: Math.round(result.tokensPerSec),
    extra: { rawTokensPerExample: tokensLength, targetLength, inputLength: p.inputLength },
  };
}

/**
 * Greedy decoding of every test input, as text without </s> and padding. Inputs go in order of
 * length so that each batch pads little; the texts come back in test-set order.
 */
async function generate(u: UnitContext, model: T5, task: TextTask): Promise<string[]> {
  const { tok } = u;
  const inputs = task.test.inputs;
  const byLength = Array.from(inputs.keys()).sort((a, b) => inputs[a].length - inputs[b].length || a - b);
  const out = new Array<string>(inputs.length);
  for (let st = 0; st < byLength.length; st += DECODE_BATCH) {
    const rows = byLength.slice(st, st + DECODE_BATCH);
    const b = collate(
      rows.map((i) => inputs[i]),
      rows.map(() => new Int32Array(0)),
    );
    const ids = tf.tensor2d(b.inputIds, [b.rows, b.inLen], 'int32'); // [B, S]
    const mask = tf.tensor2d(b.attentionMask, [b.rows, b.inLen], 'int32'); // [B, S]
    const generated = await model.greedy(ids, mask, { maxLength: task.targetLength });
    tf.dispose([ids, mask]);
    generated.forEach((g, r) => {
      out[rows[r]] = tok.decode(g.filter((x) => x !== tok.eosId && x !== PAD)).trim();
    });
  }
  return out;
}

/** The schema row's scores: the headline metric per example, and every metric computed. */
function scoresOf(
  task: TextTask,
  gold: string[],
  pred: string[],
): Pick<EvalOutcome, 'metric' | 'perExample' | 'scores'> {
  if (task.metric === 'accuracy') {
    const perExample = gold.map((g, i) => (g === pred[i] ? 1 : 0));
    return {
      metric: 'accuracy',
      perExample,
      scores: { accuracy: accuracy(gold, pred), macroF1: macroF1(gold, pred) },
    };
  }
  if (task.metric === 'exactMatch') {
    // rouge-score's default tokenizer drops case and punctuation, so it would score a copy of the
    // input 1 (see packages/tasks/src/brown-restore.ts); ROUGE-L over cased tokens sees them.
    const perExample = exactMatch(gold, pred);
    const rougeL = mean(rougeLPerExample(gold, pred, { tokenize: casedTokenize }));
    return { metric: 'exactMatch', perExample, scores: { exactMatch: mean(perExample), rougeL } };
  }
  const perExample = rougeLPerExample(gold, pred);
  return {
    metric: 'rougeL',
    perExample,
    scores: { rougeL: mean(perExample), exactMatch: mean(exactMatch(gold, pred)) },
  };
}

/** Evaluate a model on a task: full fine-tuning of a copy on its first n training examples, then greedy decoding. */
/**
 * A linear probe on the frozen encoder's mean-pooled states (classification tasks only), as in
 * the nsp experiment: what the encoder's features hold, without fine-tuning.
 */
async function probeT5(u: UnitContext, model: T5, q: EvalQuery<TextTask>): Promise<EvalOutcome> {
  const task = q.task;
  if (task.kind !== 'classification' || !task.train.labelIndex)
    throw new UserError(
      `evals: a probe needs a classification task; '${task.name}' is a generation task (use finetune)`,
    );
  const n = Math.min(q.spec.trainExamples, task.train.inputs.length);
  const C = model.config.dModel;
  const pooled = async (inputs: readonly Int32Array[]) => {
    const out = new Float32Array(inputs.length * C);
    for (let s = 0; s < inputs.length; s += DECODE_BATCH) {
      const rows = inputs.slice(s, s + DECODE_BATCH);
      const b = collate(
        rows,
        rows.map(() => new Int32Array(0)),
      );
      const f = tf.tidy(() => {
        const ids = tf.tensor2d(b.inputIds, [b.rows, b.inLen], 'int32');
        const mask = tf.tensor2d(b.attentionMask, [b.rows, b.inLen], 'int32');
        const h = model.encode(ids, mask); // [B, S, C]
        const w = tf.expandDims(tf.cast(mask, 'float32'), -1); // [B, S, 1]
        return tf.div(tf.sum(tf.mul(h, w), 1), tf.sum(w, 1)); // [B, C]
      });
      out.set((await f.data()) as Float32Array, s * C);
      f.dispose();
    }
    return out;
  };
  const r = linearProbe(
    { features: await pooled(task.train.inputs.slice(0, n)), labels: task.train.labelIndex.slice(0, n) },
    await pooled(task.test.inputs),
    C,
    { classes: task.labels.length, ...u.cfg.probe },
  );
  const gold = task.test.targets;
  const pred = Array.from(r.predicted, (i) => task.labels[i]);
  const perExample = gold.map((g, i) => (g === pred[i] ? 1 : 0));
  const acc = mean(perExample);
  u.progress.done(`${q.label}: probe accuracy ${(acc * 100).toFixed(1)}%`);
  return {
    status: 'completed',
    metric: 'accuracy',
    score: acc,
    scores: { accuracy: acc, macroF1: macroF1(gold, pred) },
    perExample,
    trainLoss: r.trainLoss,
  };
}

export async function evaluateT5(
  u: UnitContext,
  pretrained: T5,
  q: EvalQuery<TextTask>,
): Promise<EvalOutcome> {
  const f = u.cfg.finetune;
  const task = q.task;
  if (q.spec.method === 'probe') return probeT5(u, pretrained, q);
  // The nested subsets: the first n of the task's seeded order, the same for every row.
  const n = Math.min(q.spec.trainExamples, task.train.inputs.length);
  // A copy, so the pretrained weights serve every task and training-set size.
  const model = new T5(u.modelConfig, q.seed);
  const weights = await pretrained.params.snapshot();
  model.params.assign(Object.fromEntries(Object.entries(weights).map(([k, w]) => [k, w.data])));
  const lengths = Array.from(
    { length: n },
    (_, i) => task.train.inputs[i].length + task.train.targets[i].length,
  );
  const order = new LengthGroupedBatches(lengths, Math.min(f.batchSize, n), q.seed, task.name);
  const source = {
    next: (): Seq2SeqBatch => {
      const indices = order.next();
      return collate(
        Array.from(indices, (i) => task.train.inputs[i]),
        Array.from(indices, (i) => task.train.targets[i]),
      );
    },
    getPosition: () => order.getPosition(),
    setPosition: (pos: any) => order.setPosition(pos),
  };
  const result = await train<Seq2SeqBatch>({
    name: q.label,
    model,
    train: source,
    lossFn: (b, fctx) => lossOf(model, b, fctx),
    evalSets: {},
    tokensIn: (b) => b.attentionMask.reduce((a, x) => a + x, 0), // real input tokens: batches pad unevenly
    cfg: finetuneLoop(f, q.seed),
    metrics: u.metrics,
    rowExtra: { phase: 'finetune', variant: q.variant, seed: q.seed, task: task.name, trainExamples: n },
    progress: u.progress,
  });
  const gold = task.test.targets;
  const pred = await generate(u, model, task);
  model.dispose();
  const { metric, perExample, scores } = scoresOf(task, gold, pred);
  const score = mean(perExample);
  u.progress.done(`${q.label}: test ${metric} ${(score * 100).toFixed(1)}`);
  return {
    status: result.status,
    metric,
    score,
    scores,
    perExample,
    trainLoss: result.trainLoss,
    examples: pred.slice(0, 3).map((prediction, i) => ({ target: gold[i], prediction })),
  };
}
