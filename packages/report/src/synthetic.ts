/**
 * A synthetic scaling run directory in the results format, for tests and demos. Losses follow
 * Kaplan's L(N, S) form with seeded noise; nothing here trains a model.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { countParams, fitScalingSummary, Mulberry32, trainingCompute } from '@pretrain-lab/scaling';
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
