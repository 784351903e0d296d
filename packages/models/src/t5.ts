/**
 * T5: an encoder-decoder Transformer trained on text-to-text targets (Raffel et al. 2020), v1.0
 * ("t5-small"-like). Reads top to bottom: config, feed-forward, block, stack, model, decoding.
 * - One token table `shared.weight` embeds encoder and decoder inputs and is the (tied) output
 *   projection; v1.0 scales the decoder output by dModel^-0.5 before that projection.
 * - Pre-norm blocks with T5's RMS norm: x + Dropout(SelfAttn(Norm(x))), in the decoder then
 *   x + Dropout(CrossAttn(Norm(x), encoderOut)), then x + Dropout(wo(Dropout(ReLU(wi(Norm(x)))))).
 *   A final norm and dropout close each stack. No biases anywhere.
 * - No absolute positions: each stack's first layer owns a relative-position bucket table
 *   [numBuckets, numHeads] whose bias every layer of that stack adds to its scores.
 * Parameter names are Hugging Face T5's (`encoder.block.0.layer.0.SelfAttention.q.weight`), but
 * projection weights are [in, out] like every Linear here (HF's nn.Linear is [out, in]: an HF
 * import or export transposes q, k, v, o, wi and wo). Pinned against tools/reference/t5.py.
 */

import {
  dropout,
  type ForwardContext,
  inference,
  Linear,
  ParamStore,
  RMSNorm,
  T5Attention,
  TokenEmbedding,
} from '@pretrain-lab/layers';
import { ops, Rng } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';

export interface T5Config {
  vocabSize: number;
  dModel: number;
  /** Encoder layers (and decoder layers unless numDecoderLayers says otherwise). */
  numLayers: number;
  numDecoderLayers: number;
  numHeads: number;
  /** Width of one attention head; the attention inner width is numHeads * dKV. */
  dKV: number;
  dFF: number;
  /** Relative-position buckets per stack (half per direction in the encoder). */
  numBuckets: number;
  /** Distances beyond this share the last bucket. */
  maxDistance: number;
  dropout: number;
  /** RMS-norm epsilon. */
  eps: number;
  padId: number;
  /** First decoder input; T5 uses the pad id. */
  decoderStartId: number;
  eosId: number;
}

type Required5 = 'vocabSize' | 'dModel' | 'numLayers' | 'numHeads';

export const T5_DEFAULTS: Omit<T5Config, Required5> = {
  numDecoderLayers: 0, // 0 means numLayers
  dKV: 0, // 0 means dModel / numHeads
  dFF: 0, // 0 means 4 * dModel
  numBuckets: 32, // T5
  maxDistance: 128, // T5
  dropout: 0.1, // T5's pre-training and fine-tuning rate
  eps: 1e-6, // T5's layer_norm_epsilon
  padId: 0,
  decoderStartId: 0, // = pad, as T5
  eosId: 1,
};

/** t5-small (60M): only what differs from the defaults. dKV = 64 = 512 / 8 and dFF = 2048 = 4 * 512 anyway. */
export const T5_SMALL: Pick<T5Config, Required5> = {
  vocabSize: 32128,
  dModel: 512,
  numLayers: 6,
  numHeads: 8,
};

export function resolveT5Config(partial: Partial<T5Config> & Pick<T5Config, Required5>): T5Config {
  const known = new Set<string>([
    ...Object.keys(T5_DEFAULTS),
    'vocabSize',
    'dModel',
    'numLayers',
    'numHeads',
  ]);
  for (const key of Object.keys(partial)) {
    if (!known.has(key)) throw new Error(`T5 config: unknown key '${key}' (known: ${[...known].join(', ')})`);
  }
  const cfg = { ...T5_DEFAULTS, ...partial };
  if (!cfg.numDecoderLayers) cfg.numDecoderLayers = cfg.numLayers;
  if (!cfg.dFF) cfg.dFF = 4 * cfg.dModel;
  if (!cfg.dKV) {
    if (cfg.dModel % cfg.numHeads !== 0)
      throw new Error(
        `T5 config: dModel ${cfg.dModel} is not divisible by numHeads ${cfg.numHeads}; set dKV explicitly`,
      );
    cfg.dKV = cfg.dModel / cfg.numHeads;
  }
  for (const key of [
    'vocabSize',
    'dModel',
    'numLayers',
    'numDecoderLayers',
    'numHeads',
    'dKV',
    'dFF',
    'maxDistance',
  ] as const) {
    if (!Number.isInteger(cfg[key]) || cfg[key] < 1)
      throw new Error(`T5 config: ${key} must be a positive integer, got ${cfg[key]}`);
  }
  // Four buckets at least, so each direction of the encoder has an exact bucket and a log bucket.
  if (!Number.isInteger(cfg.numBuckets) || cfg.numBuckets < 4)
    throw new Error(`T5 config: numBuckets must be an integer >= 4, got ${cfg.numBuckets}`);
  if (!(cfg.dropout >= 0 && cfg.dropout < 1))
    throw new Error(`T5 config: dropout must be in [0, 1), got ${cfg.dropout}`);
  if (!(cfg.eps > 0)) throw new Error(`T5 config: eps must be positive, got ${cfg.eps}`);
  for (const key of ['padId', 'decoderStartId', 'eosId'] as const) {
    if (!Number.isInteger(cfg[key]) || cfg[key] < 0 || cfg[key] >= cfg.vocabSize)
      throw new Error(`T5 config: ${key} ${cfg[key]} is not a token id below vocabSize ${cfg.vocabSize}`);
  }
  return cfg;
}

/** T5 v1.0 feed-forward (`DenseReluDense`): wi (no bias) -> ReLU -> dropout -> wo (no bias). */
export class T5DenseReluDense {
  readonly wi: Linear;
  readonly wo: Linear;
  constructor(
    store: ParamStore,
    prefix: string,
    readonly cfg: T5Config,
  ) {
    this.wi = new Linear(store, `${prefix}.wi`, cfg.dModel, cfg.dFF, {
      bias: false,
      std: cfg.dModel ** -0.5,
    });
    this.wo = new Linear(store, `${prefix}.wo`, cfg.dFF, cfg.dModel, { bias: false, std: cfg.dFF ** -0.5 });
  }
  apply(x: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D {
    return tf.tidy(() => {
      const h = dropout(this.wi.apply(x, { activation: 'relu' }), this.cfg.dropout, ctx); // [B, T, dFF]
      return this.wo.apply(h) as tf.Tensor3D; // [B, T, C]
    });
  }
}

/**
 * One block: `layer.0` self-attention, in the decoder `layer.1` cross-attention
 * (`EncDecAttention`), then the feed-forward as the last layer; each with its own `layer_norm`.
 */
export class T5Block {
  readonly selfNorm: RMSNorm;
  readonly selfAttn: T5Attention;
  readonly crossNorm: RMSNorm | null;
  readonly crossAttn: T5Attention | null;
  readonly ffNorm: RMSNorm;
  readonly ff: T5DenseReluDense;

  constructor(
    store: ParamStore,
    prefix: string,
    readonly cfg: T5Config,
    opts: { isDecoder: boolean; hasRelativeBias: boolean },
  ) {
    const attnCfg = { dModel: cfg.dModel, numHeads: cfg.numHeads, dKV: cfg.dKV, dropout: cfg.dropout };
    this.selfAttn = new T5Attention(store, `${prefix}.layer.0.SelfAttention`, {
      ...attnCfg,
      relativeBias: opts.hasRelativeBias
        ? { bidirectional: !opts.isDecoder, numBuckets: cfg.numBuckets, maxDistance: cfg.maxDistance }
        : undefined,
    });
    this.selfNorm = new RMSNorm(store, `${prefix}.layer.0.layer_norm`, cfg.dModel, cfg.eps);
    if (opts.isDecoder) {
      this.crossAttn = new T5Attention(store, `${prefix}.layer.1.EncDecAttention`, attnCfg); // no position bias
      this.crossNorm = new RMSNorm(store, `${prefix}.layer.1.layer_norm`, cfg.dModel, cfg.eps);
    } else {
      this.crossAttn = null;
      this.crossNorm = null;
    }
    const ffIndex = opts.isDecoder ? 2 : 1;
    this.ff = new T5DenseReluDense(store, `${prefix}.layer.${ffIndex}.DenseReluDense`, cfg);
    this.ffNorm = new RMSNorm(store, `${prefix}.layer.${ffIndex}.layer_norm`, cfg.dModel, cfg.eps);
  }

  /**
   * x [B, T, C] -> [B, T, C]. selfBias: the position bias [1, H, T, T]; selfPadding [B, T] (encoder)
   * and causal (decoder) mask the self-attention; memoryPadding [B, S] masks the cross-attention.
   */
  apply(
    x: tf.Tensor3D,
    ctx: ForwardContext,
    opts: {
      selfBias: tf.Tensor;
      selfPadding?: tf.Tensor2D;
      causal?: boolean;
      memory?: tf.Tensor3D;
      memoryPadding?: tf.Tensor2D;
    },
  ): tf.Tensor3D {
    return tf.tidy(() => {
      const rate = this.cfg.dropout;
      const self = this.selfAttn.apply(this.selfNorm.apply(x), ctx, {
        bias: opts.selfBias,
        keyPadding: opts.selfPadding,
        causal: opts.causal,
      });
      let h = tf.add(x, dropout(self, rate, ctx)) as tf.Tensor3D;
      if (this.crossAttn && this.crossNorm) {
        if (!opts.memory) throw new Error('a T5 decoder block needs the encoder output');
        const cross = this.crossAttn.apply(this.crossNorm.apply(h), ctx, {
          memory: opts.memory,
          keyPadding: opts.memoryPadding,
        });
        h = tf.add(h, dropout(cross, rate, ctx)) as tf.Tensor3D;
      }
      return tf.add(h, dropout(this.ff.apply(this.ffNorm.apply(h), ctx), rate, ctx)) as tf.Tensor3D; // [B, T, C]
    });
  }
}

/** Encoder or decoder: blocks sharing block 0's position bias, then `final_layer_norm` and dropout. */
export class T5Stack {
  readonly blocks: T5Block[] = [];
  readonly finalNorm: RMSNorm;

  constructor(
    store: ParamStore,
    readonly prefix: 'encoder' | 'decoder',
    readonly cfg: T5Config,
  ) {
    const isDecoder = prefix === 'decoder';
    const n = isDecoder ? cfg.numDecoderLayers : cfg.numLayers;
    for (let i = 0; i < n; i++)
      this.blocks.push(
        new T5Block(store, `${prefix}.block.${i}`, cfg, { isDecoder, hasRelativeBias: i === 0 }),
      );
    this.finalNorm = new RMSNorm(store, `${prefix}.final_layer_norm`, cfg.dModel, cfg.eps);
  }

  /**
   * embedded [B, T, C] -> [B, T, C]. Encoder: `mask` [B, T] marks real tokens. Decoder: causal,
   * attends to `memory` [B, S, C] with `memoryMask` [B, S]; no decoder padding mask is needed
   * because padding comes last and the causal mask already hides it from real positions.
   */
  apply(
    embedded: tf.Tensor3D,
    ctx: ForwardContext,
    opts: { mask?: tf.Tensor2D; memory?: tf.Tensor3D; memoryMask?: tf.Tensor2D } = {},
  ): tf.Tensor3D {
    return tf.tidy(() => {
      const T = embedded.shape[1];
      // The position bias [1, H, T, T], shared by every block; the causal and padding masks are
      // applied inside the fused attention (never materialised as [B, H, T, T] biases).
      const selfBias = this.blocks[0].selfAttn.positionBias(T, T);
      const f32 = (m?: tf.Tensor2D) =>
        m && m.dtype !== 'float32' ? (tf.cast(m, 'float32') as tf.Tensor2D) : m;
      const masks = {
        selfPadding: f32(opts.mask), // cast once here, not in every block
        causal: this.prefix === 'decoder',
        memory: opts.memory,
        memoryPadding: f32(opts.memoryMask),
      };
      let h = dropout(embedded, this.cfg.dropout, ctx);
      for (const block of this.blocks) h = block.apply(h, ctx, { selfBias, ...masks }); // [B, T, C]
      return dropout(this.finalNorm.apply(h), this.cfg.dropout, ctx);
    });
  }
}

export interface T5Batch {
  /** int32 [B, S] encoder tokens. */
  inputIds: tf.Tensor2D;
  /** [B, S], 1 for real tokens and 0 for padding. */
  attentionMask: tf.Tensor2D;
  /** int32 [B, T] targets; negative (e.g. -100) at padding, ignored by the loss. */
  labels: tf.Tensor2D;
}

export class T5 {
  readonly params: ParamStore;
  readonly shared: TokenEmbedding;
  readonly encoder: T5Stack;
  readonly decoder: T5Stack;

  constructor(
    readonly config: T5Config,
    seed: number,
  ) {
    this.params = new ParamStore(Rng.derive(seed, 't5/init'));
    // Mesh TF / HF init (factor 1): the embedding is N(0, 1); the output is rescaled by dModel^-0.5 instead.
    this.shared = new TokenEmbedding(this.params, 'shared.weight', config.vocabSize, config.dModel, 1.0);
    this.encoder = new T5Stack(this.params, 'encoder', config);
    this.decoder = new T5Stack(this.params, 'decoder', config);
  }

  /** inputIds int32 [B, S], attentionMask [B, S] -> encoder output [B, S, C]. */
  encode(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, ctx: ForwardContext = inference()): tf.Tensor3D {
    if (inputIds.shape.join() !== attentionMask.shape.join()) {
      throw new Error(
        `inputIds ${JSON.stringify(inputIds.shape)} and attentionMask ${JSON.stringify(attentionMask.shape)} differ in shape`,
      );
    }
    return tf.tidy(() => this.encoder.apply(this.shared.apply(inputIds), ctx, { mask: attentionMask }));
  }

  /** decoderInputIds int32 [B, T], encoderOut [B, S, C], encoderMask [B, S] -> logits [B, T, V]. */
  decode(
    decoderInputIds: tf.Tensor2D,
    encoderOut: tf.Tensor3D,
    encoderMask: tf.Tensor2D,
    ctx: ForwardContext = inference(),
  ): tf.Tensor3D {
    return tf.tidy(() =>
      this.shared.project(this.decodeHidden(decoderInputIds, encoderOut, encoderMask, ctx)),
    ); // [B, T, V]
  }

  /** The decoder's output before the tied projection, rescaled by dModel^-0.5 (T5 v1.0): [B, T, C]. */
  private decodeHidden(
    decoderInputIds: tf.Tensor2D,
    encoderOut: tf.Tensor3D,
    encoderMask: tf.Tensor2D,
    ctx: ForwardContext,
  ): tf.Tensor3D {
    return tf.tidy(() => {
      const h = this.decoder.apply(this.shared.apply(decoderInputIds), ctx, {
        memory: encoderOut,
        memoryMask: encoderMask,
      }); // [B, T, C]
      return tf.mul(h, this.config.dModel ** -0.5) as tf.Tensor3D;
    });
  }

  /** Decoder inputs for teacher forcing: [decoderStartId, labels[:, :-1]], ignored (negative) labels -> padId. */
  shiftRight(labels: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [B, T] = labels.shape;
      const start = tf.fill([B, 1], this.config.decoderStartId, 'int32');
      if (T === 1) return start as tf.Tensor2D;
      const shifted = tf.concat([start, tf.slice(tf.cast(labels, 'int32'), [0, 0], [B, T - 1])], 1); // [B, T]
      return tf.where(
        tf.less(shifted, 0),
        tf.fill([B, T], this.config.padId, 'int32'),
        shifted,
      ) as tf.Tensor2D;
    });
  }

  /** Mean cross-entropy over the labels that are not negative. */
  loss(batch: T5Batch, ctx: ForwardContext = inference()): tf.Scalar {
    return tf.tidy(() => {
      const { inputIds, attentionMask, labels } = batch;
      if (labels.shape[0] !== inputIds.shape[0])
        throw new Error(`labels batch ${labels.shape[0]} differs from inputIds batch ${inputIds.shape[0]}`);
      const encoderOut = this.encode(inputIds, attentionMask, ctx); // [B, S, C]
      const h = this.decodeHidden(this.shiftRight(labels), encoderOut, attentionMask, ctx); // [B, T, C]
      // logits = h @ shared^T, fused with the loss (only labelled rows are projected)
      return ops.vocabCrossEntropy(h, this.shared.weight as tf.Tensor2D, tf.cast(labels, 'int32'));
    });
  }

  /** Next-token log-probabilities for decoder prefixes, against a fixed encoder output (one row per prefix). */
  private stepper(encoderOut: tf.Tensor3D, encoderMask: tf.Tensor2D): NextLogProbs {
    const V = this.config.vocabSize;
    return async (prefixes) => {
      const rows = prefixes.length;
      const t = prefixes[0].length;
      const lp = tf.tidy(() => {
        const ids = tf.tensor2d(Int32Array.from(prefixes.flat()), [rows, t], 'int32');
        const logits = this.decode(ids, encoderOut, encoderMask); // [rows, t, V]
        return tf.logSoftmax(tf.reshape(tf.slice(logits, [0, t - 1, 0], [rows, 1, V]), [rows, V]), -1); // [rows, V]
      });
      const data = (await lp.data()) as Float32Array;
      lp.dispose();
      return data;
    };
  }

  private searchTokens(): SearchTokens {
    const { vocabSize, decoderStartId, eosId, padId } = this.config;
    return { vocabSize, decoderStartId, eosId, padId };
  }

  /**
   * Greedy decoding (see greedySearch) of inputIds [B, S] with attentionMask [B, S]. The decoder
   * reruns on the whole prefix each step (no key/value cache): simple, and fine at this lab's sizes.
   */
  async greedy(
    inputIds: tf.Tensor2D,
    attentionMask: tf.Tensor2D,
    opts: { maxLength: number },
  ): Promise<Int32Array[]> {
    const encoderOut = this.encode(inputIds, attentionMask); // [B, S, C]
    try {
      return await greedySearch(
        this.stepper(encoderOut, attentionMask),
        inputIds.shape[0],
        this.searchTokens(),
        opts.maxLength,
      );
    } finally {
      encoderOut.dispose();
    }
  }

  /** Beam-search decoding (see beamSearch) of inputIds [B, S] with attentionMask [B, S]. */
  async beamSearch(
    inputIds: tf.Tensor2D,
    attentionMask: tf.Tensor2D,
    opts: BeamSearchOptions,
  ): Promise<{ ids: Int32Array[]; scores: number[] }> {
    const K = opts.beamSize;
    if (!Number.isInteger(K) || K < 1) throw new Error(`beamSize must be a positive integer, got ${K}`);
    const B = inputIds.shape[0];
    // Row b's beams are decoder rows b*K .. b*K+K-1, each reading encoder row b.
    const { encoderOut, encoderMask } = tf.tidy(() => {
      const rows = tf.tensor1d(
        Int32Array.from({ length: B * K }, (_, i) => Math.floor(i / K)),
        'int32',
      );
      const enc = this.encode(inputIds, attentionMask); // [B, S, C]
      return {
        encoderOut: tf.gather(enc, rows) as tf.Tensor3D,
        encoderMask: tf.gather(attentionMask, rows) as tf.Tensor2D,
      }; // [B*K, S, C], [B*K, S]
    });
    try {
      return await beamSearch(this.stepper(encoderOut, encoderMask), B, this.searchTokens(), opts);
    } finally {
      tf.dispose([encoderOut, encoderMask]);
    }
  }

  dispose(): void {
    this.params.dispose();
  }
}

/**
 * Next-token log-probabilities [rows * vocabSize] for each row's prefix (all prefixes have the
 * same length and start with decoderStartId). Decoding is written against this, not the model,
 * so its bookkeeping is tested on toy distributions too.
 */
export type NextLogProbs = (prefixes: number[][]) => Promise<Float32Array>;

export interface SearchTokens {
  vocabSize: number;
  decoderStartId: number;
  eosId: number;
  padId: number;
}

export interface BeamSearchOptions {
  beamSize: number;
  /** Most tokens generated per sequence, EOS included. */
  maxLength: number;
  /** Finished hypotheses rank by sumLogProb / length^lengthPenalty (T5 used 0.6); default 0 = raw sums. */
  lengthPenalty?: number;
}

/**
 * Greedy decoding: the most likely next token (first on ties) until EOS or maxLength tokens.
 * Returns the generated ids per row, without the start token, with the EOS when one came.
 */
export async function greedySearch(
  next: NextLogProbs,
  rows: number,
  tokens: SearchTokens,
  maxLength: number,
): Promise<Int32Array[]> {
  if (!Number.isInteger(maxLength) || maxLength < 1)
    throw new Error(`maxLength must be a positive integer, got ${maxLength}`);
  const V = tokens.vocabSize;
  const prefixes = Array.from({ length: rows }, () => [tokens.decoderStartId]);
  const out: number[][] = Array.from({ length: rows }, () => []);
  const done = new Array<boolean>(rows).fill(false);
  for (let step = 0; step < maxLength && done.includes(false); step++) {
    const lp = await next(prefixes);
    for (let b = 0; b < rows; b++) {
      if (done[b]) {
        prefixes[b].push(tokens.padId); // keeps the batch rectangular; causal, so harmless
        continue;
      }
      const token = argmax(lp, b * V, V);
      prefixes[b].push(token);
      out[b].push(token);
      if (token === tokens.eosId) done[b] = true;
    }
  }
  return out.map((ids) => Int32Array.from(ids));
}

/**
 * Beam search with beamSize live hypotheses per row; `next` sees rows * beamSize prefixes, row
 * b's beams at b*beamSize .. b*beamSize+beamSize-1. Each step every live beam is extended by
 * every token and the best 2 * beamSize candidates by summed log-probability are walked in
 * order: an EOS among the first beamSize of them finishes a hypothesis (scored
 * sum / length^lengthPenalty, length counting the EOS), other tokens fill the next live beams.
 * A row is done once it holds beamSize finished hypotheses and its best live beam, scored at the
 * current length, is no better than the worst of them (Hugging Face's BeamHypotheses.is_done
 * without early stopping); at maxLength the live beams count as finished. At beamSize 1 this is
 * greedySearch: an EOS that wins a step ends the row, because the runner-up scores lower at the
 * same length. Returns the best hypothesis per row (ids without the start token) and its score.
 */
export async function beamSearch(
  next: NextLogProbs,
  rows: number,
  tokens: SearchTokens,
  opts: BeamSearchOptions,
): Promise<{ ids: Int32Array[]; scores: number[] }> {
  const { eosId, padId, decoderStartId, vocabSize: V } = tokens;
  const K = opts.beamSize;
  const alpha = opts.lengthPenalty ?? 0;
  if (!Number.isInteger(K) || K < 1) throw new Error(`beamSize must be a positive integer, got ${K}`);
  if (!Number.isInteger(opts.maxLength) || opts.maxLength < 1)
    throw new Error(`maxLength must be a positive integer, got ${opts.maxLength}`);
  const normalize = (score: number, length: number) => score / length ** alpha;
  type Hyp = { tokens: number[]; score: number };
  // Only beam 0 starts live, so the first step does not pick the same token K times.
  const live: Hyp[][] = Array.from({ length: rows }, () =>
    Array.from({ length: K }, (_, k) => ({ tokens: [decoderStartId], score: k === 0 ? 0 : -Infinity })),
  );
  const finished: Hyp[][] = Array.from({ length: rows }, () => []);
  const done = new Array<boolean>(rows).fill(false);
  const addFinished = (b: number, hyp: Hyp) => {
    const list = finished[b];
    if (list.length < K) list.push(hyp);
    else {
      let worst = 0;
      for (let i = 1; i < K; i++) if (list[i].score < list[worst].score) worst = i;
      if (hyp.score > list[worst].score) list[worst] = hyp;
    }
  };
  for (let step = 1; step <= opts.maxLength && done.includes(false); step++) {
    const lp = await next(live.flat().map((h) => h.tokens)); // [rows * K * V]
    for (let b = 0; b < rows; b++) {
      if (done[b]) {
        for (const h of live[b]) h.tokens.push(padId);
        continue;
      }
      const candidates = new Float64Array(K * V);
      for (let k = 0; k < K; k++) {
        const base = live[b][k].score;
        const row = (b * K + k) * V;
        for (let v = 0; v < V; v++) candidates[k * V + v] = base + lp[row + v];
      }
      const nextLive: Hyp[] = [];
      const top = topIndices(candidates, 2 * K);
      for (let rank = 0; rank < top.length && nextLive.length < K; rank++) {
        const k = Math.floor(top[rank] / V);
        const token = top[rank] % V;
        const hyp = { tokens: [...live[b][k].tokens, token], score: candidates[top[rank]] };
        if (token === eosId) {
          if (rank < K) addFinished(b, { tokens: hyp.tokens, score: normalize(hyp.score, step) });
        } else nextLive.push(hyp);
      }
      // Fewer than K live candidates only happens when the vocabulary is tinier than the beam.
      while (nextLive.length < K) nextLive.push({ tokens: [...live[b][0].tokens, padId], score: -Infinity });
      live[b] = nextLive;
      if (
        finished[b].length >= K &&
        Math.min(...finished[b].map((h) => h.score)) >= normalize(nextLive[0].score, step)
      )
        done[b] = true;
    }
  }
  const ids: Int32Array[] = [];
  const scores: number[] = [];
  for (let b = 0; b < rows; b++) {
    if (!done[b])
      for (const h of live[b])
        if (h.score > -Infinity)
          addFinished(b, { tokens: h.tokens, score: normalize(h.score, h.tokens.length - 1) });
    let best = finished[b][0];
    for (const h of finished[b]) if (h.score > best.score) best = h;
    ids.push(Int32Array.from(best.tokens.slice(1)));
    scores.push(best.score);
  }
  return { ids, scores };
}

/** Index of the largest of values[offset .. offset+n), the first on ties. */
function argmax(values: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (values[offset + i] > values[offset + best]) best = i;
  return best;
}

/** Indices of the n largest values, largest first, lower index first on ties. */
function topIndices(values: Float64Array, n: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (top.length === n && !(v > values[top[n - 1]])) continue;
    let j = top.length === n ? n - 1 : top.length;
    while (j > 0 && v > values[top[j - 1]]) j--;
    top.splice(j, 0, i);
    if (top.length > n) top.pop();
  }
  return top;
}
