/**
 * ELECTRA pinned against PyTorch (fixture from tools/reference/electra.py), pre-norm and
 * post-norm: a 1-layer generator and a 2-layer discriminator sharing `electra.embeddings.*`, on
 * a padded batch of 3 x 8 with fixed generator samples (pretrainLoss's `samples`, two of them
 * equal to the original token). Pinned: parameter names and shapes, the discriminator's inputs
 * and labels (objectives' replacedTokenDetection, which pretrainLoss uses) and logits, the
 * generator's logits at the masked positions, the MLM, discriminator and total losses
 * (total = mlm + 50 disc), the accuracy and replaced fraction, the gradient of the total loss
 * for every parameter, and the MLM loss's own gradient of the shared embeddings.
 *
 * Tolerances, float32: losses 1e-5 absolute + 1e-5 relative (the total is ~45); logits
 * 1e-5 absolute + 1e-4 relative; gradients 1e-6 absolute + 1e-3 relative, as bert.test.ts.
 * Then invariants: one set of embedding variables that both losses reach, a sample equal to the
 * original labelled "original", a batch without masked positions, the seeded draw, tensor
 * leaks and config validation.
 */

import { inference } from '@pretrain-lab/layers';
import { replacedTokenDetection } from '@pretrain-lab/objectives';
import { initBackend } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Electra, type ElectraBatch, resolveElectraConfig } from './electra.js';
import {
  electraFixtureBatch,
  electraFromFixture,
  type Flat,
  flatData,
  loadElectraFixture,
  toleranceRatio,
} from './testing/fixtures.js';

beforeAll(async () => {
  await initBackend();
});

const fx = loadElectraFixture();
const i2 = (f: Flat) => tf.tensor2d(f.data, f.shape as [number, number], 'int32');
const scalarOf = async (t: tf.Scalar) => (await t.data())[0];
const lossRatio = (got: number, want: number) => Math.abs(got - want) / (1e-5 + 1e-5 * Math.abs(want));
const disposeBatch = (b: ElectraBatch) => tf.dispose([b.inputIds, b.mlmLabels, b.attentionMask]);
const EMBEDDINGS = [
  'electra.embeddings.word_embeddings.weight',
  'electra.embeddings.position_embeddings.weight',
  'electra.embeddings.token_type_embeddings.weight',
  'electra.embeddings.LayerNorm.weight',
  'electra.embeddings.LayerNorm.bias',
];

it('covers both norm placements, with samples equal to the original among them', () => {
  expect(fx.cases.map((c) => c.name)).toEqual(['prenorm', 'postnorm']);
  expect(fx.discWeight).toBe(50);
  const labels = fx.inputs.mlmLabels.data;
  const masked = labels.flatMap((l, i) => (l >= 0 ? [i] : []));
  expect(fx.inputs.samples.data.length).toBe(masked.length);
  expect(masked.filter((p, k) => fx.inputs.samples.data[k] === labels[p]).length).toBe(2);
  expect(fx.inputs.attentionMask.data.includes(0)).toBe(true);
  // The discriminator's inputs and labels as pretrainLoss builds them are the reference's.
  const rtd = replacedTokenDetection(
    { inputs: Int32Array.from(fx.inputs.inputIds.data), labels: Int32Array.from(labels) },
    Int32Array.from(fx.inputs.samples.data),
  );
  for (const c of fx.cases) {
    expect(Array.from(rtd.inputs)).toEqual(c.discInputs.data);
    expect(Array.from(rtd.labels)).toEqual(c.discLabels.data);
  }
});

for (const c of fx.cases) {
  describe(`ELECTRA parity with PyTorch (${c.name})`, () => {
    it('has exactly the reference parameter names and shapes', () => {
      const model = electraFromFixture(fx, c);
      expect(model.params.names().sort()).toEqual(Object.keys(c.params).sort());
      for (const [name, v] of model.params.vars) expect(v.shape, name).toEqual(c.params[name].shape);
      model.dispose();
    });

    it("matches the discriminator's inputs and logits, and the losses", async () => {
      const model = electraFromFixture(fx, c);
      const { batch, samples } = electraFixtureBatch(fx);
      const out = model.pretrainLoss(batch, inference(), samples);
      expect(lossRatio(await scalarOf(out.mlmLoss), c.losses.mlm), 'mlm').toBeLessThanOrEqual(1);
      expect(lossRatio(await scalarOf(out.discLoss), c.losses.disc), 'disc').toBeLessThanOrEqual(1);
      expect(lossRatio(await scalarOf(out.loss), c.losses.total), 'total').toBeLessThanOrEqual(1);
      expect(out.discAccuracy).toBeCloseTo(c.discAccuracy, 12);
      expect(out.replacedFraction).toBeCloseTo(c.replacedFraction, 12);
      // The discriminator on the reference's inputs gives the reference's logits.
      const discIds = i2(c.discInputs);
      const z = model.discLogits(model.encode(discIds, null, batch.attentionMask));
      expect(z.shape).toEqual(c.discLogits.shape);
      expect(
        toleranceRatio(await z.data(), c.discLogits.data, 1e-5, 1e-4),
        'disc logits',
      ).toBeLessThanOrEqual(1);
      // The generator's logits at the masked positions (its stack and tied head, as pretrainLoss runs them).
      const genLogits = tf.tidy(() => {
        let x = model.embeddings.apply(batch.inputIds, tf.zerosLike(batch.inputIds), inference());
        for (const layer of model.generator.layers)
          x = layer.apply(x, inference(), { keyPadding: batch.attentionMask });
        if (model.generator.lnF) x = model.generator.lnF.apply(x);
        const rows = fx.inputs.mlmLabels.data.flatMap((l, i) => (l >= 0 ? [i] : []));
        return model.generatorHead.apply(tf.gather(tf.reshape(x, [-1, x.shape[2]]), rows));
      });
      expect(genLogits.shape).toEqual(c.genLogits.shape);
      expect(
        toleranceRatio(await genLogits.data(), c.genLogits.data, 1e-5, 1e-4),
        'generator logits',
      ).toBeLessThanOrEqual(1);
      tf.dispose([out.loss, out.mlmLoss, out.discLoss, discIds, z, genLogits]);
      disposeBatch(batch);
      model.dispose();
    });

    it('matches the gradient of every parameter', async () => {
      const model = electraFromFixture(fx, c);
      const { batch, samples } = electraFixtureBatch(fx);
      const { value, grads } = tf.variableGrads(
        () => model.pretrainLoss(batch, inference(), samples).loss,
        [...model.params.vars.values()],
      );
      expect(
        Object.keys(grads)
          .map((k) => model.params.nameOf(k))
          .sort(),
      ).toEqual(Object.keys(c.grads).sort());
      for (const [tfName, g] of Object.entries(grads)) {
        const name = model.params.nameOf(tfName);
        const ratio = toleranceRatio(await g.data(), flatData(c.grads[name]), 1e-6, 1e-3);
        expect(ratio, `gradient of ${name}`).toBeLessThanOrEqual(1);
      }
      expect(lossRatio(await scalarOf(value), c.losses.total)).toBeLessThanOrEqual(1);
      tf.dispose([value, ...Object.values(grads)]);
      disposeBatch(batch);
      model.dispose();
    });

    it('shares one set of embeddings that both losses reach', async () => {
      const model = electraFromFixture(fx, c);
      const { batch, samples } = electraFixtureBatch(fx);
      // One variable per table: nothing else in the store is an embedding.
      expect(model.params.names().filter((n) => n.includes('embeddings'))).toEqual(EMBEDDINGS);
      const emb = EMBEDDINGS.map((n) => model.params.get(n));
      const gradsOf = (pick: (o: ReturnType<Electra['pretrainLoss']>) => tf.Scalar) => {
        const { value, grads } = tf.variableGrads(() => {
          const o = model.pretrainLoss(batch, inference(), samples);
          return pick(o);
        }, emb);
        value.dispose();
        return grads;
      };
      const total = gradsOf((o) => o.loss);
      const mlm = gradsOf((o) => o.mlmLoss);
      const disc = gradsOf((o) => o.discLoss);
      for (const name of EMBEDDINGS) {
        const key = model.params.get(name).name;
        const [t, m, d] = [await total[key].data(), await mlm[key].data(), await disc[key].data()];
        // The MLM loss's share is the reference's.
        expect(
          toleranceRatio(m, c.mlmGrads[name], 1e-6, 1e-3),
          `mlm gradient of ${name}`,
        ).toBeLessThanOrEqual(1);
        // Both losses reach the table, and the total is their weighted sum.
        const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
        expect(norm(m), `mlm reaches ${name}`).toBeGreaterThan(1e-3);
        expect(norm(d), `disc reaches ${name}`).toBeGreaterThan(1e-3);
        const diff = Array.from(t, (v, i) => v - m[i]);
        expect(norm(diff), `total differs from mlm alone on ${name}`).toBeGreaterThan(1e-2);
        const sum = Array.from(m, (v, i) => v + fx.discWeight * d[i]);
        expect(toleranceRatio(t, sum, 1e-5, 1e-4), `total = mlm + 50 disc on ${name}`).toBeLessThanOrEqual(1);
      }
      tf.dispose([...Object.values(total), ...Object.values(mlm), ...Object.values(disc)]);
      disposeBatch(batch);
      model.dispose();
    });
  });
}

describe('ELECTRA', () => {
  const c = fx.cases[0];

  it('labels a sample equal to the original "original"', async () => {
    const model = electraFromFixture(fx, c);
    const { batch } = electraFixtureBatch(fx);
    const labels = fx.inputs.mlmLabels.data;
    const originals = Int32Array.from(labels.filter((l) => l >= 0));
    const out = model.pretrainLoss(batch, inference(), originals);
    expect(out.replacedFraction).toBe(0);
    // Every label 0: the loss is the mean of softplus(z) over the real tokens of the uncorrupted input.
    const original = tf.tensor2d(
      fx.inputs.inputIds.data.map((id, i) => (labels[i] >= 0 ? labels[i] : id)),
      [3, 8],
      'int32',
    );
    const z = await model.discLogits(model.encode(original, null, batch.attentionMask)).data();
    const mask = fx.inputs.attentionMask.data;
    let sum = 0;
    for (let i = 0; i < z.length; i++) if (mask[i]) sum += Math.log1p(Math.exp(z[i]));
    const want = sum / mask.reduce((a, b) => a + b, 0);
    expect(Math.abs((await scalarOf(out.discLoss)) - want)).toBeLessThan(1e-5);
    let right = 0;
    for (let i = 0; i < z.length; i++) if (mask[i] && z[i] <= 0) right++;
    expect(out.discAccuracy).toBeCloseTo(right / mask.reduce((a, b) => a + b, 0), 12);
    // The reference's samples 0 and 1 are their originals too: label 0 there, 1 at the others.
    const ref = model.pretrainLoss(batch, inference(), Int32Array.from(fx.inputs.samples.data));
    expect(ref.replacedFraction).toBeCloseTo(5 / 7, 12);
    tf.dispose([out.loss, out.mlmLoss, out.discLoss, ref.loss, ref.mlmLoss, ref.discLoss, original]);
    disposeBatch(batch);
    model.dispose();
  });

  it('trains the discriminator alone on a batch without masked positions', async () => {
    const model = electraFromFixture(fx, c);
    const { batch } = electraFixtureBatch(fx);
    const none = tf.fill([3, 8], -100, 'int32') as tf.Tensor2D;
    const b = { ...batch, mlmLabels: none };
    const out = model.pretrainLoss(b, inference(), new Int32Array(0));
    expect(await scalarOf(out.mlmLoss)).toBe(0);
    expect(out.replacedFraction).toBe(0);
    const disc = await scalarOf(out.discLoss);
    expect(disc).toBeGreaterThan(0);
    expect(Math.abs((await scalarOf(out.loss)) - 50 * disc)).toBeLessThan(1e-4);
    const { value, grads } = tf.variableGrads(
      () => model.pretrainLoss(b, inference(), new Int32Array(0)).loss,
      [...model.params.vars.values()],
    );
    for (const g of Object.values(grads))
      expect(Array.from(await g.data()).every(Number.isFinite)).toBe(true);
    tf.dispose([out.loss, out.mlmLoss, out.discLoss, value, ...Object.values(grads), none]);
    disposeBatch(batch);
    model.dispose();
  });

  it('draws the generator sample from the forward context seed', async () => {
    const model = electraFromFixture(fx, c);
    const { batch } = electraFixtureBatch(fx);
    const lossAt = async (seed: number) => {
      const out = model.pretrainLoss(batch, { training: false, seed, site: 0 });
      const v = [await scalarOf(out.loss), out.replacedFraction];
      tf.dispose([out.loss, out.mlmLoss, out.discLoss]);
      return v;
    };
    expect(await lossAt(3)).toEqual(await lossAt(3));
    const draws = await Promise.all([1, 2, 3, 4, 5].map(lossAt));
    expect(new Set(draws.map((d) => d[0])).size).toBeGreaterThan(1);
    disposeBatch(batch);
    model.dispose();
  });

  it('does not leak tensors', () => {
    const model = electraFromFixture(fx, c);
    const { batch, samples } = electraFixtureBatch(fx);
    const step = (i: number) => {
      const out = model.pretrainLoss(batch, inference(), samples);
      tf.dispose([out.loss, out.mlmLoss, out.discLoss]);
      const drawn = model.pretrainLoss(batch, { training: true, seed: i, site: 0 });
      tf.dispose([drawn.loss, drawn.mlmLoss, drawn.discLoss]);
      const { value, grads } = tf.variableGrads(
        () => model.pretrainLoss(batch, { training: true, seed: i, site: 0 }).loss,
        [...model.params.vars.values()],
      );
      tf.dispose([value, ...Object.values(grads)]);
      tf.dispose(model.encode(batch.inputIds, null, batch.attentionMask));
    };
    step(0);
    const before = tf.memory().numTensors;
    for (let i = 1; i < 3; i++) step(i);
    expect(tf.memory().numTensors).toBe(before);
    disposeBatch(batch);
    model.dispose();
  });

  it('rejects bad generator and discriminator configs', () => {
    const disc = { vocabSize: 11, maxLen: 4, dModel: 8, numLayers: 2, numHeads: 2 };
    const gen = { numLayers: 1, numHeads: 2, dFF: 16 };
    expect(resolveElectraConfig(disc, gen).discWeight).toBe(50);
    expect(resolveElectraConfig(disc, gen).discriminator.pretrainingHeads).toBe(false);
    expect(() => resolveElectraConfig(disc, { ...gen, numHeads: 3 })).toThrow(/generator.numHeads 3/);
    expect(() => resolveElectraConfig(disc, { ...gen, numLayers: 0 })).toThrow(/generator.numLayers/);
    expect(() => resolveElectraConfig(disc, { ...gen, dFF: 1.5 })).toThrow(/generator.dFF/);
    expect(() => resolveElectraConfig(disc, gen, 0)).toThrow(/discWeight/);
    expect(() => resolveElectraConfig({ ...disc, embeddingSize: 4 }, gen)).toThrow(/factorized/);
    expect(() => resolveElectraConfig({ ...disc, numHeads: 3 }, gen)).toThrow(/divisible/);
  });
});
