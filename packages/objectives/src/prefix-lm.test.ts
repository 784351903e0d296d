import { Rng } from '@pretrain-lab/runtime/rng';
import { describe, expect, it } from 'vitest';
import { denoise, dropNoiseTokens, dropNonnoiseTokens } from './denoise.js';
import {
  PREFIX_LM_STREAM,
  prefixLm,
  prefixLmAttentionMask,
  prefixLmDecoderExample,
  randomPrefixNoiseMask,
} from './prefix-lm.js';
import { range, sigmas } from './testing.js';

const EOS = 1000;
const bits = (mask: ArrayLike<number>) => Array.from(mask).join('');

describe('prefixLm (T5 prefix_lm)', () => {
  it('pins the split of a fixed seed, in both forms', () => {
    // Seed 3 splits twelve tokens after five.
    const ex = prefixLm(range(12), { seed: 3, eosId: EOS });
    expect([...ex.inputs]).toEqual([1, 2, 3, 4, 5, EOS]);
    expect([...ex.targets]).toEqual([6, 7, 8, 9, 10, 11, 12, EOS]);
    expect(bits(ex.noiseMask)).toBe('111110000000'); // T5's mask: the prefix is the "noise"
    const dec = prefixLmDecoderExample(range(12), { seed: 3 });
    expect(dec.prefixLength).toBe(5);
    expect([...dec.inputs]).toEqual([...range(11)]);
    expect([...dec.targets]).toEqual([...range(12)].slice(1));
    // Position 4 holds the last prefix token and predicts token 6, the first of the suffix.
    expect(bits(dec.lossMask)).toBe('00001111111');
  });

  it('is T5 denoise with random_prefix_noise_mask, drop_nonnoise_tokens, drop_noise_tokens', () => {
    for (let seed = 0; seed < 20; seed++) {
      const viaDenoise = denoise(range(30), {
        noiseMask: randomPrefixNoiseMask,
        inputs: dropNonnoiseTokens,
        targets: dropNoiseTokens,
        rng: Rng.derive(seed, PREFIX_LM_STREAM),
      });
      const ex = prefixLm(range(30), { seed });
      expect([...ex.inputs]).toEqual([...viaDenoise.inputs]);
      expect([...ex.targets]).toEqual([...viaDenoise.targets]);
    }
  });

  it('over many seeds: prefix + rest is the sequence, both non-empty, one draw, forms agree', () => {
    for (const length of [2, 3, 7, 64]) {
      for (let seed = 0; seed < 50; seed++) {
        const tokens = range(length);
        const ex = prefixLm(tokens, { seed, eosId: EOS });
        const p = ex.inputs.length - 1;
        expect(p).toBeGreaterThanOrEqual(1);
        expect(p).toBeLessThanOrEqual(length - 1);
        expect([...ex.inputs.subarray(0, p), ...ex.targets.subarray(0, -1)]).toEqual([...tokens]);
        expect([ex.inputs.at(-1), ex.targets.at(-1)]).toEqual([EOS, EOS]);
        // The decoder form of the same seed splits at the same place; EOS is the last target.
        const dec = prefixLmDecoderExample(tokens, { seed, eosId: EOS });
        expect(dec.prefixLength).toBe(p);
        expect(dec.targets.at(-1)).toBe(EOS);
        expect([...dec.inputs.subarray(1)]).toEqual([...dec.targets.subarray(0, -1)]);
        expect(dec.lossMask.reduce((a, b) => a + b, 0)).toBe(length + 1 - p); // the rest and EOS
        expect(dec.lossMask.indexOf(1)).toBe(p - 1);
        // Exactly one draw: int(length - 1).
        const rng = new Rng(seed);
        const after = new Rng(seed);
        after.int(length - 1);
        randomPrefixNoiseMask(length, rng);
        expect(rng.getState()).toEqual(after.getState());
      }
    }
  });

  it('draws the prefix length uniformly in [1, L - 1], half the sequence on average (T5 density 0.5)', () => {
    const length = 11;
    const draws = 20_000;
    const counts = new Float64Array(length);
    let total = 0;
    for (let seed = 0; seed < draws; seed++) {
      const p = prefixLm(range(length), { seed }).inputs.length;
      counts[p]++;
      total += p;
    }
    expect(counts[0]).toBe(0);
    for (let p = 1; p < length; p++) {
      expect(Math.abs(counts[p] / draws - 0.1), `prefix ${p}`).toBeLessThan(sigmas(4, 0.1, draws));
    }
    // Uniform on 1..10: mean 5.5 = L / 2, sd sqrt(99 / 12) = 2.87.
    expect(Math.abs(total / draws - length / 2)).toBeLessThan((4 * Math.sqrt(99 / 12)) / Math.sqrt(draws));
  });

  it('short sequences: an empty prefix, or an error where a causal example needs two tokens', () => {
    expect([...randomPrefixNoiseMask(1, new Rng(0))]).toEqual([0]);
    expect(randomPrefixNoiseMask(0, new Rng(0)).length).toBe(0);
    expect([...prefixLm([7], { seed: 0 }).targets]).toEqual([7]);
    expect(prefixLmDecoderExample([7], { seed: 0, eosId: EOS }).prefixLength).toBe(1);
    expect(() => prefixLmDecoderExample([7], { seed: 0 })).toThrow(/at least 2 tokens/);
  });

  it('explains bad options', () => {
    expect(() => prefixLm(range(5), { seed: 1, noiseDensity: 0.5 } as never)).toThrow(
      /prefixLm: unknown option 'noiseDensity'/,
    );
    expect(() => prefixLm(range(5), {})).toThrow(/exactly one of `seed` or `rng`/);
    expect(() => prefixLm(range(5), { seed: 1, rng: new Rng(1) })).toThrow(/exactly one/);
    expect(() => prefixLmDecoderExample(range(5), { seed: 1, eosId: 0.5 })).toThrow(
      /eosId must be an integer/,
    );
  });
});

describe('prefixLmAttentionMask', () => {
  it('is causal, plus the prefix visible to every position', () => {
    const rows = (m: Uint8Array, n: number) =>
      Array.from({ length: n }, (_, i) => bits(m.subarray(i * n, (i + 1) * n)));
    expect(rows(prefixLmAttentionMask(5, 3), 5)).toEqual(['11100', '11100', '11100', '11110', '11111']);
    expect(rows(prefixLmAttentionMask(3, 0), 3)).toEqual(['100', '110', '111']); // plain causal
    // A prefix position never sees the suffix; a suffix position never sees its future.
    const n = 9;
    for (let p = 0; p <= n; p++) {
      const m = prefixLmAttentionMask(n, p);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) expect(m[i * n + j], `${p} ${i} ${j}`).toBe(j <= i || j < p ? 1 : 0);
    }
    expect(() => prefixLmAttentionMask(4, 5)).toThrow(/prefixLength must be an integer in \[0, 4\]/);
  });
});
