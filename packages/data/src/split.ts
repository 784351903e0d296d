import { createHash } from 'node:crypto';
import type { Document } from './document.js';

export { documentText } from './document.js';

/**
 * Document-level train/validation/test splits. Each document gets a key, sha256(seed, id), and
 * documents are ordered by key: the lowest keys go to validation, the next to test, the rest to
 * train. The key depends on nothing but the seed and the id, so adding or removing a document
 * moves at most a boundary document per split instead of reshuffling the corpus.
 */

export type SplitName = 'train' | 'validation' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'validation', 'test'];

export interface SplitFractions {
  train: number;
  validation: number;
  test: number;
}

export const DEFAULT_FRACTIONS: Readonly<SplitFractions> = Object.freeze({
  train: 0.9,
  validation: 0.05,
  test: 0.05,
});

export type DocumentSplits<D extends Document = Document> = Record<SplitName, D[]>;

export interface SplitOptions {
  seed: number;
  fractions?: SplitFractions;
}

/** The sort key of a document under a seed: the first 48 bits of sha256("<seed>\0<id>"). */
export function splitKey(seed: number, id: string): number {
  const digest = createHash('sha256').update(`${seed}\u0000${id}`).digest();
  return digest.readUIntBE(0, 6);
}

function checkFractions(f: SplitFractions): void {
  const values = SPLIT_NAMES.map((s) => f[s]);
  if (values.some((v) => typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
    throw new Error(`split fractions must be non-negative numbers, got ${JSON.stringify(f)}`);
  }
  const sum = values.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-6)
    throw new Error(`split fractions must sum to 1, got ${sum} from ${JSON.stringify(f)}`);
}

/**
 * Document counts per split for n documents: validation and test get round(n * fraction), and at
 * least one each when n >= 3 and their fraction is positive; train gets the rest.
 */
export function splitCounts(
  n: number,
  fractions: SplitFractions = DEFAULT_FRACTIONS,
): Record<SplitName, number> {
  checkFractions(fractions);
  const atLeastOne = (f: number) => (n >= 3 && f > 0 ? 1 : 0);
  let validation = Math.max(Math.round(n * fractions.validation), atLeastOne(fractions.validation));
  let test = Math.max(Math.round(n * fractions.test), atLeastOne(fractions.test));
  // Keep one document for train when there are enough to go round and train wants any.
  const trainMin = fractions.train > 0 && n >= 3 ? 1 : 0;
  while (validation + test > n - trainMin && (validation > 0 || test > 0)) {
    if (test >= validation && test > 0) test--;
    else validation--;
  }
  return { train: n - validation - test, validation, test };
}

/**
 * Splits documents deterministically. Within each split documents keep their corpus order, so the
 * token stream of a split reads like the corpus; batches shuffle sequences later anyway.
 */
export function splitDocuments<D extends Document>(
  docs: readonly D[],
  options: SplitOptions,
): DocumentSplits<D> {
  const fractions = options.fractions ?? DEFAULT_FRACTIONS;
  const counts = splitCounts(docs.length, fractions);
  const seen = new Set<string>();
  const keyed = docs.map((doc, index) => {
    if (seen.has(doc.id)) throw new Error(`splitDocuments: duplicate document id '${doc.id}'`);
    seen.add(doc.id);
    return { index, id: doc.id, key: splitKey(options.seed, doc.id) };
  });
  keyed.sort((a, b) => a.key - b.key || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const assignment = new Array<SplitName>(docs.length);
  keyed.forEach((k, rank) => {
    assignment[k.index] =
      rank < counts.validation ? 'validation' : rank < counts.validation + counts.test ? 'test' : 'train';
  });
  const out: DocumentSplits<D> = { train: [], validation: [], test: [] };
  docs.forEach((doc, i) => {
    out[assignment[i]].push(doc);
  });
  return out;
}
