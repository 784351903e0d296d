/**
 * GPT: a decoder-only Transformer trained by next-token prediction (Radford et al. 2018/2019).
 * Reads top to bottom like nanoGPT's model.py: config, then the model built from the layers
 * package (token + learned position embeddings, pre-norm causal blocks, final LayerNorm, and
 * an output projection tied to the token embedding or separate). Parameter names and layouts
 * are Hugging Face's GPT-2 (`transformer.h.0.attn.c_attn.weight`, Conv1D weights [in, out]), so
 * `pnpm lab export --format hf` writes weights as they are.
 */

import {
  type ForwardContext,
  inference,
  LayerNorm,
  ParamStore,
  PositionEmbedding,
  TokenEmbedding,
  TransformerBlock,
} from '@pretrain-lab/layers';
import { ops, Rng } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';

export interface GPTConfig {
  vocabSize: number;
  /** Context length (the position table's size). */
  seqLen: number;
  dModel: number;
  numLayers: number;
  numHeads: number;
  /** Feed-forward width; GPT-2 uses 4 * dModel. */
  dFF: number;
  /** Output projection shares the token embedding (GPT-2 does). */
  tieEmbeddings: boolean;
  dropout: number;
  layerNormEps: number;
}

export const GPT_DEFAULTS: Omit<GPTConfig, 'vocabSize' | 'seqLen' | 'dModel' | 'numLayers' | 'numHeads'> = {
  dFF: 0, // 0 means 4 * dModel
  tieEmbeddings: true,
  dropout: 0,
  layerNormEps: 1e-5,
};

export function resolveGPTConfig(
  partial: Partial<GPTConfig> & Pick<GPTConfig, 'vocabSize' | 'seqLen' | 'dModel' | 'numLayers' | 'numHeads'>,
): GPTConfig {
  const cfg = { ...GPT_DEFAULTS, ...partial };
  if (!cfg.dFF) cfg.dFF = 4 * cfg.dModel;
  for (const key of ['vocabSize', 'seqLen', 'dModel', 'numLayers', 'numHeads', 'dFF'] as const) {
    if (!Number.isInteger(cfg[key]) || cfg[key] < 1)
      throw new Error(`GPT config: ${key} must be a positive integer, got ${cfg[key]}`);
  }
  if (cfg.dModel % cfg.numHeads !== 0)
    throw new Error(`GPT config: dModel ${cfg.dModel} is not divisible by numHeads ${cfg.numHeads}`);
  return cfg;
}

export class GPT {
  readonly params: ParamStore;
  readonly wte: TokenEmbedding;
  readonly wpe: PositionEmbedding;
  readonly blocks: TransformerBlock[];
  readonly lnF: LayerNorm;
  /** Untied output matrix [vocabSize, dModel]; null when tied to wte. */
  readonly lmHead: tf.Variable | null;

  constructor(
    readonly config: GPTConfig,
    seed: number,
  ) {
    const c = config;
    // GPT-2 init: N(0, 0.02) everywhere, residual projections scaled by 1/sqrt(2 * numLayers).
    this.params = new ParamStore(Rng.derive(seed, 'gpt/init'));
    const projStd = 0.02 / Math.sqrt(2 * c.numLayers);
    this.wte = new TokenEmbedding(this.params, 'transformer.wte.weight', c.vocabSize, c.dModel, 0.02);
    this.wpe = new PositionEmbedding(this.params, 'transformer.wpe.weight', c.seqLen, c.dModel, 0.01);
    this.blocks = [];
    for (let i = 0; i < c.numLayers; i++) {
      this.blocks.push(
        new TransformerBlock(this.params, `transformer.h.${i}`, {
          dModel: c.dModel,
          numHeads: c.numHeads,
          dFF: c.dFF,
          causal: true,
          preNorm: true,
          dropout: c.dropout,
          layerNormEps: c.layerNormEps,
          projStd,
        }),
      );
    }
    this.lnF = new LayerNorm(this.params, 'transformer.ln_f', c.dModel, c.layerNormEps);
    this.lmHead = c.tieEmbeddings
      ? null
      : this.params.create('lm_head.weight', [c.vocabSize, c.dModel], { kind: 'normal', std: 0.02 });
  }

  /** ids int32 [B, T] -> final hidden states ln_f(x) [B, T, C]. */
  hidden(ids: tf.Tensor2D, ctx: ForwardContext = inference()): tf.Tensor3D {
    return tf.tidy(() => {
      const [, T] = ids.shape;
      if (T > this.config.seqLen)
        throw new Error(`input length ${T} exceeds the context length ${this.config.seqLen}`);
      let x = ops.embed(this.wte.weight as tf.Tensor2D, ids, this.wpe.weight as tf.Tensor2D); // [B, T, C]: wte[ids] + wpe[t]
      if (ctx.training && this.config.dropout > 0)
        x = tf.dropout(x, this.config.dropout, undefined, ctx.seed) as tf.Tensor3D;
      // Pre-norm blocks; each residual add is fused with the next LayerNorm (the last with ln_f).
      let n = (this.blocks.length > 0 ? this.blocks[0].ln1 : this.lnF).apply(x); // [B, T, C]
      for (let i = 0; i < this.blocks.length; i++) {
        const next = i + 1 < this.blocks.length ? this.blocks[i + 1].ln1 : this.lnF;
        const out = this.blocks[i].applyPreNorm(x, n, next, ctx);
        x = out.x;
        n = out.n!;
      }
      return n; // ln_f(x)
    });
  }

  /** The output matrix [vocabSize, dModel]: wte when tied, lm_head otherwise. */
  private outputTable(): tf.Tensor2D {
    return (this.lmHead ?? this.wte.weight) as tf.Tensor2D;
  }

  /** ids int32 [B, T] -> logits [B, T, vocabSize]. */
  forward(ids: tf.Tensor2D, ctx: ForwardContext = inference()): tf.Tensor3D {
    return tf.tidy(() => ops.projectToVocab(this.hidden(ids, ctx), this.outputTable()) as tf.Tensor3D);
  }

  /**
   * Mean next-token cross-entropy. inputs, targets: int32 [B, T]; targets < 0 are ignored.
   * The projection onto the vocabulary and the loss are one fused op (no logits kept around).
   */
  loss(inputs: tf.Tensor2D, targets: tf.Tensor2D, ctx: ForwardContext = inference()): tf.Scalar {
    return tf.tidy(() => ops.vocabCrossEntropy(this.hidden(inputs, ctx), this.outputTable(), targets));
  }

  /** Per-token log-probabilities of `ids[1:]` given their prefixes (one sequence). */
  async scoreTokens(ids: Int32Array): Promise<{ logProbs: Float32Array; meanLoss: number }> {
    if (ids.length < 2) throw new Error('scoring needs at least two tokens');
    const T = Math.min(ids.length - 1, this.config.seqLen);
    const logProbs = new Float32Array(ids.length - 1);
    // Slide a window of the context length; each window scores its tokens after the first.
    for (let start = 0; start < ids.length - 1; start += T) {
      const end = Math.min(start + T, ids.length - 1);
      const ctxStart = Math.max(0, end - this.config.seqLen);
      const window = ids.subarray(ctxStart, end);
      const lp = tf.tidy(() => {
        const logits = this.forward(tf.tensor2d(window, [1, window.length], 'int32')); // [1, W, V]
        return tf.logSoftmax(tf.squeeze(logits, [0]), -1); // [W, V]
      });
      const values = (await lp.data()) as Float32Array;
      lp.dispose();
      const V = this.config.vocabSize;
      for (let i = start; i < end; i++) logProbs[i] = values[(i - ctxStart) * V + ids[i + 1]];
    }
    let sum = 0;
    for (const v of logProbs) sum -= v;
    return { logProbs, meanLoss: sum / logProbs.length };
  }

  /** Sample `maxNewTokens` continuations with temperature and optional top-k; greedy at temperature 0. */
  async generate(
    prompt: Int32Array,
    opts: { maxNewTokens: number; temperature?: number; topK?: number; seed: number; stopToken?: number },
  ): Promise<Int32Array> {
    const rng = Rng.derive(opts.seed, 'gpt/generate');
    const out = Array.from(prompt);
    const temperature = opts.temperature ?? 1;
    for (let n = 0; n < opts.maxNewTokens; n++) {
      const window = Int32Array.from(out.slice(-this.config.seqLen));
      const last = tf.tidy(() => {
        const logits = this.forward(tf.tensor2d(window, [1, window.length], 'int32')); // [1, W, V]
        return tf.squeeze(tf.slice(logits, [0, window.length - 1, 0], [1, 1, -1])); // [V]
      });
      const logits = Float32Array.from((await last.data()) as Float32Array);
      last.dispose();
      const next = sampleFromLogits(logits, temperature, opts.topK, rng);
      out.push(next);
      if (opts.stopToken !== undefined && next === opts.stopToken) break;
    }
    return Int32Array.from(out);
  }

  dispose(): void {
    this.params.dispose();
  }
}

export function sampleFromLogits(
  logits: Float32Array,
  temperature: number,
  topK: number | undefined,
  rng: Rng,
): number {
  if (temperature <= 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  const idx = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
  const keep = topK && topK > 0 ? idx.slice(0, topK) : idx;
  const max = logits[keep[0]];
  const weights = keep.map((i) => Math.exp((logits[i] - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let r = rng.float() * total;
  for (let j = 0; j < keep.length; j++) {
    r -= weights[j];
    if (r <= 0) return keep[j];
  }
  return keep[keep.length - 1];
}
