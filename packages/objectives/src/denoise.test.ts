import { Rng } from '@pretrain-lab/runtime/rng';
import { describe, expect, it } from 'vitest';
import {
  type DenoiseFn,
  denoise,
  dropNoiseTokens,
  dropNonnoiseTokens,
  iidNoiseMask,
  noiseSpanToUniqueSentinel,
  noiseTokenToSentinel,
  nonnoiseSpanToUniqueSentinel,
  permuteNoiseTokens,
  randomSpansNoiseMask,
  t5SentinelId,
} from './denoise.js';
import { spanCorruption, spanNoiseCounts } from './span-corruption.js';

// Tiny vocabulary as in span-corruption.test.ts: ordinary tokens below 600, sentinel k is 999 - k,
// EOS 1000, a BERT-style mask id 4.
const sentinelId = t5SentinelId(1000);
const EOS = 1000;
const MASK = 4;
const isSentinel = (id: number) => id > 600 && id < 1000;
const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i + 1);
const bits = (mask: ArrayLike<number>) => Array.from(mask).join('');
const spanStages = {
  inputs: noiseSpanToUniqueSentinel(sentinelId),
  targets: nonnoiseSpanToUniqueSentinel(sentinelId),
};
const numRuns = (mask: ArrayLike<number>, value: number) => {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === value && (i === 0 || mask[i - 1] !== value)) n++;
  return n;
};

describe('building blocks: golden values for a fixed seed', () => {
  const tokens = range(12);
  // Drawn once with these seeds and checked by hand below.
  const spans = Uint8Array.from([0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1]); // tokens 3 4 5 and 12
  const iid = Uint8Array.from([1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0]); // tokens 1, 4, 10

  it('noise masks', () => {
    // round(12 * 0.3) = 4 noise tokens in round(4 / 2) = 2 spans, starting kept and ending noisy.
    expect(bits(randomSpansNoiseMask(12, 0.3, 2, new Rng(7)))).toBe(bits(spans));
    // Bernoulli(0.3) per token: 3 noise tokens this time, and the mask may start with noise.
    expect(bits(iidNoiseMask(12, 0.3, new Rng(7)))).toBe(bits(iid));
  });

  it('unique sentinels for noise spans (inputs) and non-noise spans (targets)', () => {
    const rng = new Rng(0);
    expect([...noiseSpanToUniqueSentinel(sentinelId)(tokens, spans, rng)]).toEqual([
      1, 2, 999, 6, 7, 8, 9, 10, 11, 998,
    ]);
    expect([...nonnoiseSpanToUniqueSentinel(sentinelId)(tokens, spans, rng)]).toEqual([
      999, 3, 4, 5, 998, 12,
    ]);
    // T5's raw behaviour when the mask starts with noise: "1" is sentinel 0 in the inputs but is
    // not preceded by a sentinel in the targets, so the numberings are one apart.
    expect([...noiseSpanToUniqueSentinel(sentinelId)(tokens, iid, rng)]).toEqual([
      999, 2, 3, 998, 5, 6, 7, 8, 9, 997, 11, 12,
    ]);
    expect([...nonnoiseSpanToUniqueSentinel(sentinelId)(tokens, iid, rng)]).toEqual([
      1, 999, 4, 998, 10, 997,
    ]);
    // The direct form, (tokens, noiseMask, sentinelId), gives the same.
    expect([...noiseSpanToUniqueSentinel(tokens, spans, sentinelId)]).toEqual([
      1, 2, 999, 6, 7, 8, 9, 10, 11, 998,
    ]);
    expect(rng.getState()).toEqual(new Rng(0).getState()); // nothing drawn
  });

  it('dropping noise or non-noise tokens', () => {
    expect([...dropNoiseTokens(tokens, spans)]).toEqual([1, 2, 6, 7, 8, 9, 10, 11]);
    expect([...dropNonnoiseTokens(tokens, spans)]).toEqual([3, 4, 5, 12]);
    expect([...dropNoiseTokens(tokens, iid)]).toEqual([2, 3, 5, 6, 7, 8, 9, 11, 12]);
    expect([...dropNonnoiseTokens(tokens, iid)]).toEqual([1, 4, 10]);
  });

  it('permuting the noise tokens among the noise positions', () => {
    expect([...permuteNoiseTokens(tokens, spans, new Rng(7))]).toEqual([
      1, 2, 12, 4, 5, 6, 7, 8, 9, 10, 11, 3,
    ]);
    expect([...permuteNoiseTokens(tokens, iid, new Rng(7))]).toEqual([10, 2, 3, 4, 5, 6, 7, 8, 9, 1, 11, 12]);
  });

  it('one mask token per noise token (MASS-style inputs)', () => {
    expect([...noiseTokenToSentinel(MASK)(tokens, spans, new Rng(0))]).toEqual([
      1, 2, 4, 4, 4, 6, 7, 8, 9, 10, 11, 4,
    ]);
    expect(noiseTokenToSentinel(sentinelId(0))(tokens, iid, new Rng(0))[0]).toBe(999); // T5's choice
  });

  it('denoise composes mask, inputs, targets and EOS, drawing from one generator in that order', () => {
    const drop = denoise(tokens, {
      noiseMask: (length, rng) => iidNoiseMask(length, 0.3, rng),
      inputs: dropNoiseTokens,
      targets: dropNonnoiseTokens,
      rng: new Rng(7),
      eosId: EOS,
    });
    expect(bits(drop.noiseMask)).toBe(bits(iid));
    expect([...drop.inputs]).toEqual([2, 3, 5, 6, 7, 8, 9, 11, 12, EOS]);
    expect([...drop.targets]).toEqual([1, 4, 10, EOS]);
    // Without targets, the targets are the original tokens (T5's targets_fn=None). The permutation
    // draws after the mask from the same stream.
    const rng = new Rng(7);
    const permuted = denoise(tokens, {
      noiseMask: (length, r) => randomSpansNoiseMask(length, 0.3, 2, r),
      inputs: permuteNoiseTokens,
      rng,
    });
    const again = new Rng(7);
    const mask = randomSpansNoiseMask(12, 0.3, 2, again);
    expect([...permuted.inputs]).toEqual([...permuteNoiseTokens(tokens, mask, again)]);
    expect(rng.getState()).toEqual(again.getState());
    expect([...permuted.targets]).toEqual([...tokens]);
    expect(permuted.targets).not.toBe(tokens); // a copy
  });

  it('the textbook example: "I love this red car" with "love", "red", "car" corrupted', () => {
    // I=1 love=2 this=3 red=4 car=5; <X>=999, <Y>=998.
    const ex = denoise(Int32Array.from([1, 2, 3, 4, 5]), {
      noiseMask: () => [false, true, false, true, true],
      ...spanStages,
      rng: new Rng(0),
    });
    expect([...ex.inputs]).toEqual([1, 999, 3, 998]);
    expect([...ex.targets]).toEqual([999, 2, 998, 4, 5]);
    expect(bits(ex.noiseMask)).toBe('01011'); // boolean masks come back as 0/1
  });
});

describe('spanCorruption is denoise with the two unique-sentinel stages', () => {
  it('gives the same example for the same stream', () => {
    for (const [length, density, mean] of [
      [20, 0.3, 2],
      [64, 0.15, 3],
      [127, 0.15, 1],
    ] as const) {
      for (let seed = 0; seed < 10; seed++) {
        const viaDenoise = denoise(range(length), {
          noiseMask: (n, rng) => randomSpansNoiseMask(n, density, mean, rng),
          ...spanStages,
          rng: Rng.derive(seed, 'span-corruption'),
          eosId: EOS,
        });
        const ex = spanCorruption(range(length), {
          noiseDensity: density,
          meanNoiseSpanLength: mean,
          seed,
          sentinelId,
          eosId: EOS,
        });
        expect([...ex.inputs]).toEqual([...viaDenoise.inputs]);
        expect([...ex.targets]).toEqual([...viaDenoise.targets]);
        expect(bits(ex.noiseMask)).toBe(bits(viaDenoise.noiseMask));
      }
    }
  });
});

describe('invariants over many seeds', () => {
  const lengths = [2, 5, 17, 64, 200];

  it('span corruption: every token once across inputs and targets, sentinels in order', () => {
    for (const masker of ['spans', 'iid'] as const) {
      for (const length of lengths) {
        for (let seed = 0; seed < 40; seed++) {
          const tokens = range(length);
          const ex = denoise(tokens, {
            noiseMask: (n, rng) =>
              masker === 'spans' ? randomSpansNoiseMask(n, 0.15, 3, rng) : iidNoiseMask(n, 0.15, rng),
            ...spanStages,
            rng: new Rng(seed),
          });
          const inputs = [...ex.inputs];
          const targets = [...ex.targets];
          const seen = [...inputs, ...targets].filter((t) => !isSentinel(t)).sort((a, b) => a - b);
          expect(seen).toEqual([...tokens]);
          // Inputs number the noise spans, targets the non-noise spans, each 999, 998, ... in order.
          const countdown = (k: number) => Array.from({ length: k }, (_, i) => 999 - i);
          expect(inputs.filter(isSentinel)).toEqual(countdown(numRuns(ex.noiseMask, 1)));
          expect(targets.filter(isSentinel)).toEqual(countdown(numRuns(ex.noiseMask, 0)));
          // Kept tokens stay in order in the inputs, noise tokens in the targets.
          expect(inputs.filter((t) => !isSentinel(t))).toEqual([...dropNoiseTokens(tokens, ex.noiseMask)]);
          expect(targets.filter((t) => !isSentinel(t))).toEqual([
            ...dropNonnoiseTokens(tokens, ex.noiseMask),
          ]);
          if (masker === 'spans') {
            // Random-spans masks start kept and end noisy, so the two numberings line up.
            expect(inputs.filter(isSentinel)).toEqual(targets.filter(isSentinel));
          }
        }
      }
    }
  });

  it('drop, permute and mask-token stages keep the lengths and tokens they should', () => {
    const rng = new Rng(99);
    for (const length of lengths) {
      for (let trial = 0; trial < 40; trial++) {
        const tokens = range(length);
        const mask = iidNoiseMask(length, 0.3, rng);
        const numNoise = mask.reduce((a, b) => a + b, 0);
        const kept = dropNoiseTokens(tokens, mask);
        const dropped = dropNonnoiseTokens(tokens, mask);
        expect([kept.length, dropped.length]).toEqual([length - numNoise, numNoise]);
        // Putting the two back by the mask restores the sequence.
        let k = 0;
        let d = 0;
        expect(Array.from(mask, (m) => (m ? dropped[d++] : kept[k++]))).toEqual([...tokens]);
        const permuted = permuteNoiseTokens(tokens, mask, rng);
        expect(permuted.length).toBe(length);
        expect([...permuted].filter((_, i) => !mask[i])).toEqual([...kept]);
        expect([...permuted].filter((_, i) => mask[i]).sort((a, b) => a - b)).toEqual([...dropped]);
        const masked = noiseTokenToSentinel(MASK)(tokens, mask, rng);
        expect([...masked]).toEqual(Array.from(tokens, (t, i) => (mask[i] ? MASK : t)));
      }
    }
  });

  it('randomSpansNoiseMask holds exactly round(L * d) noise tokens', () => {
    for (const length of lengths) {
      const { numNoiseTokens } = spanNoiseCounts(length, 0.15, 3);
      for (let seed = 0; seed < 40; seed++) {
        expect(randomSpansNoiseMask(length, 0.15, 3, new Rng(seed)).reduce((a, b) => a + b, 0)).toBe(
          numNoiseTokens,
        );
      }
    }
  });
});

describe('statistics over many seeds', () => {
  it('the noise fraction is close to the density, for both masks, through denoise', () => {
    for (const density of [0.15, 0.3, 0.5]) {
      for (const masker of ['spans', 'iid'] as const) {
        let noise = 0;
        let total = 0;
        for (let seed = 0; seed < 1000; seed++) {
          const ex = denoise(range(100), {
            noiseMask: (n, rng) =>
              masker === 'spans' ? randomSpansNoiseMask(n, density, 2, rng) : iidNoiseMask(n, density, rng),
            inputs: dropNoiseTokens,
            targets: dropNonnoiseTokens,
            rng: new Rng(seed),
          });
          noise += ex.targets.length;
          total += 100;
        }
        // Spans: exactly round(100 d) per example. i.i.d.: binomial, se sqrt(d(1-d)/100k) < 0.0016.
        const bound = masker === 'spans' ? 1e-12 : 4 * Math.sqrt((density * (1 - density)) / total);
        expect(Math.abs(noise / total - density), `${masker} ${density}`).toBeLessThan(bound);
      }
    }
  });

  it('permuteNoiseTokens makes every order of the noise tokens equally likely', () => {
    const tokens = range(6);
    const mask = Uint8Array.from([0, 1, 0, 1, 1, 0]); // tokens 2, 4, 5: 6 orders
    const draws = 6000;
    const counts = new Map<string, number>();
    const rng = new Rng(5);
    for (let i = 0; i < draws; i++) {
      const key = [...permuteNoiseTokens(tokens, mask, rng)].join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    // Each ~1000; binomial sd ~29, so +-150 is > 5 sd.
    for (const c of counts.values()) expect(Math.abs(c - draws / 6)).toBeLessThan(150);
  });
});

describe('errors', () => {
  const tokens = range(5);
  const base = { noiseMask: () => new Uint8Array(5), inputs: dropNoiseTokens, rng: new Rng(0) };

  it('explains bad options and masks of the wrong length', () => {
    expect(() => denoise(tokens, { ...base, noiseDensity: 0.15 } as never)).toThrow(
      /unknown option 'noiseDensity'/,
    );
    expect(() => denoise(tokens, { ...base, noiseMask: () => new Uint8Array(4) })).toThrow(
      /noise mask has length 4 but there are 5 tokens/,
    );
    expect(() => denoise(tokens, { ...base, eosId: 1.5 })).toThrow(/eosId must be an integer/);
    expect(() => dropNoiseTokens(tokens, [0, 1])).toThrow(/length 2 but there are 5/);
    expect(() => noiseTokenToSentinel(0.5)).toThrow(/integer maskId/);
    const badSentinel: DenoiseFn = noiseSpanToUniqueSentinel(() => Number.NaN);
    expect(() => badSentinel(tokens, Uint8Array.from([0, 1, 0, 0, 0]), new Rng(0))).toThrow(
      /integer token id/,
    );
    expect(() =>
      (noiseSpanToUniqueSentinel as (...a: unknown[]) => unknown)(tokens, [0, 0, 0, 0, 0]),
    ).toThrow(/call with \(sentinelId\)/);
  });
});
