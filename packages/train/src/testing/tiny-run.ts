/**
 * A tiny deterministic GPT run for the trainer's tests: a resumable source of token batches
 * over a vocabulary of 11, a loop config with frequent logs, evaluations and checkpoints.
 */
import { GPT, resolveGPTConfig } from '@pretrain-lab/models';
import { ADAMW_DEFAULTS } from '../adamw.js';
import type { TokenBatch } from '../lm.js';

export const T = 6;
export const B = 2;
/** A deterministic, resumable source of random token batches. */
export function source(seed: number) {
  let position = 0;
  const batch = (p: number): TokenBatch => {
    const ids = Int32Array.from({ length: B * (T + 1) }, (_, i) => (i * 7 + p * 13 + seed) % 11);
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      inputs.set(ids.subarray(b * (T + 1), b * (T + 1) + T), b * T);
      targets.set(ids.subarray(b * (T + 1) + 1, (b + 1) * (T + 1)), b * T);
    }
    return { inputs, targets };
  };
  return {
    next: () => batch(position++),
    getPosition: () => position,
    setPosition: (p: number) => {
      position = p;
    },
    eval: () => [batch(1000), batch(1001)],
  };
}

export const cfg = (steps: number) => ({
  steps,
  seqLen: T,
  lr: 1e-2,
  minLr: 1e-3,
  warmupSteps: 2,
  adamw: ADAMW_DEFAULTS,
  evalEvery: 3,
  logEvery: 2,
  checkpointEvery: 2,
  seed: 1,
});
export const tinyGPT = () =>
  new GPT(resolveGPTConfig({ vocabSize: 11, seqLen: T, dModel: 8, numLayers: 1, numHeads: 2 }), 1);
/** Wall-clock columns differ between any two runs. */
export const strip = (rows: Record<string, unknown>[]) =>
  rows.map(({ tokensPerSec: _t, elapsedSec: _e, ...r }) => r);
