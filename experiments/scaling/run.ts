/**
 * The scaling grid: one tokenizer and one data split for all sizes, then each GPT trained on
 * the same token budget with its learning curve, then the power-law fits.
 *
 * Resume: `run-state.json` lists the models already finished (with the metrics length at that
 * point); the model in progress continues from its checkpoint under checkpoints/<model>/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type ExperimentContext, RunLedger, writeJSONAtomic } from '@pretrain-lab/cli';
import {
  BatchStream,
  documentText,
  END_OF_TEXT,
  evalBatches,
  loadCorpus,
  prepareData,
  splitDocuments,
} from '@pretrain-lab/data';
import { GPT, resolveGPTConfig } from '@pretrain-lab/models';
import { countParams, fitScalingSummary, type LearningCurve } from '@pretrain-lab/scaling';
import { loadTokenizer, saveTokenizer, type Tokenizer, trainTokenizer } from '@pretrain-lab/tokenizers';
import { MetricsWriter, readMetrics, trainLanguageModel } from '@pretrain-lab/train';
import { modelName, type ScalingConfig } from './config.js';

interface ModelSummary {
  model: string;
  numLayers: number;
  dModel: number;
  numHeads: number;
  nonEmbeddingParams: number;
  nonEmbeddingWithBiases: number;
  totalParams: number;
  finalValLoss: number;
  finalTrainLoss: number;
  tokens: number;
  compute: number;
  tokensPerSec: number;
}

interface RunState {
  finished: ModelSummary[];
}

function buildTokenizer(cfg: ScalingConfig, trainTexts: string[]): Tokenizer {
  if (cfg.tokenizer.kind === 'char')
    return trainTokenizer('char', trainTexts, { specialTokens: [END_OF_TEXT], unkToken: '<unk>' });
  return trainTokenizer('bpe', trainTexts, {
    vocabSize: cfg.tokenizer.vocabSize,
    specialTokens: [END_OF_TEXT],
  });
}

export async function runScaling(cfg: ScalingConfig, ctx: ExperimentContext): Promise<void> {
  const dir = ctx.run.dir;
  const metrics = new MetricsWriter(path.join(dir, 'metrics.jsonl'));
  const ledger = new RunLedger<RunState>(dir, metrics, { finished: [] });
  const state = ledger.state;

  // Data: split by document, tokenizer trained on the training split only.
  const docs = loadCorpus(cfg.corpus);
  const tokPath = path.join(dir, 'tokenizer.json');
  let tokenizer: Tokenizer;
  if (fs.existsSync(tokPath)) {
    tokenizer = loadTokenizer(tokPath);
  } else {
    const t0 = Date.now();
    const trainDocs = splitDocuments(docs, { seed: cfg.seed }).train;
    tokenizer = buildTokenizer(cfg, trainDocs.map(documentText));
    saveTokenizer(tokenizer, tokPath);
    ctx.log(
      `tokenizer ${tokenizer.kind}, vocabulary ${tokenizer.vocabSize}, trained in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  const data = prepareData(docs, tokenizer, { seed: cfg.seed, seqLen: cfg.seqLen });
  writeJSONAtomic(path.join(dir, 'data-manifest.json'), { corpus: cfg.corpus, ...data.manifest });
  const trainTokens = data.packed.train.count * cfg.seqLen;
  ctx.log(
    `corpus ${cfg.corpus}: ${docs.length} documents, ${trainTokens.toLocaleString('en-US')} training tokens in ${data.packed.train.count} sequences; ` +
      `validation ${data.packed.validation.count} sequences`,
  );
  const budget = cfg.train.steps * cfg.batchSize * cfg.seqLen;
  ctx.log(
    `budget per model: ${cfg.train.steps} steps x ${cfg.batchSize * cfg.seqLen} tokens = ${budget.toLocaleString('en-US')} tokens (${(budget / Math.max(trainTokens, 1)).toFixed(2)} epochs)`,
  );
  const valBatches = evalBatches(data.packed.validation, cfg.batchSize, cfg.train.evalBatches);

  // Continue after the last finished model: drop rows written by a model that did not finish
  // and has no checkpoint to resume from.
  for (const m of cfg.models) {
    const name = modelName(m);
    if (ledger.isDone(name)) {
      ctx.log(`${name}: finished earlier, skipped`);
      continue;
    }
    const ckDir = path.join(dir, 'checkpoints', name);
    const resumeFrom = fs.existsSync(path.join(ckDir, 'state.json'));
    if (!resumeFrom) ledger.rewind();
    const gptCfg = resolveGPTConfig({
      vocabSize: tokenizer.vocabSize,
      seqLen: cfg.seqLen,
      dModel: m.dModel,
      numLayers: m.numLayers,
      numHeads: m.numHeads,
      tieEmbeddings: cfg.tieEmbeddings,
      dropout: cfg.train.dropout,
    });
    const counts = countParams({ ...gptCfg, dFF: gptCfg.dFF });
    const model = new GPT(gptCfg, cfg.seed);
    const N = counts.nonEmbedding;
    ctx.log(
      `${name}: N = ${N.toLocaleString('en-US')} non-embedding parameters (${model.params.count().toLocaleString('en-US')} in all)${resumeFrom ? ', resuming from its checkpoint' : ''}`,
    );
    const train = new BatchStream(data.packed.train, { batchSize: cfg.batchSize, seed: cfg.seed });
    const t = cfg.train;
    const result = await trainLanguageModel({
      name,
      model,
      train,
      evalSets: { val: () => valBatches },
      cfg: {
        steps: t.steps,
        seqLen: cfg.seqLen,
        lr: t.lr,
        minLr: t.lr * t.minLrRatio,
        warmupSteps: t.warmupSteps,
        adamw: {
          beta1: t.beta1,
          beta2: t.beta2,
          eps: 1e-8,
          weightDecay: t.weightDecay,
          gradClip: t.gradClip,
        },
        evalEvery: t.evalEvery,
        logEvery: t.logEvery,
        checkpointEvery: t.checkpointEvery,
        seed: cfg.seed,
      },
      metrics,
      flopsPerToken: 6 * N,
      rowExtra: { nonEmbeddingParams: N },
      checkpointDir: ckDir,
      resume: true,
      runConfig: { experiment: 'scaling', model: name },
      progress: ctx.progress,
      extraFiles: { 'tokenizer.json': fs.readFileSync(tokPath, 'utf8') },
    });
    model.dispose();
    const summary: ModelSummary = {
      model: name,
      numLayers: m.numLayers,
      dModel: m.dModel,
      numHeads: m.numHeads,
      nonEmbeddingParams: N,
      nonEmbeddingWithBiases: counts.nonEmbeddingWithBiases,
      totalParams: counts.total,
      finalValLoss: result.finalLoss.val,
      finalTrainLoss: result.trainLoss,
      tokens: result.tokens,
      compute: 6 * N * result.tokens,
      tokensPerSec: Math.round(result.tokensPerSec),
    };
    ctx.progress.done(
      `${name}: val loss ${summary.finalValLoss.toFixed(4)} after ${summary.tokens.toLocaleString('en-US')} tokens, ${summary.tokensPerSec} tokens/s`,
    );
    ledger.finish(name, (st) => st.finished.push(summary));
  }

  // Fits over models, in the order of the config. The compute frontier uses validation points
  // past warmup and the first tenth of training: the earliest points measure the schedule's
  // transient, not what a model of that size can reach with that compute.
  const rows = readMetrics(metrics.path);
  const firstStep = Math.max(cfg.train.warmupSteps, Math.ceil(cfg.train.steps / 10));
  const curves: LearningCurve[] = state.finished.map((f) => ({
    model: f.model,
    points: rows
      .filter((r) => r.model === f.model && r.split === 'val' && (r.step as number) >= firstStep)
      .map((r) => ({ compute: r.compute as number, loss: r.loss as number })),
  }));
  const fits = fitScalingSummary(state.finished, curves, { seed: cfg.seed, bootstrap: cfg.fit.bootstrap });
  writeJSONAtomic(path.join(dir, 'summary.json'), { models: state.finished, fits });
  if (fits.params) {
    const ci = fits.params.ci
      ? ` (95% CI ${fits.params.ci[0].toFixed(3)} to ${fits.params.ci[1].toFixed(3)})`
      : '';
    ctx.log(`L(N) exponent a_N = ${fits.params.a.toFixed(3)}${ci}; Kaplan: 0.076`);
  }
  if (fits.compute) ctx.log(`L(C) exponent a_C = ${fits.compute.a.toFixed(3)}; Kaplan: 0.050`);
}
