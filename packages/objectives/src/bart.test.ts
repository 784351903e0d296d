import { Rng } from '@pretrain-lab/runtime/rng';
import { describe, expect, it } from 'vitest';
import { bartNoise, fixedCountNoiseMask, rotateDocument, tokenDeletion, tokenMasking } from './bart.js';
import { BART_STREAM, textInfilling } from './bart-infilling.js';
import { dropNoiseTokens } from './denoise.js';
import { ceilCount } from './objective-options.js';
import { permuteSentences } from './sentence-permutation.js';
import { range, sigmas } from './testing.js';

const MASK = 0; // the test tokens are 1..n
const bits = (mask: ArrayLike<number>) => Array.from(mask).join('');

describe('token masking and token deletion (BART 2.2)', () => {
  it('pin a fixed seed: the same mask, masked or deleted', () => {
    const masked = tokenMasking(range(12), { seed: 1, noiseDensity: 0.3, maskId: MASK });
    expect(bits(masked.noiseMask)).toBe('100000110001'); // ceil(3.6) = 4 tokens
    expect([...masked.inputs]).toEqual([0, 2, 3, 4, 5, 6, 0, 0, 9, 10, 11, 0]);
    expect([...masked.targets]).toEqual([...range(12)]);
    const deleted = tokenDeletion(range(12), { seed: 1, noiseDensity: 0.3 });
    expect([...deleted.inputs]).toEqual([2, 3, 4, 5, 6, 9, 10, 11]);
    expect([...deleted.targets]).toEqual([...range(12)]);
  });

  it('corrupt exactly ceil(L d) tokens, over many lengths, densities and seeds', () => {
    expect([ceilCount(10, 0.3), ceilCount(5, 0.15), ceilCount(7, 0), ceilCount(3, 1)]).toEqual([3, 1, 0, 3]);
    for (const length of [0, 1, 5, 10, 77]) {
      for (const density of [0, 0.15, 0.3, 1]) {
        for (let seed = 0; seed < 20; seed++) {
          const k = ceilCount(length, density);
          const masked = tokenMasking(range(length), { seed, noiseDensity: density, maskId: MASK });
          expect(masked.noiseMask.reduce((a, b) => a + b, 0)).toBe(k);
          expect([...masked.inputs]).toEqual(
            Array.from(range(length), (t, i) => (masked.noiseMask[i] ? MASK : t)),
          );
          const deleted = tokenDeletion(range(length), { seed, noiseDensity: density });
          expect([...deleted.inputs]).toEqual([...dropNoiseTokens(range(length), deleted.noiseMask)]);
          expect(deleted.inputs.length).toBe(length - k);
        }
      }
    }
  });

  it('choose every position with probability k / L (4 standard errors over 10k seeds)', () => {
    const draws = 10_000;
    const counts = new Float64Array(10);
    const rng = new Rng(3);
    for (let i = 0; i < draws; i++) {
      const mask = fixedCountNoiseMask(10, 0.3, rng);
      for (let j = 0; j < 10; j++) counts[j] += mask[j];
    }
    for (let j = 0; j < 10; j++)
      expect(Math.abs(counts[j] / draws - 0.3), `position ${j}`).toBeLessThan(sigmas(4, 0.3, draws));
  });
});

describe('document rotation (BART 2.2)', () => {
  it('pins a fixed seed and is always a rotation', () => {
    const ex = rotateDocument(range(12), { seed: 1 });
    expect(ex.start).toBe(6);
    expect([...ex.inputs]).toEqual([7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5, 6]);
    expect([...ex.targets]).toEqual([...range(12)]);
    for (let seed = 0; seed < 50; seed++) {
      const r = rotateDocument(range(9), { seed });
      expect([...r.inputs]).toEqual([...range(9)].map((_, i) => ((i + r.start) % 9) + 1));
    }
    expect(rotateDocument([], { seed: 0 }).inputs.length).toBe(0);
  });

  it('starts at a uniformly chosen token, the first included (4 sd over 16k draws)', () => {
    const draws = 16_000;
    const counts = new Float64Array(8);
    for (let seed = 0; seed < draws; seed++) counts[rotateDocument(range(8), { seed }).start]++;
    for (let s = 0; s < 8; s++)
      expect(Math.abs(counts[s] / draws - 1 / 8), `start ${s}`).toBeLessThan(sigmas(4, 1 / 8, draws));
  });
});

describe('bartNoise: the transforms composed in fairseq order from one stream', () => {
  const tokens = Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const sentenceEndIds = [3, 7];

  it("pins a fixed seed of BART's recipe (sentence permutation + text infilling)", () => {
    const ex = bartNoise(tokens, {
      seed: 1,
      maskId: MASK,
      sentencePermutation: { sentenceEndIds },
      masking: { kind: 'text-infilling', noiseDensity: 0.3 },
    });
    expect([...ex.inputs]).toEqual([4, 5, 6, 7, 8, 9, 0, 12, 0, 3]);
    expect([...ex.targets]).toEqual([...tokens]);
  });

  it('equals the stages applied by hand to one generator', () => {
    for (let seed = 0; seed < 30; seed++) {
      const rng = Rng.derive(seed, BART_STREAM);
      const permuted = permuteSentences(tokens, { sentenceEndIds, rng }).inputs;
      const infilled = textInfilling(permuted, { noiseDensity: 0.3, maskId: MASK, rng }).inputs;
      const rotated = rotateDocument(infilled, { rng }).inputs;
      const ex = bartNoise(tokens, {
        seed,
        maskId: MASK,
        sentencePermutation: { sentenceEndIds },
        masking: { kind: 'text-infilling', noiseDensity: 0.3 },
        documentRotation: true,
      });
      expect([...ex.inputs]).toEqual([...rotated]);
    }
  });

  it('with no transform is the identity; permutation and rotation keep every token', () => {
    expect([...bartNoise(tokens, { seed: 0, maskId: MASK }).inputs]).toEqual([...tokens]);
    for (let seed = 0; seed < 30; seed++) {
      const ex = bartNoise(tokens, {
        seed,
        maskId: MASK,
        sentencePermutation: { sentenceEndIds },
        documentRotation: true,
      });
      expect([...ex.inputs].sort((a, b) => a - b)).toEqual([...tokens]);
      const deleted = bartNoise(tokens, {
        seed,
        maskId: MASK,
        masking: { kind: 'token-deletion', noiseDensity: 0.25 },
      });
      expect(deleted.inputs.length).toBe(9);
    }
  });

  it('explains bad options', () => {
    expect(() => bartNoise(tokens, { seed: 0, maskId: MASK, masking: { kind: 'shuffle' } as never })).toThrow(
      /unknown masking kind 'shuffle'/,
    );
    expect(() => bartNoise(tokens, { seed: 0, maskId: MASK, rotate: true } as never)).toThrow(
      /unknown option 'rotate'/,
    );
    expect(() => tokenMasking(tokens, { seed: 0, noiseDensity: 1.5, maskId: MASK })).toThrow(
      /noiseDensity must be in \[0, 1\]/,
    );
    expect(() => tokenMasking(tokens, { seed: 0, noiseDensity: 0.1, maskId: 0.5 })).toThrow(/integer maskId/);
    expect(() => rotateDocument(tokens, {})).toThrow(/exactly one of `seed` or `rng`/);
  });
});
