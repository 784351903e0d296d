/**
 * Seeding. tfjs's own initialisers and dropout draw from seedrandom unless given a seed; this
 * project never relies on them: weights are initialised from our Rng (see models) and dropout
 * masks take explicit seeds derived here, so runs are reproducible on every backend.
 */
import { Rng } from './rng.js';

/** Derive a 31-bit integer seed for a tfjs op (e.g. dropout) from a base seed and labels. */
export function opSeed(base: number, ...labels: (string | number)[]): number {
  const r = Rng.derive(base, labels.join('/'));
  return r.nextUint32() & 0x7fffffff;
}
