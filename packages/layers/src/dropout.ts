/**
 * Dropout with explicit seeds. A forward pass carries a `ForwardContext`; each dropout site
 * takes the next seed from it, so the masks of a step depend only on (run seed, step, site).
 */

import { opSeed } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';

export interface ForwardContext {
  training: boolean;
  /** Base seed for this forward pass (e.g. derived from run seed and step). */
  seed: number;
  /** Incremented by each dropout site, in call order. */
  site: number;
}

export function inference(): ForwardContext {
  return { training: false, seed: 0, site: 0 };
}

export function dropout<T extends tf.Tensor>(x: T, rate: number, ctx: ForwardContext): T {
  if (!ctx.training || rate <= 0) return x;
  const seed = opSeed(ctx.seed, 'dropout', ctx.site++);
  return tf.dropout(x, rate, undefined, seed) as T;
}

/** The rate and seed a dropout site would use (advancing the site counter), for ops that apply it inside a fused kernel; undefined when off. */
export function dropoutDraw(rate: number, ctx: ForwardContext): { rate: number; seed: number } | undefined {
  if (!ctx.training || rate <= 0) return undefined;
  return { rate, seed: opSeed(ctx.seed, 'dropout', ctx.site++) };
}
