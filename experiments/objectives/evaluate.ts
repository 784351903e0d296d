/**
 * The objectives comparison's evaluations of a row's model: a linear probe on its frozen
 * mean-pooled last hidden states (the encoder's; the decoder's, causal; the T5 encoder's) for
 * every row, and prompts read in context (in-context.ts) for the decoder-only rows. Each returns
 * the ablation schema's row (packages/experiment/src/schema.ts).
 */
import { classificationOutcome, type EvalOutcome, type EvalQuery } from '@pretrain-lab/experiment';
import { maskedMean } from '@pretrain-lab/layers';
import { linearProbe } from '@pretrain-lab/train';
import * as tf from '@tensorflow/tfjs';
import type { GridTask } from './data.js';
import { kvRecallPrompts, labelWordPrompts, type Prompt, scorePrompts } from './in-context.js';
import { type RowModel, t2, type UnitContext } from './units.js';

/** Mean-pooled last hidden states of texts [n, dModel], as each architecture reads a text. */
export async function features(
  model: RowModel,
  texts: readonly Int32Array[],
  u: UnitContext,
): Promise<Float32Array> {
  const { clsId, sepId, padId } = u.data.ids;
  const T = u.cfg.model.seqLen;
  const C = model.m.config.dModel;
  const wrap = (x: Int32Array): Int32Array => {
    if (model.kind === 'bert' || model.kind === 'electra') return Int32Array.of(clsId, ...x, sepId);
    if (model.kind === 't5') return Int32Array.of(...x, sepId);
    return x.length > 0 ? x : Int32Array.of(sepId); // the decoder reads the text alone
  };
  const out = new Float32Array(texts.length * C);
  for (let s = 0; s < texts.length; s += 64) {
    const rows = texts.slice(s, s + 64).map(wrap);
    const len = Math.min(T, Math.max(...rows.map((r) => r.length)));
    const ids = new Int32Array(rows.length * len).fill(padId);
    const mask = new Int32Array(rows.length * len);
    rows.forEach((r, i) => {
      ids.set(r.subarray(0, len), i * len);
      mask.fill(1, i * len, i * len + Math.min(len, r.length));
    });
    const f = tf.tidy(() => {
      const x = t2(ids, rows.length, len);
      const m = t2(mask, rows.length, len);
      const h =
        model.kind === 'gpt'
          ? model.m.hidden(x)
          : model.kind === 't5'
            ? model.m.encode(x, m)
            : model.m.encode(x, null, m); // [B, len, C]
      return maskedMean(h, m); // [B, C]
    });
    out.set((await f.data()) as Float32Array, s * C);
    f.dispose();
  }
  return out;
}

const featureCache = new WeakMap<object, Map<string, { train: Float32Array; test: Float32Array }>>();

/** A linear probe on a row's frozen features of a task, at the query's training-set size. */
export async function evaluateRow(
  u: UnitContext,
  model: RowModel,
  q: EvalQuery<GridTask>,
): Promise<EvalOutcome> {
  if (q.spec.method === 'in-context') return evaluateInContext(u, model, q);
  const task = q.task;
  if (task.kind !== 'classification') throw new Error(`${task.name} takes no probe`);
  let byTask = featureCache.get(model.m);
  if (!byTask) {
    byTask = new Map();
    featureCache.set(model.m, byTask);
  }
  let f = byTask.get(task.name);
  if (!f) {
    f = { train: await features(model, task.train.ids, u), test: await features(model, task.test.ids, u) };
    byTask.set(task.name, f);
  }
  const C = model.m.config.dModel;
  const n = Math.min(q.spec.trainExamples, task.train.ids.length);
  const trainSet = { features: f.train.subarray(0, n * C), labels: task.train.labels.slice(0, n) };
  const r = linearProbe(trainSet, f.test, C, { classes: task.labels.length, ...u.cfg.probe });
  const gold = Array.from(task.test.labels, (l) => task.labels[l]);
  const pred = Array.from(r.predicted, (l) => task.labels[l]);
  const out = classificationOutcome(gold, pred, r.trainLoss);
  u.progress.done(`${q.label}: probe accuracy ${(out.score * 100).toFixed(1)}%`);
  return out;
}

/** The prompts of an in-context cell, built once per (task, demonstrations) and shared by every row. */
const promptCache = new Map<string, Prompt[]>();
function promptsOf(u: UnitContext, task: GridTask, k: number): Prompt[] {
  const key = `${task.name}/${k}`;
  let p = promptCache.get(key);
  if (!p) {
    const { cfg, data } = u;
    p =
      task.kind === 'kv-recall'
        ? kvRecallPrompts(k, cfg.inContext.kvPrompts, cfg.inContext.recallVocab, cfg.splitSeed)
        : labelWordPrompts(
            task,
            k,
            task.labels.map((l) => data.tok.encode(l)),
            data.ids,
            { wordsPerText: cfg.inContext.wordsPerText, splitSeed: cfg.splitSeed, maxLen: cfg.model.seqLen },
          );
    promptCache.set(key, p);
  }
  return p;
}

/** Zero-, one- or few-shot accuracy of a decoder-only row (no gradient step). */
async function evaluateInContext(
  u: UnitContext,
  model: RowModel,
  q: EvalQuery<GridTask>,
): Promise<EvalOutcome> {
  if (model.kind !== 'gpt') throw new Error(`${q.label}: in-context evaluation is for decoder-only rows`);
  const perExample = await scorePrompts(
    model.m,
    promptsOf(u, q.task, q.spec.trainExamples),
    u.data.ids.padId,
  );
  const accuracy = perExample.reduce((a, x) => a + x, 0) / perExample.length;
  u.progress.done(`${q.label}: in-context accuracy ${(accuracy * 100).toFixed(1)}%`);
  return {
    status: 'completed',
    metric: 'accuracy',
    score: accuracy,
    scores: { accuracy },
    perExample,
    trainLoss: 0,
  };
}
