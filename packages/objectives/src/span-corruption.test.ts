import { Rng } from '@pretrain-lab/runtime/rng';
import { describe, expect, it } from 'vitest';
import {
  iidNoiseMask,
  noiseSpanToUniqueSentinel,
  nonnoiseSpanToUniqueSentinel,
  randomSegmentation,
  randomSpansHelper,
  randomSpansNoiseMask,
  roundHalfToEven,
  showSpanCorruption,
  spanCorruption,
  spanCorruptionFromMask,
  spanNoiseCounts,
  t5SentinelId,
} from './span-corruption.js';

// Tiny vocabulary: ordinary tokens are small positive ids, sentinel k is 999 - k (T5's
// vocab_size - 1 - k with vocab_size 1000), EOS is 1000.
const sentinelId = t5SentinelId(1000);
const EOS = 1000;
const isSentinel = (id: number) => id > 600 && id < 1000; // test tokens stay below 600
const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i + 1);

/** Lengths of the runs of `value` in mask, in order. */
function runs(mask: ArrayLike<number>, value: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] !== value) continue;
    if (i === 0 || mask[i - 1] !== value) out.push(0);
    out[out.length - 1]++;
  }
  return out;
}

/** Puts each target span back in place of its sentinel in the inputs (EOS already removed). */
function reconstruct(inputs: ArrayLike<number>, targets: ArrayLike<number>): number[] {
  const spans = new Map<number, number[]>();
  let current: number[] | undefined;
  for (const t of Array.from(targets)) {
    if (isSentinel(t)) {
      current = [];
      spans.set(t, current);
    } else if (current) current.push(t);
    else throw new Error('targets must start with a sentinel');
  }
  return Array.from(inputs).flatMap((t) => (isSentinel(t) ? (spans.get(t) ?? []) : [t]));
}

describe('roundHalfToEven', () => {
  it('rounds halves to the even neighbour, like tf.round and Python 3 round', () => {
    expect(roundHalfToEven(0.5)).toBe(0);
    expect(roundHalfToEven(1.5)).toBe(2);
    expect(roundHalfToEven(2.5)).toBe(2);
    expect(roundHalfToEven(3.5)).toBe(4);
    expect(roundHalfToEven(-1.5)).toBe(-2);
    expect(roundHalfToEven(-2.5)).toBe(-2);
    expect(Object.is(roundHalfToEven(-0.5), -0)).toBe(true);
    expect(roundHalfToEven(2.4999)).toBe(2);
    expect(roundHalfToEven(2.5001)).toBe(3);
    expect(roundHalfToEven(7)).toBe(7);
  });
});

describe('t5SentinelId', () => {
  it('gives <extra_id_0> the last id and counts down', () => {
    expect([0, 1, 2].map(t5SentinelId(32100))).toEqual([32099, 32098, 32097]);
    expect(() => t5SentinelId(3)(3)).toThrow(/does not fit/);
  });
});

describe('spanNoiseCounts', () => {
  it('computes the counts as T5 does, in float32', () => {
    expect(spanNoiseCounts(512, 0.15, 3)).toEqual({
      workingLength: 512,
      numNoiseTokens: 77, // round(76.8)
      numNonNoiseTokens: 435,
      numNoiseSpans: 26, // round(25.67)
    });
    // 190 * 0.15 is 28.5 in doubles (-> 28) but 28.500002 in float32 (-> 29), as in TensorFlow.
    expect(spanNoiseCounts(190, 0.15, 3).numNoiseTokens).toBe(29);
    // Ties go to even: 10 * 0.25 = 2.5 -> 2 noise tokens; 2 / 4 = 0.5 -> 0 spans -> at least 1.
    expect(spanNoiseCounts(10, 0.25, 4)).toMatchObject({ numNoiseTokens: 2, numNoiseSpans: 1 });
  });

  it('clamps to at least one noise and one kept token, and works on max(length, 2)', () => {
    expect(spanNoiseCounts(10, 0, 3).numNoiseTokens).toBe(1);
    expect(spanNoiseCounts(10, 1, 10).numNoiseTokens).toBe(9);
    expect(spanNoiseCounts(1, 0.15, 3)).toEqual({
      workingLength: 2,
      numNoiseTokens: 1,
      numNonNoiseTokens: 1,
      numNoiseSpans: 1,
    });
  });

  it('says why when the spans cannot fit (the reference fails with a shape error)', () => {
    expect(() => spanNoiseCounts(100, 0.6, 1)).toThrow(/cannot place 60 noise spans/);
    expect(() => spanNoiseCounts(100, 0.15, 0.4)).toThrow(/cannot place/);
    expect(() => spanNoiseCounts(100, 1.5, 3)).toThrow(/noiseDensity/);
    expect(() => spanNoiseCounts(-1, 0.15, 3)).toThrow(/non-negative integer/);
  });
});

describe('randomSegmentation', () => {
  it('splits into positive parts that sum to the total', () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 200; trial++) {
      const numItems = 1 + rng.int(40);
      const numSegments = 1 + rng.int(numItems);
      const parts = randomSegmentation(numItems, numSegments, rng);
      expect(parts.length).toBe(numSegments);
      expect(parts.every((p) => p >= 1)).toBe(true);
      expect(parts.reduce((a, b) => a + b, 0)).toBe(numItems);
    }
    expect(() => randomSegmentation(3, 4, rng)).toThrow(/numSegments <= numItems/);
  });

  it('makes every composition equally likely (5 items in 3 parts: 6 compositions)', () => {
    const rng = new Rng(11);
    const draws = 6000;
    const counts = new Map<string, number>();
    for (let i = 0; i < draws; i++) {
      const key = randomSegmentation(5, 3, rng).join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['1,1,3', '1,2,2', '1,3,1', '2,1,2', '2,2,1', '3,1,1']);
    // Each ~1000; binomial sd ~29, so +-150 is > 5 sd.
    for (const c of counts.values()) expect(Math.abs(c - draws / 6)).toBeLessThan(150);
  });
});

describe('randomSpansNoiseMask: golden values', () => {
  // Computed once by this implementation (seed 1 via Rng.derive(1, 'span-corruption')) and
  // checked by hand: 20 tokens at 0.3 give round(6.0000002) = 6 noise tokens in round(6/2) = 3
  // spans ([2], [5..8], [20]); the mask starts kept and ends with noise; inputs put one sentinel
  // per noise span in order (999, 998, 997); targets are sentinel, span, ...; EOS on both.
  it('pins 20 tokens at density 0.3, mean span 2, seed 1', () => {
    const ex = spanCorruption(range(20), {
      noiseDensity: 0.3,
      meanNoiseSpanLength: 2,
      seed: 1,
      sentinelId,
      eosId: EOS,
    });
    expect(Array.from(ex.noiseMask).join('')).toBe('01001111000000000001');
    expect(Array.from(ex.inputs)).toEqual([
      1, 999, 3, 4, 998, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 997, 1000,
    ]);
    expect(Array.from(ex.targets)).toEqual([999, 2, 998, 5, 6, 7, 8, 997, 20, 1000]);
  });

  it('pins mean span 1 (i.i.d. style): 5 single noise tokens, never adjacent', () => {
    const ex = spanCorruption(range(20), {
      noiseDensity: 0.25,
      meanNoiseSpanLength: 1,
      seed: 1,
      sentinelId,
      eosId: EOS,
    });
    expect(Array.from(ex.noiseMask).join('')).toBe('00010001010000000101');
    expect(Array.from(ex.inputs)).toEqual([
      1, 2, 3, 999, 5, 6, 7, 998, 9, 997, 11, 12, 13, 14, 15, 16, 17, 996, 19, 995, 1000,
    ]);
    expect(Array.from(ex.targets)).toEqual([999, 4, 998, 8, 997, 10, 996, 18, 995, 20, 1000]);
  });

  it('is not random at all when there is one span: the noise is always the last tokens', () => {
    // 20 * 0.15 -> 3 noise tokens, round(3 / 3) = 1 span, and the mask must end with noise.
    // The same holds for T5's reference at every length up to 30 at 0.15 / 3.
    for (let seed = 0; seed < 20; seed++) {
      const mask = randomSpansNoiseMask(20, 0.15, 3, new Rng(seed));
      expect(Array.from(mask).join('')).toBe('00000000000000000111');
    }
  });
});

describe('textbook example: "I love this red car"', () => {
  // Token ids: I=1 love=2 this=3 red=4 car=5; <X>=999, <Y>=998, <Z>=997.
  const tokens = Int32Array.from([1, 2, 3, 4, 5]);
  const mask = Uint8Array.from([0, 1, 0, 1, 1]);

  it('gives inputs "I <X> this <Y>" and targets "<X> love <Y> red car" (T5 reference)', () => {
    expect(Array.from(noiseSpanToUniqueSentinel(tokens, mask, sentinelId))).toEqual([1, 999, 3, 998]);
    expect(Array.from(nonnoiseSpanToUniqueSentinel(tokens, mask, sentinelId))).toEqual([999, 2, 998, 4, 5]);
    const ex = spanCorruptionFromMask(tokens, mask, { sentinelId });
    expect(Array.from(ex.inputs)).toEqual([1, 999, 3, 998]);
    expect(Array.from(ex.targets)).toEqual([999, 2, 998, 4, 5]);
  });

  it('appends <Z> with finalSentinel (textbook / paper form), and EOS after it on both sides', () => {
    const ex = spanCorruptionFromMask(tokens, mask, { sentinelId, finalSentinel: true });
    expect(Array.from(ex.targets)).toEqual([999, 2, 998, 4, 5, 997]);
    const withEos = spanCorruptionFromMask(tokens, mask, { sentinelId, finalSentinel: true, eosId: EOS });
    expect(Array.from(withEos.inputs)).toEqual([1, 999, 3, 998, EOS]);
    expect(Array.from(withEos.targets)).toEqual([999, 2, 998, 4, 5, 997, EOS]);
  });

  it("needs no extra sentinel when the text ends with kept tokens (the paper's Figure 2)", () => {
    // "Thank you for inviting me to your party last week ." -> "Thank you <X> me to your party <Y> week ."
    // and "<X> for inviting <Y> last <Z>": the reference makes <Z> from the trailing kept span.
    const words = Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const paperMask = Uint8Array.from([0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0]);
    for (const finalSentinel of [false, true]) {
      const ex = spanCorruptionFromMask(words, paperMask, { sentinelId, finalSentinel });
      expect(Array.from(ex.inputs)).toEqual([1, 2, 999, 5, 6, 7, 8, 998, 10, 11]);
      expect(Array.from(ex.targets)).toEqual([999, 3, 4, 998, 9, 997]);
    }
  });

  it("rejects a mask that starts with noise, where T5's two sentinel numberings disagree", () => {
    const startsNoisy = Uint8Array.from([1, 0, 0, 1, 0]);
    // The reference's raw behaviour: inputs call "I" <X>, targets call it nothing and use <X> for "love this".
    expect(Array.from(noiseSpanToUniqueSentinel(tokens, startsNoisy, sentinelId))).toEqual([
      999, 2, 3, 998, 5,
    ]);
    expect(Array.from(nonnoiseSpanToUniqueSentinel(tokens, startsNoisy, sentinelId))).toEqual([
      1, 999, 4, 998,
    ]);
    expect(() => spanCorruptionFromMask(tokens, startsNoisy, { sentinelId })).toThrow(
      /starts with a noise token/,
    );
    expect(() => spanCorruptionFromMask(tokens, Uint8Array.from([0, 1]), { sentinelId })).toThrow(
      /length 2 but there are 5/,
    );
  });
});

describe('short sequences (the reference computes on max(length, 2) and truncates)', () => {
  it('length 0 and 1 carry no noise; length 2 is one kept token then one noise token', () => {
    expect(Array.from(randomSpansNoiseMask(0, 0.15, 3, new Rng(1)))).toEqual([]);
    expect(Array.from(randomSpansNoiseMask(1, 0.15, 3, new Rng(1)))).toEqual([0]);
    expect(Array.from(randomSpansNoiseMask(2, 0.15, 3, new Rng(1)))).toEqual([0, 1]);
    const one = spanCorruption(Int32Array.from([7]), {
      noiseDensity: 0.15,
      meanNoiseSpanLength: 3,
      seed: 1,
      sentinelId,
      eosId: EOS,
    });
    expect(Array.from(one.inputs)).toEqual([7, EOS]);
    expect(Array.from(one.targets)).toEqual([999, EOS]);
    const empty = spanCorruption(new Int32Array(0), {
      noiseDensity: 0.15,
      meanNoiseSpanLength: 3,
      seed: 1,
      sentinelId,
      eosId: EOS,
    });
    expect(Array.from(empty.inputs)).toEqual([EOS]);
    expect(Array.from(empty.targets)).toEqual([EOS]);
  });
});

describe('invariants over many seeds', () => {
  const settings: Array<[number, number, number]> = [];
  for (const length of [3, 7, 20, 31, 64, 127, 568]) {
    for (const [density, mean] of [
      [0.15, 3],
      [0.15, 1],
      [0.5, 1],
      [0.25, 2],
      [0.15, 10],
      [0.3, 5],
    ] as const) {
      settings.push([length, density, mean]);
    }
  }

  it('holds for every draw', () => {
    let checked = 0;
    for (const [length, density, mean] of settings) {
      let counts: ReturnType<typeof spanNoiseCounts>;
      try {
        counts = spanNoiseCounts(length, density, mean);
      } catch {
        continue; // spans that cannot fit (e.g. 0.5 / 1 on 3 tokens) are rejected by design
      }
      for (let seed = 0; seed < 25; seed++) {
        const tokens = range(length);
        const ex = spanCorruption(tokens, {
          noiseDensity: density,
          meanNoiseSpanLength: mean,
          seed,
          sentinelId,
          eosId: EOS,
        });
        const mask = ex.noiseMask;
        const noise = runs(mask, 1);
        const kept = runs(mask, 0);
        // noise count == round_half_to_even(L * d) clamped to [1, L - 1]
        expect(noise.reduce((a, b) => a + b, 0)).toBe(counts.numNoiseTokens);
        // as many noise spans as computed, and as many kept spans (alternating)
        expect(noise.length).toBe(counts.numNoiseSpans);
        expect(kept.length).toBe(counts.numNoiseSpans);
        expect([...noise, ...kept].every((n) => n >= 1)).toBe(true);
        expect(mask[0]).toBe(0);
        expect(mask[length - 1]).toBe(1);
        // sentinels: unique, in order 999, 998, ... in both inputs and targets
        const inputs = Array.from(ex.inputs);
        const targets = Array.from(ex.targets);
        expect(inputs.pop()).toBe(EOS);
        expect(targets.pop()).toBe(EOS);
        const expected = Array.from({ length: counts.numNoiseSpans }, (_, k) => 999 - k);
        expect(inputs.filter(isSentinel)).toEqual(expected);
        expect(targets.filter(isSentinel)).toEqual(expected);
        expect(inputs.length).toBe(counts.numNonNoiseTokens + counts.numNoiseSpans);
        expect(targets.length).toBe(counts.numNoiseTokens + counts.numNoiseSpans);
        // inputs + targets give back the original
        expect(reconstruct(inputs, targets)).toEqual(Array.from(tokens));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(900);
  });

  it('mean span 1 gives numNoise single-token spans separated by kept tokens', () => {
    for (let seed = 0; seed < 50; seed++) {
      const mask = randomSpansNoiseMask(100, 0.15, 1, new Rng(seed));
      expect(runs(mask, 1)).toEqual(Array(15).fill(1));
      for (let i = 1; i < mask.length; i++) expect(mask[i] & mask[i - 1]).toBe(0);
    }
  });

  it('is reproducible from the seed, and differs between seeds', () => {
    const opts = { noiseDensity: 0.15, meanNoiseSpanLength: 3, sentinelId };
    const a = spanCorruption(range(200), { ...opts, seed: 5 });
    const b = spanCorruption(range(200), { ...opts, seed: 5 });
    const c = spanCorruption(range(200), { ...opts, seed: 6 });
    expect(Array.from(a.noiseMask)).toEqual(Array.from(b.noiseMask));
    expect(Array.from(a.noiseMask)).not.toEqual(Array.from(c.noiseMask));
    // seed s is the stream Rng.derive(s, 'span-corruption'); an rng is advanced by the call.
    const rng = Rng.derive(5, 'span-corruption');
    expect(Array.from(spanCorruption(range(200), { ...opts, rng }).noiseMask)).toEqual(
      Array.from(a.noiseMask),
    );
    expect(Array.from(spanCorruption(range(200), { ...opts, rng }).noiseMask)).not.toEqual(
      Array.from(a.noiseMask),
    );
  });
});

describe('statistics', () => {
  it('the first noise span follows the uniform-composition law, mean numNoise / numSpans', () => {
    // 100 tokens at 0.15 / 3: 15 noise tokens in 5 spans. For a uniform composition of n into k
    // positive parts, P(first part = j) = C(n - j - 1, k - 2) / C(n - 1, k - 1).
    const n = 15;
    const k = 5;
    const binom = (a: number, b: number) => {
      let r = 1;
      for (let i = 1; i <= b; i++) r = (r * (a - b + i)) / i;
      return r;
    };
    const draws = 4000;
    const hist = new Array(n + 1).fill(0);
    let sumAll = 0;
    let spansAll = 0;
    const noiseAt = new Array(100).fill(0);
    for (let seed = 0; seed < draws; seed++) {
      const mask = randomSpansNoiseMask(100, 0.15, 3, new Rng(seed));
      const noise = runs(mask, 1);
      hist[noise[0]]++;
      sumAll += noise.reduce((a, b) => a + b, 0);
      spansAll += noise.length;
      mask.forEach((m, i) => {
        noiseAt[i] += m;
      });
    }
    expect(sumAll / spansAll).toBe(n / k); // exact: both counts are fixed
    let mean = 0;
    for (let j = 1; j <= n - k + 1; j++) {
      const p = binom(n - j - 1, k - 2) / binom(n - 1, k - 1);
      mean += (j * hist[j]) / draws;
      expect(Math.abs(hist[j] / draws - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / draws) + 1e-3);
    }
    expect(Math.abs(mean - n / k)).toBeLessThan(0.1);
    // The first token is never noise, the last always is; in between, the noise rate is near 15%.
    expect(noiseAt[0]).toBe(0);
    expect(noiseAt[99]).toBe(draws);
    const middle = noiseAt.slice(10, 90).reduce((a, b) => a + b, 0) / (80 * draws);
    expect(Math.abs(middle - 0.15)).toBeLessThan(0.02);
  });

  it('iidNoiseMask draws each token independently at the given rate', () => {
    const mask = iidNoiseMask(20000, 0.15, new Rng(2));
    const rate = mask.reduce((a, b) => a + b, 0) / mask.length;
    expect(Math.abs(rate - 0.15)).toBeLessThan(0.01);
    // adjacent noise tokens do happen (about 0.15^2 of pairs), unlike with mean span 1
    let adjacent = 0;
    for (let i = 1; i < mask.length; i++) adjacent += mask[i] & mask[i - 1];
    expect(adjacent / (mask.length - 1)).toBeGreaterThan(0.015);
  });
});

describe('randomSpansHelper', () => {
  it('matches the reference cases', () => {
    expect(randomSpansHelper(64, 0.2, 2)).toEqual({ tokensLength: 70, targetsLength: 22 });
    expect(randomSpansHelper(64, 0.2, 1)).toEqual({ tokensLength: 63, targetsLength: 27 });
    expect(randomSpansHelper(512, 0.15, 3)).toEqual({ tokensLength: 568, targetsLength: 114 });
  });

  it('chunks of tokensLength corrupt to exactly inputsLength and targetsLength', () => {
    for (const [inputsLength, density, mean] of [
      [64, 0.2, 2],
      [64, 0.2, 1],
      [512, 0.15, 3],
      [128, 0.15, 3],
    ] as const) {
      const { tokensLength, targetsLength } = randomSpansHelper(inputsLength, density, mean);
      const ex = spanCorruption(range(tokensLength), {
        noiseDensity: density,
        meanNoiseSpanLength: mean,
        seed: 0,
        sentinelId,
        eosId: EOS,
      });
      expect([ex.inputs.length, ex.targets.length]).toEqual([inputsLength, targetsLength]);
    }
  });

  it('at density 0.5 trims one token so the targets fit the inputs length', () => {
    // 64 at 0.5 / 3: 95 tokens is the largest fit (round(47.5) = 48 noise, 47 kept, round(16) = 16
    // spans: inputs 47 + 16 + 1 = 64; 96 gives 65), but its targets are 48 + 16 + 1 = 65 > 64, so the
    // reference steps back to 94 tokens and 64 targets (47 + 16 + 1).
    expect(randomSpansHelper(64, 0.5, 3)).toEqual({ tokensLength: 94, targetsLength: 64 });
    // 64 at 0.5 / 2: 84 tokens give inputs 42 + 21 + 1 = 64 and targets 64; 85 gives
    // round(42.5) = 42 noise, 43 kept: 43 + 21 + 1 = 65 > 64. No trim needed.
    expect(randomSpansHelper(64, 0.5, 2)).toEqual({ tokensLength: 84, targetsLength: 64 });
  });
});

describe('options and the CLI view', () => {
  it('rejects unknown keys and ambiguous seeds', () => {
    const base = { noiseDensity: 0.15, meanNoiseSpanLength: 3, sentinelId };
    expect(() => spanCorruption(range(10), { ...base, seed: 1, meanSpan: 3 } as never)).toThrow(
      /unknown option 'meanSpan'/,
    );
    expect(() => spanCorruption(range(10), { ...base })).toThrow(/exactly one of `seed` or `rng`/);
    expect(() => spanCorruption(range(10), { ...base, seed: 1, rng: new Rng(1) })).toThrow(/exactly one/);
  });

  it('showSpanCorruption returns plain arrays that survive JSON', () => {
    const view = showSpanCorruption([5, 6, 7, 8, 9, 10, 11, 12, 13, 14], {
      noiseDensity: 0.3,
      meanNoiseSpanLength: 1,
      seed: 1,
      sentinelId,
      eosId: EOS,
      finalSentinel: true,
    });
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
    expect(view.numNoiseTokens).toBe(3);
    expect(view.numNoiseSpans).toBe(3);
    expect(view.targets.slice(-2)).toEqual([996, EOS]); // final sentinel <extra_id_3>, then EOS
    expect(view.noiseMask.length).toBe(10);
  });
});
