/**
 * The five-AdamW-steps check shared by the GPT, BERT and T5 parity tests: run the optimizer on
 * the fixture's batch, then compare the loss at every step, the pre-clip gradient norms and
 * every parameter after the last update with what torch.optim.AdamW + clip_grad_norm_ gave
 * (tools/reference/*.py). Tolerances are the caller's, stated in each test.
 */
import type { ParamStore } from '@pretrain-lab/layers';
import { type Flat, flatData, toleranceRatio } from '@pretrain-lab/models/testing';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { AdamW } from '../adamw.js';

export interface OptimizerFixture {
  params: Record<string, number[] | Flat>;
  optimizer: {
    lr: number;
    betas: [number, number];
    eps: number;
    weightDecay: number;
    gradClip: number;
    steps: number;
  };
  train: { losses: number[]; gradNorms: number[]; paramsAfter: Record<string, number[] | Flat> };
}

export interface ParityTolerances {
  /** Absolute tolerance on each loss. */
  loss: number;
  /** Absolute + relative tolerance on the parameters after the last step. */
  paramAtol: number;
  paramRtol: number;
  /**
   * Width of attention's key-bias slice [C, 2C) of `*.attn.c_attn.bias`, or 0. Its gradient is
   * identically zero (softmax is invariant to a shift shared by all keys), so in both
   * frameworks Adam turns rounding noise there into steps of up to lr: those entries are only
   * checked to stay within steps * lr of their start.
   */
  keyBiasWidth: number;
}

export async function expectAdamWParity(
  params: ParamStore,
  fx: OptimizerFixture,
  loss: () => tf.Scalar,
  tol: ParityTolerances,
): Promise<void> {
  const o = fx.optimizer;
  const opt = new AdamW(params.vars, params.noDecay, {
    beta1: o.betas[0],
    beta2: o.betas[1],
    eps: o.eps,
    weightDecay: o.weightDecay,
    gradClip: o.gradClip,
  });
  const vars = [...params.vars.values()];
  const losses: number[] = [];
  const norms: number[] = [];
  for (let k = 0; k < o.steps; k++) {
    const { value, grads } = tf.variableGrads(loss, vars);
    losses.push((await value.data())[0]);
    const named = new Map(Object.entries(grads).map(([n, g]) => [params.nameOf(n), g as tf.Tensor]));
    const norm = opt.apply(named, o.lr);
    norms.push((await norm.data())[0]);
    tf.dispose([value, norm, ...Object.values(grads)]);
  }
  const after = loss();
  losses.push((await after.data())[0]);
  after.dispose();
  opt.dispose();

  expect(losses.length).toBe(fx.train.losses.length);
  for (let k = 0; k < losses.length; k++)
    expect(Math.abs(losses[k] - fx.train.losses[k]), `loss ${k}`).toBeLessThan(tol.loss);
  expect(
    toleranceRatio(norms, fx.train.gradNorms, 1e-6, 1e-4),
    'pre-clip gradient norms',
  ).toBeLessThanOrEqual(1);
  const C = tol.keyBiasWidth;
  for (const [name, v] of params.vars) {
    const ours = (await v.data()) as Float32Array;
    const ref = flatData(fx.train.paramsAfter[name]);
    if (C > 0 && name.endsWith('attn.c_attn.bias')) {
      const start = flatData(fx.params[name]);
      for (let i = C; i < 2 * C; i++)
        expect(Math.abs(ours[i] - start[i])).toBeLessThanOrEqual(o.steps * o.lr * 1.001);
      const keep = (a: Float32Array) => Float32Array.from([...a.subarray(0, C), ...a.subarray(2 * C)]);
      expect(
        toleranceRatio(keep(ours), keep(ref), tol.paramAtol, tol.paramRtol),
        `${name} (q, v parts)`,
      ).toBeLessThanOrEqual(1);
      continue;
    }
    expect(
      toleranceRatio(ours, ref, tol.paramAtol, tol.paramRtol),
      `parameter ${name} after ${o.steps} steps`,
    ).toBeLessThanOrEqual(1);
  }
}
