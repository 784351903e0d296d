import type { Tokenizer } from '@pretrain-lab/tokenizers';
import { loadCorpus } from './corpora.js';
import type { Document } from './document.js';
import { CorpusError } from './errors.js';
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
  // Every split must hold at least one full sequence: say so now, not as an empty evaluation later.
  for (const s of ['train', 'validation'] as const) {
    if (packed[s].count > 0) continue;
    const tokens = tokenCounts[s].reduce((a, n) => a + n, 0);
    const where = typeof corpus === 'string' ? `corpus '${corpus}'` : 'the corpus';
    throw new CorpusError(
      `${where}: the ${s} split has ${splits[s].length} documents and ${tokens} tokens, fewer than one sequence of ${options.seqLen + 1}; ` +
        `splits are by document (${docs.length} in all), so use more text or more files, or a shorter seqLen`,
    );
  }
  const manifest = buildManifest(splits, tokenizer, {
    ...(typeof corpus === 'string' ? { corpus } : {}),
    seed: options.seed,
    fractions,
    tokenCounts,
  });
  return { splits, manifest, packed };
}

/**
 * Checks a corpus split before anything is built from it: the training and validation splits
 * must each hold a document with text (and training at least `minTrain`, e.g. 2 for NSP's
 * random next segments). Throws a one-line CorpusError saying what was found and what to do.
 */
export function checkSplits(
  corpus: string,
  splits: DocumentSplits,
  options: { minTrain?: number; why?: string } = {},
): void {
  const withText = (docs: readonly Document[]) => docs.filter((d) => d.paragraphs.length > 0).length;
  const total = splits.train.length + splits.validation.length + splits.test.length;
  const need: [SplitName, number][] = [
    ['train', options.minTrain ?? 1],
    ['validation', 1],
  ];
  for (const [s, min] of need) {
    const n = withText(splits[s]);
    if (n >= min) continue;
    throw new CorpusError(
      `corpus '${corpus}': the ${s} split has ${n} documents with text, it needs at least ${min}${options.why ? ` (${options.why})` : ''}; ` +
        `the splits are by document and there are ${total} in all, so give more text in more files (each file is one document)`,
    );
  }
}
