import type { Preset } from '@pretrain-lab/experiment';
import type { SpansConfig } from './config.js';

/** Presets set only what differs from the defaults in config.ts, each with its reason. */
export const presets: Record<string, Preset<SpansConfig>> = {
  smoke: {
    reason: 'seconds: one seed, i.i.d. vs span 3 and one extra rate, a tiny model, for the test suite',
    overrides: {
      seeds: [1],
      corpus: 'moby-dick',
      tokenizer: { vocabSize: 300 },
      model: { dModel: 16, numLayers: 1, numHeads: 2, dFF: 32 },
      meanSpans: [1, 3],
      rates: [0.15, 0.5],
      pretrain: {
        inputLength: 24,
        steps: 6,
        batchSize: 4,
        warmupSteps: 2,
        evalEvery: 3,
        evalExamples: 8,
        logEvery: 2,
        checkpointEvery: 3,
      },
      finetune: {
        tasks: ['spam', 'spam-subject'],
        steps: 3,
        batchSize: 4,
        maxInputLength: 24,
        maxTargetLength: 6,
        maxTrainExamples: 32,
        maxTestExamples: 6,
      },
    },
  },
  default: {
    reason:
      'the committed run: 8 settings (5 span lengths, 3 more rates) x 2 seeds + no-pretraining baseline, fine-tuned on 3 tasks; 38 minutes on 2 cores while the nsp default ran beside it',
    overrides: {},
  },
  full: {
    reason: 'a t5-small-like width, longer inputs and more steps, for a native or GPU backend',
    overrides: {
      seeds: [1, 2, 3],
      tokenizer: { vocabSize: 8000 },
      model: { dModel: 256, numLayers: 4, numHeads: 4, dFF: 1024 },
      pretrain: {
        inputLength: 128,
        steps: 5000,
        batchSize: 64,
        lr: 1e-3,
        evalEvery: 500,
        checkpointEvery: 500,
      },
      finetune: { steps: 1000, maxInputLength: 128, maxTrainExamples: 20000, maxTestExamples: 1000 },
    },
  },
};
