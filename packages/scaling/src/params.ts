/**
 * Parameter, FLOP and compute counting for GPT-2-style decoder-only Transformers.
 *
 * Two non-embedding counts are kept apart on purpose:
 * - `nonEmbedding` is Kaplan et al. 2020 (Table 1): N = 2 * numLayers * dModel * (2 * dAttn + dFF),
 *   weights only, no biases or layer norms. With dAttn = dModel and dFF = 4 * dModel this is the
 *   familiar N = 12 * numLayers * dModel^2. Every scaling-law fit uses this N, so our exponents
 *   are comparable with the paper's.
 * - `nonEmbeddingWithBiases` is what the model actually holds outside the embeddings: every
 *   Linear's bias, every LayerNorm (including the final one). nanoGPT prints this number
 *   (GPT-ref: 793,344 vs Kaplan's 786,432).
 */

export interface ModelShape {
  vocabSize: number;
  seqLen: number;
  dModel: number;
  numLayers: number;
  /** Width of the MLP hidden layer; defaults to 4 * dModel. */
  dFF?: number;
  /** Width of the attention projections (all heads together); defaults to dModel. */
  dAttn?: number;
  /** Whether lm_head shares the token embedding matrix (GPT-2 does). */
  tieEmbeddings: boolean;
}

export interface ParamCount {
  /** Every trainable number: embeddings + blocks + final LayerNorm + (untied) lm_head. */
  total: number;
  /** Token embedding V*d + position embedding T*d + lm_head V*d when untied. */
  embedding: number;
  /** Kaplan's N: 2 * numLayers * dModel * (2 * dAttn + dFF), weights only. */
  nonEmbedding: number;
  /** Everything that is not an embedding or lm_head: weights, biases and LayerNorms. */
  nonEmbeddingWithBiases: number;
  tokenEmbedding: number;
  positionEmbedding: number;
  lmHead: number;
}

function checkShape(cfg: ModelShape): { d: number; dFF: number; dAttn: number } {
  const d = cfg.dModel;
  const dFF = cfg.dFF ?? 4 * d;
  const dAttn = cfg.dAttn ?? d;
  for (const [name, v] of Object.entries({
    vocabSize: cfg.vocabSize,
    seqLen: cfg.seqLen,
    dModel: d,
    numLayers: cfg.numLayers,
    dFF,
    dAttn,
  })) {
    if (!Number.isInteger(v) || v <= 0) {
      throw new Error(`countParams: ${name} must be a positive integer, got ${v}`);
    }
  }
  return { d, dFF, dAttn };
}

export function countParams(cfg: ModelShape): ParamCount {
  const { d, dFF, dAttn } = checkShape(cfg);
  const L = cfg.numLayers;
  const tokenEmbedding = cfg.vocabSize * d; // wte [V, d]
  const positionEmbedding = cfg.seqLen * d; // wpe [T, d]
  const lmHead = cfg.tieEmbeddings ? 0 : cfg.vocabSize * d; // [d, V], shared with wte when tied

  const perLayer =
    2 * d + // ln_1 (gain, bias)
    (d * 3 * dAttn + 3 * dAttn) + // attn.c_attn: q, k, v
    (dAttn * d + d) + // attn.c_proj
    2 * d + // ln_2
    (d * dFF + dFF) + // mlp.c_fc
    (dFF * d + d); // mlp.c_proj
  const lnF = 2 * d;
  const nonEmbeddingWithBiases = L * perLayer + lnF;
  // Kaplan Table 1: attention qkv 3*d*dAttn + projection dAttn*d, feedforward 2*d*dFF.
  const nonEmbedding = 2 * L * d * (2 * dAttn + dFF);
  const embedding = tokenEmbedding + positionEmbedding + lmHead;
  return {
    total: embedding + nonEmbeddingWithBiases,
    embedding,
    nonEmbedding,
    nonEmbeddingWithBiases,
    tokenEmbedding,
    positionEmbedding,
    lmHead,
  };
}

/**
 * Forward FLOPs per token, Kaplan Table 1: C_forward = 2N + 2 * numLayers * seqLen * dAttn.
 * The second term is the attention itself (QK^T scores and the weighted sum of values), which
 * does not depend on N but grows with the context; Kaplan count it at the full context length.
 * At small widths it is not negligible: for GPT-ref (d 128, T 128) it is 8% of the total.
 */
export function forwardFlopsPerToken(cfg: ModelShape): number {
  const { dAttn } = checkShape(cfg);
  const N = countParams(cfg).nonEmbedding;
  return 2 * N + 2 * cfg.numLayers * cfg.seqLen * dAttn;
}

/**
 * Training FLOPs per token: forward + backward = 3 * forward (the backward pass costs about
 * twice the forward), i.e. 6N + 6 * numLayers * seqLen * dAttn.
 * nanoGPT's MFU estimate uses 6N + 12 * numLayers * dModel * seqLen with N including biases;
 * that convention gives the "about 5.55 MFLOP per token" quoted for GPT-ref.
 */
export function flopsPerToken(cfg: ModelShape): number {
  return 3 * forwardFlopsPerToken(cfg);
}

/** Kaplan's C = 6 N D: training compute in FLOPs for N non-embedding params over `tokens`. */
export function trainingCompute(N: number, tokens: number): number {
  return 6 * N * tokens;
}

/** One petaflop/s-day: 1e15 FLOP/s for 86,400 s. */
export const FLOPS_PER_PF_DAY = 8.64e19;

export function flopsToPfDays(flops: number): number {
  return flops / FLOPS_PER_PF_DAY;
}

export function pfDaysToFlops(pfDays: number): number {
  return pfDays * FLOPS_PER_PF_DAY;
}
