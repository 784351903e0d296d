/**
 * BERT: a bidirectional Transformer encoder pretrained by masked language modelling and
 * next-sentence prediction (Devlin et al. 2019). Reads top to bottom: config, then the model
 * built from the layers package: token + learned position + segment embeddings summed and
 * layer-normed, post-norm bidirectional blocks with a padding mask, and the heads of Hugging
 * Face's BertForPreTraining (MLM `cls.predictions` with a decoder tied to the token embedding,
 * pooler, NSP `cls.seq_relationship`), plus a sequence-classification head for fine-tuning.
 * RoBERTa is this model with `nsp: false` (and dynamic masking, which is the data's business);
 * ALBERT is `embeddingSize` < dModel and `shareLayers` (its preset and HF names: albert.ts).
 * One file on purpose (past 400 lines): the house style keeps a whole model readable top to bottom,
 * as nanoGPT's model.py; most of its length is the parameter-name table below.
 *
 * Parameter names (dense weights [in, out], applied as x @ W + b, as the layers' Linear):
 *
 *     bert.embeddings.word_embeddings.weight        [V, C]   also the MLM decoder (tied)
 *     bert.embeddings.position_embeddings.weight    [maxLen, C]
 *     bert.embeddings.token_type_embeddings.weight  [typeVocabSize, C]
 *     bert.embeddings.LayerNorm.{weight,bias}       [C]
 *         (all four E wide instead of C when embeddingSize E != C, ALBERT's factorization)
 *     bert.encoder.embedding_hidden_mapping_in.{weight [E, C], bias}   only when E != C
 *     bert.encoder.layer.{i}.*                      our TransformerBlock (GPT-2 names), i.e. HF's
 *         attn.c_attn  [C, 3C]  query | key | value      attn.c_proj [C, C]  attention.output.dense
 *         ln_1         attention.output.LayerNorm        mlp.c_fc [C, F]     intermediate.dense
 *         mlp.c_proj [F, C]  output.dense                ln_2                output.LayerNorm
 *     bert.encoder.shared_layer.*                   the one block of every layer when shareLayers
 *     bert.encoder.ln_f.{weight,bias}               [C]      pre-norm only
 *     bert.pooler.dense.{weight [C, C], bias}
 *     cls.predictions.transform.dense.{weight [C, E], bias}      when pretrainingHeads
 *     cls.predictions.transform.LayerNorm.{weight,bias} [E]      when pretrainingHeads
 *     cls.predictions.bias                          [V]          when pretrainingHeads
 *     cls.seq_relationship.{weight [C, 2], bias}    when pretrainingHeads and nsp
 *     cls.span_boundary.*                           SpanBERT's SBO head, when pretrainingHeads and spanBoundary (span-boundary.ts)
 *     classifier.{weight [C, numLabels], bias}      when numLabels > 0
 *
 * Pinned against tools/reference/bert.py (a plain-PyTorch copy of this architecture).
 * Unlike Google's BERT, GELU is the tanh approximation (the layers' FeedForward), and padded
 * keys get an additive -1e9 (ops.attention) where HF uses the dtype's minimum; both give
 * zero attention weight in float32.
 */

import {
  type BlockConfig,
  dropout,
  type ForwardContext,
  inference,
  LayerNorm,
  Linear,
  ParamStore,
  PositionEmbedding,
  TokenEmbedding,
  TransformerBlock,
} from '@pretrain-lab/layers';
import { ops, Rng } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { type SpanBoundaryBatch, SpanBoundaryHead } from './span-boundary.js';

export interface BERTConfig {
  vocabSize: number;
  /** Longest input (the position table's size); BERT uses 512. */
  maxLen: number;
  /** Segment (token type) vocabulary; 2 for sentence pairs. */
  typeVocabSize: number;
  dModel: number;
  numLayers: number;
  numHeads: number;
  /** Feed-forward width; BERT uses 4 * dModel. */
  dFF: number;
  /** One rate for embeddings, attention probabilities, residual branches and the classifier (BERT: 0.1). */
  dropout: number;
  /** BERT's LayerNorm eps (1e-12, as the TF original). */
  layerNormEps: number;
  /** false = BERT's post-norm LN(x + f(x)); true = x + f(LN(x)) with a final LayerNorm. */
  preNorm: boolean;
  /** MLM head, pooler-fed NSP head (when `nsp`): false for a fine-tuning model (HF's BertForSequenceClassification). */
  pretrainingHeads: boolean;
  /** Next-sentence-prediction head; RoBERTa drops it (`nsp: false`). */
  nsp: boolean;
  /** Sequence-classification labels; 0 = no classifier, 1 = regression (MSE), as HF. */
  numLabels: number;
  /** ALBERT's factorized embedding width E (embeddings E wide, then a dense E -> dModel); 0 = dModel, BERT. */
  embeddingSize: number;
  /** ALBERT's cross-layer sharing: one block's weights applied numLayers times. */
  shareLayers: boolean;
  /** SpanBERT's span boundary objective: the longest span position it embeds; 0 = no SBO head. */
  spanBoundary: number;
}

export type BERTRequired = 'vocabSize' | 'maxLen' | 'dModel' | 'numLayers' | 'numHeads';

export const BERT_DEFAULTS: Omit<BERTConfig, BERTRequired> = {
  typeVocabSize: 2,
  dFF: 0, // 0 means 4 * dModel
  dropout: 0.1,
  layerNormEps: 1e-12,
  preNorm: false,
  pretrainingHeads: true,
  nsp: true,
  numLabels: 0,
  embeddingSize: 0, // 0 means dModel
  shareLayers: false,
  spanBoundary: 0,
};

const BERT_KEYS = new Set<string>([
  'vocabSize',
  'maxLen',
  'dModel',
  'numLayers',
  'numHeads',
  ...Object.keys(BERT_DEFAULTS),
]);

export function resolveBERTConfig(partial: Partial<BERTConfig> & Pick<BERTConfig, BERTRequired>): BERTConfig {
  for (const key of Object.keys(partial)) {
    if (!BERT_KEYS.has(key))
      throw new Error(`BERT config: unknown key '${key}'; valid: ${[...BERT_KEYS].join(', ')}`);
  }
  const cfg = { ...BERT_DEFAULTS, ...partial };
  if (!cfg.dFF) cfg.dFF = 4 * cfg.dModel;
  if (!cfg.embeddingSize) cfg.embeddingSize = cfg.dModel;
  for (const key of [
    'vocabSize',
    'maxLen',
    'typeVocabSize',
    'dModel',
    'numLayers',
    'numHeads',
    'dFF',
    'embeddingSize',
  ] as const) {
    if (!Number.isInteger(cfg[key]) || cfg[key] < 1)
      throw new Error(`BERT config: ${key} must be a positive integer, got ${cfg[key]}`);
  }
  if (!Number.isInteger(cfg.spanBoundary) || cfg.spanBoundary < 0)
    throw new Error(`BERT config: spanBoundary must be an integer >= 0, got ${cfg.spanBoundary}`);
  if (!Number.isInteger(cfg.numLabels) || cfg.numLabels < 0)
    throw new Error(`BERT config: numLabels must be an integer >= 0, got ${cfg.numLabels}`);
  if (cfg.dModel % cfg.numHeads !== 0)
    throw new Error(`BERT config: dModel ${cfg.dModel} is not divisible by numHeads ${cfg.numHeads}`);
  if (!(cfg.dropout >= 0 && cfg.dropout < 1))
    throw new Error(`BERT config: dropout must be in [0, 1), got ${cfg.dropout}`);
  return cfg;
}

/**
 * Parameter count of the model `new BERT(config)` builds, without building it. BERT-base
 * (vocab 30522, 512 positions, width 768, 12 layers) gives 110,106,428, as HF's
 * BertForPreTraining for bert-base-uncased.
 */
export function bertParamCount(c: BERTConfig): number {
  const [C, E] = [c.dModel, c.embeddingSize];
  const dense = (i: number, o: number) => i * o + o;
  const norm = 2 * C;
  const embeddings = (c.vocabSize + c.maxLen + c.typeVocabSize) * E + 2 * E + (E !== C ? dense(E, C) : 0);
  const layer = dense(C, 3 * C) + dense(C, C) + norm + dense(C, c.dFF) + dense(c.dFF, C) + norm;
  const heads =
    dense(C, C) + // pooler
    (c.pretrainingHeads ? dense(C, E) + 2 * E + c.vocabSize : 0) + // MLM transform, output bias (decoder tied)
    (c.pretrainingHeads && c.nsp ? dense(C, 2) : 0) +
    (c.pretrainingHeads && c.spanBoundary > 0
      ? c.spanBoundary * C + dense(3 * C, C) + norm + dense(C, E) + 2 * E + c.vocabSize
      : 0) +
    (c.numLabels > 0 ? dense(C, c.numLabels) : 0);
  return embeddings + (c.shareLayers ? 1 : c.numLayers) * layer + (c.preNorm ? norm : 0) + heads;
}

/** One pretraining batch. All [B, T] int32 except nspLabels [B]. */
export interface BERTPretrainBatch {
  inputIds: tf.Tensor2D;
  /** Segment ids; omitted = all 0. */
  tokenTypeIds?: tf.Tensor2D | null;
  /** 1 = real token, 0 = padding; omitted = no padding. */
  attentionMask?: tf.Tensor2D | null;
  /** Original ids at the positions to predict, -100 elsewhere (HF's ignore label). */
  mlmLabels: tf.Tensor2D;
  /**
   * Class ids [B] of the two NSP logits; labels < 0 are ignored per example; omitted = no NSP
   * loss (RoBERTa). The model has no convention of its own: objectives' bert-inputs uses
   * 1 = isNext, Hugging Face checkpoints 0 = IsNext (flip when importing their NSP head).
   */
  nspLabels?: tf.Tensor1D | null;
  /** SpanBERT's SBO targets (needs config spanBoundary > 0); omitted = no SBO loss. */
  spanBoundary?: SpanBoundaryBatch | null;
}

export interface BERTPretrainLoss {
  /** mlmLoss + nspLoss + sboLoss (the ones the batch has labels for). */
  loss: tf.Scalar;
  mlmLoss: tf.Scalar;
  nspLoss: tf.Scalar | null;
  sboLoss: tf.Scalar | null;
}

export interface BERTClassifyBatch {
  inputIds: tf.Tensor2D;
  tokenTypeIds?: tf.Tensor2D | null;
  attentionMask?: tf.Tensor2D | null;
  /** int32 class ids [B]; float32 targets [B] when numLabels is 1 (regression). */
  labels: tf.Tensor1D;
}

/** Embeddings: LN(word + position + segment), then dropout (HF's BertEmbeddings); embeddingSize wide. */
/** The encoder block of a BERT config: bidirectional, BERT's norm placement and eps. */
export function bertBlockConfig(c: BERTConfig): BlockConfig {
  return {
    dModel: c.dModel,
    numHeads: c.numHeads,
    dFF: c.dFF,
    causal: false,
    preNorm: c.preNorm,
    dropout: c.dropout,
    layerNormEps: c.layerNormEps,
  };
}

export class BERTEmbeddings {
  readonly word: TokenEmbedding;
  readonly position: PositionEmbedding;
  readonly tokenType: TokenEmbedding;
  readonly norm: LayerNorm;

  constructor(
    store: ParamStore,
    prefix: string,
    readonly cfg: BERTConfig,
  ) {
    this.word = new TokenEmbedding(
      store,
      `${prefix}.word_embeddings.weight`,
      cfg.vocabSize,
      cfg.embeddingSize,
      0.02,
    );
    this.position = new PositionEmbedding(
      store,
      `${prefix}.position_embeddings.weight`,
      cfg.maxLen,
      cfg.embeddingSize,
      0.02,
    );
    this.tokenType = new TokenEmbedding(
      store,
      `${prefix}.token_type_embeddings.weight`,
      cfg.typeVocabSize,
      cfg.embeddingSize,
      0.02,
    );
    this.norm = new LayerNorm(store, `${prefix}.LayerNorm`, cfg.embeddingSize, cfg.layerNormEps);
  }

  /** ids, types int32 [B, T] -> [B, T, E]. */
  apply(ids: tf.Tensor2D, types: tf.Tensor2D, ctx: ForwardContext): tf.Tensor3D {
    const x = ops.embed(
      this.word.weight as tf.Tensor2D,
      ids,
      this.position.weight as tf.Tensor2D,
      this.tokenType.weight as tf.Tensor2D,
      types,
    ); // [B, T, E]: word[ids] + position[t] + tokenType[types], one fused op
    return dropout(this.norm.apply(x), this.cfg.dropout, ctx); // [B, T, E]
  }
}

/**
 * MLM head (HF's BertLMPredictionHead): dense + GELU + LayerNorm, then the tied decoder + bias.
 * The dense maps dModel -> embeddingSize, so an ALBERT decoder ties to its E-wide table (AlbertMLMHead).
 */
export class BERTMLMHead {
  readonly dense: Linear;
  readonly norm: LayerNorm;
  readonly bias: tf.Variable;

  constructor(
    store: ParamStore,
    prefix: string,
    cfg: BERTConfig,
    readonly decoder: TokenEmbedding,
  ) {
    this.dense = new Linear(store, `${prefix}.transform.dense`, cfg.dModel, cfg.embeddingSize);
    this.norm = new LayerNorm(store, `${prefix}.transform.LayerNorm`, cfg.embeddingSize, cfg.layerNormEps);
    this.bias = store.create(`${prefix}.bias`, [cfg.vocabSize], { kind: 'zeros' });
  }

  /** h [..., C] -> the transformed states LN(GELU(dense h)) [..., E] that the decoder projects. */
  transform<T extends tf.Tensor>(h: T): T {
    return this.norm.apply(this.dense.apply(h, { activation: 'gelu' }) as T); // [..., E]
  }

  /** h [..., C] -> logits [..., V]. */
  apply<T extends tf.Tensor>(h: T): T {
    return tf.add(ops.projectToVocab(this.transform(h), this.decoder.weight as tf.Tensor2D), this.bias) as T; // [..., V]
  }

  /** Mean cross-entropy of the logits against labels (< 0 ignored): projection and loss fused. */
  loss(h: tf.Tensor, labels: tf.Tensor): tf.Scalar {
    return ops.vocabCrossEntropy(
      this.transform(h),
      this.decoder.weight as tf.Tensor2D,
      labels,
      this.bias as tf.Tensor1D,
    );
  }
}

export class BERT {
  readonly params: ParamStore;
  readonly embeddings: BERTEmbeddings;
  /** ALBERT's E -> dModel projection (HF's embedding_hidden_mapping_in); null when E = dModel. */
  readonly embeddingProjection: Linear | null;
  /** numLayers entries; with shareLayers, the same block in each. */
  readonly layers: TransformerBlock[];
  /** Final LayerNorm, pre-norm only (post-norm blocks already end in one). */
  readonly lnF: LayerNorm | null;
  readonly pooler: Linear;
  readonly mlmHead: BERTMLMHead | null;
  readonly nspHead: Linear | null;
  readonly sboHead: SpanBoundaryHead | null;
  readonly classifier: Linear | null;

  constructor(
    readonly config: BERTConfig,
    seed: number,
  ) {
    const c = config;
    // BERT init: every matrix and table N(0, 0.02), biases 0, LayerNorm gains 1 (HF's
    // _init_weights); no residual scaling.
    this.params = new ParamStore(Rng.derive(seed, 'bert/init'));
    this.embeddings = new BERTEmbeddings(this.params, 'bert.embeddings', c);
    this.embeddingProjection =
      c.embeddingSize !== c.dModel
        ? new Linear(this.params, 'bert.encoder.embedding_hidden_mapping_in', c.embeddingSize, c.dModel)
        : null;
    this.layers = [];
    for (let i = 0; i < c.numLayers; i++) {
      if (c.shareLayers && i > 0) {
        this.layers.push(this.layers[0]); // ALBERT: the same weights at every depth
        continue;
      }
      const prefix = c.shareLayers ? 'bert.encoder.shared_layer' : `bert.encoder.layer.${i}`;
      this.layers.push(new TransformerBlock(this.params, prefix, bertBlockConfig(c)));
    }
    this.lnF = c.preNorm ? new LayerNorm(this.params, 'bert.encoder.ln_f', c.dModel, c.layerNormEps) : null;
    this.pooler = new Linear(this.params, 'bert.pooler.dense', c.dModel, c.dModel);
    this.mlmHead = c.pretrainingHeads
      ? new BERTMLMHead(this.params, 'cls.predictions', c, this.embeddings.word)
      : null;
    this.nspHead =
      c.pretrainingHeads && c.nsp ? new Linear(this.params, 'cls.seq_relationship', c.dModel, 2) : null;
    this.sboHead =
      c.pretrainingHeads && c.spanBoundary > 0
        ? new SpanBoundaryHead(this.params, 'cls.span_boundary', { ...c, maxSpanLength: c.spanBoundary })
        : null;
    this.classifier = c.numLabels > 0 ? new Linear(this.params, 'classifier', c.dModel, c.numLabels) : null;
  }

  /**
   * Fine-tuning copy: a new model with the encoder and pooler (`bert.*`) copied by name from
   * this one, a classifier with `numLabels` outputs freshly initialised from `seed`, and no
   * pretraining heads, so that every parameter gets a gradient from the classification loss
   * (HF's from_pretrained into BertForSequenceClassification). This model is unchanged.
   */
  withClassifier(numLabels: number, seed: number): BERT {
    if (!Number.isInteger(numLabels) || numLabels < 1)
      throw new Error(`withClassifier: numLabels must be a positive integer, got ${numLabels}`);
    const model = new BERT(resolveBERTConfig({ ...this.config, numLabels, pretrainingHeads: false }), seed);
    for (const [name, v] of model.params.vars) {
      if (name.startsWith('classifier.')) continue;
      v.assign(this.params.get(name));
    }
    return model;
  }

  /**
   * Encoder. inputIds int32 [B, T]; tokenTypeIds int32 [B, T] (null = all segment 0);
   * attentionMask [B, T] with 1 = real token, 0 = padding (null = no padding).
   * Returns the last hidden states [B, T, C].
   */
  encode(
    inputIds: tf.Tensor2D,
    tokenTypeIds: tf.Tensor2D | null = null,
    attentionMask: tf.Tensor2D | null = null,
    ctx: ForwardContext = inference(),
  ): tf.Tensor3D {
    return tf.tidy(() => {
      const [B, T] = inputIds.shape;
      if (T > this.config.maxLen) throw new Error(`input length ${T} exceeds maxLen ${this.config.maxLen}`);
      for (const [name, t] of [
        ['tokenTypeIds', tokenTypeIds],
        ['attentionMask', attentionMask],
      ] as const) {
        if (t && (t.shape[0] !== B || t.shape[1] !== T))
          throw new Error(`${name} has shape [${t.shape}], expected [${B}, ${T}] like inputIds`);
      }
      const types = tokenTypeIds ?? (tf.zerosLike(inputIds) as tf.Tensor2D);
      let x = this.embeddings.apply(inputIds, types, ctx); // [B, T, E]
      if (this.embeddingProjection) x = this.embeddingProjection.apply(x) as tf.Tensor3D; // [B, T, C]
      const keyPadding = attentionMask ?? undefined; // [B, T], 1 = keep
      for (const layer of this.layers) x = layer.apply(x, ctx, { keyPadding }); // [B, T, C]
      return this.lnF ? this.lnF.apply(x) : x; // [B, T, C]
    });
  }

  /** Pooled representation: tanh(dense(h[:, 0])), the [CLS] position. h [B, T, C] -> [B, C]. */
  pool(hidden: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => {
      const [B, , C] = hidden.shape;
      const cls = tf.reshape(tf.slice(hidden, [0, 0, 0], [B, 1, C]), [B, C]); // [B, C]
      return tf.tanh(this.pooler.apply(cls)) as tf.Tensor2D; // [B, C]
    });
  }

  /** MLM logits over the vocabulary from hidden states [B, T, C] -> [B, T, V]. */
  mlmLogits(hidden: tf.Tensor3D): tf.Tensor3D {
    if (!this.mlmHead)
      throw new Error('this BERT has no MLM head (a fine-tuning model, pretrainingHeads: false)');
    return tf.tidy(() => this.mlmHead!.apply(hidden));
  }

  /** NSP logits from hidden states [B, T, C] -> [B, 2] (label convention: see BERTPretrainBatch.nspLabels). */
  nspLogits(hidden: tf.Tensor3D): tf.Tensor2D {
    if (!this.nspHead)
      throw new Error(
        `this BERT has no NSP head (config ${this.config.nsp ? 'pretrainingHeads' : 'nsp'}: false)`,
      );
    return tf.tidy(() => this.nspHead!.apply(this.pool(hidden)) as tf.Tensor2D);
  }

  /** MLM (+ NSP) pretraining loss. The caller disposes all three scalars. */
  pretrainLoss(batch: BERTPretrainBatch, ctx: ForwardContext = inference()): BERTPretrainLoss {
    if (batch.nspLabels && !this.nspHead)
      throw new Error('NSP labels given, but this BERT has no NSP head (config nsp: false)');
    if (!this.mlmHead)
      throw new Error('this BERT has no MLM head (a fine-tuning model, pretrainingHeads: false)');
    if (batch.spanBoundary && !this.sboHead)
      throw new Error('span boundary targets given, but this BERT has no SBO head (config spanBoundary: 0)');
    const sbo = batch.spanBoundary && batch.spanBoundary.targets.size > 0 ? batch.spanBoundary : null;
    const parts = tf.tidy(() => {
      const h = this.encode(batch.inputIds, batch.tokenTypeIds ?? null, batch.attentionMask ?? null, ctx); // [B, T, C]
      // Only the ~15% of positions with a label are projected onto the vocabulary: the loss is
      // the same as over all positions with the rest ignored, at a fraction of the cost.
      const C = this.config.dModel;
      const labels = batch.mlmLabels.dataSync();
      const picked: number[] = [];
      for (let i = 0; i < labels.length; i++) if (labels[i] >= 0) picked.push(i);
      if (picked.length === 0) picked.push(0); // keep shapes valid; its label is ignored below
      const rows = tf.tensor1d(picked, 'int32');
      const hPicked = tf.gather(tf.reshape(h, [-1, C]), rows) as tf.Tensor2D; // [M, C]
      const mlm = this.mlmHead!.loss(hPicked, tf.gather(tf.reshape(batch.mlmLabels, [-1]), rows)); // over [M, V] logits
      const out: Record<string, tf.Scalar> = { mlm };
      if (batch.nspLabels) out.nsp = ops.crossEntropy(this.nspLogits(h), batch.nspLabels);
      if (sbo) out.sbo = this.sboHead!.loss(h, sbo, this.embeddings.word.weight as tf.Tensor2D);
      return out;
    }) as Record<string, tf.Scalar>;
    const { mlm: mlmLoss, nsp: nspLoss = null, sbo: sboLoss = null } = parts;
    const extra = [nspLoss, sboLoss].filter((x): x is tf.Scalar => x !== null);
    const loss = extra.length ? (tf.addN([mlmLoss, ...extra]) as tf.Scalar) : tf.clone(mlmLoss);
    return { loss, mlmLoss, nspLoss, sboLoss };
  }

  /** Classification logits [B, numLabels]: dropout + dense on the pooled [CLS] output. */
  classifyLogits(
    inputIds: tf.Tensor2D,
    tokenTypeIds: tf.Tensor2D | null = null,
    attentionMask: tf.Tensor2D | null = null,
    ctx: ForwardContext = inference(),
  ): tf.Tensor2D {
    if (!this.classifier)
      throw new Error(
        'this BERT has no classifier (numLabels 0); make one with withClassifier(numLabels, seed)',
      );
    return tf.tidy(() => {
      const pooled = this.pool(this.encode(inputIds, tokenTypeIds, attentionMask, ctx)); // [B, C]
      return this.classifier!.apply(dropout(pooled, this.config.dropout, ctx)) as tf.Tensor2D; // [B, numLabels]
    });
  }

  /** Mean cross-entropy over the batch; mean squared error when numLabels is 1 (HF's regression). */
  classificationLoss(batch: BERTClassifyBatch, ctx: ForwardContext = inference()): tf.Scalar {
    return tf.tidy(() => {
      const logits = this.classifyLogits(
        batch.inputIds,
        batch.tokenTypeIds ?? null,
        batch.attentionMask ?? null,
        ctx,
      ); // [B, L]
      if (this.config.numLabels === 1)
        return tf.mean(
          tf.square(tf.sub(tf.reshape(logits, [-1]), tf.cast(batch.labels, 'float32'))),
        ) as tf.Scalar;
      return ops.crossEntropy(logits, batch.labels);
    });
  }

  dispose(): void {
    this.params.dispose();
  }
}
