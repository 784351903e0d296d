import { initBackend, Rng } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ParamStore } from './params.js';
import { RMSNorm } from './rmsnorm.js';

beforeAll(async () => {
  await initBackend();
});

describe('RMSNorm', () => {
  it('divides by the root mean square and scales by the gain, without centring', async () => {
    const store = new ParamStore(new Rng(0));
    const norm = new RMSNorm(store, 'ln', 4);
    norm.weight.assign(tf.tensor1d([1, 2, 0.5, -1]));
    const x = [1, 2, 3, 4];
    const rms = Math.sqrt((1 + 4 + 9 + 16) / 4 + 1e-6);
    const y = norm.apply(tf.tensor2d([x]));
    const expected = [1 / rms, (2 * 2) / rms, (0.5 * 3) / rms, -4 / rms];
    const got = await y.data();
    for (let i = 0; i < 4; i++) expect(got[i]).toBeCloseTo(expected[i], 6);
    expect(store.names()).toEqual(['ln.weight']);
    expect(store.noDecay.has('ln.weight')).toBe(true);
    y.dispose();
    store.dispose();
  });

  it('keeps a zero vector at zero (eps) and does not leak tensors', async () => {
    const store = new ParamStore(new Rng(0));
    const norm = new RMSNorm(store, 'ln', 3);
    const x = tf.zeros([2, 3]);
    norm.apply(x).dispose();
    const before = tf.memory().numTensors;
    const y = norm.apply(x);
    expect(Array.from(await y.data())).toEqual([0, 0, 0, 0, 0, 0]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    store.dispose();
  });

  it('has the gradient of the closed form', async () => {
    // d/dx of sum(w * x / r) with r = sqrt(mean(x^2) + eps): w/r - x * sum(w x) / (C r^3).
    const store = new ParamStore(new Rng(0));
    const norm = new RMSNorm(store, 'ln', 3);
    const w = [0.5, 1.5, -2];
    norm.weight.assign(tf.tensor1d(w));
    const xs = [0.3, -1.2, 2.0];
    const g = tf.grad((x: tf.Tensor) => tf.sum(norm.apply(x)))(tf.tensor1d(xs));
    const r = Math.sqrt(xs.reduce((a, v) => a + v * v, 0) / 3 + 1e-6);
    const wx = w.reduce((a, wi, i) => a + wi * xs[i], 0);
    const got = await g.data();
    for (let i = 0; i < 3; i++) expect(got[i]).toBeCloseTo(w[i] / r - (xs[i] * wx) / (3 * r ** 3), 5);
    g.dispose();
    store.dispose();
  });
});
