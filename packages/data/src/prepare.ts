import type { Tokenizer } from '@pretrain-lab/tokenizers';
import { loadCorpus } from './corpora.js';
import type { Document } from './document.js';
import { buildManifest, type DataManifest } from './manifest.js';
import {
  concatWithSeparator,
  endOfTextId,
  type PackedSequences,
  packSequences,
  tokenizeDocuments,
} from './pack.js';
import {
  DEFAULT_FRACTIONS,
  type DocumentSplits,
  SPLIT_NAMES,
  type SplitFractions,
  type SplitName,
  splitDocuments,
} from './split.js';

/**
 * The whole pipeline in one call: corpus -> split -> tokenize once -> manifest + packed sequences.
 * Feed `packed.train` to a BatchStream and `packed.validation` to evalBatches.
 */

export interface PreparedData {
  splits: DocumentSplits;
  manifest: DataManifest;
  packed: Record<SplitName, PackedSequences>;
}

export function prepareData(
  corpus: string | readonly Document[],
  tokenizer: Tokenizer,
  options: { seed: number; seqLen: number; fractions?: SplitFractions; endOfTextId?: number },
): PreparedData {
  const docs = typeof corpus === 'string' ? loadCorpus(corpus) : corpus;
  const fractions = options.fractions ?? DEFAULT_FRACTIONS;
  const splits = splitDocuments(docs, { seed: options.seed, fractions });
  const eot = options.endOfTextId ?? endOfTextId(tokenizer);
  const packed = {} as Record<SplitName, PackedSequences>;
  const tokenCounts = {} as Record<SplitName, number[]>;
  for (const s of SPLIT_NAMES) {
    const tokenized = tokenizeDocuments(splits[s], tokenizer);
    tokenCounts[s] = tokenized.map((t) => t.length);
    packed[s] = packSequences(concatWithSeparator(tokenized, eot), options.seqLen);
  }
  const manifest = buildManifest(splits, tokenizer, {
    ...(typeof corpus === 'string' ? { corpus } : {}),
    seed: options.seed,
    fractions,
    tokenCounts,
  });
  return { splits, manifest, packed };
}
