/** Helpers shared by the kernel tests (not exported from the package). */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.js';

export function randn(rng: Rng, shape: number[], scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = (rng.float() * 2 - 1) * scale;
  return tf.tensor(d, shape, 'float32');
}

/** max |a - b| / (1 + max |b|): float32-tolerance comparison that does not blow up near 0. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity;
  }
  return m / (1 + s);
}
