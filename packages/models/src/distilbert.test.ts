/**
 * DistilBERT's distillation pinned against PyTorch (fixture from tools/reference/distil.py):
 *
 * - the three loss terms and their weighted sum on random tensors (three cases: the script's
 *   weights at T = 2, T = 1 with other weights, T = 4 on peaked logits), each term's gradient
 *   with respect to the student logits and hidden states;
 * - a 4-layer teacher and the 2-layer student made from its layers 0 and 2: the student's
 *   parameters (exact copies), both models' logits at the masked positions and last hidden
 *   states, the losses, and the gradient of every student parameter.
 *
 * Tolerances, float32: losses 1e-5 absolute + 1e-5 relative (the peaked case's total is ~470);
 * logits and hidden states 1e-5 absolute + 1e-4 relative; gradients 1e-6 absolute + 1e-3
 * relative, as bert.test.ts; the copied student parameters exactly.
 * Then invariants (zero loss for a perfect student, scale invariance of the cosine term,
 * padding ignored, -Infinity teacher logits), the layer choice, no gradient reaching the
 * teacher, and tensor leaks.
 */

import { initBackend } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BERT, resolveBERTConfig } from './bert.js';
import {
  cosineEmbeddingLoss,
  DISTILLATION_DEFAULTS,
  distillationLosses,
  everyOtherLayer,
  initStudentFromTeacher,
  resolveDistillationWeights,
  softTargetLoss,
  studentDistillationLoss,
  teacherTargets,
} from './distilbert.js';
import {
  distilTeacherFromFixture,
  type Flat,
  flatData,
  loadDistilFixture,
  toleranceRatio,
} from './testing/fixtures.js';

beforeAll(async () => {
  await initBackend();
});

const fx = loadDistilFixture();
const t2 = (f: Flat) => tf.tensor2d(f.data, f.shape as [number, number]);
const t3 = (f: Flat) => tf.tensor3d(f.data, f.shape as [number, number, number]);
const i2 = (f: Flat) => tf.tensor2d(f.data, f.shape as [number, number], 'int32');
const scalarOf = async (t: tf.Scalar) => (await t.data())[0];
const lossRatio = (got: number, want: number) => Math.abs(got - want) / (1e-5 + 1e-5 * Math.abs(want));

describe('distillation losses: parity with PyTorch', () => {
  it('uses the script README weights by default', () => {
    expect(DISTILLATION_DEFAULTS).toEqual(fx.defaultWeights);
    expect(DISTILLATION_DEFAULTS).toEqual({ temperature: 2, alphaCE: 5, alphaMLM: 2, alphaCos: 1 });
  });

  for (const c of fx.functions) {
    it(`matches every term and its gradients (${c.name})`, async () => {
      const i = c.inputs;
      const [s, t, hs, ht] = [
        t2(i.studentLogits),
        t2(i.teacherLogits),
        t3(i.studentHidden),
        t3(i.teacherHidden),
      ];
      const labels = tf.tensor1d(i.labels.data, 'int32');
      const mask = i2(i.attentionMask);
      const terms = (sl: tf.Tensor2D, sh: tf.Tensor3D) =>
        distillationLosses(
          {
            studentLogits: sl,
            teacherLogits: t,
            labels,
            studentHidden: sh,
            teacherHidden: ht,
            attentionMask: mask,
          },
          c.weights,
        );
      const out = terms(s, hs);
      const got = {
        softTarget: await scalarOf(out.softTarget),
        mlm: await scalarOf(out.mlm),
        cosine: await scalarOf(out.cosine),
        total: await scalarOf(out.loss),
      };
      for (const k of ['softTarget', 'mlm', 'cosine', 'total'] as const)
        expect(lossRatio(got[k], c.losses[k]), `${k}: ${got[k]} vs ${c.losses[k]}`).toBeLessThanOrEqual(1);
      tf.dispose(Object.values(out));
      // Each term's gradient with respect to the inputs it depends on; zero (in PyTorch too) for the others.
      const dependsOn = {
        softTarget: [true, false],
        mlm: [true, false],
        cosine: [false, true],
        total: [true, true],
      };
      for (const term of ['softTarget', 'mlm', 'cosine', 'total'] as const) {
        const pick = (o: ReturnType<typeof terms>) => (term === 'total' ? o.loss : o[term]);
        const want = c.grads[term];
        const [onLogits, onHidden] = dependsOn[term];
        if (onLogits) {
          const g = tf.grad((sl: tf.Tensor) => pick(terms(sl as tf.Tensor2D, hs)))(s);
          expect(
            toleranceRatio(await g.data(), want.studentLogits, 1e-6, 1e-3),
            `d ${term} / d logits`,
          ).toBeLessThanOrEqual(1);
          g.dispose();
        } else expect(want.studentLogits.every((v) => v === 0)).toBe(true);
        if (onHidden) {
          const g = tf.grad((sh: tf.Tensor) => pick(terms(s, sh as tf.Tensor3D)))(hs);
          expect(
            toleranceRatio(await g.data(), want.studentHidden, 1e-6, 1e-3),
            `d ${term} / d hidden`,
          ).toBeLessThanOrEqual(1);
          g.dispose();
        } else expect(want.studentHidden.every((v) => v === 0)).toBe(true);
      }
      tf.dispose([s, t, hs, ht, labels, mask]);
    });
  }
});

describe('DistilBERT student: parity with PyTorch', () => {
  const m = fx.model;
  const batchOf = () => ({
    inputIds: i2(m.inputs.inputIds),
    attentionMask: i2(m.inputs.attentionMask),
    mlmLabels: i2(m.inputs.mlmLabels),
  });

  it('copies every other teacher layer, and everything else by name', async () => {
    const teacher = distilTeacherFromFixture(fx);
    const student = initStudentFromTeacher(teacher);
    expect(everyOtherLayer(4)).toEqual(m.studentLayers);
    expect(student.config.numLayers).toBe(2);
    expect(student.nspHead).toBeNull();
    expect(student.params.names().sort()).toEqual([...m.studentParamNames].sort());
    for (const name of student.params.names()) {
      const from = name.replace(
        /^bert\.encoder\.layer\.(\d+)\./,
        (_, i) => `bert.encoder.layer.${m.studentLayers[Number(i)]}.`,
      );
      expect(Array.from(await student.params.get(name).data()), `${name} <- ${from}`).toEqual(
        Array.from(flatData(m.teacherParams[from])),
      );
    }
    // Independent copies: training the student (assigning new values) leaves the teacher as it was.
    const w = student.params.get('bert.encoder.layer.1.mlp.c_fc.weight');
    w.assign(tf.zerosLike(w));
    expect(Array.from(await teacher.params.get('bert.encoder.layer.2.mlp.c_fc.weight').data())).toEqual(
      Array.from(flatData(m.teacherParams['bert.encoder.layer.2.mlp.c_fc.weight'])),
    );
    teacher.dispose();
    student.dispose();
  });

  it("matches both models' masked logits and hidden states, and the losses", async () => {
    const teacher = distilTeacherFromFixture(fx);
    const student = initStudentFromTeacher(teacher);
    const batch = batchOf();
    const targets = teacherTargets(teacher, batch);
    expect(targets.logits.shape).toEqual(m.teacherLogits.shape);
    expect(
      toleranceRatio(await targets.logits.data(), m.teacherLogits.data, 1e-5, 1e-4),
      'teacher logits',
    ).toBeLessThanOrEqual(1);
    expect(
      toleranceRatio(await targets.hidden.data(), m.teacherHidden.data, 1e-5, 1e-4),
      'teacher hidden',
    ).toBeLessThanOrEqual(1);
    const self = teacherTargets(student, batch); // the same computation on the student
    expect(
      toleranceRatio(await self.logits.data(), m.studentLogits.data, 1e-5, 1e-4),
      'student logits',
    ).toBeLessThanOrEqual(1);
    expect(
      toleranceRatio(await self.hidden.data(), m.studentHidden.data, 1e-5, 1e-4),
      'student hidden',
    ).toBeLessThanOrEqual(1);
    const out = studentDistillationLoss(student, batch, targets);
    expect(lossRatio(await scalarOf(out.softTarget), m.losses.softTarget)).toBeLessThanOrEqual(1);
    expect(lossRatio(await scalarOf(out.mlm), m.losses.mlm)).toBeLessThanOrEqual(1);
    expect(lossRatio(await scalarOf(out.cosine), m.losses.cosine)).toBeLessThanOrEqual(1);
    expect(lossRatio(await scalarOf(out.loss), m.losses.total)).toBeLessThanOrEqual(1);
    tf.dispose([
      ...Object.values(out),
      targets.logits,
      targets.hidden,
      self.logits,
      self.hidden,
      ...Object.values(batch),
    ]);
    teacher.dispose();
    student.dispose();
  });

  it('matches the gradient of every student parameter, and none reaches the teacher', async () => {
    const teacher = distilTeacherFromFixture(fx);
    const student = initStudentFromTeacher(teacher);
    const batch = batchOf();
    const targets = teacherTargets(teacher, batch); // outside the gradient: constants
    // No varList: every trainable variable, the teacher's included, is a candidate.
    const { value, grads } = tf.variableGrads(() => studentDistillationLoss(student, batch, targets).loss);
    const studentNames = new Set([...student.params.vars.values()].map((v) => v.name));
    expect(Object.keys(grads).every((k) => studentNames.has(k))).toBe(true);
    const names = Object.keys(grads).map((k) => student.params.nameOf(k));
    expect(names.sort()).toEqual(Object.keys(m.grads).sort());
    expect(m.studentParamsWithoutGrad.sort()).toEqual(['bert.pooler.dense.bias', 'bert.pooler.dense.weight']);
    for (const [tfName, g] of Object.entries(grads)) {
      const name = student.params.nameOf(tfName);
      expect(
        toleranceRatio(await g.data(), m.grads[name], 1e-6, 1e-3),
        `gradient of ${name}`,
      ).toBeLessThanOrEqual(1);
    }
    expect(lossRatio(await scalarOf(value), m.losses.total)).toBeLessThanOrEqual(1);
    tf.dispose([value, ...Object.values(grads), targets.logits, targets.hidden, ...Object.values(batch)]);
    teacher.dispose();
    student.dispose();
  });
});

describe('distillation losses', () => {
  const logits = () =>
    tf.tensor2d(
      [
        [2, -1, 0.5, 3],
        [-2, 1, 0, 0.25],
        [0, 0, 4, -3],
      ],
      [3, 4],
    );

  it('is zero for a student that matches its teacher, and positive otherwise', async () => {
    const t = logits();
    const same = softTargetLoss(t, t, 2);
    expect(Math.abs(await scalarOf(same))).toBeLessThan(1e-6);
    const s = tf.mul(t, 0.5) as tf.Tensor2D;
    const diff = softTargetLoss(s, t, 2);
    expect(await scalarOf(diff)).toBeGreaterThan(1e-3);
    // A shift of a row's logits changes no probability.
    const shifted = tf.add(t, tf.tensor2d([[5], [-3], [1]])) as tf.Tensor2D;
    const shift = softTargetLoss(shifted, t, 3);
    expect(Math.abs(await scalarOf(shift))).toBeLessThan(1e-5);
    tf.dispose([t, same, s, diff, shifted, shift]);
  });

  it('scales as T^2 KL, against a closed form', async () => {
    const t = logits();
    const s = tf.tensor2d(
      [
        [0, 1, 0, 1],
        [1, 1, 1, 1],
        [3, 0, 0, 0],
      ],
      [3, 4],
    );
    const T = 3;
    const softmax = (row: number[]) => {
      const e = row.map((v) => Math.exp(v / T));
      const z = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / z);
    };
    const [sa, ta] = [(await s.array()) as number[][], (await t.array()) as number[][]];
    let kl = 0;
    for (let r = 0; r < 3; r++) {
      const [ps, pt] = [softmax(sa[r]), softmax(ta[r])];
      for (let v = 0; v < 4; v++) kl += pt[v] * Math.log(pt[v] / ps[v]);
    }
    const got = softTargetLoss(s, t, T);
    expect(await scalarOf(got)).toBeCloseTo((T * T * kl) / 3, 5);
    tf.dispose([t, s, got]);
  });

  it('gives a finite loss when the teacher rules a token out (-Infinity logit)', async () => {
    const t = tf.tensor2d([[1, Number.NEGATIVE_INFINITY, 0]], [1, 3]);
    const s = tf.tensor2d([[0.5, 2, -1]], [1, 3]);
    const loss = softTargetLoss(s, t, 2);
    const g = tf.grad((x: tf.Tensor) => softTargetLoss(x as tf.Tensor2D, t, 2))(s);
    expect(Number.isFinite(await scalarOf(loss))).toBe(true);
    expect(Array.from(await g.data()).every(Number.isFinite)).toBe(true);
    tf.dispose([t, s, loss, g]);
  });

  it('takes the cosine term over real positions only, invariant to the student scale', async () => {
    const hs = tf.tensor3d(
      [
        [
          [1, 0],
          [1, 1],
          [0, 2],
        ],
      ],
      [1, 3, 2],
    );
    const ht = tf.tensor3d(
      [
        [
          [1, 0],
          [-1, 1],
          [5, 5],
        ],
      ],
      [1, 3, 2],
    );
    const mask = tf.tensor2d([[1, 1, 0]], [1, 3], 'int32');
    const loss = cosineEmbeddingLoss(hs, ht, mask);
    expect(await scalarOf(loss)).toBeCloseTo((0 + 1) / 2, 6); // cos 1 and cos 0; the padded one left out
    const all = cosineEmbeddingLoss(hs, ht, null);
    expect(await scalarOf(all)).toBeCloseTo((0 + 1 + (1 - Math.SQRT1_2)) / 3, 6);
    const scaled = tf.mul(hs, 7) as tf.Tensor3D;
    const s7 = cosineEmbeddingLoss(scaled, ht, mask);
    expect(await scalarOf(s7)).toBeCloseTo(await scalarOf(loss), 6);
    tf.dispose([hs, ht, mask, loss, all, scaled, s7]);
  });

  it('weights the terms, and refuses bad weights and shapes', async () => {
    expect(resolveDistillationWeights({ alphaMLM: 0 })).toEqual({ ...DISTILLATION_DEFAULTS, alphaMLM: 0 });
    expect(() => resolveDistillationWeights({ temperature: 0 })).toThrow(/temperature/);
    expect(() => resolveDistillationWeights({ alphaCe: 1 } as never)).toThrow(/unknown key 'alphaCe'/);
    expect(() => resolveDistillationWeights({ alphaCos: -1 })).toThrow(/alphaCos/);
    const [s, t] = [logits(), tf.zeros([3, 4]) as tf.Tensor2D];
    const h = tf.ones([1, 2, 3]) as tf.Tensor3D;
    const labels = tf.tensor1d([0, -100, 2], 'int32');
    const inputs = {
      studentLogits: s,
      teacherLogits: t,
      labels,
      studentHidden: h,
      teacherHidden: h,
      attentionMask: null,
    };
    const only = distillationLosses(inputs, { alphaCE: 0, alphaMLM: 1, alphaCos: 0 });
    expect(await scalarOf(only.loss)).toBeCloseTo(await scalarOf(only.mlm), 6);
    expect(await scalarOf(only.cosine)).toBeCloseTo(0, 6);
    const narrow = tf.zeros([3, 3]) as tf.Tensor2D;
    expect(() => softTargetLoss(s, narrow, 2)).toThrow(/differ/);
    expect(() => distillationLosses({ ...inputs, labels: tf.tensor1d([0], 'int32') })).toThrow(
      /1 labels for 3/,
    );
    tf.dispose([s, t, h, labels, narrow, ...Object.values(only)]);
  });
});

describe('DistilBERT student init', () => {
  const teacherConfig = resolveBERTConfig({
    vocabSize: 13,
    maxLen: 6,
    dModel: 8,
    numLayers: 5,
    numHeads: 2,
    dropout: 0,
  });

  it('takes one layer out of two, or the layers given', async () => {
    expect(everyOtherLayer(12)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(everyOtherLayer(5)).toEqual([0, 2, 4]);
    expect(everyOtherLayer(1)).toEqual([0]);
    const teacher = new BERT(teacherConfig, 3);
    const student = initStudentFromTeacher(teacher, { layers: [1, 4] });
    expect(student.config.numLayers).toBe(2);
    expect(Array.from(await student.params.get('bert.encoder.layer.1.attn.c_attn.weight').data())).toEqual(
      Array.from(await teacher.params.get('bert.encoder.layer.4.attn.c_attn.weight').data()),
    );
    expect(Array.from(await student.params.get('bert.encoder.layer.0.ln_2.bias').data())).toEqual(
      Array.from(await teacher.params.get('bert.encoder.layer.1.ln_2.bias').data()),
    );
    expect(() => initStudentFromTeacher(teacher, { layers: [0, 5] })).toThrow(/layer 5 is not in 0..4/);
    expect(() => initStudentFromTeacher(teacher, { layers: [] })).toThrow(/empty/);
    const albert = new BERT(resolveBERTConfig({ ...teacherConfig, shareLayers: true }), 0);
    expect(() => initStudentFromTeacher(albert)).toThrow(/shares one block/);
    const finetune = teacher.withClassifier(2, 1);
    expect(() => initStudentFromTeacher(finetune)).toThrow(/no MLM head/);
    for (const model of [teacher, student, albert, finetune]) model.dispose();
  });

  it('distils only the cosine term from a batch without masked positions', async () => {
    const teacher = new BERT(teacherConfig, 3);
    const student = initStudentFromTeacher(teacher);
    const batch = {
      inputIds: tf.tensor2d([[1, 4, 3, 2, 0, 0]], [1, 6], 'int32'),
      attentionMask: tf.tensor2d([[1, 1, 1, 1, 0, 0]], [1, 6], 'int32'),
      mlmLabels: tf.fill([1, 6], -100, 'int32') as tf.Tensor2D,
    };
    const targets = teacherTargets(teacher, batch);
    expect(targets.logits.shape).toEqual([0, 13]);
    const out = studentDistillationLoss(student, batch, targets);
    expect(await scalarOf(out.softTarget)).toBe(0);
    expect(await scalarOf(out.mlm)).toBe(0);
    const cosine = await scalarOf(out.cosine);
    expect(cosine).toBeGreaterThan(0);
    expect(await scalarOf(out.loss)).toBeCloseTo(cosine, 6); // alphaCos 1
    tf.dispose([...Object.values(out), targets.logits, targets.hidden, ...Object.values(batch)]);
    teacher.dispose();
    student.dispose();
  });

  it('does not leak tensors', () => {
    const teacher = new BERT(teacherConfig, 3);
    const student = initStudentFromTeacher(teacher);
    const batch = {
      inputIds: tf.tensor2d([[1, 4, 3, 2, 0, 0]], [1, 6], 'int32'),
      attentionMask: tf.tensor2d([[1, 1, 1, 1, 0, 0]], [1, 6], 'int32'),
      mlmLabels: tf.tensor2d([[-100, -100, 7, -100, -100, -100]], [1, 6], 'int32'),
    };
    const step = (i: number) => {
      const targets = teacherTargets(teacher, batch);
      const { value, grads } = tf.variableGrads(
        () => studentDistillationLoss(student, batch, targets, {}, { training: true, seed: i, site: 0 }).loss,
        [...student.params.vars.values()],
      );
      tf.dispose([value, ...Object.values(grads), targets.logits, targets.hidden]);
    };
    step(0);
    const before = tf.memory().numTensors;
    for (let i = 1; i < 4; i++) step(i);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(batch));
    teacher.dispose();
    student.dispose();
  });
});
