import { describe, expect, it } from 'vitest';
import { buildBertInputs } from './bert-inputs.js';
import { type SopPair, sopPairs } from './sop.js';
import { docOf, posOf, tracedCorpus } from './testing.js';

const IDS = { clsId: 2, sepId: 3, padId: 0 } as const;
const maxTokens = 61; // maxLen 64

/** A segment is a contiguous run of one document's text. */
function isContiguous(tokens: ArrayLike<number>): boolean {
  for (let t = 1; t < tokens.length; t++) if (tokens[t] !== tokens[t - 1] + 1) return false;
  return true;
}

/** What is wrong with a pair, or '' (plain checks: per-token expect() calls are slow). */
function pairProblem(docs: Int32Array[][], p: SopPair, maxTokens: number): string {
  const { a, b, aSpan, bSpan } = p;
  if (a.length + b.length > maxTokens) return `too long: ${a.length} + ${b.length}`;
  if (a.length === 0 || b.length === 0) return 'an empty segment';
  if (aSpan.doc !== bSpan.doc) return 'segments from two documents';
  const d = aSpan.doc;
  if ([...a, ...b].some((t) => docOf(t) !== d)) return 'tokens from another document';
  if (!isContiguous(a) || !isContiguous(b)) return 'a segment is not a contiguous run of text';
  // Consecutive sentence spans: B right after A in order, A right after B when swapped.
  const [first, second] = p.swapped ? [bSpan, aSpan] : [aSpan, bSpan];
  if (first.end !== second.start || first.start >= first.end || second.start >= second.end)
    return `spans not consecutive: ${JSON.stringify([aSpan, bSpan])}`;
  // And so are the tokens: all of the first segment's precede the second's.
  const [x, y] = p.swapped ? [b, a] : [a, b];
  if (posOf(x[x.length - 1]) >= posOf(y[0])) return 'order of the tokens does not match the label';
  const untruncated =
    a.length + b.length === docs[d].slice(first.start, second.end).reduce((n, s) => n + s.length, 0);
  if (untruncated && y[0] !== x[x.length - 1] + 1) return 'untruncated segments are not adjacent';
  return '';
}

describe('sopPairs (ALBERT sentence-order prediction)', () => {
  it('pins a tiny corpus', () => {
    const docs = [
      [Int32Array.from([10, 11]), Int32Array.from([12]), Int32Array.from([13, 14, 15])],
      [Int32Array.from([20, 21, 22]), Int32Array.from([23])],
      [Int32Array.from([30])], // one sentence: no pair, and never a segment of another pair
    ];
    const show = (seed: number) =>
      sopPairs(docs, { maxTokens: 5, seed }).map(
        (p) =>
          `${p.swapped} [${[...p.a]}] [${[...p.b]}] ${p.aSpan.start}-${p.aSpan.end} ${p.bSpan.start}-${p.bSpan.end}`,
      );
    // Seed 3: doc 0's chunk is all three sentences (2 + 1 + 3 >= 5 tokens), split after the first
    // into [10 11] | [12 13 14 15], swapped, and the longer segment loses 15 to fit 5 tokens.
    expect(show(3)).toEqual(['1 [12,13,14] [10,11] 1-3 0-1', '0 [20,21,22] [23] 0-1 1-2']);
    expect(show(2)).toEqual(['0 [10,11,12] [13,14] 0-2 2-3', '0 [20,21,22] [23] 0-1 1-2']);
    // The BERT inputs: nspLabel is the SOP label, [CLS] A [SEP] B [SEP] as for the NSP formats.
    const examples = buildBertInputs(docs, { format: 'segment-pair-sop', ...IDS, maxLen: 8, seed: 3 });
    expect(
      examples.map((ex) => `${ex.nspLabel} ${[...ex.inputIds].join(' ')} / ${[...ex.tokenTypeIds].join('')}`),
    ).toMatchInlineSnapshot(`
      [
        "1 2 12 13 14 3 10 11 3 / 00000111",
        "0 2 20 21 22 3 23 3 0 / 00000110",
      ]
    `);
    expect(examples.every((ex) => ex.pairObjective === 'sop')).toBe(true);
  });

  it('about half the pairs are swapped (within 4 standard errors over > 20k pairs and 10 seeds)', () => {
    let pairs = 0;
    let swapped = 0;
    for (let seed = 0; seed < 10; seed++) {
      const out = sopPairs(tracedCorpus(100 + seed, 1000, 20, 3, 20), { maxTokens, seed });
      pairs += out.length;
      for (const p of out) swapped += p.swapped;
    }
    expect(pairs).toBeGreaterThan(20_000);
    expect(Math.abs(swapped / pairs - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / pairs));
  });

  it('every pair is two consecutive segments of one document, in the order its label says', () => {
    for (let seed = 0; seed < 5; seed++) {
      const docs = tracedCorpus(seed, 60, 12, 1, 30);
      docs.push([Int32Array.from({ length: 200 }, (_, k) => 10 + docs.length * 10000 + k)]); // one very long sentence
      const long = docs.length;
      docs.push([
        Int32Array.from({ length: 90 }, (_, k) => 10 + long * 10000 + k),
        Int32Array.from({ length: 90 }, (_, k) => 100 + long * 10000 + k),
      ]);
      for (const shortSeqProb of [0, 0.1]) {
        const pairs = sopPairs(docs, { maxTokens, seed, shortSeqProb });
        expect(pairs.map((p) => pairProblem(docs, p, maxTokens)).filter((m) => m !== '')).toEqual([]);
        expect(pairs.some((p) => p.swapped === 1) && pairs.some((p) => p.swapped === 0)).toBe(true);
      }
    }
  });

  it('builds segments as SEGMENT-PAIR does: chunks that fill the target and use every sentence', () => {
    const docs = tracedCorpus(21, 100, 20, 2, 12);
    const pairs = sopPairs(docs, { maxTokens, seed: 4 });
    const meanLength = pairs.reduce((s, p) => s + p.a.length + p.b.length, 0) / pairs.length;
    expect(meanLength).toBeGreaterThan(0.6 * maxTokens);
    expect(pairs.some((p) => p.aSpan.end - p.aSpan.start > 1)).toBe(true);
    const used = docs.map((s) => new Uint8Array(s.length));
    for (const p of pairs)
      for (const span of [p.aSpan, p.bSpan])
        for (let s = span.start; s < span.end; s++) used[span.doc][s] = 1;
    docs.forEach((sents, d) => {
      expect([...used[d]].every((u) => u === (sents.length >= 2 ? 1 : 0))).toBe(true);
    });
    // BERT's short_seq_prob gives some shorter pairs.
    const short = sopPairs(docs, { maxTokens, seed: 4, shortSeqProb: 0.5 });
    expect(short.length).toBeGreaterThan(pairs.length);
  });

  it('is deterministic for a seed, changes with it, and draws per document', () => {
    const docs = tracedCorpus(5, 50, 10, 1, 20);
    const key = (ps: SopPair[]) => ps.map((p) => `${p.swapped}:${[...p.a]}|${[...p.b]}`).join(';');
    expect(key(sopPairs(docs, { maxTokens, seed: 42 }))).toBe(key(sopPairs(docs, { maxTokens, seed: 42 })));
    expect(key(sopPairs(docs, { maxTokens, seed: 43 }))).not.toBe(
      key(sopPairs(docs, { maxTokens, seed: 42 })),
    );
    // A document's pairs do not depend on the others (here: on dropping the first document's text).
    const fewer = docs.map((s, d) => (d === 0 ? [] : s));
    const of = (ps: SopPair[], d: number) => key(ps.filter((p) => p.aSpan.doc === d));
    expect(of(sopPairs(fewer, { maxTokens, seed: 42 }), 7)).toBe(
      of(sopPairs(docs, { maxTokens, seed: 42 }), 7),
    );
  });

  it('needs no second document, unlike NSP, and explains bad options', () => {
    const one = [[Int32Array.from([1, 2]), Int32Array.from([3])]];
    expect(sopPairs(one, { maxTokens: 10, seed: 0 }).length).toBe(1);
    expect(() => sopPairs(one, { maxTokens: 1, seed: 0 })).toThrow(/SOP maxTokens must be an integer >= 2/);
    expect(() => sopPairs(one, { maxTokens: 9, seed: 0, shortSeqProb: 2 })).toThrow(/shortSeqProb/);
    expect(() => sopPairs(one, { maxTokens: 9, seed: 0, segments: 'x' } as never)).toThrow(
      /Unknown SOP option 'segments'/,
    );
  });
});

describe("buildBertInputs' segment-pair-sop format", () => {
  it('labels say whether the segments are swapped; sources name them in example order', () => {
    const docs = tracedCorpus(3, 80, 14, 1, 24);
    const examples = buildBertInputs(docs, { format: 'segment-pair-sop', ...IDS, maxLen: 64, seed: 9 });
    let bad = 0;
    for (const ex of examples) {
      const [a, b] = ex.sources;
      const sep = ex.inputIds.indexOf(IDS.sepId);
      const firstA = ex.inputIds[1];
      const firstB = ex.inputIds[sep + 1];
      if (a.doc !== b.doc || docOf(firstA) !== a.doc || docOf(firstB) !== a.doc) bad++;
      if (ex.nspLabel === 0 ? a.end !== b.start || firstB < firstA : b.end !== a.start || firstB > firstA)
        bad++;
    }
    expect(bad).toBe(0);
    expect(new Set(examples.map((e) => e.nspLabel))).toEqual(new Set([0, 1]));
  });
});
