/**
 * The span-corruption study's pretraining unit: one T5 on span corruption at a (mean span,
 * rate) setting, resumable from its checkpoint, returning the ablation schema's pretraining row
 * (packages/experiment/src/schema.ts). Evaluations are in evaluate.ts, batches in batches.ts.
 */
import { IndexStream } from '@pretrain-lab/data';
import { type PretrainOutcome, pretrainLoop } from '@pretrain-lab/experiment';
import type { T5, T5Config } from '@pretrain-lab/models';
import { randomSpansHelper, spanCorruption } from '@pretrain-lab/objectives';
import { Rng } from '@pretrain-lab/runtime';
import type { UnigramTokenizer } from '@pretrain-lab/tokenizers';
import { type MetricsWriter, type ProgressBar, train } from '@pretrain-lab/train';
import { collate, lossOf, mean, type Seq2SeqBatch } from './batches.js';
import type { SpanSetting, SpansConfig, SpanVariant } from './config.js';

export interface UnitContext {
  cfg: SpansConfig;
  metrics: MetricsWriter;
  progress: ProgressBar;
  log: (line: string) => void;
  tok: UnigramTokenizer;
  modelConfig: T5Config;
  extraFiles: Record<string, string>;
}

/**
 * A setting's span corruption at inputLength: raw tokens per example from T5's
 * random_spans_helper (so the corrupted inputs fill inputLength), the corruption of chunk i of a
 * stream (one mask per (chunk, epoch), from a stream of its own: resumable and independent of
 * batch order), and the padded batch of corrupted chunks.
 */
export function spanBatcher(tok: UnigramTokenizer, s: SpanSetting, inputLength: number) {
  const { tokensLength, targetsLength } = randomSpansHelper(inputLength, s.rate, s.meanSpan);
  const corrupt = (src: Int32Array, i: number, rngSeed: number, epoch: number) =>
    spanCorruption(src.subarray(i * tokensLength, (i + 1) * tokensLength), {
      noiseDensity: s.rate,
      meanNoiseSpanLength: s.meanSpan,
      rng: Rng.derive(rngSeed, `spans/${i}/${epoch}`),
      sentinelId: (k) => tok.sentinelId(k),
      eosId: tok.eosId,
    });
  const batch = (ex: ReturnType<typeof corrupt>[]): Seq2SeqBatch =>
    collate(
      ex.map((e) => e.inputs),
      ex.map((e) => e.targets),
      inputLength,
      targetsLength,
    );
  return { tokensLength, targetsLength, corrupt, batch };
}

/** Pretrain `model` on span corruption of `streams.train` for pretrain.steps, from its checkpoint. */
export async function pretrainT5(
  u: UnitContext,
  model: T5,
  s: SpanVariant,
  seed: number,
  streams: { train: Int32Array; validation: Int32Array },
  unit: { checkpointDir: string; label: string },
): Promise<PretrainOutcome> {
  const { cfg, tok } = u;
  const p = cfg.pretrain;
  const { tokensLength, targetsLength, corrupt, batch } = spanBatcher(tok, s, p.inputLength);
  const chunks = Math.floor(streams.train.length / tokensLength);
  const order = new IndexStream(
    chunks,
    p.batchSize,
    seed,
    `chunks of ${tokensLength} training tokens (corpus '${cfg.corpus}', ${streams.train.length} tokens)`,
  );
  const source = {
    next: (): Seq2SeqBatch => {
      const { indices, epoch } = order.next();
      return batch(Array.from(indices, (i) => corrupt(streams.train, i, seed, epoch)));
    },
    getPosition: () => order.getPosition(),
    setPosition: (pos: any) => order.setPosition(pos),
  };
  // Validation: the same chunks and masks every time (epoch 0 of the split seed).
  const valChunks = Math.min(p.evalExamples, Math.floor(streams.validation.length / tokensLength));
  const valBatches: Seq2SeqBatch[] = [];
  const valTargets: number[] = [];
  for (let st = 0; st < valChunks; st += p.batchSize) {
    const ex = Array.from({ length: Math.min(p.batchSize, valChunks - st) }, (_, j) =>
      corrupt(streams.validation, st + j, cfg.splitSeed, 0),
    );
    for (const e of ex) valTargets.push(e.targets.length);
    valBatches.push(batch(ex));
  }
  const targetLength = mean(valTargets);
  u.log(
    `${unit.label}: ${tokensLength} raw tokens -> ${p.inputLength} inputs and ${targetsLength} targets (mean ${targetLength.toFixed(1)}), ${chunks} chunks`,
  );
  const result = await train<Seq2SeqBatch>({
    name: unit.label,
    model,
    train: source,
    lossFn: (b, fctx) => lossOf(model, b, fctx),
    evalSets: { val: () => valBatches },
    tokensIn: (b) => b.rows * b.inLen,
    weightOf: (b) => b.rows,
    cfg: pretrainLoop(p, { steps: p.steps, warmupSteps: p.warmupSteps, seed }),
    metrics: u.metrics,
    rowExtra: { phase: 'pretrain', variant: s.name, seed, meanSpan: s.meanSpan, rate: s.rate },
    checkpointDir: unit.checkpointDir,
    resume: true,
    runConfig: { experiment: 'spans', variant: s.name, seed },
    extraFiles: u.extraFiles,
    progress: u.progress,
  });
  u.progress.done(
    `${unit.label}: val loss ${result.finalLoss.val.toFixed(3)}, ${Math.round(result.tokensPerSec)} input tokens/s`,
  );
  if (result.status === 'diverged')
    u.log(`${unit.label}: diverged (${result.divergence?.reason}); kept its last good checkpoint`);
  return {
    status: result.status,
    steps: result.steps,
    // Input tokens: the budget T5 holds fixed across Tables 6-7 (the raw tokens differ by setting).
    tokens: result.tokens,
    epochs: (result.steps * p.batchSize) / chunks,
    finalLoss: { val: result.finalLoss.val },
    tokensPerSec: Math.round(result.tokensPerSec),
    extra: { rawTokensPerExample: tokensLength, targetLength, inputLength: p.inputLength },
  };
}
