import { Rng } from '@pretrain-lab/runtime/rng';
import { describe, expect, it } from 'vitest';
import { type NspPair, nspPairs, truncateSeqPair } from './nsp.js';
import { docOf, posOf, tracedCorpus } from './testing.js';

function spanTokens(docs: Int32Array[][], doc: number, start: number, end: number): number[] {
  return docs[doc].slice(start, end).flatMap((s) => [...s]);
}

/** tokens are a contiguous run of one document's text. */
function isContiguous(tokens: ArrayLike<number>): boolean {
  for (let t = 1; t < tokens.length; t++) if (tokens[t] !== tokens[t - 1] + 1) return false;
  return true;
}
function expectContiguous(tokens: Int32Array): void {
  expect(isContiguous(tokens)).toBe(true);
}

/** What is wrong with a pair, or '' (plain checks: per-token expect() calls are slow). */
function pairProblem(docs: Int32Array[][], p: NspPair, maxTokens: number): string {
  if (p.a.length + p.b.length > maxTokens) return `too long: ${p.a.length} + ${p.b.length}`;
  if (!isContiguous(p.a) || !isContiguous(p.b)) return 'a segment is not a contiguous run of text';
  // With ids numbering each document's tokens, "a contiguous piece of the span" reduces to bounds.
  const inside = (seg: Int32Array, doc: number, start: number, end: number): boolean => {
    if (seg.length === 0) return true;
    const full = spanTokens(docs, doc, start, end);
    return full.length > 0 && seg[0] >= full[0] && seg[seg.length - 1] <= full[full.length - 1];
  };
  if (!inside(p.a, p.aSpan.doc, p.aSpan.start, p.aSpan.end)) return 'A is not cut from its span';
  if (!inside(p.b, p.bSpan.doc, p.bSpan.start, p.bSpan.end)) return 'B is not cut from its span';
  if (p.a.length > 0 && docOf(p.a[0]) !== p.aSpan.doc) return 'A is from the wrong document';
  if (p.isNext === 1) {
    // The true continuation: same document, B's sentences start where A's end.
    if (p.bSpan.doc !== p.aSpan.doc || p.bSpan.start !== p.aSpan.end) return 'positive B does not follow A';
    if (p.a.length > 0 && p.b.length > 0) {
      if (docOf(p.b[0]) !== docOf(p.a[0]) || posOf(p.b[0]) <= posOf(p.a[p.a.length - 1]))
        return 'positive B is not after A';
      const untruncated =
        p.a.length + p.b.length === spanTokens(docs, p.aSpan.doc, p.aSpan.start, p.bSpan.end).length;
      if (untruncated && p.b[0] !== p.a[p.a.length - 1] + 1)
        return 'untruncated positive B does not start right after A';
    }
  } else {
    if (p.bSpan.doc === p.aSpan.doc) return 'negative B from the same document';
    if (p.b.length > 0 && docOf(p.b[0]) === p.aSpan.doc) return 'negative B tokens from the same document';
  }
  return '';
}

describe('truncateSeqPair (BERT)', () => {
  it('trims the longer segment first, B on ties, only at the ends', () => {
    const a = Int32Array.from({ length: 10 }, (_, i) => i);
    const b = Int32Array.from({ length: 3 }, (_, i) => 100 + i);
    for (let seed = 0; seed < 20; seed++) {
      const [ta, tb] = truncateSeqPair(a, b, 8, new Rng(seed));
      expect([ta.length, tb.length]).toEqual([5, 3]);
      expectContiguous(ta);
      const [ua, ub] = truncateSeqPair(a, b, 4, new Rng(seed));
      expect([ua.length, ub.length]).toEqual([2, 2]); // 10+3 -> 3+3 -> then alternately, B first on the tie
      expect([...ub]).toEqual([...b].slice(ub[0] - 100, ub[0] - 100 + 2));
    }
    const [same] = truncateSeqPair(a, b, 20, new Rng(0));
    expect(same.length).toBe(10);
  });

  it('draws front or back with equal odds', () => {
    const a = Int32Array.from({ length: 1001 }, (_, i) => i);
    const [t] = truncateSeqPair(a, new Int32Array(0), 1, new Rng(3));
    const front = t[0]; // tokens removed from the front, out of 1000 removals
    // 4 sigma of Binomial(1000, 0.5) is 63.
    expect(Math.abs(front - 500)).toBeLessThan(63);
  });
});

describe('nspPairs', () => {
  const maxTokens = 61; // maxLen 64

  it('labels are 50/50 within 4 standard errors over > 20k pairs and 10 seeds, in both modes', () => {
    for (const segments of ['single-sentence', 'multi-sentence'] as const) {
      let pairs = 0;
      let positives = 0;
      for (let seed = 0; seed < 10; seed++) {
        const docs = tracedCorpus(100 + seed, segments === 'single-sentence' ? 300 : 900, 20, 3, 20);
        const out = nspPairs(docs, { segments, maxTokens, seed });
        pairs += out.length;
        for (const p of out) positives += p.isNext;
      }
      expect(pairs).toBeGreaterThan(20_000);
      // se = sqrt(.25 / n) = 0.35 pp at 20k pairs, so 4 sigma ~ 1.4 pp. BERT's own rule (a forced
      // negative for every single-sentence chunk) would sit several sigma below 50% here.
      expect(Math.abs(positives / pairs - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / pairs));
    }
  });

  it('positive B is the true continuation, negative B never comes from the same document, nothing exceeds maxTokens', () => {
    for (const segments of ['single-sentence', 'multi-sentence'] as const) {
      for (let seed = 0; seed < 5; seed++) {
        const docs = tracedCorpus(seed, 60, 12, 1, 30);
        docs.push([Int32Array.from({ length: 200 }, (_, k) => 10 + docs.length * 10000 + k)]); // one very long sentence
        const pairs = nspPairs(docs, { segments, maxTokens, seed, shortSeqProb: 0.1 });
        const problems = pairs.map((p) => pairProblem(docs, p, maxTokens)).filter((m) => m !== '');
        expect(problems).toEqual([]);
        expect(pairs.some((p) => p.isNext === 1) && pairs.some((p) => p.isNext === 0)).toBe(true);
      }
    }
  });

  it('single-sentence pairs hold one sentence each; segments of several sentences fill the target', () => {
    const docs = tracedCorpus(8, 100, 20, 2, 12);
    for (const p of nspPairs(docs, { segments: 'single-sentence', maxTokens: 200, seed: 1 })) {
      expect(p.aSpan.end - p.aSpan.start).toBe(1);
      expect(p.bSpan.end - p.bSpan.start).toBe(1);
    }
    const multi = nspPairs(docs, { segments: 'multi-sentence', maxTokens, seed: 1 });
    const meanLength = multi.reduce((s, p) => s + p.a.length + p.b.length, 0) / multi.length;
    expect(multi.some((p) => p.aSpan.end - p.aSpan.start > 1)).toBe(true);
    expect(meanLength).toBeGreaterThan(0.6 * maxTokens);
  });

  it('every sentence of a document with >= 2 sentences is used in A or as a positive B', () => {
    for (const segments of ['single-sentence', 'multi-sentence'] as const) {
      const docs = tracedCorpus(21, 80, 15, 1, 25);
      const used = docs.map((s) => new Uint8Array(s.length));
      for (const p of nspPairs(docs, { segments, maxTokens, seed: 4 })) {
        for (let s = p.aSpan.start; s < p.aSpan.end; s++) used[p.aSpan.doc][s] = 1;
        if (p.isNext) for (let s = p.bSpan.start; s < p.bSpan.end; s++) used[p.bSpan.doc][s] = 1;
      }
      docs.forEach((sents, d) => {
        if (sents.length >= 2) expect([...used[d]].every((u) => u === 1)).toBe(true);
      });
    }
  });

  it('is deterministic for a seed and changes with it', () => {
    const docs = tracedCorpus(5, 50, 10, 1, 20);
    const key = (ps: NspPair[]): string => ps.map((p) => `${p.isNext}:${[...p.a]}|${[...p.b]}`).join(';');
    const opts = { segments: 'multi-sentence', maxTokens, seed: 42 } as const;
    expect(key(nspPairs(docs, opts))).toBe(key(nspPairs(docs, opts)));
    expect(key(nspPairs(docs, { ...opts, seed: 43 }))).not.toBe(key(nspPairs(docs, opts)));
  });

  it('pins a tiny corpus', () => {
    const docs = [
      [Int32Array.from([10, 11]), Int32Array.from([12]), Int32Array.from([13, 14, 15])],
      [Int32Array.from([20, 21, 22]), Int32Array.from([23])],
      [Int32Array.from([30])],
    ];
    const shown = nspPairs(docs, { segments: 'multi-sentence', maxTokens: 5, seed: 1 }).map(
      (p) => `${p.isNext} [${[...p.a]}] [${[...p.b]}]`,
    );
    expect(shown).toMatchInlineSnapshot(`
      [
        "1 [10,11,12] [13,14]",
        "0 [20,21,22] [10,11]",
        "0 [23] [30]",
      ]
    `);
  });

  it('explains bad input', () => {
    const one = [[Int32Array.from([1, 2])]];
    expect(() => nspPairs(one, { segments: 'multi-sentence', maxTokens: 10, seed: 0 })).toThrow(
      /at least 2 non-empty documents/,
    );
    const two = [...one, [Int32Array.from([3])]];
    expect(() => nspPairs(two, { segments: 'multi-sentence', maxTokens: 1, seed: 0 })).toThrow(/maxTokens/);
    expect(() => nspPairs(two, { segments: 'pairs', maxTokens: 9, seed: 0 } as never)).toThrow(/segments/);
    expect(() =>
      nspPairs(two, { segments: 'multi-sentence', maxTokens: 9, seed: 0, nsp: true } as never),
    ).toThrow(/Unknown NSP option 'nsp'/);
  });
});
