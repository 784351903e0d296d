/**
 * The span-corruption study's evaluations of a model on a task: a linear probe on the frozen
 * encoder (classification tasks), or full text-to-text fine-tuning of a copy with greedy
 * decoding of the test inputs; each returns the ablation schema's row with per-example scores.
 */
import { type EvalOutcome, type EvalQuery, finetuneLoop } from '@pretrain-lab/experiment';
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

/** The schema row's scores: the headline metric per example, and every metric computed. */
function scoresOf(
  task: TextTask,
  gold: string[],
  pred: string[],
): Pick<EvalOutcome, 'metric' | 'perExample' | 'scores'> {
  if (task.metric === 'accuracy') {
    const { perExample, accuracy, macroF1 } = classificationScores(gold, pred);
    return { metric: 'accuracy', perExample, scores: { accuracy, macroF1 } };
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
  const { perExample, accuracy, macroF1 } = classificationScores(gold, pred);
  u.progress.done(`${q.label}: probe accuracy ${(accuracy * 100).toFixed(1)}%`);
  return {
    status: 'completed',
    metric: 'accuracy',
    score: accuracy,
    scores: { accuracy, macroF1 },
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
