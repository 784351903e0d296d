/**
 * Config of the scaling experiment. Two protocols share one run loop:
 *
 * - `isoflop` (the default; Hoffmann et al. 2022, approach 2): compute budgets C, and for each
 *   budget `grid.sizesPerBudget` shapes from `models` around N_opt(C) = sqrt(C / (6 r)), each
 *   trained on D = C / (6 N_total) tokens with its own warmup and cosine schedule;
 * - `fixed` (Kaplan et al. 2020's protocol as this project first ran it): every shape in
 *   `models` on the same `train.steps`.
 *
 * FLOPs are counted as C = 6 N D with N = all parameters, embeddings included (see
 * packages/scaling/src/grid.ts); every fit is repeated with non-embedding N.
 */

import { UserError } from '@pretrain-lab/runtime';
import { GridError, type PlannedUnit, planFixedGrid, planIsoflopGrid } from '@pretrain-lab/scaling';

export interface ScalingModel {
  numLayers: number;
  dModel: number;
  numHeads: number;
}

export interface ScalingConfig {
  [key: string]: any;
  seed: number;
  /** A corpus from `pnpm lab corpora` (brown, sotu, moby-dick, files:<glob>), or several joined by '+'. */
  corpus: string;
  tokenizer: { kind: 'bpe' | 'char'; vocabSize: number };
  seqLen: number;
  batchSize: number;
  tieEmbeddings: boolean;
  protocol: 'isoflop' | 'fixed';
  /** isoflop: the ladder each budget picks its sizes from; fixed: every model trained. */
  models: ScalingModel[];
  grid: {
    /** Compute budgets in FLOPs, C = 6 N_total D, ascending. */
    budgets: number[];
    sizesPerBudget: number;
    /** r in N_opt(C) = sqrt(C / (6 r)): the centre of each budget's sizes. */
    tokensPerParam: number;
    /** Explicit model names per budget ([] = the rule above for every budget). */
    perBudget: string[][];
    /**
     * Every run trains at least this many steps: in pilots every size sat on the unigram plateau
     * (about 6 nats) for its first 100-150 steps, so a run much shorter than this measures the
     * plateau, not its size.
     */
    minSteps: number;
    /** At most this many passes over the training split (Muennighoff et al. 2023: about 4). */
    maxEpochs: number;
  };
  train: {
    /** fixed protocol only: steps of every model. */
    steps: number;
    /** Peak learning rate at d_model = lrRefDModel; lr(d) = lr * (lrRefDModel / d)^lrWidthExponent. */
    lr: number;
    lrRefDModel: number;
    lrWidthExponent: number;
    /** Cosine decay over the run's own length, down to lr * minLrRatio. */
    minLrRatio: number;
    /** Linear warmup over this fraction of the run's own steps (at least 1 step). */
    warmupFraction: number;
    weightDecay: number;
    gradClip: number;
    beta1: number;
    beta2: number;
    dropout: number;
    /** Validation evaluations per run (the learning curves), on evalBatches batches. */
    evalPoints: number;
    evalBatches: number;
    /** Batches of the final evaluation, the loss every fit uses (the same rows for every run). */
    finalEvalBatches: number;
    /** Train-loss rows and checkpoints per run. */
    logPoints: number;
    checkpointPoints: number;
  };
  fit: {
    bootstrap: number;
    /** Starts of the approach-3 fit: Chinchilla's grid of 4,500, or a coarse 32 (for the smoke run). */
    starts: 'chinchilla' | 'coarse';
  };
}

/** The IsoFLOP grid's ladder: V1024 T64 tied; N_total from 9.6k to 1.0M, about 1.5x apart. */
export const LADDER: ScalingModel[] = [
  { numLayers: 1, dModel: 8, numHeads: 2 },
  { numLayers: 1, dModel: 12, numHeads: 2 },
  { numLayers: 1, dModel: 16, numHeads: 2 },
  { numLayers: 2, dModel: 16, numHeads: 2 },
  { numLayers: 2, dModel: 24, numHeads: 2 },
  { numLayers: 2, dModel: 32, numHeads: 2 },
  { numLayers: 3, dModel: 40, numHeads: 2 },
  { numLayers: 3, dModel: 48, numHeads: 3 },
  { numLayers: 4, dModel: 56, numHeads: 4 },
  { numLayers: 4, dModel: 64, numHeads: 4 },
  { numLayers: 4, dModel: 80, numHeads: 4 },
  { numLayers: 5, dModel: 96, numHeads: 4 },
  { numLayers: 6, dModel: 112, numHeads: 4 },
];

export const defaults: ScalingConfig = {
  seed: 1,
  corpus: 'brown+sotu+moby-dick',
  tokenizer: { kind: 'bpe', vocabSize: 1024 },
  seqLen: 64,
  batchSize: 16,
  tieEmbeddings: true,
  protocol: 'isoflop',
  models: LADDER,
  grid: {
    budgets: [3e11, 9.65e11, 3.11e12, 1e13],
    sizesPerBudget: 5,
    tokensPerParam: 20,
    perBudget: [],
    minSteps: 300,
    maxEpochs: 4,
  },
  train: {
    steps: 1000,
    lr: 4e-3,
    lrRefDModel: 64,
    lrWidthExponent: 0.5,
    minLrRatio: 0.1,
    warmupFraction: 0.05,
    weightDecay: 0.1,
    gradClip: 1.0,
    beta1: 0.9,
    beta2: 0.95,
    dropout: 0,
    evalPoints: 12,
    evalBatches: 16,
    finalEvalBatches: 128,
    logPoints: 24,
    checkpointPoints: 8,
  },
  fit: { bootstrap: 1000, starts: 'chinchilla' },
};

export const modelName = (m: { numLayers: number; dModel: number }): string => `L${m.numLayers}-D${m.dModel}`;

/** Peak learning rate of a shape: lr (lrRefDModel / d_model)^lrWidthExponent. */
export function lrFor(cfg: ScalingConfig, m: { dModel: number }): number {
  const t = cfg.train;
  return t.lr * (t.lrRefDModel / m.dModel) ** t.lrWidthExponent;
}

/** The learning-rate rule in words, for run logs and the report. */
export function lrRuleText(cfg: ScalingConfig): string {
  const t = cfg.train;
  return t.lrWidthExponent === 0
    ? `constant peak lr ${t.lr}`
    : `peak lr = ${t.lr} x (${t.lrRefDModel} / d_model)^${t.lrWidthExponent}`;
}

export function sizeRuleText(cfg: ScalingConfig): string {
  if (cfg.protocol === 'fixed') return `every model of the ${cfg.models.length} on ${cfg.train.steps} steps`;
  if (cfg.grid.perBudget.length > 0) return 'an explicit list of shapes per budget (grid.perBudget)';
  return `the ${cfg.grid.sizesPerBudget} consecutive shapes of the ladder that sit most evenly around N_opt(C) = √(C / (6·${cfg.grid.tokensPerParam})), i.e. ${cfg.grid.tokensPerParam} tokens per parameter as the centre`;
}

export function warmupRuleText(cfg: ScalingConfig): string {
  return `linear warmup over ${100 * cfg.train.warmupFraction}% of each run's steps, then cosine decay to ${cfg.train.minLrRatio} x peak at the run's last step`;
}

/** Per-unit schedule: steps come from the plan, everything else from the rules above. */
export interface UnitSchedule {
  lr: number;
  minLr: number;
  warmupSteps: number;
  evalEvery: number;
  logEvery: number;
  checkpointEvery: number;
}

export function scheduleFor(cfg: ScalingConfig, u: PlannedUnit): UnitSchedule {
  const t = cfg.train;
  const lr = lrFor(cfg, u);
  const every = (points: number) => Math.max(1, Math.round(u.steps / points));
  return {
    lr,
    minLr: lr * t.minLrRatio,
    warmupSteps: Math.max(1, Math.round(t.warmupFraction * u.steps)),
    evalEvery: every(t.evalPoints),
    logEvery: every(t.logPoints),
    checkpointEvery: every(t.checkpointPoints),
  };
}

/**
 * The grid's units for a vocabulary size (the tokenizer's; before it is trained, the config's).
 * Grid errors become one-line UserErrors.
 */
export function planUnits(cfg: ScalingConfig, vocabSize: number): PlannedUnit[] {
  const common = {
    ladder: cfg.models,
    vocabSize,
    seqLen: cfg.seqLen,
    tieEmbeddings: cfg.tieEmbeddings,
    tokensPerStep: cfg.batchSize * cfg.seqLen,
  };
  try {
    if (cfg.protocol === 'fixed') return planFixedGrid({ ...common, steps: cfg.train.steps });
    return planIsoflopGrid({
      ...common,
      budgets: cfg.grid.budgets,
      sizesPerBudget: cfg.grid.sizesPerBudget,
      tokensPerParam: cfg.grid.tokensPerParam,
      perBudget: cfg.grid.perBudget,
      minSteps: cfg.grid.minSteps,
    });
  } catch (e) {
    if (e instanceof GridError) throw new UserError(e.message);
    throw e;
  }
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
  if (typeof c.corpus !== 'string' || c.corpus.split('+').some((p) => p.trim() === ''))
    fail(`corpus must be a corpus name or several joined by '+', got '${c.corpus}'`);
  if (!['bpe', 'char'].includes(c.tokenizer.kind))
    fail(`tokenizer.kind must be bpe or char, got '${c.tokenizer.kind}'`);
  if (c.tokenizer.kind === 'bpe' && (!posInt(c.tokenizer.vocabSize) || c.tokenizer.vocabSize < 260)) {
    fail(
      `tokenizer.vocabSize must be an integer >= 260 for bpe (256 bytes + specials + merges), got ${c.tokenizer.vocabSize}`,
    );
  }
  if (!['isoflop', 'fixed'].includes(c.protocol))
    fail(`protocol must be isoflop or fixed, got '${c.protocol}'`);
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
  const g = c.grid;
  if (!Array.isArray(g.budgets) || g.budgets.some((b) => typeof b !== 'number'))
    fail(`grid.budgets must be an array of FLOP counts, got ${JSON.stringify(g.budgets)}`);
  if (!posInt(g.minSteps)) fail(`grid.minSteps must be a positive integer, got ${g.minSteps}`);
  if (!(g.maxEpochs > 0)) fail(`grid.maxEpochs must be positive, got ${g.maxEpochs}`);
  const t = c.train;
  for (const k of [
    'steps',
    'evalPoints',
    'evalBatches',
    'finalEvalBatches',
    'logPoints',
    'checkpointPoints',
  ] as const)
    if (!posInt(t[k])) fail(`train.${k} must be a positive integer, got ${t[k]}`);
  if (!(t.lr > 0)) fail(`train.lr must be positive, got ${t.lr}`);
  if (!(t.lrRefDModel > 0)) fail(`train.lrRefDModel must be positive, got ${t.lrRefDModel}`);
  if (!Number.isFinite(t.lrWidthExponent))
    fail(`train.lrWidthExponent must be a number, got ${t.lrWidthExponent}`);
  if (!(t.minLrRatio >= 0 && t.minLrRatio <= 1))
    fail(`train.minLrRatio must be in [0, 1], got ${t.minLrRatio}`);
  if (!(t.warmupFraction >= 0 && t.warmupFraction < 1))
    fail(`train.warmupFraction must be in [0, 1), got ${t.warmupFraction}`);
  if (!(t.dropout >= 0 && t.dropout < 1)) fail(`train.dropout must be in [0, 1), got ${t.dropout}`);
  if (!Number.isInteger(c.fit.bootstrap) || c.fit.bootstrap < 0)
    fail(`fit.bootstrap must be a non-negative integer, got ${c.fit.bootstrap}`);
  if (!['chinchilla', 'coarse'].includes(c.fit.starts))
    fail(`fit.starts must be chinchilla or coarse, got '${c.fit.starts}'`);
  // The grid itself (budgets too small, sizes that do not bracket), before anything is trained.
  // A char tokenizer's vocabulary is known only once it is trained; run.ts checks again then.
  if (c.tokenizer.kind === 'bpe') planUnits(c, c.tokenizer.vocabSize);
}
