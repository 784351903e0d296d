import type { Preset } from '@pretrain-lab/experiment';
import { LADDER, type ScalingConfig } from './config.js';

/**
 * Presets set only what differs from the defaults in config.ts, each with its reason.
 *
 * The default grid is sized in one place: `grid.budgets` (FLOPs, C = 6 N_total D) in
 * config.ts's defaults. Print what a grid costs without training anything with
 *   pnpm --filter @pretrain-lab/exp-scaling plan --preset default --speedup 3
 * and move the budgets (or grid.sizesPerBudget) until the total fits.
 */
export const presets: Record<string, Preset<ScalingConfig>> = {
  smoke: {
    reason:
      'seconds: a 4-budget x 5-size IsoFLOP grid of tiny models on a character tokenizer, every fit and figure, for the test suite',
    overrides: {
      corpus: 'brown',
      tokenizer: { kind: 'char', vocabSize: 0 },
      seqLen: 16,
      batchSize: 4,
      models: [
        { numLayers: 1, dModel: 4, numHeads: 1 },
        { numLayers: 1, dModel: 6, numHeads: 1 },
        { numLayers: 1, dModel: 8, numHeads: 2 },
        { numLayers: 1, dModel: 12, numHeads: 2 },
        { numLayers: 1, dModel: 16, numHeads: 2 },
        { numLayers: 2, dModel: 16, numHeads: 2 },
        { numLayers: 2, dModel: 24, numHeads: 2 },
        { numLayers: 2, dModel: 32, numHeads: 2 },
      ],
      grid: { budgets: [1e7, 2.2e7, 4.6e7, 1e8], sizesPerBudget: 5, tokensPerParam: 1, minSteps: 4 },
      train: { evalPoints: 2, evalBatches: 2, finalEvalBatches: 4, logPoints: 4, checkpointPoints: 2 },
      fit: { bootstrap: 40, starts: 'coarse' },
    },
  },
  default: {
    reason:
      'the main job: an IsoFLOP grid of 4 budgets over 1.5 decades x 5 sizes, sized for about 40 minutes at 3x the 2-core wasm speed of 2026-12',
    overrides: {},
  },
  kaplan: {
    reason:
      "the first default, kept for comparison: Kaplan's protocol, 7 sizes on the same 1,024,000 tokens of brown, one constant peak lr; about 5 minutes on a quiet 2-core machine",
    overrides: {
      protocol: 'fixed',
      corpus: 'brown',
      models: [
        { numLayers: 1, dModel: 16, numHeads: 2 },
        { numLayers: 2, dModel: 16, numHeads: 2 },
        { numLayers: 2, dModel: 24, numHeads: 2 },
        { numLayers: 2, dModel: 32, numHeads: 4 },
        { numLayers: 3, dModel: 48, numHeads: 4 },
        { numLayers: 4, dModel: 64, numHeads: 4 },
        { numLayers: 4, dModel: 96, numHeads: 4 },
      ],
      train: {
        steps: 1000,
        lr: 5e-3,
        lrWidthExponent: 0,
        evalPoints: 10,
        finalEvalBatches: 16,
        logPoints: 100,
        checkpointPoints: 10,
      },
    },
  },
  full: {
    reason:
      'for a native or GPU backend: 5 budgets over 1.79 decades x 7 sizes (about 90 minutes at 3x the 2-core wasm speed of 2026-12), up to the largest budget the offline corpora allow within 4 epochs',
    overrides: {
      models: [
        ...LADDER,
        { numLayers: 6, dModel: 128, numHeads: 4 },
        { numLayers: 8, dModel: 160, numHeads: 5 },
      ],
      grid: { budgets: [3e11, 8.5e11, 2.4e12, 6.6e12, 1.85e13], sizesPerBudget: 7 },
    },
  },
};
