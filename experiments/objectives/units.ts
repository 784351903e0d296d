/**
 * The objectives comparison's pretraining unit: the model of a row (a BERT encoder, an ELECTRA
 * generator + discriminator, a GPT decoder or a T5 encoder-decoder, all of one width unless
 * the row names another) and its pretraining on the row's objective for the FLOP budget,
 * returning the ablation schema's row (packages/experiment/src/schema.ts). Evaluations are in
 * evaluate.ts.
 */
import { IndexStream } from '@pretrain-lab/data';
import { type PretrainOutcome, pretrainLoop } from '@pretrain-lab/experiment';
import {
  BERT,
  Electra,
  GPT,
  resolveBERTConfig,
  resolveElectraConfig,
  resolveGPTConfig,
  resolveT5Config,
  T5,
} from '@pretrain-lab/models';
import { type MetricsWriter, type ProgressBar, train } from '@pretrain-lab/train';
import * as tf from '@tensorflow/tfjs';
import { architectureOf, type ObjectivesConfig, type ObjectivesRow } from './config.js';
import type { ObjectivesData } from './data.js';
import { type AnyBatch, batcher, NUM_SENTINELS, trainingFlops } from './examples.js';

export type RowModel =
  | { kind: 'bert'; m: BERT }
  | { kind: 'electra'; m: Electra }
  | { kind: 'gpt'; m: GPT }
  | { kind: 't5'; m: T5 };

export interface UnitContext {
  cfg: ObjectivesConfig;
  data: ObjectivesData;
  metrics: MetricsWriter;
  progress: ProgressBar;
  extraFiles: Record<string, string>;
  log: (line: string) => void;
}

export function makeModel(
  cfg: ObjectivesConfig,
  data: ObjectivesData,
  row: ObjectivesRow,
  seed: number,
): RowModel {
  const V = data.tok.vocabSize;
  const { numLayers, numHeads, seqLen } = cfg.model;
  const dModel = row.dModel ?? cfg.model.dModel;
  const dFF = row.dModel ? 4 * row.dModel : cfg.model.dFF;
  const arch = architectureOf(row);
  if (arch === 'encoder') {
    const enc = { vocabSize: V, maxLen: seqLen, dModel, numLayers, numHeads, dFF, dropout: 0, preNorm: true };
    if (row.objective === 'electra') {
      const { discWeight, ...generator } = cfg.electra;
      return { kind: 'electra', m: new Electra(resolveElectraConfig(enc, generator, discWeight), seed) };
    }
    const albert =
      row.objective === 'albert-mlm' ? { embeddingSize: cfg.albert.embeddingSize, shareLayers: true } : {};
    // SBO positions: a span is at most seqLen tokens, so every position has its row.
    const sbo = row.sbo ? { spanBoundary: seqLen } : {};
    return { kind: 'bert', m: new BERT(resolveBERTConfig({ ...enc, nsp: false, ...albert, ...sbo }), seed) };
  }
  if (arch === 'decoder')
    return {
      kind: 'gpt',
      m: new GPT(resolveGPTConfig({ vocabSize: V, seqLen, dModel, numLayers, numHeads, dFF }), seed),
    };
  const { padId, sepId } = data.ids;
  const t5 = resolveT5Config({
    vocabSize: V + NUM_SENTINELS,
    dModel,
    numLayers,
    numHeads,
    dFF,
    dropout: 0,
    padId,
    decoderStartId: padId,
    eosId: sepId,
  });
  return { kind: 't5', m: new T5(t5, seed) };
}

export const t2 = (x: Int32Array, rows: number, cols: number) => tf.tensor2d(x, [rows, cols], 'int32');

/** The loss (and its named parts) of a batch under a row's model, built inside the call. */
function lossOf(
  model: RowModel,
  b: AnyBatch,
  ctx: Parameters<T5['loss']>[1],
): { loss: tf.Scalar; parts?: Record<string, tf.Scalar> } {
  if (model.kind === 'gpt' && b.kind === 'decoder')
    return { loss: model.m.loss(t2(b.inputs, b.rows, b.T), t2(b.targets, b.rows, b.T), ctx) };
  if (model.kind === 't5' && b.kind === 'encoder-decoder')
    return {
      loss: model.m.loss(
        {
          inputIds: t2(b.inputIds, b.rows, b.inLen),
          attentionMask: t2(b.attentionMask, b.rows, b.inLen),
          labels: t2(b.labels, b.rows, b.outLen),
        },
        ctx,
      ),
    };
  if (b.kind !== 'encoder') throw new Error(`a ${b.kind} batch for a ${model.kind} model`);
  const batch = {
    inputIds: t2(b.inputIds, b.rows, b.T),
    attentionMask: t2(b.attentionMask, b.rows, b.T),
    mlmLabels: t2(b.mlmLabels, b.rows, b.T),
  };
  if (model.kind === 'electra') {
    const out = model.m.pretrainLoss(batch, ctx);
    return {
      loss: out.loss,
      parts: { mlm: out.mlmLoss, disc: out.discLoss, discAccuracy: tf.scalar(out.discAccuracy) as tf.Scalar },
    };
  }
  if (model.kind !== 'bert') throw new Error(`an encoder batch for a ${model.kind} model`);
  const t1 = (x: Int32Array) => tf.tensor1d(x, 'int32');
  const spanBoundary = b.sbo
    ? {
        left: t1(b.sbo.left),
        right: t1(b.sbo.right),
        position: t1(b.sbo.position),
        targets: t1(b.sbo.targets),
      }
    : null;
  const out = model.m.pretrainLoss({ ...batch, spanBoundary }, ctx);
  // An SBO row reports its SBO loss on every batch (0 on one whose spans all touch an end).
  const sbo: Record<string, tf.Scalar> = spanBoundary
    ? { sbo: out.sboLoss ?? (tf.scalar(0) as tf.Scalar) }
    : {};
  return { loss: out.loss, parts: { mlm: out.mlmLoss, ...sbo } };
}

/** Pretrain a row's model for the FLOP budget, from its checkpoint when interrupted. */
export async function pretrainRow(
  u: UnitContext,
  model: RowModel,
  row: ObjectivesRow,
  seed: number,
  unit: { checkpointDir: string; label: string },
): Promise<PretrainOutcome> {
  const { cfg, data } = u;
  const p = cfg.pretrain;
  const V = data.tok.vocabSize;
  const b = batcher(cfg, data, V, row);
  const chunks = b.chunks(data.train);
  const order = new IndexStream(chunks, p.batchSize, seed, `chunks of ${b.chunkLength} tokens`);
  const source = {
    next: (): AnyBatch => {
      const { indices, epoch } = order.next();
      return b.batch(data.train, indices, seed, epoch);
    },
    getPosition: () => order.getPosition(),
    setPosition: (pos: any) => order.setPosition(pos),
  };
  // The FLOP budget in steps: the mean cost of the first 16 batches of this row's order.
  const probe = new IndexStream(chunks, p.batchSize, seed, `chunks of ${b.chunkLength} tokens`);
  let sample = 0;
  for (let i = 0; i < 16; i++) {
    const { indices, epoch } = probe.next();
    sample += trainingFlops(cfg, row, V, b.batch(data.train, indices, seed, epoch));
  }
  const flopsPerStep = sample / 16;
  const steps = Math.max(1, Math.round(p.flops / flopsPerStep));
  // Validation: the same chunks and corruptions every time (epoch 0 of the split seed).
  const valChunks = Math.min(p.evalExamples, b.chunks(data.validation));
  const valBatches: AnyBatch[] = [];
  for (let s = 0; s < valChunks; s += p.batchSize) {
    const idx = Int32Array.from({ length: Math.min(p.batchSize, valChunks - s) }, (_, j) => s + j);
    valBatches.push(b.batch(data.validation, idx, cfg.splitSeed, 0));
  }
  u.log(
    `${unit.label}: ${steps} steps of batch ${p.batchSize} (${(flopsPerStep / 1e9).toFixed(2)} GFLOP a step), ${chunks} chunks of ${b.chunkLength} tokens`,
  );
  const tokensIn = (x: AnyBatch) => (x.kind === 'encoder-decoder' ? x.rows * x.inLen : x.rows * x.T);
  const result = await train<AnyBatch>({
    name: unit.label,
    model: model.m,
    train: source,
    lossFn: (x, fctx) => lossOf(model, x, fctx),
    evalSets: { val: () => valBatches },
    tokensIn,
    weightOf: (x) => x.rows,
    cfg: pretrainLoop(p, { steps, warmupSteps: Math.max(1, Math.round(p.warmupFraction * steps)), seed }),
    metrics: u.metrics,
    rowExtra: {
      phase: 'pretrain',
      variant: row.name,
      seed,
      objective: row.objective,
      recall: row.recall ?? 0,
    },
    checkpointDir: unit.checkpointDir,
    resume: true,
    runConfig: { experiment: 'objectives', variant: row.name, objective: row.objective, seed },
    extraFiles: u.extraFiles,
    progress: u.progress,
  });
  if (result.status === 'diverged')
    u.log(`${unit.label}: diverged (${result.divergence?.reason}); kept its last good checkpoint`);
  const finalLoss: Record<string, number> = { val: result.finalLoss.val };
  for (const k of ['mlm', 'sbo', 'disc', 'discAccuracy'])
    if (result.finalLoss[`val.${k}`] !== undefined) finalLoss[k] = result.finalLoss[`val.${k}`];
  return {
    status: result.status,
    steps: result.steps,
    tokens: result.tokens,
    epochs: (result.steps * p.batchSize) / chunks,
    finalLoss,
    tokensPerSec: Math.round(result.tokensPerSec),
    extra: { flops: flopsPerStep * result.steps, flopsPerStep, architecture: architectureOf(row) },
  };
}
