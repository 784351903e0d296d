/**
 * BERT pinned against PyTorch (fixtures from tools/reference/bert.py), post-norm (BERT as
 * published) and pre-norm: MLM and NSP logits, the three losses and the gradient of every
 * parameter, on a padded batch of sentence pairs. The five AdamW steps are checked in
 * packages/train/src/bert-adamw.test.ts (the optimizer lives there).
 * Tolerances: float32 throughout; logits to 1e-5 absolute + 1e-4 relative, losses to 1e-5,
 * gradients to 1e-6 absolute + 1e-3 relative (sums over many terms in a different order),
 * as gpt.test.ts.
 * Then the heads' shapes on Hugging Face's tiny test config, padding invariance, the
 * fine-tuning head, RoBERTa's no-NSP switch, dropout seeding and tensor leaks.
 */

import type { ForwardContext } from '@pretrain-lab/layers';
import { initBackend } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BERT, type BERTPretrainBatch, bertParamCount, resolveBERTConfig } from './bert.js';
import {
  bertFixtureBatch,
  bertFromFixture,
  flatData,
  loadBERTFixture,
  toleranceRatio,
} from './testing/fixtures.js';

beforeAll(async () => {
  await initBackend();
});

const disposeBatch = (b: BERTPretrainBatch) =>
  tf.dispose(Object.values(b).filter((t): t is tf.Tensor => t instanceof tf.Tensor));

for (const variant of ['postnorm', 'prenorm'] as const) {
  describe(`BERT parity with PyTorch (${variant})`, () => {
    const fx = loadBERTFixture(variant);

    it('has exactly the reference parameter names and shapes', () => {
      const model = bertFromFixture(fx);
      expect(model.params.names().sort()).toEqual(Object.keys(fx.params).sort());
      for (const [name, v] of model.params.vars) expect(v.shape, name).toEqual(fx.params[name].shape);
      model.dispose();
    });

    it('matches MLM and NSP logits and the losses', async () => {
      const model = bertFromFixture(fx);
      const batch = bertFixtureBatch(fx);
      const h = model.encode(batch.inputIds, batch.tokenTypeIds, batch.attentionMask);
      const mlm = model.mlmLogits(h);
      const nsp = model.nspLogits(h);
      expect(mlm.shape).toEqual(fx.mlmLogits.shape);
      expect(nsp.shape).toEqual(fx.nspLogits.shape);
      expect(
        toleranceRatio(await mlm.data(), fx.mlmLogits.data, 1e-5, 1e-4),
        'MLM logits',
      ).toBeLessThanOrEqual(1);
      expect(
        toleranceRatio(await nsp.data(), fx.nspLogits.data, 1e-5, 1e-4),
        'NSP logits',
      ).toBeLessThanOrEqual(1);
      const { loss, mlmLoss, nspLoss } = model.pretrainLoss(batch);
      expect(Math.abs((await mlmLoss.data())[0] - fx.losses.mlm)).toBeLessThan(1e-5);
      expect(Math.abs((await nspLoss!.data())[0] - fx.losses.nsp)).toBeLessThan(1e-5);
      expect(Math.abs((await loss.data())[0] - fx.losses.total)).toBeLessThan(1e-5);
      // Without NSP labels (RoBERTa-style objective) the loss is the MLM term alone.
      const noNsp = model.pretrainLoss({ ...batch, nspLabels: null });
      expect(noNsp.nspLoss).toBeNull();
      expect(Math.abs((await noNsp.loss.data())[0] - fx.losses.mlm)).toBeLessThan(1e-5);
      // NSP labels < 0 (objectives' NO_NSP_LABEL) are ignored example by example.
      const ignored = tf.tensor1d([-1, -1, -1], 'int32');
      const allIgnored = model.pretrainLoss({ ...batch, nspLabels: ignored });
      expect(Math.abs((await allIgnored.loss.data())[0] - fx.losses.mlm)).toBeLessThan(1e-5);
      tf.dispose([
        h,
        mlm,
        nsp,
        loss,
        mlmLoss,
        nspLoss!,
        noNsp.loss,
        noNsp.mlmLoss,
        ignored,
        allIgnored.loss,
        allIgnored.mlmLoss,
        allIgnored.nspLoss!,
      ]);
      disposeBatch(batch);
      model.dispose();
    });

    it('matches the gradient of every parameter', async () => {
      const model = bertFromFixture(fx);
      const batch = bertFixtureBatch(fx);
      const { value, grads } = tf.variableGrads(
        () => model.pretrainLoss(batch).loss,
        [...model.params.vars.values()],
      );
      expect(
        Object.keys(grads)
          .map((k) => model.params.nameOf(k))
          .sort(),
      ).toEqual(Object.keys(fx.grads).sort());
      for (const [tfName, g] of Object.entries(grads)) {
        const name = model.params.nameOf(tfName);
        const ratio = toleranceRatio(await g.data(), flatData(fx.grads[name]), 1e-6, 1e-3);
        expect(ratio, `gradient of ${name}`).toBeLessThanOrEqual(1);
      }
      tf.dispose([value, ...Object.values(grads)]);
      disposeBatch(batch);
      model.dispose();
    });
  });
}

describe('BERT heads on the Hugging Face tiny test config', () => {
  // BertModelTester: vocab 99, width 32, 2 layers, 4 heads, intermediate 37, batch 13, seq 7.
  const cfg = resolveBERTConfig({
    vocabSize: 99,
    maxLen: 512,
    dModel: 32,
    numLayers: 2,
    numHeads: 4,
    dFF: 37,
    typeVocabSize: 16,
  });
  const [B, T] = [13, 7];
  const ids = () =>
    tf.tensor2d(
      Array.from({ length: B * T }, (_, i) => (i * 7) % 99),
      [B, T],
      'int32',
    );

  it('gives every head its documented shape', () => {
    const model = new BERT(cfg, 1);
    const x = ids();
    const types = tf.tensor2d(
      Array.from({ length: B * T }, (_, i) => i % 16),
      [B, T],
      'int32',
    );
    const mask = tf.tensor2d(
      Array.from({ length: B * T }, (_, i) => (i % T < 5 ? 1 : 0)),
      [B, T],
      'int32',
    );
    const h = model.encode(x, types, mask);
    expect(h.shape).toEqual([B, T, 32]);
    const pooled = model.pool(h);
    expect(pooled.shape).toEqual([B, 32]);
    const mlm = model.mlmLogits(h);
    expect(mlm.shape).toEqual([B, T, 99]);
    const nsp = model.nspLogits(h);
    expect(nsp.shape).toEqual([B, 2]);
    const clf = model.withClassifier(3, 2);
    const logits = clf.classifyLogits(x, types, mask);
    expect(logits.shape).toEqual([B, 3]);
    expect(() => model.classifyLogits(x)).toThrow(/withClassifier/);
    tf.dispose([x, types, mask, h, pooled, mlm, nsp, logits]);
    clf.dispose();
    model.dispose();
  });

  it('counts parameters as built, and BERT-base as Hugging Face', () => {
    for (const over of [
      {},
      { preNorm: true },
      { nsp: false, numLabels: 3 },
      { pretrainingHeads: false, numLabels: 2 },
    ]) {
      const model = new BERT({ ...cfg, ...over }, 0);
      expect(bertParamCount(model.config), JSON.stringify(over)).toBe(model.params.count());
      model.dispose();
    }
    // 110M in the paper; HF's bert-base-uncased BertForPreTraining has 110,106,428.
    const base = resolveBERTConfig({
      vocabSize: 30522,
      maxLen: 512,
      dModel: 768,
      numLayers: 12,
      numHeads: 12,
    });
    expect(bertParamCount(base)).toBe(110_106_428);
  });
});

describe('BERT', () => {
  const tiny = resolveBERTConfig({
    vocabSize: 23,
    maxLen: 8,
    dModel: 8,
    numLayers: 2,
    numHeads: 2,
    dropout: 0,
  });

  for (const preNorm of [false, true]) {
    it(`ignores padded positions (${preNorm ? 'pre' : 'post'}-norm)`, async () => {
      const model = new BERT({ ...tiny, preNorm }, 4);
      const mask = tf.tensor2d(
        [
          [1, 1, 1, 1, 1, 0, 0, 0],
          [1, 1, 1, 0, 0, 0, 0, 0],
        ],
        [2, 8],
        'int32',
      );
      const typesA = tf.tensor2d(
        [
          [0, 0, 0, 1, 1, 0, 0, 0],
          [0, 0, 1, 0, 0, 0, 0, 0],
        ],
        [2, 8],
        'int32',
      );
      const typesB = tf.tensor2d(
        [
          [0, 0, 0, 1, 1, 1, 0, 1],
          [0, 0, 1, 1, 1, 1, 1, 1],
        ],
        [2, 8],
        'int32',
      );
      const a = tf.tensor2d(
        [
          [1, 5, 6, 2, 7, 0, 0, 0],
          [1, 9, 2, 0, 0, 0, 0, 0],
        ],
        [2, 8],
        'int32',
      );
      const b = tf.tensor2d(
        [
          [1, 5, 6, 2, 7, 13, 14, 15],
          [1, 9, 2, 22, 3, 4, 5, 6],
        ],
        [2, 8],
        'int32',
      );
      const c = tf.tensor2d(
        [
          [1, 5, 6, 2, 8, 0, 0, 0],
          [1, 9, 2, 0, 0, 0, 0, 0],
        ],
        [2, 8],
        'int32',
      );
      const real = async (t: tf.Tensor3D) => {
        const v = await t.array();
        return [v[0].slice(0, 5), v[1].slice(0, 3)].flat(2);
      };
      const [ha, hb, hc] = [
        model.encode(a, typesA, mask),
        model.encode(b, typesB, mask),
        model.encode(c, typesA, mask),
      ];
      const [ma, mb] = [model.mlmLogits(ha), model.mlmLogits(hb)];
      const [na, nb] = [model.nspLogits(ha), model.nspLogits(hb)];
      expect(toleranceRatio(await real(ha), await real(hb), 1e-6, 0)).toBeLessThanOrEqual(1);
      expect(toleranceRatio(await real(ma), await real(mb), 1e-6, 0)).toBeLessThanOrEqual(1);
      expect(toleranceRatio(await na.data(), await nb.data(), 1e-6, 0)).toBeLessThanOrEqual(1);
      // ... while a real token does change every real position (attention is bidirectional).
      const first = async (t: tf.Tensor3D) => (await t.array())[0][0];
      expect(await first(hc)).not.toEqual(await first(ha));
      tf.dispose([mask, typesA, typesB, a, b, c, ha, hb, hc, ma, mb, na, nb]);
      model.dispose();
    });
  }

  it('copies the pretrained encoder into a fine-tuning model by name', async () => {
    const pre = new BERT(tiny, 5);
    const ft = pre.withClassifier(4, 9);
    expect(ft.config.numLabels).toBe(4);
    expect(pre.classifier).toBeNull();
    expect(ft.params.get('classifier.weight').shape).toEqual([8, 4]);
    expect(ft.params.names().filter((n) => !n.startsWith('bert.'))).toEqual([
      'classifier.weight',
      'classifier.bias',
    ]);
    expect(ft.mlmHead).toBeNull();
    for (const name of pre.params.names().filter((n) => n.startsWith('bert.'))) {
      expect(Array.from(await ft.params.get(name).data()), name).toEqual(
        Array.from(await pre.params.get(name).data()),
      );
    }
    // Replacing the head of a fine-tuned model keeps its encoder and draws a new head.
    const ft2 = ft.withClassifier(4, 10);
    expect(Array.from(await ft2.params.get('classifier.weight').data())).not.toEqual(
      Array.from(await ft.params.get('classifier.weight').data()),
    );
    // The copy is independent: training one does not move the other.
    ft.params.get('bert.pooler.dense.bias').assign(tf.onesLike(ft.params.get('bert.pooler.dense.bias')));
    expect(Array.from(await pre.params.get('bert.pooler.dense.bias').data())).not.toContain(1);
    // Classification loss reaches the classifier and the encoder.
    const x = tf.tensor2d(
      [
        [1, 4, 5, 2],
        [1, 6, 2, 0],
      ],
      [2, 4],
      'int32',
    );
    const mask = tf.tensor2d(
      [
        [1, 1, 1, 1],
        [1, 1, 1, 0],
      ],
      [2, 4],
      'int32',
    );
    const y = tf.tensor1d([3, 0], 'int32');
    const { value, grads } = tf.variableGrads(
      () => ft.classificationLoss({ inputIds: x, attentionMask: mask, labels: y }),
      [...ft.params.vars.values()],
    );
    // Every parameter of the fine-tuning model gets a gradient (AdamW requires one for each).
    expect(
      Object.keys(grads)
        .map((k) => ft.params.nameOf(k))
        .sort(),
    ).toEqual(ft.params.names().sort());
    expect((await value.data())[0]).toBeCloseTo(Math.log(4), 1);
    tf.dispose([x, mask, y, value, ...Object.values(grads)]);
    // numLabels 1 is regression (mean squared error), as HF.
    const reg = pre.withClassifier(1, 3);
    const xr = tf.tensor2d([[1, 4, 5, 2]], [1, 4], 'int32');
    const target = tf.tensor1d([2.5]);
    const logit = reg.classifyLogits(xr);
    const mse = reg.classificationLoss({ inputIds: xr, labels: target });
    expect((await mse.data())[0]).toBeCloseTo(((await logit.data())[0] - 2.5) ** 2, 5);
    tf.dispose([xr, target, logit, mse]);
    for (const m of [pre, ft, ft2, reg]) m.dispose();
  });

  it('drops the NSP head for RoBERTa (nsp: false)', () => {
    const model = new BERT({ ...tiny, nsp: false }, 1);
    expect(model.params.names().some((n) => n.startsWith('cls.seq_relationship'))).toBe(false);
    const x = tf.tensor2d([[1, 4, 5, 2]], [1, 4], 'int32');
    const labels = tf.tensor2d([[-100, 4, -100, -100]], [1, 4], 'int32');
    const h = model.encode(x);
    expect(() => model.nspLogits(h)).toThrow(/nsp: false/);
    const nsp = tf.tensor1d([0], 'int32');
    expect(() => model.pretrainLoss({ inputIds: x, mlmLabels: labels, nspLabels: nsp })).toThrow(/NSP head/);
    const out = model.pretrainLoss({ inputIds: x, mlmLabels: labels });
    expect(out.nspLoss).toBeNull();
    tf.dispose([x, labels, h, nsp, out.loss, out.mlmLoss]);
    model.dispose();
  });

  it('draws dropout masks from the forward context seed', async () => {
    const model = new BERT({ ...tiny, dropout: 0.3 }, 2);
    const x = tf.tensor2d([[1, 4, 5, 6, 7, 2]], [1, 6], 'int32');
    const labels = tf.tensor2d([[-100, 4, 5, 6, -100, -100]], [1, 6], 'int32');
    const nsp = tf.tensor1d([1], 'int32');
    const run = async (ctx: ForwardContext) => {
      const out = model.pretrainLoss({ inputIds: x, mlmLabels: labels, nspLabels: nsp }, ctx);
      const v = (await out.loss.data())[0];
      tf.dispose([out.loss, out.mlmLoss, out.nspLoss!]);
      return v;
    };
    const [a, b, c] = [
      await run({ training: true, seed: 7, site: 0 }),
      await run({ training: true, seed: 7, site: 0 }),
      await run({ training: true, seed: 8, site: 0 }),
    ];
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(await run({ training: false, seed: 7, site: 0 })).toBe(
      await run({ training: false, seed: 8, site: 0 }),
    );
    tf.dispose([x, labels, nsp]);
    model.dispose();
  });

  it('does not leak tensors', () => {
    const model = new BERT(resolveBERTConfig({ ...tiny, numLabels: 2, dropout: 0.1 }), 1);
    const x = tf.tensor2d([[1, 4, 5, 2, 0]], [1, 5], 'int32');
    const mask = tf.tensor2d([[1, 1, 1, 1, 0]], [1, 5], 'int32');
    const labels = tf.tensor2d([[-100, 4, -100, -100, -100]], [1, 5], 'int32');
    const nsp = tf.tensor1d([0], 'int32');
    const y = tf.tensor1d([1], 'int32');
    const step = (i: number) => {
      const ctx = { training: true, seed: i, site: 0 };
      const out = model.pretrainLoss(
        { inputIds: x, attentionMask: mask, mlmLabels: labels, nspLabels: nsp },
        ctx,
      );
      tf.dispose([out.loss, out.mlmLoss, out.nspLoss!]);
      const { value, grads } = tf.variableGrads(() =>
        model.classificationLoss({ inputIds: x, attentionMask: mask, labels: y }, ctx),
      );
      tf.dispose([value, ...Object.values(grads)]);
      const h = model.encode(x, null, mask);
      tf.dispose([h, model.mlmLogits(h), model.nspLogits(h), model.pool(h)]);
    };
    step(0);
    const before = tf.memory().numTensors;
    for (let i = 1; i < 4; i++) step(i);
    expect(tf.memory().numTensors).toBe(before);
    // Not checked here: building a model (e.g. withClassifier) leaves one tensor per parameter
    // behind, because ParamStore.create never disposes the initial value it wraps in a variable.
    tf.dispose([x, mask, labels, nsp, y]);
    model.dispose();
  });

  it('rejects inconsistent configs and inputs', () => {
    const base = { vocabSize: 11, maxLen: 4, dModel: 8, numLayers: 1, numHeads: 2 };
    expect(() => resolveBERTConfig({ ...base, dModel: 10, numHeads: 3 })).toThrow(/divisible/);
    expect(() => resolveBERTConfig({ ...base, vocabSize: 0 })).toThrow(/vocabSize/);
    expect(() => resolveBERTConfig({ ...base, numLabel: 2 } as never)).toThrow(/unknown key 'numLabel'/);
    expect(resolveBERTConfig(base).dFF).toBe(32);
    const model = new BERT(resolveBERTConfig(base), 0);
    const long = tf.zeros([1, 5], 'int32') as tf.Tensor2D;
    expect(() => model.encode(long)).toThrow(/maxLen 4/);
    const x = tf.zeros([1, 3], 'int32') as tf.Tensor2D;
    const badMask = tf.ones([1, 4], 'int32') as tf.Tensor2D;
    expect(() => model.encode(x, null, badMask)).toThrow(/attentionMask/);
    tf.dispose([long, x, badMask]);
    model.dispose();
  });
});
