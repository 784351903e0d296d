/**
 * The scaling grid: one tokenizer and one data split for every unit, then each unit (a model
 * size on a compute budget, or on the fixed token count of Kaplan's protocol) trained with its
 * own warmup and cosine schedule, evaluated on the same held-out rows, then every fit
 * (packages/scaling/src/grid-fits.ts) with both parameter counts.
 *
 * Before anything trains: the grid is planned (bad budgets and sizes that do not bracket are
 * config errors), the corpus is checked for at most grid.maxEpochs passes, and the cost
 * estimate is printed.
 *
 * Resume: `run-state.json` lists the units already finished (with the metrics length at that
 * point); the unit in progress continues from its checkpoint under checkpoints/<unit>/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BatchStream, evalBatches, type PreparedData } from '@pretrain-lab/data';
import { type ExperimentContext, RunLedger, writeJSONAtomic } from '@pretrain-lab/experiment';
import { GPT, resolveGPTConfig } from '@pretrain-lab/models';
import { UserError } from '@pretrain-lab/runtime';
import {
  COARSE_STARTS,
  checkEpochs,
  FLOP_CONVENTION,
  fitScalingGrid,
  flopsPerTokenOf,
  GridError,
  type GridFits,
  metricRowExtra,
  type PlannedUnit,
  runRow,
  SCALING_SCHEMA,
  type ScalingGridSummary,
  type ScalingMetricRow,
  type ScalingRunRow,
  validationCurves,
} from '@pretrain-lab/scaling';
import {
  evaluateLanguageModel,
  type MetricsWriter,
  readMetrics,
  trainLanguageModel,
} from '@pretrain-lab/train';
import {
  lrRuleText,
  planUnits,
  type ScalingConfig,
  scheduleFor,
  sizeRuleText,
  warmupRuleText,
} from './config.js';
import { prepareCorpus } from './data.js';
import { estimateCost, formatPlan } from './plan.js';
import { GridProgress } from './progress.js';

interface RunState {
  finished: ScalingRunRow[];
}

/**
 * Whether the trainer stopped a unit as diverged (`status: 'diverged'`, with its reason); a
 * trainer that throws NonFiniteLossError instead is handled where it is called.
 */
function divergence(result: unknown): string | null {
  const r = result as { status?: string; divergence?: { reason?: string }; steps?: number } | null;
  return r?.status === 'diverged' ? (r.divergence?.reason ?? `diverged at step ${r.steps}`) : null;
}

export async function runScaling(cfg: ScalingConfig, ctx: ExperimentContext): Promise<void> {
  const dir = ctx.run.dir;
  const metrics = ctx.metrics; // metrics.jsonl and the TensorBoard event files beside it
  const ledger = new RunLedger<RunState>(dir, metrics, { finished: [] });
  const state = ledger.state;

  // Data: split by document, tokenizer trained on the training split only.
  const tokPath = path.join(dir, 'tokenizer.json');
  const { docs, tokenizer, data, trainTokens, tokenizerSec } = prepareCorpus(cfg, tokPath);
  if (tokenizerSec !== null)
    ctx.log(
      `tokenizer ${tokenizer.kind}, vocabulary ${tokenizer.vocabSize}, trained in ${tokenizerSec.toFixed(1)} s`,
    );
  writeJSONAtomic(path.join(dir, 'data-manifest.json'), { corpus: cfg.corpus, ...data.manifest });
  ctx.log(
    `corpus ${cfg.corpus}: ${docs.length} documents, ${trainTokens.toLocaleString('en-US')} training tokens in ${data.packed.train.count} sequences; ` +
      `validation ${data.packed.validation.count} sequences`,
  );

  // The grid, checked before anything trains.
  const units = planUnits(cfg, tokenizer.vocabSize);
  try {
    checkEpochs(units, trainTokens, cfg.grid.maxEpochs, cfg.corpus);
  } catch (e) {
    throw e instanceof GridError ? new UserError(e.message) : e;
  }
  const cost = estimateCost(cfg, units);
  ctx.log(`${FLOP_CONVENTION}`);
  ctx.log(`schedule: ${lrRuleText(cfg)}; ${warmupRuleText(cfg)}`);
  for (const line of formatPlan(cfg, units, cost, { trainTokens })) ctx.log(line);

  const valBatches = evalBatches(data.packed.validation, cfg.batchSize, cfg.train.evalBatches);
  const finalBatches = evalBatches(data.packed.validation, cfg.batchSize, cfg.train.finalEvalBatches);
  const progress = new GridProgress(
    ctx.progress,
    cost.units.map((u) => ({ id: u.id, tokens: u.tokens, seconds: u.seconds })),
  );

  for (const u of units) {
    if (ledger.isDone(u.id)) {
      progress.markDone(u.id);
      ctx.log(`${u.id}: finished earlier, skipped`);
      continue;
    }
    const row = await trainUnit(cfg, ctx, u, {
      ledger,
      metrics,
      data,
      trainTokens,
      valBatches,
      finalBatches,
      tokPath,
      vocabSize: tokenizer.vocabSize,
      progress,
    });
    ledger.finish(u.id, (st) => st.finished.push(row));
  }

  // Fits over every unit, in the order of the plan.
  const order = new Map(units.map((u, i) => [u.id, i]));
  const runs = [...state.finished].sort((a, b) => (order.get(a.unit) ?? 0) - (order.get(b.unit) ?? 0));
  const rows = readMetrics(metrics.path) as unknown as ScalingMetricRow[];
  const t0 = Date.now();
  const fits = fitScalingGrid(runs, validationCurves(rows, runs), {
    seed: cfg.seed,
    bootstrap: cfg.fit.bootstrap,
    ...(cfg.fit.starts === 'coarse' ? { starts: COARSE_STARTS } : {}),
  });
  const summary: ScalingGridSummary<GridFits> = {
    schema: SCALING_SCHEMA,
    flopConvention: FLOP_CONVENTION,
    grid: {
      protocol: cfg.protocol,
      budgets: cfg.protocol === 'isoflop' ? cfg.grid.budgets : [],
      sizesPerBudget: cfg.protocol === 'isoflop' ? cfg.grid.sizesPerBudget : units.length,
      tokensPerParam: cfg.grid.tokensPerParam,
      maxEpochs: cfg.grid.maxEpochs,
      trainTokens,
      tokensPerStep: cfg.batchSize * cfg.seqLen,
      vocabSize: tokenizer.vocabSize,
      sizeRule: sizeRuleText(cfg),
      lrRule: lrRuleText(cfg),
      warmupRule: warmupRuleText(cfg),
    },
    runs,
    fits,
  };
  writeJSONAtomic(path.join(dir, 'summary.json'), summary);
  ctx.log(`fits in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const kind of ['total', 'nonEmbedding'] as const) {
    const f = fits[kind];
    const ci = (x: [number, number] | null | undefined) =>
      x ? ` [${x[0].toFixed(3)}, ${x[1].toFixed(3)}]` : '';
    ctx.log(
      `${kind === 'total' ? 'total params' : 'non-embedding params'}: ` +
        `approach 2 a = ${f.approach2 ? f.approach2.a.toFixed(3) + ci(f.approach2.ci.a) : 'n/a'}, ` +
        `approach 3 a = ${f.approach3 ? f.approach3.a.toFixed(3) + ci(f.approach3.ci.a) : 'n/a'}, ` +
        `L(N) a_N = ${f.lossVsN ? f.lossVsN.a.toFixed(3) : 'n/a'}, L(C) a_C = ${f.lossVsC ? f.lossVsC.a.toFixed(3) : 'n/a'}`,
    );
  }
  for (const e of fits.excluded) ctx.log(`left out of the fits: ${e.unit} (${e.reason})`);
}

interface UnitContext {
  ledger: RunLedger<RunState>;
  metrics: MetricsWriter;
  data: PreparedData;
  trainTokens: number;
  valBatches: ReturnType<typeof evalBatches>;
  finalBatches: ReturnType<typeof evalBatches>;
  tokPath: string;
  vocabSize: number;
  progress: GridProgress;
}

async function trainUnit(
  cfg: ScalingConfig,
  ctx: ExperimentContext,
  u: PlannedUnit,
  x: UnitContext,
): Promise<ScalingRunRow> {
  const ckDir = path.join(ctx.run.dir, 'checkpoints', u.id);
  const statePath = path.join(ckDir, 'state.json');
  const resumeFrom = fs.existsSync(statePath);
  // Drop rows written by an attempt of this unit that left no checkpoint to continue from.
  if (!resumeFrom) x.ledger.rewind();
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
