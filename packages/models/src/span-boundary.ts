/**
 * SpanBERT's span boundary objective head (Joshi et al. 2020, section 3.2): each token x_i of a
 * masked span x_s..x_e is predicted from the encoder's outputs at the two boundary tokens and
 * a learned embedding of its position in the span,
 *
 *     h0 = [x_{s-1}; x_{e+1}; p_{i-s+1}]
 *     h1 = LayerNorm(GeLU(W1 h0))      h2 = LayerNorm(GeLU(W2 h1))
 *     logits = h2 @ E^T + b            (E: the token embedding, tied as the MLM decoder is)
 *
 * and its loss, the mean cross-entropy over the span tokens that have both boundaries, is added
 * to the MLM loss (L = L_MLM + L_SBO). GeLU is the tanh form, as everywhere in this project
 * (SpanBERT's code uses the erf form). Targets come from objectives' spanBoundaryTargets.
 * Pinned against tools/reference/span_boundary.py (fixtures/span-boundary.json).
 *
 * Parameter names (prefix `cls.span_boundary`):
 *     position_embeddings   [maxSpanLength, C]   row k - 1 is the paper's p_k
 *     dense1.{weight [3C, C], bias}   LayerNorm1.{weight, bias} [C]
 *     dense2.{weight [C, E], bias}    LayerNorm2.{weight, bias} [E]   (E: the table's width, C but for ALBERT)
 *     bias                  [V]                  the output bias (the weights are E's)
 */
import { LayerNorm, Linear, type ParamStore } from '@pretrain-lab/layers';
import { ops } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';

/** SBO targets as tensors: flat indices into the [B * T] encoder rows, one entry per span token. */
export interface SpanBoundaryBatch {
  /** int32 [M]: row of the token before the span. */
  left: tf.Tensor1D;
  /** int32 [M]: row of the token after the span. */
  right: tf.Tensor1D;
  /** int32 [M]: the token's position in its span, 1 for the first (clipped to maxSpanLength). */
  position: tf.Tensor1D;
  /** int32 [M]: the original token. */
  targets: tf.Tensor1D;
}

export class SpanBoundaryHead {
  readonly positions: tf.Variable;
  readonly dense1: Linear;
  readonly norm1: LayerNorm;
  readonly dense2: Linear;
  readonly norm2: LayerNorm;
  readonly bias: tf.Variable;

  constructor(
    store: ParamStore,
    prefix: string,
    cfg: {
      dModel: number;
      embeddingSize: number;
      vocabSize: number;
      maxSpanLength: number;
      layerNormEps: number;
    },
  ) {
    const C = cfg.dModel;
    const E = cfg.embeddingSize;
    this.positions = store.create(`${prefix}.position_embeddings`, [cfg.maxSpanLength, C], {
      kind: 'normal',
      std: 0.02,
    });
    this.dense1 = new Linear(store, `${prefix}.dense1`, 3 * C, C);
    this.norm1 = new LayerNorm(store, `${prefix}.LayerNorm1`, C, cfg.layerNormEps);
    this.dense2 = new Linear(store, `${prefix}.dense2`, C, E);
    this.norm2 = new LayerNorm(store, `${prefix}.LayerNorm2`, E, cfg.layerNormEps);
    this.bias = store.create(`${prefix}.bias`, [cfg.vocabSize], { kind: 'zeros' });
  }

  /** The SBO loss of encoder outputs h [B, T, C] (or [B*T, C]) against `sbo`, tied to `table` [V, E]. */
  loss(h: tf.Tensor, sbo: SpanBoundaryBatch, table: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => {
      const C = h.shape[h.rank - 1];
      const rows = tf.reshape(h, [-1, C]) as tf.Tensor2D; // [B*T, C]
      const maxPos = this.positions.shape[0];
      const i32 = (v: number) => tf.scalar(v, 'int32');
      // row k - 1 for position k, positions past the table on its last row (int32 throughout:
      // tfjs-wasm's ClipByValue reads its input as float32)
      const pos = tf.sub(tf.minimum(tf.maximum(sbo.position, i32(1)), i32(maxPos)), i32(1)) as tf.Tensor1D;
      const h0 = tf.concat(
        [tf.gather(rows, sbo.left), tf.gather(rows, sbo.right), tf.gather(this.positions, pos)],
        1,
      ); // [M, 3C]
      const h1 = this.norm1.apply(this.dense1.apply(h0, { activation: 'gelu' })); // [M, C]
      const h2 = this.norm2.apply(this.dense2.apply(h1, { activation: 'gelu' })); // [M, E]
      return ops.vocabCrossEntropy(h2, table, sbo.targets, this.bias as tf.Tensor1D);
    });
  }
}
