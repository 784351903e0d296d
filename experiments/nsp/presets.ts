import type { Preset } from '@pretrain-lab/experiment';
import type { NspConfig } from './config.js';

/** Presets set only what differs from the defaults in config.ts, each with its reason. */
export const presets: Record<string, Preset<NspConfig>> = {
  smoke: {
    reason: 'seconds: one seed, two formats, a tiny encoder, a few steps, for the test suite',
    overrides: {
      seeds: [1],
      corpus: 'moby-dick',
      tokenizer: { vocabSize: 300 },
      model: { dModel: 16, numLayers: 1, numHeads: 2, dFF: 32, maxLen: 24 },
      variants: [
        { name: 'SEGMENT-PAIR + NSP', format: 'segment-pair', masking: 'dynamic' },
        { name: 'DOC-SENTENCES, static masking', format: 'doc-sentences', masking: 'static' },
      ],
      pretrain: {
        documents: 0,
        selfPretrain: { tasks: [], maxWords: 60 },
        tokens: 3000,
        batchSize: 8,
        evalEvery: 5,
        evalExamples: 16,
        logEvery: 2,
        checkpointEvery: 5,
      },
      evals: [
        { method: 'probe', trainExamples: 32 },
        { method: 'finetune', trainExamples: 32 },
      ],
      finetune: { tasks: ['spam'], steps: 4, batchSize: 8, maxTestExamples: 32 },
      probe: { steps: 20 },
    },
  },
  default: {
    reason:
      'the committed run: 6 pretraining variants x 3 seeds + a no-pretraining row, each probed and fine-tuned on 2 tasks at several training-set sizes; about 40 minutes on 2 cores with the native kernels',
    overrides: {},
  },
  full: {
    reason:
      'a wider encoder, longer inputs, every training document, more tokens and 5 seeds (RoBERTa reports medians of 5), for a bigger machine',
    overrides: {
      seeds: [1, 2, 3, 4, 5],
      tokenizer: { vocabSize: 8000 },
      model: { dModel: 256, numLayers: 4, numHeads: 4, dFF: 1024, maxLen: 128 },
      pretrain: {
        documents: 0,
        tokens: 20_000_000,
        batchSize: 64,
        lr: 1e-3,
        evalEvery: 500,
        checkpointEvery: 500,
      },
      finetune: { steps: 1000, maxTestExamples: 5000 },
    },
  },
};
