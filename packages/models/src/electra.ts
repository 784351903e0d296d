/**
 * ELECTRA (Clark et al. 2020): replaced token detection. A small masked-LM generator fills the
 * masked positions with tokens it samples; a discriminator reads the result and predicts, for
 * every real token, whether it was replaced. Both are BERT encoders that share the embeddings
 * (token, position and type tables, as ELECTRA shares them, section 3.2), trained jointly on
 *
 *     loss = mlm(generator) + discWeight * bce(discriminator over the real tokens)   (weight 50)
 *
 * The sample is taken from the generator's softmax with our seeded Rng (a function of the
 * forward context's seed: a step's sample is the same after a resume) and carries no gradient,
 * as in the paper. The discriminator's inputs come from objectives' replacedTokenDetection, so a
 * sample equal to the original counts as "original". The generator has the discriminator's
 * width (so the tables are shared as they are; ELECTRA's smaller generators add a projection)
 * and fewer layers or a narrower feed-forward. After pretraining the discriminator is the model:
 * `encode` is its encoder, as ElectraModel's.
 *
 * Names follow Hugging Face's ElectraForPreTraining / ElectraForMaskedLM split into one store:
 * `electra.embeddings.*` (shared), `generator.encoder.layer.i.*`, `generator_predictions.*`,
 * `discriminator.encoder.layer.i.*`, `discriminator_predictions.*`.
 */

import {
  type ForwardContext,
  inference,
  LayerNorm,
  Linear,
  ParamStore,
  TransformerBlock,
} from '@pretrain-lab/layers';
import { replacedTokenDetection } from '@pretrain-lab/objectives';
import { Rng } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { type BERTConfig, BERTEmbeddings, BERTMLMHead, bertBlockConfig, resolveBERTConfig } from './bert.js';

export interface ElectraConfig {
  /** The discriminator: a BERT encoder config (its pretraining heads are ELECTRA's own). */
  discriminator: BERTConfig;
  /** The generator's depth and widths; its dModel is the discriminator's. */
  generator: { numLayers: number; numHeads: number; dFF: number };
  /** Weight of the discriminator's loss (the paper's lambda, 50). */
  discWeight: number;
}

export function resolveElectraConfig(
  disc: Parameters<typeof resolveBERTConfig>[0],
  generator: ElectraConfig['generator'],
  discWeight = 50,
): ElectraConfig {
  const discriminator = resolveBERTConfig({ ...disc, nsp: false, pretrainingHeads: false });
  for (const k of ['numLayers', 'numHeads', 'dFF'] as const)
    if (!Number.isInteger(generator[k]) || generator[k] < 1)
      throw new Error(`ELECTRA config: generator.${k} must be a positive integer, got ${generator[k]}`);
  if (discriminator.dModel % generator.numHeads !== 0)
    throw new Error(
      `ELECTRA config: dModel ${discriminator.dModel} is not divisible by generator.numHeads ${generator.numHeads}`,
    );
  if (discriminator.embeddingSize !== discriminator.dModel)
    throw new Error('ELECTRA config: factorized embeddings (embeddingSize != dModel) are not supported');
  if (!(discWeight > 0)) throw new Error(`ELECTRA config: discWeight must be positive, got ${discWeight}`);
  return { discriminator, generator: { ...generator }, discWeight };
}

/** One pretraining batch, all int32 [B, T]: MLM-corrupted ids, MLM labels (-100 = not masked). */
export interface ElectraBatch {
  inputIds: tf.Tensor2D;
  mlmLabels: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
}

export interface ElectraLoss {
  loss: tf.Scalar;
  mlmLoss: tf.Scalar;
  discLoss: tf.Scalar;
  /** Fraction of real tokens the discriminator gets right (a number, for logging). */
  discAccuracy: number;
  /** Fraction of masked positions where the generator's sample differs from the original. */
  replacedFraction: number;
}

interface Stack {
  layers: TransformerBlock[];
  lnF: LayerNorm | null;
}

export class Electra {
  readonly params: ParamStore;
  readonly embeddings: BERTEmbeddings;
  readonly generator: Stack;
  readonly generatorHead: BERTMLMHead;
  readonly discriminator: Stack;
  readonly discDense: Linear;
  readonly discPrediction: Linear;
  /** The discriminator's config, for checkpoints (`train` records model.config). */
  readonly config: BERTConfig & { generator: ElectraConfig['generator']; discWeight: number };

  constructor(
    readonly electra: ElectraConfig,
    seed: number,
  ) {
    const d = electra.discriminator;
    const g = resolveBERTConfig({ ...d, ...electra.generator });
    this.config = { ...d, generator: electra.generator, discWeight: electra.discWeight };
    // BERT's init (N(0, 0.02), biases 0, norm gains 1), as ELECTRA's.
    this.params = new ParamStore(Rng.derive(seed, 'electra/init'));
    this.embeddings = new BERTEmbeddings(this.params, 'electra.embeddings', d);
    this.generator = this.stack('generator', g);
    this.generatorHead = new BERTMLMHead(this.params, 'generator_predictions', g, this.embeddings.word);
    this.discriminator = this.stack('discriminator', d);
    this.discDense = new Linear(this.params, 'discriminator_predictions.dense', d.dModel, d.dModel);
    this.discPrediction = new Linear(this.params, 'discriminator_predictions.dense_prediction', d.dModel, 1);
  }

  private stack(prefix: string, c: BERTConfig): Stack {
    const layers = Array.from(
      { length: c.numLayers },
      (_, i) => new TransformerBlock(this.params, `${prefix}.encoder.layer.${i}`, bertBlockConfig(c)),
    );
    const lnF = c.preNorm
      ? new LayerNorm(this.params, `${prefix}.encoder.ln_f`, c.dModel, c.layerNormEps)
      : null;
    return { layers, lnF };
  }

  private run(s: Stack, ids: tf.Tensor2D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
    return tf.tidy(() => {
      const T = ids.shape[1];
      if (T > this.config.maxLen) throw new Error(`input length ${T} exceeds maxLen ${this.config.maxLen}`);
      let x = this.embeddings.apply(ids, tf.zerosLike(ids) as tf.Tensor2D, ctx); // [B, T, C]
      const keyPadding = mask ?? undefined;
      for (const layer of s.layers) x = layer.apply(x, ctx, { keyPadding }); // [B, T, C]
      return s.lnF ? s.lnF.apply(x) : x;
    });
  }

  /** The discriminator's last hidden states [B, T, C] (the pretrained encoder). */
  encode(
    inputIds: tf.Tensor2D,
    _tokenTypeIds: tf.Tensor2D | null = null,
    attentionMask: tf.Tensor2D | null = null,
    ctx: ForwardContext = inference(),
  ): tf.Tensor3D {
    return this.run(this.discriminator, inputIds, attentionMask, ctx);
  }

  /** Discriminator logits [B, T]: dense + GELU + dense to one "replaced" logit per token. */
  discLogits(hidden: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => {
      const h = this.discDense.apply(hidden, { activation: 'gelu' }) as tf.Tensor3D;
      return tf.squeeze(this.discPrediction.apply(h), [2]) as tf.Tensor2D;
    });
  }

  /**
   * The joint loss of one batch. `samples` (one token per masked position, ascending) replaces
   * the generator's draw, for parity tests; otherwise it draws from Rng.derive(ctx.seed, ...).
   */
  pretrainLoss(batch: ElectraBatch, ctx: ForwardContext = inference(), samples?: Int32Array): ElectraLoss {
    const [B, T] = batch.inputIds.shape;
    const C = this.config.dModel;
    const V = this.config.vocabSize;
    const labels = batch.mlmLabels.dataSync() as Int32Array;
    const picked: number[] = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] >= 0) picked.push(i);
    const rows = tf.tensor1d(picked.length ? picked : [0], 'int32');
    // Generator: MLM over the masked positions, and its logits there for the sample.
    const [mlmLoss, logits] = tf.tidy(() => {
      const h = this.run(this.generator, batch.inputIds, batch.attentionMask, ctx); // [B, T, C]
      const hPicked = tf.gather(tf.reshape(h, [-1, C]), rows) as tf.Tensor2D; // [M, C]
      const pickedLabels = tf.gather(tf.reshape(batch.mlmLabels, [-1]), rows);
      const loss = picked.length
        ? this.generatorHead.loss(hPicked, pickedLabels)
        : (tf.mul(tf.sum(hPicked), 0) as tf.Scalar);
      return [loss, this.generatorHead.apply(hPicked)] as [tf.Scalar, tf.Tensor2D]; // [M, V]
    });
    const draw = samples ?? sampleRows(logits, V, Rng.derive(ctx.seed, 'electra/generator-sample'));
    logits.dispose();
    rows.dispose();
    const rtd = replacedTokenDetection(
      { inputs: batch.inputIds.dataSync() as Int32Array, labels },
      picked.length ? draw : new Int32Array(0),
    );
    const mask = batch.attentionMask.dataSync();
    let replaced = 0;
    for (const i of picked) replaced += rtd.labels[i];
    const [discLoss, probs] = tf.tidy(() => {
      const ids = tf.tensor2d(rtd.inputs, [B, T], 'int32');
      const y = tf.tensor2d(Float32Array.from(rtd.labels), [B, T]);
      const m = tf.cast(batch.attentionMask, 'float32');
      const z = this.discLogits(this.run(this.discriminator, ids, batch.attentionMask, ctx)); // [B, T]
      // Binary cross-entropy with logits, stable form: max(z, 0) - z y + log(1 + exp(-|z|)).
      const bce = tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
      const loss = tf.div(tf.sum(tf.mul(bce, m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
      return [loss, tf.sigmoid(z)] as [tf.Scalar, tf.Tensor2D];
    });
    const p = probs.dataSync();
    probs.dispose();
    let right = 0;
    let real = 0;
    for (let i = 0; i < p.length; i++) {
      if (!mask[i]) continue;
      real++;
      if ((p[i] > 0.5 ? 1 : 0) === rtd.labels[i]) right++;
    }
    const loss = tf.tidy(() => tf.add(mlmLoss, tf.mul(discLoss, this.electra.discWeight)) as tf.Scalar);
    return {
      loss,
      mlmLoss,
      discLoss,
      discAccuracy: real ? right / real : 0,
      replacedFraction: picked.length ? replaced / picked.length : 0,
    };
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** One token per row of logits [M, V], drawn from softmax(logits) with `rng`. */
function sampleRows(logits: tf.Tensor2D, V: number, rng: Rng): Int32Array {
  const z = logits.dataSync();
  const M = z.length / V;
  const out = new Int32Array(M);
  for (let r = 0; r < M; r++) {
    let max = -Infinity;
    for (let j = 0; j < V; j++) max = Math.max(max, z[r * V + j]);
    let total = 0;
    for (let j = 0; j < V; j++) total += Math.exp(z[r * V + j] - max);
    let u = rng.float() * total;
    let pick = V - 1;
    for (let j = 0; j < V; j++) {
      u -= Math.exp(z[r * V + j] - max);
      if (u <= 0) {
        pick = j;
        break;
      }
    }
    out[r] = pick;
  }
  return out;
}
