/**
 * DistilBERT (Sanh et al. 2019): a BERT student with half its teacher's layers, initialised from
 * one teacher layer out of two, and trained on a weighted sum of three losses, as Hugging Face's
 * distillation script (examples/research_projects/distillation/distiller.py):
 *
 *     softTarget  KL(softmax(t / T) || softmax(s / T)) * T^2, mean over the distilled rows
 *                 (Hinton et al.'s T^2 keeps its gradient's scale as T changes)
 *     mlm         the student's own masked-LM cross-entropy on the true tokens
 *     cosine      1 - cos(student, teacher) of the last hidden states, mean over real positions
 *     loss        alphaCE * softTarget + alphaMLM * mlm + alphaCos * cosine   (5, 2, 1; T = 2)
 *
 * The losses are pure functions of tensors; `teacherTargets` and `studentDistillationLoss`
 * wire them to two BERTs. The distilled rows are the masked positions (the script's
 * restrict_ce_to_mask; its default distils every real position, which the pure functions take
 * just as well). The student is our BERT with fewer layers and no NSP head; unlike DistilBERT it
 * keeps the token-type table and the pooler (fed all-zero types and unused, they change nothing).
 * Pinned against tools/reference/distil.py.
 */

import type { ForwardContext } from '@pretrain-lab/layers';
import { inference } from '@pretrain-lab/layers';
import { ops } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { BERT, type BERTPretrainBatch, resolveBERTConfig } from './bert.js';

export interface DistillationWeights {
  /** Softmax temperature of both models' soft targets (the script's --temperature, 2). */
  temperature: number;
  /** Weight of the soft-target loss (--alpha_ce). */
  alphaCE: number;
  /** Weight of the student's MLM cross-entropy (--alpha_mlm). */
  alphaMLM: number;
  /** Weight of the hidden-state cosine loss (--alpha_cos). */
  alphaCos: number;
}

/** The script README's DistilBERT run: --alpha_ce 5.0 --alpha_mlm 2.0 --alpha_cos 1.0, temperature 2. */
export const DISTILLATION_DEFAULTS: DistillationWeights = {
  temperature: 2,
  alphaCE: 5,
  alphaMLM: 2,
  alphaCos: 1,
};

const WEIGHT_KEYS = new Set(Object.keys(DISTILLATION_DEFAULTS));

export function resolveDistillationWeights(partial: Partial<DistillationWeights> = {}): DistillationWeights {
  for (const key of Object.keys(partial))
    if (!WEIGHT_KEYS.has(key))
      throw new Error(`distillation weights: unknown key '${key}'; valid: ${[...WEIGHT_KEYS].join(', ')}`);
  const w = { ...DISTILLATION_DEFAULTS, ...partial };
  if (!(w.temperature > 0) || !Number.isFinite(w.temperature))
    throw new Error(`distillation weights: temperature must be a positive number, got ${w.temperature}`);
  for (const key of ['alphaCE', 'alphaMLM', 'alphaCos'] as const)
    if (!(w[key] >= 0) || !Number.isFinite(w[key]))
      throw new Error(`distillation weights: ${key} must be a number >= 0, got ${w[key]}`);
  return w;
}

/**
 * Soft-target loss: T^2 * (1/N) sum_rows KL(softmax(t/T) || softmax(s/T)), as torch's
 * KLDivLoss(reduction 'batchmean') on log_softmax(s/T) and softmax(t/T), times T^2.
 * studentLogits, teacherLogits [N, V]; a teacher probability of exactly 0 (a -Infinity logit)
 * contributes 0, as torch's. No rows gives 0.
 */
export function softTargetLoss(
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  temperature: number,
): tf.Scalar {
  if (studentLogits.shape.join() !== teacherLogits.shape.join())
    throw new Error(
      `softTargetLoss: student logits [${studentLogits.shape}] and teacher [${teacherLogits.shape}] differ`,
    );
  if (!(temperature > 0)) throw new Error(`softTargetLoss: temperature must be > 0, got ${temperature}`);
  const N = studentLogits.shape[0];
  if (N === 0) return tf.scalar(0);
  return tf.tidy(() => {
    const logS = tf.logSoftmax(tf.div(studentLogits, temperature), -1); // [N, V]
    const logT = tf.logSoftmax(tf.div(teacherLogits, temperature), -1); // [N, V]
    const pT = tf.exp(logT);
    const terms = tf.where(tf.greater(pT, 0), tf.mul(pT, tf.sub(logT, logS)), tf.zerosLike(pT)); // [N, V]
    return tf.mul(tf.sum(terms), (temperature * temperature) / N) as tf.Scalar;
  });
}

/**
 * Cosine embedding loss with target 1 (torch's CosineEmbeddingLoss): mean over the positions with
 * attentionMask 1 of 1 - <s, t> / sqrt((|s|^2 + 1e-12)(|t|^2 + 1e-12)). hidden [B, T, C];
 * attentionMask [B, T] (null = every position). No real position gives 0.
 */
export function cosineEmbeddingLoss(
  studentHidden: tf.Tensor3D,
  teacherHidden: tf.Tensor3D,
  attentionMask: tf.Tensor2D | null = null,
): tf.Scalar {
  if (studentHidden.shape.join() !== teacherHidden.shape.join())
    throw new Error(
      `cosineEmbeddingLoss: student hidden [${studentHidden.shape}] and teacher [${teacherHidden.shape}] differ`,
    );
  const [B, T] = studentHidden.shape;
  if (attentionMask && (attentionMask.shape[0] !== B || attentionMask.shape[1] !== T))
    throw new Error(`cosineEmbeddingLoss: attentionMask [${attentionMask.shape}] is not [${B}, ${T}]`);
  return tf.tidy(() => {
    const eps = 1e-12; // torch's EPSILON in cosine_embedding_loss
    const dot = tf.sum(tf.mul(studentHidden, teacherHidden), -1); // [B, T]
    const s2 = tf.add(tf.sum(tf.square(studentHidden), -1), eps); // [B, T]
    const t2 = tf.add(tf.sum(tf.square(teacherHidden), -1), eps); // [B, T]
    const perPosition = tf.sub(1, tf.div(dot, tf.sqrt(tf.mul(s2, t2)))); // [B, T]
    const keep = attentionMask ? tf.cast(tf.greater(attentionMask, 0), 'float32') : tf.onesLike(perPosition);
    return tf.div(tf.sum(tf.mul(perPosition, keep)), tf.maximum(tf.sum(keep), 1)) as tf.Scalar;
  });
}

export interface DistillationInputs {
  /** Student MLM logits at the distilled rows [N, V]. */
  studentLogits: tf.Tensor2D;
  /** Teacher MLM logits at the same rows [N, V] (constants: compute them outside any gradient). */
  teacherLogits: tf.Tensor2D;
  /** True token of each row [N] int32; < 0 is left out of the MLM mean (but still distilled). */
  labels: tf.Tensor1D;
  /** Last hidden states [B, T, C] of the student and the teacher (same width, as DistilBERT). */
  studentHidden: tf.Tensor3D;
  teacherHidden: tf.Tensor3D;
  /** [B, T], 1 = real token; null = no padding. */
  attentionMask: tf.Tensor2D | null;
}

export interface DistillationLoss {
  /** alphaCE * softTarget + alphaMLM * mlm + alphaCos * cosine. */
  loss: tf.Scalar;
  softTarget: tf.Scalar;
  mlm: tf.Scalar;
  cosine: tf.Scalar;
}

/** The three terms and their weighted sum; the caller disposes all four scalars. */
export function distillationLosses(
  inputs: DistillationInputs,
  weights: Partial<DistillationWeights> = {},
): DistillationLoss {
  const w = resolveDistillationWeights(weights);
  const { studentLogits, teacherLogits, labels } = inputs;
  if (labels.shape[0] !== studentLogits.shape[0])
    throw new Error(`distillationLosses: ${labels.shape[0]} labels for ${studentLogits.shape[0]} logit rows`);
  const softTarget = softTargetLoss(studentLogits, teacherLogits, w.temperature);
  const mlm = studentLogits.shape[0] > 0 ? ops.crossEntropy(studentLogits, labels) : tf.scalar(0);
  const cosine = cosineEmbeddingLoss(inputs.studentHidden, inputs.teacherHidden, inputs.attentionMask);
  const loss = tf.tidy(
    () =>
      tf.addN([
        tf.mul(softTarget, w.alphaCE),
        tf.mul(mlm, w.alphaMLM),
        tf.mul(cosine, w.alphaCos),
      ]) as tf.Scalar,
  );
  return { loss, softTarget, mlm, cosine };
}

/** A distillation batch: BERT's pretraining batch without segments or a pair label (DistilBERT has neither). */
export type DistillationBatch = Pick<BERTPretrainBatch, 'inputIds' | 'attentionMask' | 'mlmLabels'>;

/** The teacher's side of a batch: constants the student is fitted to. */
export interface DistillationTargets {
  /** Teacher MLM logits at the masked positions (mlmLabels >= 0, row-major) [M, V]. */
  logits: tf.Tensor2D;
  /** Teacher's last hidden states [B, T, C]. */
  hidden: tf.Tensor3D;
}

/** Flat indices of the positions with a label (>= 0), row-major. */
function maskedRows(mlmLabels: tf.Tensor2D): number[] {
  const labels = mlmLabels.dataSync();
  const rows: number[] = [];
  for (let i = 0; i < labels.length; i++) if (labels[i] >= 0) rows.push(i);
  return rows;
}

/** hidden [B, T, C] -> MLM logits at the masked positions [M, V]. */
function maskedLogits(model: BERT, hidden: tf.Tensor3D, rows: number[]): tf.Tensor2D {
  if (!model.mlmHead) throw new Error('distillation needs BERTs with an MLM head (pretrainingHeads: true)');
  const C = model.config.dModel;
  const picked = tf.gather(tf.reshape(hidden, [-1, C]), tf.tensor1d(rows, 'int32')) as tf.Tensor2D; // [M, C]
  return model.mlmHead.apply(picked); // [M, V]
}

/**
 * The teacher's logits at the masked positions and its last hidden states, in inference mode.
 * Call it outside tf.variableGrads (as the script's torch.no_grad) so that they are constants.
 * Token types are all 0: the script calls the teacher without them.
 */
export function teacherTargets(teacher: BERT, batch: DistillationBatch): DistillationTargets {
  return tf.tidy(() => {
    const hidden = teacher.encode(batch.inputIds, null, batch.attentionMask ?? null, inference()); // [B, T, C]
    return { logits: maskedLogits(teacher, hidden, maskedRows(batch.mlmLabels)), hidden };
  });
}

/** The student's distillation loss on a batch against the teacher's targets; the caller disposes the scalars. */
export function studentDistillationLoss(
  student: BERT,
  batch: DistillationBatch,
  targets: DistillationTargets,
  weights: Partial<DistillationWeights> = {},
  ctx: ForwardContext = inference(),
): DistillationLoss {
  const out = tf.tidy(() => {
    const rows = maskedRows(batch.mlmLabels);
    const hidden = student.encode(batch.inputIds, null, batch.attentionMask ?? null, ctx); // [B, T, C]
    const labels = tf.gather(tf.reshape(batch.mlmLabels, [-1]), tf.tensor1d(rows, 'int32')) as tf.Tensor1D; // [M]
    const { loss, softTarget, mlm, cosine } = distillationLosses(
      {
        studentLogits: maskedLogits(student, hidden, rows),
        teacherLogits: targets.logits,
        labels,
        studentHidden: hidden,
        teacherHidden: targets.hidden,
        attentionMask: batch.attentionMask ?? null,
      },
      weights,
    );
    return [loss, softTarget, mlm, cosine];
  });
  const [loss, softTarget, mlm, cosine] = out as tf.Scalar[];
  return { loss, softTarget, mlm, cosine };
}

/** DistilBERT's choice of teacher layers: one out of two, from the first (0, 2, 4, ...). */
export function everyOtherLayer(numTeacherLayers: number): number[] {
  if (!Number.isInteger(numTeacherLayers) || numTeacherLayers < 1)
    throw new Error(`everyOtherLayer: numTeacherLayers must be a positive integer, got ${numTeacherLayers}`);
  return Array.from({ length: Math.ceil(numTeacherLayers / 2) }, (_, i) => 2 * i);
}

/**
 * A DistilBERT student: the teacher's config with one layer per entry of `layers` (default
 * everyOtherLayer, the paper's; HF's extract_distilbert.py takes 0, 2, 4, 7, 9, 11 of 12) and
 * no NSP head, every parameter copied from the teacher: student layer i from teacher layer
 * layers[i], everything else (embeddings, pooler, MLM head, a classifier) by name. The
 * teacher is unchanged, and training the student (which assigns new values) never moves it.
 */
export function initStudentFromTeacher(teacher: BERT, opts: { layers?: number[] } = {}): BERT {
  const tc = teacher.config;
  if (tc.shareLayers)
    throw new Error(
      'initStudentFromTeacher: this teacher shares one block across layers (ALBERT); there are no layers to pick',
    );
  if (!tc.pretrainingHeads)
    throw new Error(
      'initStudentFromTeacher: the teacher has no MLM head (pretrainingHeads: false); distil from a pretraining model',
    );
  const layers = opts.layers ?? everyOtherLayer(tc.numLayers);
  if (layers.length === 0) throw new Error('initStudentFromTeacher: layers is empty');
  for (const l of layers)
    if (!Number.isInteger(l) || l < 0 || l >= tc.numLayers)
      throw new Error(`initStudentFromTeacher: teacher layer ${l} is not in 0..${tc.numLayers - 1}`);
  const student = new BERT(resolveBERTConfig({ ...tc, numLayers: layers.length, nsp: false }), 0);
  for (const [name, v] of student.params.vars) {
    const m = /^bert\.encoder\.layer\.(\d+)\.(.+)$/.exec(name);
    v.assign(teacher.params.get(m ? `bert.encoder.layer.${layers[Number(m[1])]}.${m[2]}` : name));
  }
  return student;
}
