/**
 * The span-corruption study's evaluations of a model on a task: a linear probe on the frozen
 * encoder (classification tasks), or full text-to-text fine-tuning of a copy with greedy
 * decoding of the test inputs (and, for classification, rank classification over the label
 * texts, the headline); each returns the ablation schema's row with per-example scores.
 */
import {
  classificationOutcome,
  type EvalOutcome,
  type EvalQuery,
  finetuneLoop,
} from '@pretrain-lab/experiment';
import { maskedMean } from '@pretrain-lab/layers';
import { T5 } from '@pretrain-lab/models';
import { UserError } from '@pretrain-lab/runtime';
import { casedTokenize, classificationScores, exactMatch, rougeLPerExample } from '@pretrain-lab/tasks';
import { linearProbe, train } from '@pretrain-lab/train';
import * as tf from '@tensorflow/tfjs';
import { collate, LengthGroupedBatches, lossOf, mean, PAD, type Seq2SeqBatch } from './batches.js';
import type { TextTask } from './data.js';
import type { UnitContext } from './units.js';

const DECODE_BATCH = 64;

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

/**
 * Rank classification (as GPT-3 and T0 score label choices): each test input's label is the one
 * whose text (with </s>) the decoder gives the highest log-likelihood, so a fine-tuned model that
 * has not yet learnt to stop emitting span-corruption sentinels is still scored on what it
 * prefers among the labels. The encoder runs once per batch; the decoder once per label.
 */
async function rankLabels(u: UnitContext, model: T5, task: TextTask): Promise<string[]> {
  const { tok } = u;
  const V = model.config.vocabSize;
  const labelIds = task.labels.map((l) => {
    const ids = tok.encode(l).subarray(0, task.targetLength - 1);
    return Int32Array.from([...ids, tok.eosId]);
  });
  const inputs = task.test.inputs;
  const out = new Array<string>(inputs.length);
  for (let st = 0; st < inputs.length; st += DECODE_BATCH) {
    const rows = inputs.slice(st, st + DECODE_BATCH);
    const b = collate(
      rows,
      rows.map(() => new Int32Array(0)),
    );
    const scores = tf.tidy(() => {
      const ids = tf.tensor2d(b.inputIds, [b.rows, b.inLen], 'int32'); // [B, S]
      const mask = tf.tensor2d(b.attentionMask, [b.rows, b.inLen], 'int32'); // [B, S]
      const enc = model.encode(ids, mask); // [B, S, C]
      const perLabel = labelIds.map((l) => {
        const labels = tf.tile(tf.tensor2d(l, [1, l.length], 'int32'), [b.rows, 1]) as tf.Tensor2D; // [B, T]
        const logp = tf.logSoftmax(model.decode(model.shiftRight(labels), enc, mask), -1); // [B, T, V]
        return tf.sum(tf.mul(logp, tf.oneHot(labels, V)), [1, 2]); // [B]
      });
      return tf.stack(perLabel, 1); // [B, K]
    });
    const best = tf.argMax(scores, 1);
    const data = (await best.data()) as Int32Array;
    tf.dispose([scores, best]);
    data.forEach((k, r) => {
      out[st + r] = task.labels[k];
    });
  }
  return out;
}

/** The schema row's scores: the headline metric per example, and every metric computed. */
function scoresOf(
  task: TextTask,
  gold: string[],
  pred: string[],
  ranked: string[] | null,
): Pick<EvalOutcome, 'metric' | 'perExample' | 'scores'> {
  if (task.metric === 'accuracy') {
    // The headline is rank classification; greedy decoding's accuracy (an output that is no
    // label counts wrong, as in T5's evaluation) is kept beside it.
    const { perExample, accuracy, macroF1 } = classificationScores(gold, ranked ?? pred);
    const greedyAccuracy = classificationScores(gold, pred).accuracy;
    return { metric: 'accuracy', perExample, scores: { accuracy, macroF1, greedyAccuracy } };
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
        return maskedMean(model.encode(ids, mask), mask); // [B, C]
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
  const out = classificationOutcome(gold, pred, r.trainLoss);
  u.progress.done(`${q.label}: probe accuracy ${(out.score * 100).toFixed(1)}%`);
  return out;
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
  const ranked = task.kind === 'classification' ? await rankLabels(u, model, task) : null;
  model.dispose();
  const { metric, perExample, scores } = scoresOf(task, gold, pred, ranked);
  const score = mean(perExample);
  u.progress.done(`${q.label}: test ${metric} ${(score * 100).toFixed(1)}`);
  return {
    status: result.status,
    metric,
    score,
    scores,
    perExample,
    trainLoss: result.trainLoss,
    examples: pred.slice(0, 3).map((prediction, i) => ({
      target: gold[i],
      prediction: ranked ? `${ranked[i]} (greedy: ${prediction})` : prediction,
    })),
  };
}
