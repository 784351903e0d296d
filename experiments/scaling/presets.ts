import type { Preset } from '@pretrain-lab/cli';
import type { ScalingConfig } from './config.js';

/** Presets set only what differs from the defaults in config.ts, each with its reason. */
export const presets: Record<string, Preset<ScalingConfig>> = {
  smoke: {
    reason: 'seconds: three tiny models on a character tokenizer, for the test suite',
    overrides: {
      tokenizer: { kind: 'char', vocabSize: 0 },
      seqLen: 16,
      batchSize: 4,
      models: [
        { numLayers: 1, dModel: 8, numHeads: 2 },
        { numLayers: 1, dModel: 16, numHeads: 2 },
        { numLayers: 2, dModel: 16, numHeads: 2 },
      ],
      train: { steps: 12, warmupSteps: 2, evalEvery: 6, evalBatches: 2, logEvery: 3, checkpointEvery: 6 },
      fit: { bootstrap: 50 },
    },
  },
  default: {
    reason:
      'the main job: 7 sizes over 2.2 decades of non-embedding parameters; the committed run took 22 minutes on 2 cores shared with other jobs',
    overrides: {},
  },
  full: {
    reason: 'larger models and longer training, for a native or GPU backend',
    overrides: {
      tokenizer: { kind: 'bpe', vocabSize: 4096 },
      seqLen: 128,
      batchSize: 32,
      corpus: 'sotu',
      models: [
        { numLayers: 2, dModel: 32, numHeads: 4 },
        { numLayers: 2, dModel: 64, numHeads: 4 },
        { numLayers: 4, dModel: 64, numHeads: 4 },
        { numLayers: 4, dModel: 128, numHeads: 4 },
        { numLayers: 6, dModel: 192, numHeads: 6 },
        { numLayers: 8, dModel: 256, numHeads: 8 },
        { numLayers: 8, dModel: 384, numHeads: 8 },
      ],
      train: { steps: 5000, lr: 3e-3, warmupSteps: 200, evalEvery: 250, checkpointEvery: 250 },
    },
  },
};
