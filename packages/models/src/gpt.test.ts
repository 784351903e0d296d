/**
 * GPT pinned against PyTorch (fixtures from tools/reference/gpt.py): logits, loss and the
 * gradient of every parameter, for tied and untied output embeddings. The five AdamW steps are
 * checked in packages/train (the optimizer lives there).
 * Tolerances: float32 throughout; logits and loss to 1e-5 absolute + 1e-4 relative, gradients
 * to 1e-6 absolute + 1e-3 relative (sums over many terms in a different order).
 */

import { initBackend, Rng } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GPT, resolveGPTConfig, sampleFromLogits } from './gpt.js';
import { flatData, gptFromFixture, loadGPTFixture, toleranceRatio } from './testing/fixtures.js';

beforeAll(async () => {
  await initBackend();
});

for (const variant of ['tied', 'untied'] as const) {
  describe(`GPT parity with PyTorch (${variant})`, () => {
    const fx = loadGPTFixture(variant);
    const [B, T] = fx.inputs.shape;

    it('has exactly the reference parameter names and shapes', () => {
      const model = gptFromFixture(fx);
      expect(model.params.names().sort()).toEqual(Object.keys(fx.params).sort());
      for (const [name, v] of model.params.vars) expect(v.shape).toEqual(fx.params[name].shape);
      model.dispose();
    });

    it('matches logits and loss', async () => {
      const model = gptFromFixture(fx);
      const x = tf.tensor2d(fx.inputs.data, [B, T], 'int32');
      const y = tf.tensor2d(fx.targets.data, [B, T], 'int32');
      const logits = model.forward(x);
      expect(logits.shape).toEqual(fx.logits.shape);
      expect(toleranceRatio(await logits.data(), fx.logits.data, 1e-5, 1e-4)).toBeLessThanOrEqual(1);
      const loss = model.loss(x, y);
      expect((await loss.data())[0]).toBeCloseTo(fx.loss, 5);
      tf.dispose([x, y, logits, loss]);
      model.dispose();
    });

    it('matches the gradient of every parameter', async () => {
      const model = gptFromFixture(fx);
      const x = tf.tensor2d(fx.inputs.data, [B, T], 'int32');
      const y = tf.tensor2d(fx.targets.data, [B, T], 'int32');
      const { value, grads } = tf.variableGrads(() => model.loss(x, y), [...model.params.vars.values()]);
      const names = Object.keys(grads).map((k) => model.params.nameOf(k));
      expect(names.sort()).toEqual(Object.keys(fx.grads).sort());
      for (const [tfName, g] of Object.entries(grads)) {
        const name = model.params.nameOf(tfName);
        const ratio = toleranceRatio(await g.data(), flatData(fx.grads[name]), 1e-6, 1e-3);
        expect(ratio, `gradient of ${name}`).toBeLessThanOrEqual(1);
      }
      tf.dispose([x, y, value, ...Object.values(grads)]);
      model.dispose();
    });
  });
}

describe('GPT', () => {
  it('is causal: changing a later token leaves earlier logits unchanged', async () => {
    const model = new GPT(
      resolveGPTConfig({ vocabSize: 11, seqLen: 6, dModel: 8, numLayers: 1, numHeads: 2 }),
      3,
    );
    const a = model.forward(tf.tensor2d([[1, 2, 3, 4, 5, 6]], [1, 6], 'int32'));
    const b = model.forward(tf.tensor2d([[1, 2, 3, 9, 9, 9]], [1, 6], 'int32'));
    const first = async (t: tf.Tensor) => Array.from(await tf.slice(t, [0, 0, 0], [1, 3, -1]).data());
    expect(await first(a)).toEqual(await first(b));
    const last = async (t: tf.Tensor) => Array.from(await tf.slice(t, [0, 5, 0], [1, 1, -1]).data());
    expect(await last(a)).not.toEqual(await last(b));
    tf.dispose([a, b]);
    model.dispose();
  });

  it('initialises the same weights from the same seed and different ones from another', async () => {
    const cfg = resolveGPTConfig({ vocabSize: 11, seqLen: 4, dModel: 8, numLayers: 1, numHeads: 2 });
    const [m1, m2, m3] = [new GPT(cfg, 7), new GPT(cfg, 7), new GPT(cfg, 8)];
    const w = async (m: GPT) => Array.from(await m.params.get('transformer.h.0.attn.c_attn.weight').data());
    expect(await w(m1)).toEqual(await w(m2));
    expect(await w(m1)).not.toEqual(await w(m3));
    for (const m of [m1, m2, m3]) m.dispose();
  });

  it('does not leak tensors across forward passes', () => {
    const model = new GPT(
      resolveGPTConfig({ vocabSize: 11, seqLen: 4, dModel: 8, numLayers: 2, numHeads: 2 }),
      1,
    );
    const ids = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    model.loss(ids, ids).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) model.loss(ids, ids).dispose();
    expect(tf.memory().numTensors).toBe(before);
    ids.dispose();
    model.dispose();
  });

  it('rejects inconsistent configs', () => {
    expect(() =>
      resolveGPTConfig({ vocabSize: 11, seqLen: 4, dModel: 10, numLayers: 1, numHeads: 3 }),
    ).toThrow(/divisible/);
    expect(() => resolveGPTConfig({ vocabSize: 0, seqLen: 4, dModel: 8, numLayers: 1, numHeads: 2 })).toThrow(
      /vocabSize/,
    );
  });

  it('samples greedily at temperature 0 and within top-k otherwise', () => {
    const logits = Float32Array.from([0.1, 3, 0.2, 2.9]);
    expect(sampleFromLogits(logits, 0, undefined, new Rng(1))).toBe(1);
    const rng = new Rng(2);
    for (let i = 0; i < 50; i++) expect([1, 3]).toContain(sampleFromLogits(logits, 1, 2, rng));
  });
});
