/**
 * patchSaveForBackward (data-movement.ts): on the wasm backend, tensors saved for a gradient
 * share their buffer without an Identity dispatch, and keep clone's tape node, so first- and
 * second-order gradients are unchanged and nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';

describe('tensors saved for backward on wasm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  it('dispatch no Identity kernel, and gradients match the analytic ones', async () => {
    const x = tf.variable(tf.tensor1d([0.5, -1.5, 2]));
    const before = tf.memory().numTensors;
    const prof = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.mul(tf.tanh(x), tf.exp(x))) as tf.Scalar,
        [x],
      );
      tf.dispose([value, grads[x.name]]);
    });
    expect(prof.kernels.filter((k) => k.name === 'Identity')).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
    const g = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.tanh(v), tf.exp(v))))(x));
    const xs = [0.5, -1.5, 2];
    const want = xs.map((v) => Math.exp(v) * (Math.tanh(v) + 1 - Math.tanh(v) ** 2));
    const got = Array.from(g.dataSync());
    for (let i = 0; i < 3; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    tf.dispose([g, x]);
  });
  it('second-order gradients still flow through the saved tensors', () => {
    // d2/dx2 of x^3 = 6x, through mul's saved inputs.
    const f = (v: tf.Tensor) => tf.mul(tf.mul(v, v), v);
    const d2 = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.grad(f)(v))(tf.tensor1d([1, -2, 3])));
    expect(Array.from(d2.dataSync())).toEqual([6, -12, 18]);
    d2.dispose();
  });
});
