/**
 * Config of the scaling experiment (Kaplan et al. 2020 at laptop scale): a grid of GPT sizes,
 * each trained on the same corpus and token budget, evaluated on held-out documents.
 */
import { UserError } from '@pretrain-lab/runtime';

export interface ScalingModel {
  numLayers: number;
  dModel: number;
  numHeads: number;
}

export interface ScalingConfig {
  [key: string]: any;
  seed: number;
  /** A corpus name from `pnpm lab corpora` (brown, sotu, moby-dick, files:<glob>). */
  corpus: string;
  tokenizer: { kind: 'bpe' | 'char'; vocabSize: number };
  seqLen: number;
  batchSize: number;
  tieEmbeddings: boolean;
  models: ScalingModel[];
  train: {
    steps: number;
    lr: number;
    minLrRatio: number;
    warmupSteps: number;
    weightDecay: number;
    gradClip: number;
    beta1: number;
    beta2: number;
    dropout: number;
    evalEvery: number;
    evalBatches: number;
    logEvery: number;
    checkpointEvery: number;
  };
  fit: { bootstrap: number };
}

export const defaults: ScalingConfig = {
  seed: 1,
  corpus: 'brown',
  tokenizer: { kind: 'bpe', vocabSize: 1024 },
  seqLen: 64,
  batchSize: 16,
  tieEmbeddings: true,
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
    minLrRatio: 0.1,
    warmupSteps: 50,
    weightDecay: 0.1,
    gradClip: 1.0,
    beta1: 0.9,
    beta2: 0.95,
    dropout: 0,
    evalEvery: 100,
    evalBatches: 16,
    logEvery: 10,
    checkpointEvery: 100,
  },
  fit: { bootstrap: 1000 },
};

export function modelName(m: ScalingModel): string {
  return `L${m.numLayers}-D${m.dModel}`;
}

const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;

export function validate(c: ScalingConfig): void {
  const fail = (msg: string): never => {
    throw new UserError(msg);
  };
  for (const k of ['seed'] as const)
    if (!Number.isInteger(c[k]) || c[k] < 0) fail(`${k} must be a non-negative integer, got ${c[k]}`);
  for (const k of ['seqLen', 'batchSize'] as const)
    if (!posInt(c[k])) fail(`${k} must be a positive integer, got ${c[k]}`);
  if (!['bpe', 'char'].includes(c.tokenizer.kind))
    fail(`tokenizer.kind must be bpe or char, got '${c.tokenizer.kind}'`);
  if (c.tokenizer.kind === 'bpe' && (!posInt(c.tokenizer.vocabSize) || c.tokenizer.vocabSize < 260)) {
    fail(
      `tokenizer.vocabSize must be an integer >= 260 for bpe (256 bytes + specials + merges), got ${c.tokenizer.vocabSize}`,
    );
  }
  if (!Array.isArray(c.models) || c.models.length === 0)
    fail('models must be a non-empty array of {numLayers, dModel, numHeads}');
  const seen = new Set<string>();
  for (const m of c.models) {
    if (!posInt(m.numLayers) || !posInt(m.dModel) || !posInt(m.numHeads)) {
      fail(`each model needs positive integers numLayers, dModel, numHeads; got ${JSON.stringify(m)}`);
    }
    if (m.dModel % m.numHeads !== 0)
      fail(`model ${modelName(m)}: dModel ${m.dModel} is not divisible by numHeads ${m.numHeads}`);
    if (seen.has(modelName(m))) fail(`model ${modelName(m)} appears twice`);
    seen.add(modelName(m));
  }
  const t = c.train;
  for (const k of ['steps', 'evalEvery', 'evalBatches', 'logEvery'] as const)
    if (!posInt(t[k])) fail(`train.${k} must be a positive integer, got ${t[k]}`);
  if (!Number.isInteger(t.checkpointEvery) || t.checkpointEvery < 0)
    fail(`train.checkpointEvery must be a non-negative integer, got ${t.checkpointEvery}`);
  if (!(t.lr > 0)) fail(`train.lr must be positive, got ${t.lr}`);
  if (!(t.minLrRatio >= 0 && t.minLrRatio <= 1))
    fail(`train.minLrRatio must be in [0, 1], got ${t.minLrRatio}`);
  if (!(t.dropout >= 0 && t.dropout < 1)) fail(`train.dropout must be in [0, 1), got ${t.dropout}`);
  if (!Number.isInteger(c.fit.bootstrap) || c.fit.bootstrap < 0)
    fail(`fit.bootstrap must be a non-negative integer, got ${c.fit.bootstrap}`);
}
