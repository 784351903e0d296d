/**
 * Five AdamW steps pinned against torch.optim.AdamW with clip_grad_norm_ (fixtures from
 * tools/reference/gpt.py): the loss at every step, the pre-clip gradient norms, and every
 * parameter after the fifth update. Float32; losses to 1e-5 absolute, parameters to
 * 1e-5 absolute + 1e-3 relative.
 */

import { gptFromFixture, loadGPTFixture } from '@pretrain-lab/models/testing';
import { initBackend } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADAMW_DEFAULTS } from './adamw.js';
import { expectAdamWParity } from './testing/optimizer-parity.js';

beforeAll(async () => {
  await initBackend();
});

for (const variant of ['tied', 'untied'] as const) {
  describe(`AdamW parity with PyTorch (${variant})`, () => {
    it('matches five steps: losses, gradient norms and final parameters', async () => {
      const fx = loadGPTFixture(variant);
      const [B, T] = fx.inputs.shape;
      const model = gptFromFixture(fx);
      const x = tf.tensor2d(fx.inputs.data, [B, T], 'int32');
      const y = tf.tensor2d(fx.targets.data, [B, T], 'int32');
      expect(fx.optimizer.weightDecay).toBeGreaterThan(0);
      await expectAdamWParity(model.params, fx, () => model.loss(x, y), {
        loss: 1e-5,
        paramAtol: 1e-5,
        paramRtol: 1e-3,
        keyBiasWidth: fx.config.nEmbd,
      });
      tf.dispose([x, y]);
      model.dispose();
    });
  });
}

describe('AdamW', () => {
  it('leaves a parameter without a gradient untouched, as torch does (no decay either)', async () => {
    const a = tf.variable(tf.tensor2d([[1, 2]]), true, 'skip-test-a');
    const b = tf.variable(tf.tensor2d([[3, 4]]), true, 'skip-test-b');
    const { AdamW } = await import('./adamw.js');
    const opt = new AdamW(
      new Map([
        ['a', a],
        ['b', b],
      ]),
      new Set(),
      ADAMW_DEFAULTS,
    );
    const g = tf.tensor2d([[0.5, -0.5]]);
    opt.apply(new Map([['a', g]]), 0.1).dispose();
    expect(Array.from(await b.data())).toEqual([3, 4]);
    expect(Array.from(await a.data())).not.toEqual([1, 2]);
    opt.dispose();
    tf.dispose([a, b, g]);
  });
});
