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
 *
 * The same grid on many machines: grid.ts (docs/distributed.md).
 */
import path from 'node:path';
import { evalBatches } from '@pretrain-lab/data';
import { type ExperimentContext, RunLedger, writeJSONAtomic } from '@pretrain-lab/experiment';
import { UserError } from '@pretrain-lab/runtime';
import {
  checkEpochs,
  FLOP_CONVENTION,
  GridError,
  type ScalingMetricRow,
  type ScalingRunRow,
} from '@pretrain-lab/scaling';
import { readMetrics } from '@pretrain-lab/train';
import { lrRuleText, planUnits, type ScalingConfig, warmupRuleText } from './config.js';
import { prepareCorpus } from './data.js';
import { estimateCost, formatPlan } from './plan.js';
import { GridProgress } from './progress.js';
import { writeSummary } from './summary.js';
import { trainUnit } from './train-unit.js';

interface RunState {
  finished: ScalingRunRow[];
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
      checkpointDir: path.join(dir, 'checkpoints', u.id),
      rewind: () => ledger.rewind(),
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
  writeSummary(
    cfg,
    dir,
    {
      units,
      runs,
      rows: readMetrics(metrics.path) as unknown as ScalingMetricRow[],
      trainTokens,
      vocabSize: tokenizer.vocabSize,
    },
    ctx.log,
  );
}
