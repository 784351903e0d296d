import { Rng } from '@pretrain-lab/runtime/rng';
import { describe, expect, it } from 'vitest';
import { denoise, permuteNoiseTokens } from './denoise.js';
import { allNoiseMask, DESHUFFLE_STREAM, deshuffle } from './deshuffle.js';
import { range } from './testing.js';

const EOS = 1000;

describe('deshuffle (T5 Table 4)', () => {
  it('pins the permutation of a fixed seed', () => {
    const ex = deshuffle(range(12), { seed: 1, eosId: EOS });
    expect([...ex.inputs]).toEqual([1, 12, 5, 8, 6, 7, 9, 11, 3, 2, 10, 4, EOS]);
    expect([...ex.targets]).toEqual([...range(12), EOS]);
    expect([...ex.noiseMask].every((m) => m === 1)).toBe(true);
  });

  it('is denoise with an all-noise mask and permute_noise_tokens', () => {
    for (let seed = 0; seed < 20; seed++) {
      const viaDenoise = denoise(range(17), {
        noiseMask: allNoiseMask,
        inputs: permuteNoiseTokens,
        rng: Rng.derive(seed, DESHUFFLE_STREAM),
      });
      expect([...deshuffle(range(17), { seed }).inputs]).toEqual([...viaDenoise.inputs]);
    }
  });

  it('keeps every token once, targets the original, and changes with the seed', () => {
    const seen = new Set<string>();
    for (const length of [0, 1, 2, 9, 100]) {
      for (let seed = 0; seed < 30; seed++) {
        const ex = deshuffle(range(length), { seed });
        expect([...ex.inputs].sort((a, b) => a - b)).toEqual([...range(length)]);
        expect([...ex.targets]).toEqual([...range(length)]);
        if (length === 100) seen.add([...ex.inputs].join(','));
      }
    }
    expect(seen.size).toBe(30);
  });

  it('makes all 24 orders of four tokens equally likely (each within 5 sd over 24k draws)', () => {
    const draws = 24_000;
    const counts = new Map<string, number>();
    const rng = new Rng(11);
    for (let i = 0; i < draws; i++) {
      const key = [...deshuffle(range(4), { rng }).inputs].join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    const sd = Math.sqrt(draws * (1 / 24) * (23 / 24)); // ~31
    for (const [key, c] of counts) expect(Math.abs(c - draws / 24), key).toBeLessThan(5 * sd);
  });

  it('explains bad options', () => {
    expect(() => deshuffle(range(3), { seed: 1, noiseDensity: 1 } as never)).toThrow(/unknown option/);
    expect(() => deshuffle(range(3), {})).toThrow(/exactly one of `seed` or `rng`/);
  });
});
