/**
 * The scaling grid as units for many workers (docs/distributed.md):
 *
 *   stage 0  prepare     split the corpus, train the tokenizer (units/<id>/tokenizer.json)
 *   stage 1  C..-L..-D.. one per grid unit of run.ts, each waiting for prepare
 *   merge               metrics.jsonl, tokenizer.json, tb/ and summary.json at the top of the
 *                        run directory, as run.ts writes them (summary.ts)
 *
 * Every unit writes under its own units/<id>/ only: a training unit its metrics.jsonl, its
 * checkpoints (an interrupted attempt resumes from the last one, exactly as `--resume` does)
 * and its TensorBoard files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { evalBatches } from '@pretrain-lab/data';
import {
  concatUnitFiles,
  copyUnitTrees,
  type PlanUnit,
  type UnitGrid,
  unitId,
  unitResults,
  writeFileAtomic,
  writeJSONAtomic,
} from '@pretrain-lab/experiment';
import { UserError } from '@pretrain-lab/runtime';
import {
  checkEpochs,
  GridError,
  type PlannedUnit,
  type ScalingMetricRow,
  type ScalingRunRow,
  WASM_2CORE,
} from '@pretrain-lab/scaling';
import { saveTokenizer } from '@pretrain-lab/tokenizers';
import { MetricsWriter, readMetrics, TensorBoardSink } from '@pretrain-lab/train';
import { planUnits, type ScalingConfig, scheduleFor } from './config.js';
import { type PreparedCorpus, prepareCorpus } from './data.js';
import { estimateCost } from './plan.js';
import { GridProgress } from './progress.js';
import { writeSummary } from './summary.js';
import { trainUnit } from './train-unit.js';

/** What the prepare unit leaves in its done.json. */
export interface PrepareResult {
  vocabSize: number;
  trainTokens: number;
  documents: number;
}

/** The config slice the data depends on: the prepare unit's id, and part of every training unit's. */
const dataConfig = (cfg: ScalingConfig) => ({
  experiment: 'scaling',
  corpus: cfg.corpus,
  tokenizer: cfg.tokenizer,
  seed: cfg.seed,
  seqLen: cfg.seqLen,
});
export const prepareId = (cfg: ScalingConfig) => unitId('prepare', dataConfig(cfg));

/** Speed of the cost model by backend: the 2-core wasm fit, 3x for the native kernels (README). */
function speedOf(backend: string): { speedup: number; text: string } {
  const speedup = backend === 'native' ? 3 : 1;
  return {
    speedup,
    text: `the 2-core wasm speed of 2026-12${speedup !== 1 ? ` x${speedup}` : ''} (backend ${backend})`,
  };
}

// One corpus preparation per process and config: a worker plans, then runs several units.
const prepared = new Map<string, PreparedCorpus>();
function corpusFor(cfg: ScalingConfig, runDir: string | null): PreparedCorpus {
  const tokPath = runDir ? path.join(runDir, 'units', prepareId(cfg), 'tokenizer.json') : null;
  const key = `${prepareId(cfg)} ${tokPath && fs.existsSync(tokPath) ? 'saved' : 'fresh'}`;
  let p = prepared.get(key);
  if (!p) {
    // The tokenizer the prepare unit saved, when it is there; else trained here, identically
    // (same training split, same seed), so every process plans the same units.
    p = prepareCorpus(cfg, tokPath && fs.existsSync(tokPath) ? tokPath : undefined);
    prepared.set(key, p);
  }
  return p;
}

function checkedUnits(cfg: ScalingConfig, c: PreparedCorpus): PlannedUnit[] {
  const units = planUnits(cfg, c.tokenizer.vocabSize);
  try {
    checkEpochs(units, c.trainTokens, cfg.grid.maxEpochs, cfg.corpus);
  } catch (e) {
    throw e instanceof GridError ? new UserError(e.message) : e;
  }
  return units;
}

/** A training unit's id: its shape, budget and schedule, and everything its data and training depend on. */
function trainId(cfg: ScalingConfig, u: PlannedUnit, vocabSize: number): string {
  return unitId('train', {
    ...dataConfig(cfg),
    unit: u.id,
    model: { numLayers: u.numLayers, dModel: u.dModel, numHeads: u.numHeads },
    budget: u.budget,
    steps: u.steps,
    schedule: scheduleFor(cfg, u),
    vocabSize,
    batchSize: cfg.batchSize,
    tieEmbeddings: cfg.tieEmbeddings,
    train: cfg.train,
  });
}

export const scalingGrid: UnitGrid<ScalingConfig> = {
  async plan(cfg, { runDir, backend }) {
    const c = corpusFor(cfg, runDir);
    const units = checkedUnits(cfg, c);
    const speed = speedOf(backend);
    const cost = estimateCost(cfg, units, { model: { ...WASM_2CORE, speedup: speed.speedup } });
    const prep = prepareId(cfg);
    const out: PlanUnit[] = [
      {
        id: prep,
        name: 'prepare',
        kind: 'prepare',
        deps: [],
        flops: 0,
        seconds: cfg.tokenizer.kind === 'bpe' ? 15 : 2,
      },
      ...units.map((u, i) => ({
        id: trainId(cfg, u, c.tokenizer.vocabSize),
        name: u.id,
        kind: 'train',
        deps: [prep],
        flops: u.compute,
        seconds: cost.units[i].seconds,
      })),
    ];
    return { units: out, speed: speed.text };
  },

  async run(cfg, unit, ctx) {
    if (unit.kind === 'prepare') {
      // The tokenizer this process planned with (trained the same way a fresh one would be).
      const c = corpusFor(cfg, null);
      checkedUnits(cfg, c);
      saveTokenizer(c.tokenizer, path.join(ctx.dir, 'tokenizer.json'));
      writeJSONAtomic(path.join(ctx.dir, 'data-manifest.json'), { corpus: cfg.corpus, ...c.data.manifest });
      ctx.log(
        `tokenizer ${c.tokenizer.kind}, vocabulary ${c.tokenizer.vocabSize}; ${c.trainTokens.toLocaleString('en-US')} training tokens`,
      );
      const result: PrepareResult = {
        vocabSize: c.tokenizer.vocabSize,
        trainTokens: c.trainTokens,
        documents: c.docs.length,
      };
      return result;
    }
    const c = corpusFor(cfg, ctx.runDir);
    const u = checkedUnits(cfg, c).find((p) => p.id === unit.name);
    if (!u) throw new Error(`scaling: ${unit.name} is not in the plan of this config`);
    const metricsPath = path.join(ctx.dir, 'metrics.jsonl');
    const metrics = new MetricsWriter(metricsPath, [
      new TensorBoardSink({
        dir: path.join(ctx.dir, 'tb'),
        metricsPath,
        config: { experiment: 'scaling', ...cfg },
      }),
    ]);
    const cost = estimateCost(cfg, [u]).units[0];
    const progress = new GridProgress(ctx.progress, [{ id: u.id, tokens: u.tokens, seconds: cost.seconds }]);
    try {
      return await trainUnit(cfg, ctx, u, {
        checkpointDir: path.join(ctx.dir, 'checkpoints'),
        rewind: () => metrics.truncate(0),
        metrics,
        data: c.data,
        trainTokens: c.trainTokens,
        valBatches: evalBatches(c.data.packed.validation, cfg.batchSize, cfg.train.evalBatches),
        finalBatches: evalBatches(c.data.packed.validation, cfg.batchSize, cfg.train.finalEvalBatches),
        tokPath: path.join(ctx.store.dir(prepareId(cfg)), 'tokenizer.json'),
        vocabSize: c.tokenizer.vocabSize,
        progress,
      });
    } finally {
      metrics.close();
    }
  },

  async merge(cfg, { runDir, store, plan, log }) {
    const prep = plan.units.find((u) => u.kind === 'prepare')!;
    const train = plan.units.filter((u) => u.kind === 'train');
    const [data] = unitResults<PrepareResult>(store, [prep]);
    const runs = unitResults<ScalingRunRow>(store, train);
    for (const f of ['tokenizer.json', 'data-manifest.json'])
      writeFileAtomic(path.join(runDir, f), fs.readFileSync(store.file(prep.id, f)));
    concatUnitFiles(store, train, 'metrics.jsonl', path.join(runDir, 'metrics.jsonl'));
    copyUnitTrees(store, train, 'tb', path.join(runDir, 'tb'));
    const rows = readMetrics(path.join(runDir, 'metrics.jsonl')) as unknown as ScalingMetricRow[];
    writeSummary(
      cfg,
      runDir,
      {
        units: planUnits(cfg, data.vocabSize),
        runs,
        rows,
        trainTokens: data.trainTokens,
        vocabSize: data.vocabSize,
      },
      log,
    );
  },
};
