/**
 * BERT and T5 checkpoints in Hugging Face layout (`lab export --format hf`), and their scores
 * (`lab score`). GPT-2's layout is ours already and lives in checkpoint-tools.ts. BERT and T5
 * stay in one file (just past 400 lines) because export and score share the name maps below.
 *
 * BERT (post-norm only, as HF's BertModel) -> BertForPreTraining when the checkpoint has an NSP
 * head, else BertForMaskedLM (no pooler: HF's MLM model has none, and ours is untrained without
 * NSP). Our dense weights are [in, out] (x @ W + b) and HF's nn.Linear [out, in], so every
 * dense weight is transposed; our fused `attn.c_attn` [C, 3C] (query | key | value along the
 * output) is split into `attention.self.{query,key,value}`; GPT-2 block names map to BERT's
 * (`ln_1` -> `attention.output.LayerNorm`, `mlp.c_fc` -> `intermediate.dense`, `mlp.c_proj` ->
 * `output.dense`, `ln_2` -> `output.LayerNorm`). The MLM decoder is tied to the word embeddings
 * and its bias is `cls.predictions.bias`: neither `cls.predictions.decoder.weight` nor
 * `.decoder.bias` is written (transformers' save_pretrained leaves tied copies out the same way
 * and ties them again on load). NSP: our label 1 is isNext, HF's class 0 is IsNext, so the two
 * rows of `cls.seq_relationship` are swapped. GELU is the tanh form: hidden_act `gelu_new`.
 *
 * T5 (v1.0, tied, `feed_forward_proj: relu`) -> T5ForConditionalGeneration: our names are HF's;
 * q, k, v, o, wi and wo are transposed. Our decoder output is scaled by d_model^-0.5 before
 * the projection onto `shared.weight`, which is exactly what HF does when tie_word_embeddings
 * is true, so the config says so and `lm_head.weight` (like `encoder.embed_tokens.weight` and
 * `decoder.embed_tokens.weight`) is the tied `shared.weight`, written once.
 *
 * Scores:
 * - BERT: the text is encoded as `[CLS] text [SEP]` (with `--pair`, `[CLS] a [SEP] b [SEP]`, token
 *   types 0 then 1). For each scored position p (default: every position that does not hold a
 *   special token; `--positions` picks them, 0 = [CLS]), the input with only position p replaced
 *   by [MASK] is run and logProbs[k] = log p(ids[p_k] | that input) from the MLM head: the
 *   pseudo-log-likelihood of Salazar et al. (2020), one masked copy per position. meanLoss is
 *   -mean(logProbs). With an NSP head, `nsp` holds log p(IsNext) and log p(NotNext) of the
 *   unmasked input.
 * - T5: input `text </s>`, target `target </s>`; teacher-forced decoder input
 *   [decoder_start, target[:-1]]; logProbs[i] = log p(target[i] | input, target[:i]).
 */
import type { BERT, BERTConfig, T5, T5Config } from '@pretrain-lab/models';
import { UserError } from '@pretrain-lab/runtime';
import type { UnigramTokenizer, WordPieceTokenizer } from '@pretrain-lab/tokenizers';
import * as tf from '@tensorflow/tfjs';

export interface Weight {
  shape: number[];
  data: Float32Array;
}
type Weights = Record<string, Weight>;

/** Which model a checkpoint's modelConfig belongs to (by the keys only that model's config has). */
export function modelKind(mc: Record<string, unknown>): 'gpt' | 'bert' | 't5' {
  if ('numBuckets' in mc && 'dKV' in mc) return 't5';
  if ('typeVocabSize' in mc && 'maxLen' in mc) return 'bert';
  return 'gpt';
}

/** [r, c] -> [c, r]. */
export function transpose2d(w: Weight): Weight {
  const [r, c] = w.shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = w.data[i * c + j];
  return { shape: [c, r], data: out };
}

/** Columns [start, start + n) of [r, c] -> [r, n]. */
function columns(w: Weight, start: number, n: number): Weight {
  const [r, c] = w.shape;
  const out = new Float32Array(r * n);
  for (let i = 0; i < r; i++) out.set(w.data.subarray(i * c + start, i * c + start + n), i * n);
  return { shape: [r, n], data: out };
}

/** Rows of a [r, ...] tensor in a new order (row i of the result = row order[i]). */
function permuteRows(w: Weight, order: number[]): Weight {
  const row = w.data.length / w.shape[0];
  const out = new Float32Array(w.data.length);
  order.forEach((src, i) => {
    out.set(w.data.subarray(src * row, (src + 1) * row), i * row);
  });
  return { shape: [...w.shape], data: out };
}

/** Takes named weights out of a checkpoint and says which were never taken. */
class WeightReader {
  private readonly used = new Set<string>();
  constructor(
    private readonly weights: Weights,
    private readonly what: string,
  ) {}
  take(name: string): Weight {
    const w = this.weights[name];
    if (!w) throw new UserError(`${this.what} checkpoint has no tensor ${name}; it is not one of ours`);
    this.used.add(name);
    return w;
  }
  unused(): string[] {
    return Object.keys(this.weights).filter((k) => !this.used.has(k));
  }
}

/** Refuses a BERT our export cannot express in HF's layout, with one line saying why. */
export function checkBERTExportable(c: BERTConfig): void {
  if (c.preNorm)
    throw new UserError(
      'this BERT checkpoint is pre-norm (preNorm: true); Hugging Face BERT is post-norm only, so it has no HF equivalent',
    );
  if (!c.pretrainingHeads)
    throw new UserError(
      'this BERT checkpoint has no MLM head (a fine-tuning model); export a pretraining checkpoint (checkpoints/pretrain-*)',
    );
}

/** BertForPreTraining (with NSP) or BertForMaskedLM tensors, by HF name, from our weights. */
export function hfBERTTensors(weights: Weights, c: BERTConfig): Weights {
  checkBERTExportable(c);
  const r = new WeightReader(weights, 'BERT');
  const C = c.dModel;
  const out: Weights = {};
  const dense = (ours: string, theirs: string) => {
    out[`${theirs}.weight`] = transpose2d(r.take(`${ours}.weight`));
    out[`${theirs}.bias`] = r.take(`${ours}.bias`);
  };
  const norm = (ours: string, theirs: string) => {
    out[`${theirs}.weight`] = r.take(`${ours}.weight`);
    out[`${theirs}.bias`] = r.take(`${ours}.bias`);
  };
  for (const t of ['word_embeddings', 'position_embeddings', 'token_type_embeddings'])
    out[`bert.embeddings.${t}.weight`] = r.take(`bert.embeddings.${t}.weight`);
  norm('bert.embeddings.LayerNorm', 'bert.embeddings.LayerNorm');
  for (let i = 0; i < c.numLayers; i++) {
    const p = `bert.encoder.layer.${i}`;
    const qkv = r.take(`${p}.attn.c_attn.weight`); // [C, 3C]
    const qkvBias = r.take(`${p}.attn.c_attn.bias`); // [3C]
    ['query', 'key', 'value'].forEach((name, j) => {
      out[`${p}.attention.self.${name}.weight`] = transpose2d(columns(qkv, j * C, C)); // [C_out, C_in]
      out[`${p}.attention.self.${name}.bias`] = {
        shape: [C],
        data: qkvBias.data.slice(j * C, (j + 1) * C),
      };
    });
    dense(`${p}.attn.c_proj`, `${p}.attention.output.dense`);
    norm(`${p}.ln_1`, `${p}.attention.output.LayerNorm`);
    dense(`${p}.mlp.c_fc`, `${p}.intermediate.dense`);
    dense(`${p}.mlp.c_proj`, `${p}.output.dense`);
    norm(`${p}.ln_2`, `${p}.output.LayerNorm`);
  }
  dense('cls.predictions.transform.dense', 'cls.predictions.transform.dense');
  norm('cls.predictions.transform.LayerNorm', 'cls.predictions.transform.LayerNorm');
  out['cls.predictions.bias'] = r.take('cls.predictions.bias');
  if (c.nsp) {
    dense('bert.pooler.dense', 'bert.pooler.dense');
    // Ours: class 1 = isNext; HF: class 0 = IsNext.
    const w = transpose2d(r.take('cls.seq_relationship.weight')); // [2, C]
    out['cls.seq_relationship.weight'] = permuteRows(w, [1, 0]);
    out['cls.seq_relationship.bias'] = permuteRows(r.take('cls.seq_relationship.bias'), [1, 0]);
  } else {
    // BertForMaskedLM has no pooler; without NSP ours never gets a gradient.
    for (const k of ['weight', 'bias']) r.take(`bert.pooler.dense.${k}`);
  }
  const left = r.unused();
  if (left.length > 0)
    throw new UserError(`BERT checkpoint has tensors with no Hugging Face place: ${left.join(', ')}`);
  return out;
}

/** HF BertConfig for ours (hidden_act gelu_new: our GELU is the tanh form). */
export function hfBERTConfig(c: BERTConfig, padId: number): Record<string, unknown> {
  checkBERTExportable(c);
  return {
    architectures: [c.nsp ? 'BertForPreTraining' : 'BertForMaskedLM'],
    model_type: 'bert',
    vocab_size: c.vocabSize,
    hidden_size: c.dModel,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    intermediate_size: c.dFF,
    hidden_act: 'gelu_new',
    hidden_dropout_prob: c.dropout,
    attention_probs_dropout_prob: c.dropout,
    max_position_embeddings: c.maxLen,
    type_vocab_size: c.typeVocabSize,
    initializer_range: 0.02,
    layer_norm_eps: c.layerNormEps,
    pad_token_id: padId,
    position_embedding_type: 'absolute',
    classifier_dropout: null,
    use_cache: true,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
  };
}

/** T5ForConditionalGeneration tensors by HF name: ours, with every projection transposed. */
export function hfT5Tensors(weights: Weights): Weights {
  const out: Weights = {};
  for (const [name, w] of Object.entries(weights)) {
    const isProjection = /\.(q|k|v|o|wi|wo)\.weight$/.test(name);
    const known =
      name === 'shared.weight' ||
      isProjection ||
      /\.(layer_norm|final_layer_norm)\.weight$/.test(name) ||
      /\.relative_attention_bias\.weight$/.test(name);
    if (!known) throw new UserError(`T5 checkpoint has a tensor with no Hugging Face place: ${name}`);
    out[name] = isProjection ? transpose2d(w) : w;
  }
  if (!out['shared.weight']) throw new UserError('T5 checkpoint has no shared.weight; it is not one of ours');
  return out;
}

/** HF T5Config for ours (v1.0: ReLU feed-forward, tied head with the d_model^-0.5 rescale). */
export function hfT5Config(c: T5Config): Record<string, unknown> {
  return {
    architectures: ['T5ForConditionalGeneration'],
    model_type: 't5',
    vocab_size: c.vocabSize,
    d_model: c.dModel,
    d_kv: c.dKV,
    d_ff: c.dFF,
    num_layers: c.numLayers,
    num_decoder_layers: c.numDecoderLayers,
    num_heads: c.numHeads,
    relative_attention_num_buckets: c.numBuckets,
    relative_attention_max_distance: c.maxDistance,
    dropout_rate: c.dropout,
    layer_norm_epsilon: c.eps,
    initializer_factor: 1.0,
    feed_forward_proj: 'relu',
    is_encoder_decoder: true,
    use_cache: true,
    tie_word_embeddings: true,
    pad_token_id: c.padId,
    eos_token_id: c.eosId,
    decoder_start_token_id: c.decoderStartId,
    torch_dtype: 'float32',
  };
}

/** WordPiece `vocab.txt`: one token per line, line i = id i. */
export function vocabTxt(tok: WordPieceTokenizer): string {
  const lines: string[] = [];
  for (let id = 0; id < tok.vocabSize; id++) {
    const t = tok.idToToken(id);
    if (t === undefined || /[\r\n]/.test(t))
      throw new UserError(`WordPiece token ${id} cannot be written as a line of vocab.txt`);
    lines.push(t);
  }
  return `${lines.join('\n')}\n`;
}

const special = (tok: { specialTokens: Readonly<Record<string, number>> }, name: string) => {
  const id = tok.specialTokens[name];
  if (id === undefined) throw new UserError(`the checkpoint's tokenizer has no ${name} token`);
  return id;
};

/** tokenizer_config.json for BertTokenizer(Fast); normalization as the tokenizer.json's. */
export function bertTokenizerConfig(tok: WordPieceTokenizer, maxLen: number): Record<string, unknown> {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: tok.normalization.lowercase,
    strip_accents: tok.normalization.stripAccents,
    tokenize_chinese_chars: true,
    unk_token: tok.unkToken,
    sep_token: tok.sepToken,
    pad_token: '[PAD]',
    cls_token: tok.clsToken,
    mask_token: '[MASK]',
    model_max_length: maxLen,
  };
}

/** tokenizer_config.json for the unigram tokenizer.json (T5's specials and sentinels). */
export function t5TokenizerConfig(tok: UnigramTokenizer): Record<string, unknown> {
  const sentinels = Object.keys(tok.specialTokens)
    .filter((t) => /^<extra_id_\d+>$/.test(t))
    .sort((a, b) => Number(a.slice(10, -1)) - Number(b.slice(10, -1)));
  return {
    tokenizer_class: 'T5TokenizerFast',
    eos_token: tok.idToToken(tok.eosId),
    unk_token: tok.idToToken(tok.unkId),
    pad_token: '<pad>',
    extra_ids: sentinels.length,
    additional_special_tokens: sentinels,
    model_max_length: 512,
  };
}

/** Parses `--positions 1,2,5` against a sequence of length n. */
function parsePositions(text: string, n: number): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const out = parts.map(Number);
  if (parts.some((s) => s === '') || out.some((p) => !Number.isInteger(p) || p < 0 || p >= n))
    throw new UserError(
      `--positions: expected comma-separated integers in [0, ${n}) (0 = [CLS]), got '${text}'`,
    );
  return out;
}

export interface BERTScore {
  model: 'bert';
  ids: number[];
  tokens: string[];
  typeIds: number[];
  positions: number[];
  maskId: number;
  logProbs: number[];
  meanLoss: number;
  /** Log-probabilities of the unmasked input's NSP classes (HF's order: 0 IsNext, 1 NotNext). */
  nsp?: { isNext: number; notNext: number };
}

/** MLM pseudo-log-likelihood of a text (see the file comment); one forward over all masked copies. */
export async function scoreBERT(
  model: BERT,
  tok: WordPieceTokenizer,
  opts: { text: string; pair?: string; positions?: string },
): Promise<BERTScore> {
  const enc =
    opts.pair !== undefined ? tok.encodePair(opts.text, opts.pair) : tok.encodeWithSpecials(opts.text);
  const L = enc.ids.length;
  if (L > model.config.maxLen)
    throw new UserError(
      `the text encodes to ${L} tokens with [CLS]/[SEP], more than this BERT's maxLen ${model.config.maxLen}`,
    );
  const maskId = special(tok, '[MASK]');
  const specials = new Set(Object.values(tok.specialTokens));
  const positions =
    opts.positions !== undefined
      ? parsePositions(opts.positions, L)
      : Array.from(enc.ids.keys()).filter((p) => !specials.has(enc.ids[p]));
  if (positions.length === 0) throw new UserError('--text has no token to score (only special tokens)');
  const N = positions.length;
  const V = model.config.vocabSize;
  const masked = new Int32Array(N * L);
  const types = new Int32Array(N * L);
  positions.forEach((p, k) => {
    masked.set(enc.ids, k * L);
    masked[k * L + p] = maskId;
    types.set(enc.typeIds, k * L);
  });
  const lp = tf.tidy(() => {
    const h = model.encode(tf.tensor2d(masked, [N, L], 'int32'), tf.tensor2d(types, [N, L], 'int32')); // [N, L, C]
    const rows = tf.tensor1d(
      positions.map((p, k) => k * L + p),
      'int32',
    );
    const picked = tf.gather(tf.reshape(h, [N * L, model.config.dModel]), rows); // [N, C]
    return tf.logSoftmax(model.mlmHead!.apply(picked), -1); // [N, V]
  });
  const values = (await lp.data()) as Float32Array;
  lp.dispose();
  const logProbs = positions.map((p, k) => values[k * V + enc.ids[p]]);
  const out: BERTScore = {
    model: 'bert',
    ids: Array.from(enc.ids),
    tokens: Array.from(enc.ids, (id) => tok.idToToken(id) ?? String(id)),
    typeIds: Array.from(enc.typeIds),
    positions,
    maskId,
    logProbs,
    meanLoss: -logProbs.reduce((a, b) => a + b, 0) / N,
  };
  if (model.nspHead) {
    const nsp = tf.tidy(() => {
      const ids = tf.tensor2d(enc.ids, [1, L], 'int32');
      const h = model.encode(ids, tf.tensor2d(Int32Array.from(enc.typeIds), [1, L], 'int32'));
      return tf.logSoftmax(model.nspLogits(h), -1); // [1, 2], ours: 1 = isNext
    });
    const [notNext, isNext] = Array.from(await nsp.data());
    nsp.dispose();
    out.nsp = { isNext, notNext };
  }
  return out;
}

export interface T5Score {
  model: 't5';
  inputIds: number[];
  inputTokens: string[];
  ids: number[];
  tokens: string[];
  logProbs: number[];
  meanLoss: number;
}

/** Target log-probabilities given the input (see the file comment). */
export async function scoreT5(
  model: T5,
  tok: UnigramTokenizer,
  opts: { text: string; target: string },
): Promise<T5Score> {
  const input = tok.encodeWithSpecials(opts.text).ids; // text </s>
  const target = tok.encodeWithSpecials(opts.target).ids; // target </s>
  const S = input.length;
  const T = target.length;
  const V = model.config.vocabSize;
  const lp = tf.tidy(() => {
    const ids = tf.tensor2d(input, [1, S], 'int32');
    const mask = tf.ones([1, S], 'int32') as tf.Tensor2D;
    const enc = model.encode(ids, mask); // [1, S, C]
    const labels = tf.tensor2d(target, [1, T], 'int32');
    return tf.logSoftmax(model.decode(model.shiftRight(labels), enc, mask), -1); // [1, T, V]
  });
  const values = (await lp.data()) as Float32Array;
  lp.dispose();
  const logProbs = Array.from(target, (id, i) => values[i * V + id]);
  const name = (id: number) => tok.idToToken(id) ?? String(id);
  return {
    model: 't5',
    inputIds: Array.from(input),
    inputTokens: Array.from(input, name),
    ids: Array.from(target),
    tokens: Array.from(target, name),
    logProbs,
    meanLoss: -logProbs.reduce((a, b) => a + b, 0) / T,
  };
}
