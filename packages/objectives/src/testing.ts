/** Test corpora and statistics for the objectives' tests (not exported from the package index). */
import { Rng } from '@pretrain-lab/runtime/rng';

/**
 * A synthetic corpus whose token ids say where they come from: id = 10 + doc * 10000 + k, k the
 * running token index in the document. So any token can be traced back to its document and place.
 */
export function tracedCorpus(
  seed: number,
  numDocs: number,
  maxSentences: number,
  minWords: number,
  maxWords: number,
): Int32Array[][] {
  const rng = new Rng(seed);
  const docs: Int32Array[][] = [];
  for (let d = 0; d < numDocs; d++) {
    const sentences: Int32Array[] = [];
    let k = 10 + d * 10000;
    for (let n = 1 + rng.int(maxSentences); n > 0; n--) {
      const s = new Int32Array(minWords + rng.int(maxWords - minWords + 1));
      for (let t = 0; t < s.length; t++) s[t] = k++;
      sentences.push(s);
    }
    docs.push(sentences);
  }
  return docs;
}

/** The document a traced token came from. */
export const docOf = (id: number): number => Math.floor((id - 10) / 10000);
/** Its running index within that document. */
export const posOf = (id: number): number => (id - 10) % 10000;

/** [n] token ids 1..n, so that no token is 0 (a mask or pad id in the tests). */
export const range = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i + 1);

/**
 * k standard errors of a binomial proportion p over n trials. The statistical tests allow 4 (two-sided
 * p ~ 6e-5 per check) on a fixed set of seeds, so they are deterministic and still catch a wrong rate.
 */
export const sigmas = (k: number, p: number, n: number): number => k * Math.sqrt((p * (1 - p)) / n);
