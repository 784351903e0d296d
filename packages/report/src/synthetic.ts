/**
 * A synthetic scaling run directory in the results format, for tests and demos. Losses follow
 * Kaplan's L(N, S) form with seeded noise; nothing here trains a model.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  COARSE_STARTS,
  countParams,
  FLOP_CONVENTION,
  fitScalingGrid,
  fitScalingSummary,
  type GridFits,
  type GridSpec,
  logSpacedBudgets,
  Mulberry32,
  SCALING_SCHEMA,
  type ScalingGridSummary,
  synthesizeGrid,
  trainingCompute,
  validationCurves,
} from '@pretrain-lab/scaling';
import type { MetricRow, ModelSummary, RunConfig, RunInfo, RunStatus } from './results.js';

export interface SyntheticRunOptions {
  runId?: string;
  status?: RunStatus;
  startedAt?: string;
  seed?: number;
  /** [numLayers, dModel] per model. */
  shapes?: [number, number][];
  evalPoints?: number;
  bootstrap?: number;
  /** Leave summary.fits out (an older run format). */
  omitFits?: boolean;
}

export function writeSyntheticScalingRun(resultsDir: string, opts: SyntheticRunOptions = {}): string {
  const runId = opts.runId ?? '20250101-000000-synthetic';
  const seed = opts.seed ?? 1;
  const shapes = opts.shapes ?? [
    [2, 32],
    [2, 64],
    [4, 64],
    [4, 128],
    [6, 192],
  ];
  const vocabSize = 256;
  const seqLen = 128;
  const batchSize = 32;
  const evalPoints = opts.evalPoints ?? 16;
  const rng = new Mulberry32(seed);
  const dir = join(resultsDir, 'scaling', runId);
  mkdirSync(dir, { recursive: true });

  const models = shapes.map(([numLayers, dModel]) => ({
    name: `L${numLayers}-D${dModel}`,
    numLayers,
    dModel,
    numHeads: Math.max(1, dModel / 32),
    dFF: 4 * dModel,
    vocabSize,
    seqLen,
    tieEmbeddings: true,
  }));
  const config: RunConfig = {
    experiment: 'scaling',
    preset: 'synthetic',
    seed,
    corpus: { name: 'synthetic' },
    tokenizer: { kind: 'byte', vocabSize },
    seqLen,
    batchSize,
    models,
    training: { steps: 2000, lr: 1e-3 },
  };
  const run: RunInfo = {
    runId,
    experiment: 'scaling',
    preset: 'synthetic',
    status: opts.status ?? 'completed',
    git: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: false },
    argv: ['exp', 'scaling', '--preset', 'synthetic'],
    versions: { node: 'v20', tfjs: '4.22.0' },
    backend: { name: 'wasm', threads: 1 },
    machine: { cpus: 2 },
    startedAt: opts.startedAt ?? '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T01:00:00.000Z',
  };

  const rows: MetricRow[] = [];
  const summaries: ModelSummary[] = [];
  const curves = [];
  for (const m of models) {
    const counts = countParams(m);
    const N = counts.nonEmbedding;
    const points = [];
    let last = 0;
    for (let k = 1; k <= evalPoints; k++) {
      const step = Math.round(2000 * (k / evalPoints) ** 2);
      const tokens = step * batchSize * seqLen;
      const compute = trainingCompute(N, tokens);
      // Kaplan L(N, S) form, scaled to byte-level losses, with 0.5% noise.
      const loss = ((2e9 / N) ** 0.12 + (400 / step) ** 0.6) * Math.exp(0.005 * rng.normal());
      rows.push({
        model: m.name,
        split: 'train',
        step,
        tokens,
        compute,
        loss: loss * 0.98,
        nonEmbeddingParams: N,
        lr: 1e-3,
      });
      rows.push({ model: m.name, split: 'val', step, tokens, compute, loss, nonEmbeddingParams: N });
      points.push({ compute, loss });
      last = loss;
    }
    curves.push({ model: m.name, points });
    const tokens = 2000 * batchSize * seqLen;
    summaries.push({
      model: m.name,
      numLayers: m.numLayers,
      dModel: m.dModel,
      nonEmbeddingParams: N,
      totalParams: counts.total,
      finalValLoss: last,
      tokens,
      compute: trainingCompute(N, tokens),
    });
  }
  const fits = fitScalingSummary(
    summaries.map((s) => ({
      model: s.model,
      nonEmbeddingParams: s.nonEmbeddingParams,
      finalValLoss: s.finalValLoss,
    })),
    curves,
    { seed, bootstrap: opts.bootstrap ?? 200 },
  );
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(join(dir, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(join(dir, 'metrics.jsonl'), `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  writeFileSync(
    join(dir, 'summary.json'),
    `${JSON.stringify(opts.omitFits ? { models: summaries } : { models: summaries, fits }, null, 2)}\n`,
  );
  return dir;
}

export interface SyntheticGridRunOptions {
  runId?: string;
  startedAt?: string;
  seed?: number;
  bootstrap?: number;
  /** Units that diverge (ids). */
  diverged?: string[];
}

/**
 * A synthetic IsoFLOP grid run in the grid schema: losses follow Chinchilla's law in total
 * parameters with seeded noise (packages/scaling synthesizeGrid), rows and summary built with
 * the schema's builders and fitted with fitScalingGrid, exactly as experiments/scaling writes them.
 */
export function writeSyntheticGridRun(resultsDir: string, opts: SyntheticGridRunOptions = {}): string {
  const runId = opts.runId ?? '20250101-000000-synthetic-grid';
  const seed = opts.seed ?? 1;
  const ladder = [8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256].map((dModel, i) => ({
    numLayers: Math.max(1, Math.round(i / 2)),
    dModel,
    numHeads: 2,
  }));
  const spec: GridSpec = {
    budgets: logSpacedBudgets(1e11, 1e13, 4),
    ladder,
    sizesPerBudget: 5,
    tokensPerParam: 7,
    vocabSize: 1024,
    seqLen: 64,
    tieEmbeddings: true,
    tokensPerStep: 1024,
    minSteps: 20,
  };
  const trainTokens = 20_000_000;
  const g = synthesizeGrid({ spec, seed, noise: 0.003, diverged: opts.diverged, trainTokens });
  const fits = fitScalingGrid(g.runs, validationCurves(g.rows, g.runs), {
    seed,
    bootstrap: opts.bootstrap ?? 40,
    starts: COARSE_STARTS,
  });
  const summary: ScalingGridSummary<GridFits> = {
    schema: SCALING_SCHEMA,
    flopConvention: FLOP_CONVENTION,
    grid: {
      protocol: 'isoflop',
      budgets: [...spec.budgets],
      sizesPerBudget: spec.sizesPerBudget,
      tokensPerParam: spec.tokensPerParam,
      maxEpochs: 4,
      trainTokens,
      tokensPerStep: spec.tokensPerStep,
      vocabSize: spec.vocabSize,
      sizeRule: `the ${spec.sizesPerBudget} consecutive shapes of the ladder that sit most evenly around N_opt(C) = √(C / (6·${spec.tokensPerParam})), i.e. ${spec.tokensPerParam} tokens per parameter as the centre`,
      lrRule: 'constant peak lr 0.001',
      warmupRule:
        "linear warmup over 5% of each run's steps, then cosine decay to 0.1 x peak at the run's last step",
    },
    runs: g.runs,
    fits,
  };
  const dir = join(resultsDir, 'scaling', runId);
  mkdirSync(dir, { recursive: true });
  const config = {
    experiment: 'scaling',
    preset: 'synthetic-grid',
    seed,
    corpus: 'synthetic',
    tokenizer: { kind: 'bpe', vocabSize: spec.vocabSize },
    seqLen: spec.seqLen,
    batchSize: 16,
    protocol: 'isoflop',
  };
  const run: RunInfo = {
    runId,
    experiment: 'scaling',
    preset: 'synthetic-grid',
    status: 'completed',
    git: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: false },
    argv: ['exp', 'scaling', '--preset', 'synthetic-grid'],
    versions: { node: 'v20', tfjs: '4.22.0' },
    backend: { name: 'wasm', threads: 1 },
    machine: { cpus: 2 },
    startedAt: opts.startedAt ?? '2025-01-02T00:00:00.000Z',
    finishedAt: '2025-01-02T00:40:00.000Z',
  };
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(join(dir, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(join(dir, 'metrics.jsonl'), `${g.rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return dir;
}
