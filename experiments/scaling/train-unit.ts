/**
 * One unit of the scaling grid: a GPT of the unit's shape trained on its tokens with its own
 * warmup and cosine schedule (from its checkpoint when one is there), then evaluated on the
 * final held-out rows. The single-process grid (run.ts) and the workers of a shared run
 * (grid.ts) both train their units here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BatchStream, type evalBatches, type PreparedData } from '@pretrain-lab/data';
import { GPT, resolveGPTConfig } from '@pretrain-lab/models';
import {
  flopsPerTokenOf,
  metricRowExtra,
  type PlannedUnit,
  runRow,
  type ScalingRunRow,
} from '@pretrain-lab/scaling';
import {
  evaluateLanguageModel,
  type MetricsWriter,
  type ProgressBar,
  readMetrics,
  trainLanguageModel,
} from '@pretrain-lab/train';
import { type ScalingConfig, scheduleFor } from './config.js';
import type { GridProgress } from './progress.js';

/**
 * Whether the trainer stopped a unit as diverged (`status: 'diverged'`, with its reason); a
 * trainer that throws NonFiniteLossError instead is handled where it is called.
 */
function divergence(result: unknown): string | null {
  const r = result as { status?: string; divergence?: { reason?: string }; steps?: number } | null;
  return r?.status === 'diverged' ? (r.divergence?.reason ?? `diverged at step ${r.steps}`) : null;
}

export interface UnitContext {
  /** The unit's checkpoints (continued from when state.json is there). */
  checkpointDir: string;
  /** Drop the rows an attempt of this unit wrote that left no checkpoint to continue from. */
  rewind: () => void;
  metrics: MetricsWriter;
  data: PreparedData;
  trainTokens: number;
  valBatches: ReturnType<typeof evalBatches>;
  finalBatches: ReturnType<typeof evalBatches>;
  tokPath: string;
  vocabSize: number;
  progress: GridProgress;
}

/** Train and evaluate one unit of the grid; its run row (runRow) for summary.json. */
export async function trainUnit(
  cfg: ScalingConfig,
  ctx: { log: (line: string) => void; progress: ProgressBar },
  u: PlannedUnit,
  x: UnitContext,
): Promise<ScalingRunRow> {
  const ckDir = x.checkpointDir;
  const statePath = path.join(ckDir, 'state.json');
  const resumeFrom = fs.existsSync(statePath);
  // Drop rows written by an attempt of this unit that left no checkpoint to continue from.
  if (!resumeFrom) x.rewind();
  const startStep = resumeFrom
    ? (JSON.parse(fs.readFileSync(statePath, 'utf8')) as { step: number }).step
    : 0;
  const gptCfg = resolveGPTConfig({
    vocabSize: x.vocabSize,
    seqLen: cfg.seqLen,
    dModel: u.dModel,
    numLayers: u.numLayers,
    numHeads: u.numHeads,
    tieEmbeddings: cfg.tieEmbeddings,
    dropout: cfg.train.dropout,
  });
  const model = new GPT(gptCfg, cfg.seed);
  if (model.params.count() !== u.totalParams) {
    throw new Error(
      `${u.id}: the model holds ${model.params.count()} parameters but countParams says ${u.totalParams}; the grid's FLOP count would be wrong`,
    );
  }
  const s = scheduleFor(cfg, u);
  ctx.log(
    `${u.id}: N ${u.totalParams.toLocaleString('en-US')} total / ${u.nonEmbeddingParams.toLocaleString('en-US')} non-embedding, ` +
      `${u.steps} steps = ${u.tokens.toLocaleString('en-US')} tokens (${(u.tokens / x.trainTokens).toFixed(2)} epochs), ` +
      `lr ${s.lr.toPrecision(3)}, warmup ${s.warmupSteps}${resumeFrom ? `, resuming at step ${startStep}` : ''}`,
  );
  const train = new BatchStream(x.data.packed.train, { batchSize: cfg.batchSize, seed: cfg.seed });
  const t = cfg.train;
  x.progress.begin(u.id, u.steps, startStep);
  let status: 'completed' | 'diverged' = 'completed';
  let note: string | undefined;
  let finalValLoss: number | null = null;
  let tokensPerSec = 0;
  let tokens: number | null = null;
  try {
    const result = await trainLanguageModel({
      name: u.id,
      model,
      train,
      evalSets: { val: () => x.valBatches },
      cfg: {
        steps: u.steps,
        seqLen: cfg.seqLen,
        lr: s.lr,
        minLr: s.minLr,
        warmupSteps: s.warmupSteps,
        adamw: {
          beta1: t.beta1,
          beta2: t.beta2,
          eps: 1e-8,
          weightDecay: t.weightDecay,
          gradClip: t.gradClip,
        },
        evalEvery: s.evalEvery,
        logEvery: s.logEvery,
        checkpointEvery: s.checkpointEvery,
        seed: cfg.seed,
      },
      metrics: x.metrics,
      flopsPerToken: flopsPerTokenOf(u),
      rowExtra: metricRowExtra(u),
      checkpointDir: ckDir,
      resume: true,
      runConfig: { experiment: 'scaling', unit: u.id, model: u.model },
      progress: x.progress,
      extraFiles: { 'tokenizer.json': fs.readFileSync(x.tokPath, 'utf8') },
    });
    tokens = result.tokens;
    tokensPerSec = result.tokensPerSec;
    const why = divergence(result);
    if (why !== null) {
      status = 'diverged';
      note = why;
    } else {
      // The loss every fit uses: the final weights on the final evaluation rows, computed here
      // (not taken from the trainer) so a unit resumed after its last checkpoint gets it too.
      const val = await evaluateLanguageModel(model, x.finalBatches, cfg.seqLen);
      finalValLoss = val.loss;
      if (!Number.isFinite(finalValLoss)) {
        status = 'diverged';
        note = `final validation loss ${finalValLoss}`;
      }
    }
  } catch (e) {
    if ((e as Error).name !== 'NonFiniteLossError') throw e;
    status = 'diverged';
    note = (e as Error).message.split(';')[0];
  } finally {
    model.dispose();
  }
  // The last train row of this unit (a resumed unit's trainer result has no train loss).
  const rows = readMetrics(x.metrics.path).filter((r) => r.model === u.id && r.split === 'train');
  const finalTrainLoss = rows.length > 0 ? (rows[rows.length - 1].loss as number) : null;
  // A unit that threw on a non-finite loss stopped early: its tokens are those of its last row.
  if (tokens === null) tokens = rows.length > 0 ? (rows[rows.length - 1].tokens as number) : 0;
  x.progress.finish(u.id, Math.max(0, tokens - startStep * cfg.batchSize * cfg.seqLen));
  const row = runRow(
    u,
    { lr: s.lr, warmupSteps: s.warmupSteps, trainTokens: x.trainTokens },
    { status, finalValLoss, finalTrainLoss, tokens, tokensPerSec, note },
  );
  ctx.progress.done(
    status === 'completed'
      ? `${u.id}: final val loss ${(finalValLoss as number).toFixed(4)} after ${tokens.toLocaleString('en-US')} tokens, ${row.tokensPerSec.toLocaleString('en-US')} tokens/s`
      : `${u.id}: diverged (${note}); left out of the fits`,
  );
  return row;
}
