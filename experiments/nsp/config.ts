/**
 * Config of the NSP ablation (Liu et al. 2019, RoBERTa Tables 1 and 2, at laptop scale): one
 * BERT encoder pretrained under each input format and masking scheme on the same corpus and
 * token budget, each fine-tuned on every downstream task, with seeds.
 */
import { UserError } from '@pretrain-lab/runtime';

export interface NspVariant {
  /** Row name in the table. */
  name: string;
  format: 'segment-pair' | 'sentence-pair' | 'full-sentences' | 'doc-sentences';
  masking: 'static' | 'dynamic';
}

export interface NspConfig {
  [key: string]: any;
  seeds: number[];
  corpus: string;
  /** Seed of the document split, shared with the tasks so held-out documents stay held out. */
  splitSeed: number;
  tokenizer: { vocabSize: number; lowercase: boolean };
  model: {
    dModel: number;
    numLayers: number;
    numHeads: number;
    dFF: number;
    maxLen: number;
    dropout: number;
    preNorm: boolean;
  };
  variants: NspVariant[];
  /** Fine-tune a randomly initialised encoder too (the no-pretraining row). */
  baseline: boolean;
  pretrain: {
    /** Real (non-padding) tokens each variant trains on: the same budget for every format. */
    tokens: number;
    batchSize: number;
    lr: number;
    minLrRatio: number;
    warmupFraction: number;
    weightDecay: number;
    /** RoBERTa's static masking duplicates each sequence this many times with different masks. */
    staticCopies: number;
    evalEvery: number;
    evalExamples: number;
    logEvery: number;
    checkpointEvery: number;
  };
  finetune: {
    tasks: string[];
    steps: number;
    batchSize: number;
    lr: number;
    warmupFraction: number;
    weightDecay: number;
    maxTrainExamples: number;
    maxTestExamples: number;
  };
}

export const defaults: NspConfig = {
  seeds: [1, 2, 3],
  corpus: 'brown',
  splitSeed: 1,
  tokenizer: { vocabSize: 4000, lowercase: true },
  model: { dModel: 64, numLayers: 2, numHeads: 2, dFF: 256, maxLen: 64, dropout: 0.1, preNorm: false },
  variants: [
    { name: 'SEGMENT-PAIR + NSP', format: 'segment-pair', masking: 'dynamic' },
    { name: 'SENTENCE-PAIR + NSP', format: 'sentence-pair', masking: 'dynamic' },
    { name: 'FULL-SENTENCES', format: 'full-sentences', masking: 'dynamic' },
    { name: 'DOC-SENTENCES', format: 'doc-sentences', masking: 'dynamic' },
    { name: 'DOC-SENTENCES, static masking', format: 'doc-sentences', masking: 'static' },
  ],
  baseline: true,
  pretrain: {
    tokens: 400_000,
    batchSize: 32,
    lr: 2e-3,
    minLrRatio: 0.1,
    warmupFraction: 0.06,
    weightDecay: 0.01,
    staticCopies: 10,
    evalEvery: 100,
    evalExamples: 256,
    logEvery: 10,
    checkpointEvery: 100,
  },
  finetune: {
    tasks: ['brown-genre', 'spam', 'kjv-web-paraphrase'],
    // A probe at lr 1e-3 and 300 steps left the randomly initialised encoder at the class prior
    // on brown-genre (a tiny post-norm encoder starts with nearly input-independent [CLS]
    // states); 3e-3 learns (24% on 15 genres in 300 steps), so every row is judged where
    // fine-tuning does move.
    steps: 250,
    batchSize: 32,
    lr: 3e-3,
    warmupFraction: 0.1,
    weightDecay: 0.01,
    maxTrainExamples: 5000,
    maxTestExamples: 600,
  },
};

const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;

export function validate(c: NspConfig): void {
  const fail = (msg: string): never => {
    throw new UserError(msg);
  };
  if (
    !Array.isArray(c.seeds) ||
    c.seeds.length === 0 ||
    !c.seeds.every((s) => Number.isInteger(s) && s >= 0)
  ) {
    fail(`seeds must be a non-empty array of non-negative integers, got ${JSON.stringify(c.seeds)}`);
  }
  if (!posInt(c.tokenizer.vocabSize) || c.tokenizer.vocabSize < 100)
    fail(`tokenizer.vocabSize must be an integer >= 100, got ${c.tokenizer.vocabSize}`);
  for (const k of ['dModel', 'numLayers', 'numHeads', 'dFF', 'maxLen'] as const)
    if (!posInt(c.model[k])) fail(`model.${k} must be a positive integer, got ${c.model[k]}`);
  if (c.model.dModel % c.model.numHeads !== 0)
    fail(`model.dModel ${c.model.dModel} is not divisible by model.numHeads ${c.model.numHeads}`);
  if (c.model.maxLen < 8) fail(`model.maxLen must be at least 8, got ${c.model.maxLen}`);
  const formats = ['segment-pair', 'sentence-pair', 'full-sentences', 'doc-sentences'];
  const names = new Set<string>();
  for (const v of c.variants) {
    if (!formats.includes(v.format))
      fail(`variant '${v.name}': format must be one of ${formats.join(', ')}, got '${v.format}'`);
    if (!['static', 'dynamic'].includes(v.masking))
      fail(`variant '${v.name}': masking must be static or dynamic, got '${v.masking}'`);
    if (names.has(v.name)) fail(`variant '${v.name}' appears twice`);
    names.add(v.name);
  }
  const p = c.pretrain;
  for (const k of ['tokens', 'batchSize', 'evalEvery', 'evalExamples', 'logEvery', 'staticCopies'] as const)
    if (!posInt(p[k])) fail(`pretrain.${k} must be a positive integer, got ${p[k]}`);
  if (!(p.lr > 0)) fail(`pretrain.lr must be positive, got ${p.lr}`);
  const f = c.finetune;
  for (const k of ['steps', 'batchSize', 'maxTrainExamples', 'maxTestExamples'] as const)
    if (!posInt(f[k])) fail(`finetune.${k} must be a positive integer, got ${f[k]}`);
  if (!(f.lr > 0)) fail(`finetune.lr must be positive, got ${f.lr}`);
  if (!Array.isArray(f.tasks) || f.tasks.length === 0) fail('finetune.tasks must name at least one task');
}

export function unitName(variant: string, seed: number): string {
  return `${variant} | seed ${seed}`;
}

export const BASELINE = 'no pretraining';
