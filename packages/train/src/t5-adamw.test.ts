/**
 * Five AdamW steps on the tiny T5 pinned against torch.optim.AdamW with clip_grad_norm_
 * (fixture from tools/reference/t5.py): the loss at every step, the pre-clip gradient norms,
 * and every parameter after the fifth update. Weight decay applies to every parameter with two
 * or more dimensions (projections, shared.weight, relative_attention_bias), not to RMS-norm gains.
 * Float32; losses to 1e-5 absolute, norms to 1e-6 + 1e-4 relative, parameters to 1e-5 absolute +
 * 1e-3 relative (as the GPT optimizer test).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveT5Config, T5 } from '@pretrain-lab/models';
import { type Flat, flatData, toleranceRatio } from '@pretrain-lab/models/testing';
import { initBackend } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from './adamw.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fx = JSON.parse(
  fs.readFileSync(path.join(here, '..', '..', 'models', 'src', 'fixtures', 't5-tiny.json'), 'utf8'),
) as {
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
};

beforeAll(async () => {
  await initBackend();
});

describe('AdamW parity with PyTorch on T5', () => {
  it('matches five steps: losses, gradient norms and final parameters', async () => {
    const o = fx.optimizer;
    const model = new T5(resolveT5Config({ ...fx.config, dropout: 0 }), 0);
    model.params.assign(Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, flatData(v)])));
    // Decay groups as the reference: ndim >= 2 decays, the 1-d norm gains do not.
    for (const [name, v] of model.params.vars) expect(model.params.noDecay.has(name), name).toBe(v.rank < 2);
    const opt = new AdamW(model.params.vars, model.params.noDecay, {
      beta1: o.betas[0],
      beta2: o.betas[1],
      eps: o.eps,
      weightDecay: o.weightDecay,
      gradClip: o.gradClip,
    });
    const int2d = (f: Flat) => tf.tensor2d(f.data, f.shape as [number, number], 'int32');
    const batch = {
      inputIds: int2d(fx.inputIds),
      attentionMask: int2d(fx.attentionMask),
      labels: int2d(fx.labels),
    };
    const vars = [...model.params.vars.values()];
    const losses: number[] = [];
    const norms: number[] = [];
    for (let k = 0; k < o.steps; k++) {
      const { value, grads } = tf.variableGrads(() => model.loss(batch), vars);
      losses.push((await value.data())[0]);
      const named = new Map(Object.entries(grads).map(([n, g]) => [model.params.nameOf(n), g as tf.Tensor]));
      const norm = opt.apply(named, o.lr);
      norms.push((await norm.data())[0]);
      tf.dispose([value, norm, ...Object.values(grads)]);
    }
    const after = model.loss(batch);
    losses.push((await after.data())[0]);
    expect(losses.length).toBe(fx.train.losses.length);
    for (let k = 0; k < losses.length; k++)
      expect(Math.abs(losses[k] - fx.train.losses[k]), `loss ${k}`).toBeLessThan(1e-5);
    expect(toleranceRatio(norms, fx.train.gradNorms, 1e-6, 1e-4)).toBeLessThanOrEqual(1);
    for (const [name, v] of model.params.vars) {
      const ratio = toleranceRatio(
        (await v.data()) as Float32Array,
        flatData(fx.train.paramsAfter[name]),
        1e-5,
        1e-3,
      );
      expect(ratio, `parameter ${name} after ${o.steps} steps`).toBeLessThanOrEqual(1);
    }
    tf.dispose([after, ...Object.values(batch)]);
    opt.dispose();
    model.dispose();
  });
});
