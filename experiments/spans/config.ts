/**
 * Config of the span-corruption study (Raffel et al. 2020, T5 Tables 6 and 7, at laptop
 * scale): one T5-style encoder-decoder pretrained per (mean span length, corruption rate) on
 * the same number of input tokens, then fine-tuned text to text on every task.
 */
import { UserError } from '@pretrain-lab/runtime';

export interface SpanSetting {
  meanSpan: number;
  rate: number;
}

export interface SpansConfig {
  [key: string]: any;
  seeds: number[];
  corpus: string;
  splitSeed: number;
  tokenizer: { vocabSize: number };
  model: { dModel: number; numLayers: number; numHeads: number; dFF: number; dropout: number };
  /** Mean span lengths studied at `spanRate` (T5 Table 7: i.i.d.=1, 2, 3, 5, 10 at 15%). */
  meanSpans: number[];
  spanRate: number;
  /** Corruption rates studied at `rateSpan` (T5 Table 6: 10, 15, 25, 50%). */
  rates: number[];
  rateSpan: number;
  baseline: boolean;
  pretrain: {
    /** Encoder input length; raw tokens per example come from T5's random_spans_helper. */
    inputLength: number;
    steps: number;
    batchSize: number;
    lr: number;
    minLrRatio: number;
    warmupSteps: number;
    weightDecay: number;
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
    maxInputLength: number;
    maxTargetLength: number;
    maxTrainExamples: number;
    maxTestExamples: number;
  };
}

export const defaults: SpansConfig = {
  seeds: [1, 2],
  corpus: 'brown',
  splitSeed: 1,
  tokenizer: { vocabSize: 2000 },
  model: { dModel: 64, numLayers: 2, numHeads: 4, dFF: 256, dropout: 0.1 },
  meanSpans: [1, 2, 3, 5, 10],
  spanRate: 0.15,
  rates: [0.1, 0.15, 0.25, 0.5],
  rateSpan: 3,
  baseline: true,
  pretrain: {
    inputLength: 64,
    steps: 160,
    batchSize: 32,
    lr: 3e-3,
    minLrRatio: 0.1,
    warmupSteps: 20,
    weightDecay: 0.01,
    evalEvery: 50,
    evalExamples: 128,
    logEvery: 10,
    checkpointEvery: 50,
  },
  finetune: {
    tasks: ['brown-genre', 'spam', 'spam-subject'],
    steps: 150,
    batchSize: 16,
    lr: 3e-3,
    warmupFraction: 0.1,
    maxInputLength: 64,
    maxTargetLength: 16,
    maxTrainExamples: 4000,
    maxTestExamples: 100,
  },
};

export function settingName(s: SpanSetting): string {
  return `span ${s.meanSpan === 1 ? '1 (i.i.d.)' : s.meanSpan}, ${Math.round(s.rate * 100)}%`;
}

/** The settings to pretrain, each once: the span sweep, then the rates not already in it. */
export function settings(
  c: SpansConfig,
): (SpanSetting & { name: string; group: 'span' | 'rate' | 'both' })[] {
  const out: (SpanSetting & { name: string; group: 'span' | 'rate' | 'both' })[] = [];
  for (const m of c.meanSpans) {
    const both = m === c.rateSpan && c.rates.includes(c.spanRate);
    out.push({
      meanSpan: m,
      rate: c.spanRate,
      group: both ? 'both' : 'span',
      name: settingName({ meanSpan: m, rate: c.spanRate }),
    });
  }
  for (const r of c.rates) {
    if (r === c.spanRate && c.meanSpans.includes(c.rateSpan)) continue;
    out.push({
      meanSpan: c.rateSpan,
      rate: r,
      group: 'rate',
      name: settingName({ meanSpan: c.rateSpan, rate: r }),
    });
  }
  return out;
}

const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;

export function validate(c: SpansConfig): void {
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
  if (!posInt(c.tokenizer.vocabSize) || c.tokenizer.vocabSize < 200)
    fail(
      `tokenizer.vocabSize must be an integer >= 200 (100 sentinels included), got ${c.tokenizer.vocabSize}`,
    );
  for (const k of ['dModel', 'numLayers', 'numHeads', 'dFF'] as const)
    if (!posInt(c.model[k])) fail(`model.${k} must be a positive integer, got ${c.model[k]}`);
  if (c.model.dModel % c.model.numHeads !== 0)
    fail(`model.dModel ${c.model.dModel} is not divisible by model.numHeads ${c.model.numHeads}`);
  for (const m of [...c.meanSpans, c.rateSpan])
    if (!(m >= 1)) fail(`mean span lengths must be >= 1, got ${m}`);
  for (const r of [...c.rates, c.spanRate])
    if (!(r > 0 && r < 1)) fail(`corruption rates must be in (0, 1), got ${r}`);
  const p = c.pretrain;
  for (const k of ['inputLength', 'steps', 'batchSize', 'evalEvery', 'evalExamples', 'logEvery'] as const)
    if (!posInt(p[k])) fail(`pretrain.${k} must be a positive integer, got ${p[k]}`);
  if (p.inputLength < 8) fail(`pretrain.inputLength must be at least 8, got ${p.inputLength}`);
  const f = c.finetune;
  for (const k of [
    'steps',
    'batchSize',
    'maxInputLength',
    'maxTargetLength',
    'maxTrainExamples',
    'maxTestExamples',
  ] as const)
    if (!posInt(f[k])) fail(`finetune.${k} must be a positive integer, got ${f[k]}`);
  if (!Array.isArray(f.tasks) || f.tasks.length === 0) fail('finetune.tasks must name at least one task');
}

export const BASELINE = 'no pretraining';
