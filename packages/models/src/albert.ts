/**
 * ALBERT (Lan et al. 2020) is BERT with two config switches (bert.ts), not a model of its own:
 *
 * - `embeddingSize` E < dModel: factorized embeddings. Token, position and segment tables are
 *   E wide, a dense E -> dModel (`bert.encoder.embedding_hidden_mapping_in`) feeds the encoder,
 *   and the MLM head's transform maps dModel -> E so that the decoder ties to the E-wide token
 *   table, as HF's AlbertMLMHead. Embedding parameters drop from V*C to V*E + E*C.
 * - `shareLayers`: cross-layer parameter sharing, one block (`bert.encoder.shared_layer.*`)
 *   applied numLayers times (ALBERT's all-shared default, num_hidden_groups = 1).
 *
 * Sentence-order prediction needs nothing here: it is the pair head `cls.seq_relationship` on
 * the pooled [CLS] output, fed the labels of objectives' `segment-pair-sop` (0 = in order,
 * 1 = swapped, the same convention as HF's sentence_order_label, so unlike NSP no flip).
 *
 * This file holds ALBERT's preset (the switches plus what else ALBERT changes, each with its
 * reason) and the mapping from our parameter names to HF's AlbertForPreTraining, which an
 * export uses (weights [in, out] here, [out, in] in HF's nn.Linear):
 *
 *     ours                                            HF AlbertForPreTraining
 *     bert.embeddings.*                               albert.embeddings.*  (same suffixes)
 *     bert.encoder.embedding_hidden_mapping_in.*      albert.encoder.embedding_hidden_mapping_in.*   T
 *     bert.encoder.shared_layer.<block>               albert.encoder.albert_layer_groups.0.albert_layers.0.<hf>
 *     bert.encoder.layer.{i}.<block> (unshared)       albert.encoder.albert_layer_groups.{i}.albert_layers.0.<hf>
 *                                                     (num_hidden_groups = numLayers)
 *         attn.c_attn [C, 3C]                         attention.{query | key | value}   columns split in thirds, T
 *         attn.c_proj                                 attention.dense                   T
 *         ln_1                                        attention.LayerNorm
 *         mlp.c_fc                                    ffn                               T
 *         mlp.c_proj                                  ffn_output                        T
 *         ln_2                                        full_layer_layer_norm
 *     bert.pooler.dense.*                             albert.pooler.*                   T
 *     cls.predictions.transform.dense.*               predictions.dense.*               T
 *     cls.predictions.transform.LayerNorm.*           predictions.LayerNorm.*
 *     cls.predictions.bias                            predictions.bias (= predictions.decoder.bias, tied)
 *     (tied: bert.embeddings.word_embeddings)         predictions.decoder.weight
 *     cls.seq_relationship.*                          sop_classifier.classifier.*       T
 *
 * (T: transposed.) An ALBERT with E = dModel has no projection here, where HF always has one:
 * export it as the identity with a zero bias.
 */

import { type BERTConfig, type BERTRequired, resolveBERTConfig } from './bert.js';

/** What ALBERT sets differently from BERT_DEFAULTS, each with its reason. */
export const ALBERT_SWITCHES = {
  /** Every ALBERT size (base to xxlarge) uses E = 128: the paper's section 4.4 finds it best with sharing. */
  embeddingSize: 128,
  /** All-shared, ALBERT's default (section 3.1): the main parameter saving. */
  shareLayers: true,
  /** ALBERT v2 and HF's AlbertConfig train without dropout (section 4.8: removing it helps at scale). */
  dropout: 0,
} as const satisfies Partial<BERTConfig>;

/**
 * A BERT config with ALBERT's switches; `partial` overrides them (the sizes are required).
 * Refuses an embedding width above dModel, which factorizes nothing.
 */
export function resolveALBERTConfig(
  partial: Partial<BERTConfig> & Pick<BERTConfig, BERTRequired>,
): BERTConfig {
  const cfg = resolveBERTConfig({ ...ALBERT_SWITCHES, ...partial });
  if (cfg.embeddingSize > cfg.dModel)
    throw new Error(
      `ALBERT config: embeddingSize ${cfg.embeddingSize} exceeds dModel ${cfg.dModel}, so nothing is factorized; ` +
        `pass embeddingSize <= ${cfg.dModel} (ALBERT uses 128 with dModel >= 768)`,
    );
  return cfg;
}

const BLOCK_TO_HF: Record<string, string> = {
  'attn.c_proj': 'attention.dense',
  ln_1: 'attention.LayerNorm',
  'mlp.c_fc': 'ffn',
  'mlp.c_proj': 'ffn_output',
  ln_2: 'full_layer_layer_norm',
};

/** Where one of our tensors goes in HF's AlbertForPreTraining (see the table above). */
export interface HFAlbertPlace {
  /** One HF name, or three (query, key, value) for `attn.c_attn`: its columns in equal thirds. */
  names: string[];
  /** A dense weight: ours [in, out], HF's [out, in]. */
  transpose: boolean;
}

/** HF AlbertForPreTraining name(s) of one of our parameter names; throws for a name with no place. */
export function hfAlbertPlace(name: string): HFAlbertPlace {
  const suffix = name.slice(name.lastIndexOf('.') + 1); // weight | bias
  const dense = suffix === 'weight';
  let m = /^bert\.encoder\.(?:shared_layer|layer\.(\d+))\.(.+)\.(weight|bias)$/.exec(name);
  if (m) {
    const group = `albert.encoder.albert_layer_groups.${m[1] ?? 0}.albert_layers.0`;
    if (m[2] === 'attn.c_attn')
      return {
        names: ['query', 'key', 'value'].map((p) => `${group}.attention.${p}.${suffix}`),
        transpose: dense,
      };
    const hf = BLOCK_TO_HF[m[2]];
    if (hf) return { names: [`${group}.${hf}.${suffix}`], transpose: dense && !m[2].startsWith('ln_') };
  }
  if (name.startsWith('bert.embeddings.'))
    return { names: [`albert.${name.slice('bert.'.length)}`], transpose: false };
  if (name.startsWith('bert.encoder.embedding_hidden_mapping_in.'))
    return { names: [`albert.${name.slice('bert.'.length)}`], transpose: dense };
  if (name.startsWith('bert.pooler.dense.')) return { names: [`albert.pooler.${suffix}`], transpose: dense };
  m = /^cls\.predictions\.transform\.(dense|LayerNorm)\.(weight|bias)$/.exec(name);
  if (m) return { names: [`predictions.${m[1]}.${m[2]}`], transpose: dense && m[1] === 'dense' };
  if (name === 'cls.predictions.bias') return { names: ['predictions.bias'], transpose: false };
  if (name.startsWith('cls.seq_relationship.'))
    return { names: [`sop_classifier.classifier.${suffix}`], transpose: dense };
  throw new Error(`parameter '${name}' has no place in Hugging Face's AlbertForPreTraining`);
}
