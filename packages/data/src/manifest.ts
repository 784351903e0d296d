import { createHash } from 'node:crypto';
import type { Tokenizer } from '@pretrain-lab/tokenizers';
import { countCodePoints, type Document, documentText } from './document.js';
import { type DocumentSplits, SPLIT_NAMES, type SplitFractions, type SplitName } from './split.js';

/**
 * What a run trained and evaluated on, small enough to write into run.json: per split the
 * document, character and token counts and a sha256 over the ids and texts in order, so two runs
 * can be checked to have seen the same data without storing the data.
 */

export interface SplitManifest {
  documents: number;
  /** Unicode code points of documentText(doc), summed; end-of-text separators not included. */
  characters: number;
  /** tokenizer.encode(documentText(doc)).length, summed; end-of-text separators not included. */
  tokens: number;
  /** sha256 hex over JSON.stringify([id, text]) + '\n' for each document in split order. */
  sha256: string;
}

export interface DataManifest {
  corpus?: string;
  seed?: number;
  fractions?: SplitFractions;
  tokenizer: { kind: string; vocabSize: number };
  splits: Record<SplitName, SplitManifest>;
}

/** `tokenCounts`, when given, saves tokenizing again (e.g. the lengths from tokenizeDocuments). */
export function splitManifest(
  docs: readonly Document[],
  tokenizer: Tokenizer,
  tokenCounts?: readonly number[],
): SplitManifest {
  if (tokenCounts && tokenCounts.length !== docs.length) {
    throw new Error(`splitManifest: ${tokenCounts.length} token counts for ${docs.length} documents`);
  }
  const hash = createHash('sha256');
  let characters = 0;
  let tokens = 0;
  docs.forEach((doc, i) => {
    const text = documentText(doc);
    characters += countCodePoints(text);
    tokens += tokenCounts ? tokenCounts[i] : tokenizer.encode(text).length;
    hash.update(`${JSON.stringify([doc.id, text])}\n`);
  });
  return { documents: docs.length, characters, tokens, sha256: hash.digest('hex') };
}

export function buildManifest(
  splits: DocumentSplits,
  tokenizer: Tokenizer,
  meta: {
    corpus?: string;
    seed?: number;
    fractions?: SplitFractions;
    tokenCounts?: Partial<Record<SplitName, readonly number[]>>;
  } = {},
): DataManifest {
  const out = {} as Record<SplitName, SplitManifest>;
  for (const s of SPLIT_NAMES) out[s] = splitManifest(splits[s], tokenizer, meta.tokenCounts?.[s]);
  return {
    ...(meta.corpus !== undefined ? { corpus: meta.corpus } : {}),
    ...(meta.seed !== undefined ? { seed: meta.seed } : {}),
    ...(meta.fractions !== undefined ? { fractions: { ...meta.fractions } } : {}),
    tokenizer: { kind: tokenizer.kind, vocabSize: tokenizer.vocabSize },
    splits: out,
  };
}
