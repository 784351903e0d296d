import { ops } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import type { ParamStore } from './params.js';

/** Token embedding table [vocabSize, dModel]; also serves as the tied output projection. */
export class TokenEmbedding {
  readonly weight: tf.Variable;
  constructor(
    store: ParamStore,
    name: string,
    readonly vocabSize: number,
    readonly dModel: number,
    std = 0.02,
  ) {
    this.weight = store.create(name, [vocabSize, dModel], { kind: 'normal', std });
  }
  /** ids int32 [B, T] -> [B, T, dModel]. */
  apply(ids: tf.Tensor2D): tf.Tensor3D {
    return ops.embedding(this.weight as tf.Tensor2D, ids) as tf.Tensor3D;
  }
  /** h [B, T, dModel] -> logits [B, T, vocabSize], using this table as the output matrix. */
  project(h: tf.Tensor3D): tf.Tensor3D {
    return ops.projectToVocab(h, this.weight as tf.Tensor2D) as tf.Tensor3D;
  }
}

/** Learned absolute position embedding [maxLen, dModel] (GPT-2, BERT). */
export class PositionEmbedding {
  readonly weight: tf.Variable;
  constructor(
    store: ParamStore,
    name: string,
    readonly maxLen: number,
    readonly dModel: number,
    std = 0.01,
  ) {
    this.weight = store.create(name, [maxLen, dModel], { kind: 'normal', std });
  }
  /** Positions 0..T-1 -> [T, dModel], broadcast over the batch by the caller. */
  apply(T: number): tf.Tensor2D {
    if (T > this.maxLen) throw new Error(`sequence length ${T} exceeds the position table (${this.maxLen})`);
    return tf.slice(this.weight, [0, 0], [T, this.dModel]) as tf.Tensor2D; // [T, C]
  }
}
