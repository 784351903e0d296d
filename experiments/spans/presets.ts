import type { Preset } from '@pretrain-lab/experiment';
import type { SpansConfig } from './config.js';

/** Presets set only what differs from the defaults in config.ts, each with its reason. */
export const presets: Record<string, Preset<SpansConfig>> = {
  smoke: {
    reason:
      'seconds: one seed, i.i.d. vs span 3 and one extra rate, a tiny model, a classification and a generation task, for the test suite',
    overrides: {
      seeds: [1],
      corpus: 'moby-dick',
      tokenizer: { vocabSize: 300 },
      model: { dModel: 16, numLayers: 1, numHeads: 2, dFF: 32 },
      meanSpans: [1, 3],
      rates: [0.15, 0.5],
      pretrain: {
        selfPretrain: { tasks: ['spam'], maxWords: 5 },
        inputLength: 24,
        steps: 6,
        batchSize: 4,
        warmupSteps: 2,
        evalEvery: 3,
        evalExamples: 8,
        logEvery: 2,
        checkpointEvery: 3,
      },
      evals: [
        { method: 'probe', trainExamples: 32 },
        { method: 'finetune', trainExamples: 32 },
      ],
      probe: { steps: 20 },
      finetune: {
        tasks: ['spam', 'brown-fill'],
        steps: 3,
        batchSize: 4,
        maxInputLength: 24,
        maxTargetLength: 6,
        maxTestExamples: 6,
      },
    },
  },
  default: {
    reason:
      'the committed run: 3 settings (span i.i.d., 3, 10 at 15%) x 3 seeds + the no-pretraining row, pretrained on Brown + the spam inputs, probed and fine-tuned on brown-genre and spam, fine-tuned on brown-fill; about 40 minutes on 2 cores with the native kernels (timings in config.ts)',
    overrides: {},
  },
  full: {
    reason: 'a t5-small-like width, longer inputs and more steps, for a native or GPU backend',
    overrides: {
      seeds: [1, 2, 3],
      meanSpans: [1, 2, 3, 5, 10],
      rates: [0.1, 0.15, 0.25, 0.5],
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
      evals: [
        { method: 'probe', trainExamples: 1024 },
        { method: 'finetune', trainExamples: 1000 },
        { method: 'finetune', trainExamples: 10000 },
      ],
      finetune: { steps: 1000, maxInputLength: 128, maxTestExamples: 1000 },
    },
  },
};
