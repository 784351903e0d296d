/**
 * Five AdamW steps on the tiny T5 pinned against torch.optim.AdamW with clip_grad_norm_
 * (fixture from tools/reference/t5.py): the loss at every step, the pre-clip gradient norms,
 * and every parameter after the fifth update. Weight decay applies to every parameter with two
 * or more dimensions (projections, shared.weight, relative_attention_bias), not to RMS-norm gains.
 * Float32; losses to 1e-5 absolute, norms to 1e-6 + 1e-4 relative, parameters to 1e-5 absolute +
 * 1e-3 relative (as the GPT optimizer test).
 */

import { resolveT5Config, T5 } from '@pretrain-lab/models';
import { type Flat, flatData, loadFixtureJSON } from '@pretrain-lab/models/testing';
import { initBackend } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectAdamWParity } from './testing/optimizer-parity.js';

const fx = loadFixtureJSON<{
  config: Parameters<typeof resolveT5Config>[0];
  params: Record<string, Flat>;
  inputIds: Flat;
  attentionMask: Flat;
  labels: Flat;
  optimizer: {
    lr: number;
    betas: [number, number];
    eps: number;
    weightDecay: number;
    gradClip: number;
    steps: number;
  };
  train: { losses: number[]; gradNorms: number[]; paramsAfter: Record<string, number[]> };
}>('t5-tiny');

beforeAll(async () => {
  await initBackend();
});

describe('AdamW parity with PyTorch on T5', () => {
  it('matches five steps: losses, gradient norms and final parameters', async () => {
    const model = new T5(resolveT5Config({ ...fx.config, dropout: 0 }), 0);
    model.params.assign(Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, flatData(v)])));
    // Decay groups as the reference: ndim >= 2 decays, the 1-d norm gains do not.
    for (const [name, v] of model.params.vars) expect(model.params.noDecay.has(name), name).toBe(v.rank < 2);
    const int2d = (f: Flat) => tf.tensor2d(f.data, f.shape as [number, number], 'int32');
    const batch = {
      inputIds: int2d(fx.inputIds),
      attentionMask: int2d(fx.attentionMask),
      labels: int2d(fx.labels),
    };
    await expectAdamWParity(model.params, fx, () => model.loss(batch), {
      loss: 1e-5,
      paramAtol: 1e-5,
      paramRtol: 1e-3,
      keyBiasWidth: 0,
    });
    tf.dispose(Object.values(batch));
    model.dispose();
  });
});
