/**
 * What each objective makes of chunk i of a token stream, as the batches its architecture
 * trains on. Every corruption comes from the objectives package (pure functions with explicit
 * generators); the generator of chunk i at epoch e is Rng.derive(seed, `<objective>/<i>/<e>`),
 * so a batch is independent of batch order and the same after a resume.
 *
 *   encoder          [CLS] chunk(T - 2) [SEP], MLM-masked (BERT 80/10/10; ELECTRA's generator reads it;
 *                    span-masking: SpanBERT's whole-word geometric spans, 80/10/10 per span)
 *   decoder          chunk(T + 1): inputs chunk[0 .. T-1], targets chunk[1 .. T]; a row with
 *                    `recall: p` swaps a fraction p of its chunks for recall sequences
 *   encoder-decoder  chunk(T - 1) + EOS ([SEP]) through the objective: inputs and targets padded
 *                    to the batch's longest row
 *
 * T5 rows get NUM_SENTINELS extra ids at the end of the vocabulary (sentinel k = V' - 1 - k).
 * trainingFlops counts what a batch costs, as Kaplan et al. (2020) count it: 6 FLOPs per
 * parameter per token through it, plus 6 n_layer n_ctx d for attention, at each stack's lengths.
 */
import { collateSeq2Seq, type Seq2SeqArrays } from '@pretrain-lab/data';
import {
  deshuffle,
  type MlmOptions,
  maskBatch,
  maskTokens,
  permuteSentences,
  prefixLm,
  rotateDocument,
  spanBert,
  spanCorruption,
  t5SentinelId,
  textInfilling,
  tokenDeletion,
} from '@pretrain-lab/objectives';
import { Rng } from '@pretrain-lab/runtime';
import { type Architecture, architectureOf, type ObjectivesConfig, type ObjectivesRow } from './config.js';
import type { ObjectivesData } from './data.js';
import { recallSequence } from './in-context.js';

export const NUM_SENTINELS = 32;

export interface EncoderBatch {
  kind: 'encoder';
  inputIds: Int32Array;
  attentionMask: Int32Array;
  mlmLabels: Int32Array;
  rows: number;
  T: number;
  /** SpanBERT rows with `sbo`: the span boundary targets, indices into the batch's rows * T tokens. */
  sbo?: { left: Int32Array; right: Int32Array; position: Int32Array; targets: Int32Array };
}
export interface DecoderBatch {
  kind: 'decoder';
  inputs: Int32Array;
  targets: Int32Array;
  rows: number;
  T: number;
}
export interface Seq2SeqBatch extends Seq2SeqArrays {
  kind: 'encoder-decoder';
}
export type AnyBatch = EncoderBatch | DecoderBatch | Seq2SeqBatch;

/** Raw tokens per chunk for an architecture at sequence length T. */
export const chunkLength = (arch: Architecture, T: number) =>
  arch === 'encoder' ? T - 2 : arch === 'decoder' ? T + 1 : T - 1;

const withEos = (x: Int32Array, eos: number) => {
  const out = new Int32Array(x.length + 1);
  out.set(x);
  out[x.length] = eos;
  return out;
};

/** The batcher of one row: chunk length, and the batch of chunks `indices` of a stream at an epoch. */
export function batcher(
  cfg: ObjectivesConfig,
  data: Pick<ObjectivesData, 'ids' | 'sentenceEndIds' | 'wordStart'>,
  vocabSize: number,
  row: ObjectivesRow,
) {
  const { ids } = data;
  const arch = architectureOf(row);
  const T = cfg.model.seqLen;
  const L = chunkLength(arch, T);
  const n = cfg.noise;
  const specialIds = [ids.padId, ids.clsId, ids.sepId, ids.maskId];
  const mlm: MlmOptions = { vocabSize, maskId: ids.maskId, specialIds, mlmProbability: n.mlmRate };
  const sentinelId = t5SentinelId(vocabSize + NUM_SENTINELS);
  const eosId = ids.sepId;
  const chunk = (s: Int32Array, i: number) => s.subarray(i * L, (i + 1) * L);
  const seq2seq = (x: Int32Array, rng: Rng): { inputs: Int32Array; targets: Int32Array } => {
    switch (row.objective) {
      case 'span-corruption':
        return spanCorruption(x, {
          noiseDensity: n.spanRate,
          meanNoiseSpanLength: n.meanSpan,
          rng,
          sentinelId,
          eosId,
        });
      case 'bert-style': // T5 Table 4's BERT-style: MLM-corrupted inputs, the original text as targets
        return { inputs: withEos(maskTokens(x, rng, mlm).inputs, eosId), targets: withEos(x, eosId) };
      case 'prefix-lm':
        return prefixLm(x, { rng, eosId });
      case 'deshuffle':
        return deshuffle(x, { rng, eosId });
      case 'text-infilling': {
        const e = textInfilling(x, { rng, maskId: ids.maskId, noiseDensity: n.infillingRate });
        return { inputs: withEos(e.inputs, eosId), targets: withEos(e.targets, eosId) };
      }
      case 'token-deletion': {
        const e = tokenDeletion(x, { rng, noiseDensity: n.deletionRate });
        return { inputs: withEos(e.inputs, eosId), targets: withEos(e.targets, eosId) };
      }
      case 'document-rotation': {
        const e = rotateDocument(x, { rng });
        return { inputs: withEos(e.inputs, eosId), targets: withEos(e.targets, eosId) };
      }
      case 'sentence-permutation': {
        const e = permuteSentences(x, { rng, sentenceEndIds: data.sentenceEndIds });
        return { inputs: withEos(e.inputs, eosId), targets: withEos(e.targets, eosId) };
      }
      default:
        throw new Error(`objective ${row.objective} is not an encoder-decoder objective`);
    }
  };
  // SpanBERT: each row's spans from its own generator, as every other corruption here.
  const spanMaskBatch = (
    raw: Int32Array,
    rows: number,
    indices: ArrayLike<number>,
    seed: number,
    epoch: number,
  ) => {
    const inputs = new Int32Array(rows * T);
    const labels = new Int32Array(rows * T);
    const sbo = {
      left: [] as number[],
      right: [] as number[],
      position: [] as number[],
      targets: [] as number[],
    };
    for (let r = 0; r < rows; r++) {
      const x = raw.subarray(r * T, (r + 1) * T);
      const e = spanBert(x, {
        rng: Rng.derive(seed, `span-masking/${indices[r]}/${epoch}`),
        vocabSize,
        maskId: ids.maskId,
        specialIds,
        wordStarts: Uint8Array.from(x, (t) => data.wordStart[t] ?? 1),
        maskRatio: n.mlmRate,
      });
      inputs.set(e.inputs, r * T);
      labels.set(e.labels, r * T);
      for (let k = 0; k < e.sbo.targetId.length; k++) {
        sbo.left.push(r * T + e.sbo.leftBoundary[k]);
        sbo.right.push(r * T + e.sbo.rightBoundary[k]);
        sbo.position.push(e.sbo.relativePosition[k]);
        sbo.targets.push(e.sbo.targetId[k]);
      }
    }
    const i32 = (x: number[]) => Int32Array.from(x);
    return {
      inputs,
      labels,
      sbo: row.sbo
        ? {
            left: i32(sbo.left),
            right: i32(sbo.right),
            position: i32(sbo.position),
            targets: i32(sbo.targets),
          }
        : undefined,
    };
  };
  const batch = (s: Int32Array, indices: ArrayLike<number>, seed: number, epoch: number): AnyBatch => {
    const rows = indices.length;
    if (arch === 'encoder') {
      const raw = new Int32Array(rows * T);
      for (let r = 0; r < rows; r++) {
        raw[r * T] = ids.clsId;
        raw.set(chunk(s, indices[r]), r * T + 1);
        raw[r * T + T - 1] = ids.sepId;
      }
      const m =
        row.objective === 'span-masking'
          ? spanMaskBatch(raw, rows, indices, seed, epoch)
          : maskBatch(raw, T, { masking: 'dynamic', seed, epoch }, mlm, { sequenceIndices: indices });
      return {
        kind: 'encoder',
        inputIds: m.inputs,
        attentionMask: new Int32Array(rows * T).fill(1),
        mlmLabels: m.labels,
        rows,
        T,
        ...('sbo' in m && m.sbo ? { sbo: m.sbo } : {}),
      };
    }
    if (arch === 'decoder') {
      const inputs = new Int32Array(rows * T);
      const targets = new Int32Array(rows * T);
      for (let r = 0; r < rows; r++) {
        const rng = row.recall ? Rng.derive(seed, `recall/${indices[r]}/${epoch}`) : null;
        const c =
          rng && rng.float() < (row.recall as number)
            ? recallSequence(T + 1, cfg.inContext.recallPairs, cfg.inContext.recallVocab, rng)
            : chunk(s, indices[r]);
        inputs.set(c.subarray(0, T), r * T);
        targets.set(c.subarray(1, T + 1), r * T);
      }
      return { kind: 'decoder', inputs, targets, rows, T };
    }
    const ex = Array.from(indices, (i) =>
      seq2seq(chunk(s, i), Rng.derive(seed, `${row.objective}/${i}/${epoch}`)),
    );
    const padded = collateSeq2Seq(
      ex.map((e) => e.inputs),
      ex.map((e) => e.targets),
      { pad: ids.padId },
    );
    return { kind: 'encoder-decoder', ...padded };
  };
  return { arch, chunkLength: L, chunks: (s: Int32Array) => Math.floor(s.length / L), batch };
}

/** Training FLOPs of one batch of a row (forward + backward), see the header. */
export function trainingFlops(
  cfg: ObjectivesConfig,
  row: ObjectivesRow,
  vocabSize: number,
  b: AnyBatch,
): number {
  const { numLayers: nl } = cfg.model;
  const d = row.dModel ?? cfg.model.dModel;
  const dFF = row.dModel ? 4 * row.dModel : cfg.model.dFF;
  const block = (ff: number, cross = false) => (cross ? 8 : 4) * d * d + 2 * d * ff; // non-embedding weights
  const E = row.objective === 'albert-mlm' ? cfg.albert.embeddingSize : d;
  // MLM transform (d -> E) + tied projection (E -> V); ALBERT's embedding projection E -> d.
  const head = d * E + E * vocabSize;
  const embedProj = E === d ? 0 : E * d;
  if (b.kind === 'encoder') {
    const tokens = b.rows * b.T;
    const masked = b.mlmLabels.reduce((a, l) => a + (l >= 0 ? 1 : 0), 0);
    const enc = (layers: number, ff: number) => tokens * (layers * block(ff) + layers * b.T * d);
    if (row.objective === 'electra') {
      const g = cfg.electra;
      return 6 * (enc(g.numLayers, g.dFF) + masked * head + enc(nl, dFF) + tokens * (d * d + d));
    }
    // SpanBERT's SBO head per span token: [h_l; h_r; p] (3d) -> d -> E, then the tied projection.
    const sbo = b.sbo ? b.sbo.targets.length * (3 * d * d + d * E + E * vocabSize) : 0;
    return 6 * (enc(nl, dFF) + tokens * embedProj + masked * head + sbo);
  }
  if (b.kind === 'decoder') {
    const tokens = b.rows * b.T;
    return 6 * tokens * (nl * block(dFF) + nl * b.T * d + d * vocabSize);
  }
  const encTokens = b.rows * b.inLen;
  const decTokens = b.rows * b.outLen;
  return (
    6 * encTokens * (nl * block(dFF) + nl * b.inLen * d) +
    6 * decTokens * (nl * block(dFF, true) + nl * (b.outLen + b.inLen) * d + d * (vocabSize + NUM_SENTINELS))
  );
}
