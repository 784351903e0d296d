import type { Preset } from '@pretrain-lab/experiment';
import type { ObjectivesConfig } from './config.js';

/** Presets set only what differs from the defaults in config.ts, each with its reason. */
export const presets: Record<string, Preset<ObjectivesConfig>> = {
  smoke: {
    reason: 'seconds: one seed, a tiny model, one row per architecture and a baseline, for the test suite',
    overrides: {
      seeds: [1],
      corpus: 'moby-dick',
      tokenizer: { vocabSize: 300 },
      model: { dModel: 16, numLayers: 1, numHeads: 2, dFF: 32, seqLen: 24 },
      electra: { numLayers: 1, numHeads: 2, dFF: 16 },
      albert: { embeddingSize: 8 },
      rows: [
        { name: 'no pretraining (encoder)', objective: 'none', architecture: 'encoder' },
        { name: 'ELECTRA (encoder)', objective: 'electra' },
        { name: 'ALBERT MLM (encoder, E8, shared layers)', objective: 'albert-mlm' },
        { name: 'SpanBERT (encoder, span masking + SBO)', objective: 'span-masking', sbo: true },
        { name: 'causal LM + recall (decoder, d16)', objective: 'causal-lm', recall: 0.25 },
        { name: 'span corruption (encoder-decoder)', objective: 'span-corruption' },
      ],
      inContext: {
        shots: [0, 1],
        wordsPerText: 4,
        kvPairs: [1, 4],
        kvPrompts: 20,
        recallPairs: 4,
        recallVocab: 32,
      },
      pretrain: {
        selfPretrain: { tasks: [], maxWords: 25 },
        flops: 2e8,
        batchSize: 8,
        evalEvery: 5,
        evalExamples: 16,
        logEvery: 2,
        checkpointEvery: 5,
      },
      evals: [{ method: 'probe', trainExamples: 32 }],
      tasks: { names: ['spam'], maxTestExamples: 32 },
      probe: { steps: 20 },
    },
  },
  default: {
    reason:
      'the committed run: 13 objectives and the causal LM at two more widths, x 3 seeds, at one FLOP budget, and a no-pretraining row per architecture, each probed on 2 tasks at 2 training-set sizes, the decoders also prompted in context; 56 minutes on 2 cores with the native kernels (2026-12-03), over the 45-minute aim',
    overrides: {},
  },
  full: {
    reason:
      'a wider model, longer inputs, every objective, 10x the compute and 5 seeds, for a bigger machine',
    overrides: {
      seeds: [1, 2, 3, 4, 5],
      tokenizer: { vocabSize: 8000 },
      model: { dModel: 256, numLayers: 4, numHeads: 4, dFF: 1024, seqLen: 128 },
      electra: { numLayers: 2, numHeads: 4, dFF: 512 },
      albert: { embeddingSize: 64 },
      pretrain: { flops: 5e14, batchSize: 64, lr: 1e-3, evalEvery: 500, checkpointEvery: 500 },
      evals: [
        { method: 'probe', trainExamples: 64 },
        { method: 'probe', trainExamples: 256 },
        { method: 'probe', trainExamples: 1024 },
      ],
      tasks: { maxTestExamples: 5000 },
    },
  },
};
