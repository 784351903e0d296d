import { describe, expect, it } from 'vitest';
import {
  countParams,
  flopsPerToken,
  flopsToPfDays,
  forwardFlopsPerToken,
  pfDaysToFlops,
  trainingCompute,
} from './params.js';

// GPT-ref from PLATFORM-NOTES: vocab 256, context 128, width 128, 4 layers, MLP 4x.
const gptRef = { vocabSize: 256, seqLen: 128, dModel: 128, numLayers: 4, tieEmbeddings: true };

describe('countParams', () => {
  it('GPT-ref: Kaplan N = 12 L d^2 = 786,432; with biases and LayerNorms 793,344', () => {
    const c = countParams(gptRef);
    expect(c.nonEmbedding).toBe(12 * 4 * 128 * 128);
    expect(c.nonEmbedding).toBe(786_432);
    expect(c.nonEmbeddingWithBiases).toBe(793_344);
    expect(c.embedding).toBe(256 * 128 + 128 * 128);
    expect(c.lmHead).toBe(0);
    expect(c.total).toBe(793_344 + 256 * 128 + 128 * 128);
  });

  it('hand count of one tiny layer, untied head', () => {
    // d 2, dFF 3, V 5, T 4, 1 layer.
    // ln_1 4, c_attn 2*6+6=18, c_proj 4+2=6, ln_2 4, c_fc 6+3=9, c_proj 6+2=8 -> 49; ln_f 4 -> 53.
    const c = countParams({ vocabSize: 5, seqLen: 4, dModel: 2, numLayers: 1, dFF: 3, tieEmbeddings: false });
    expect(c.nonEmbeddingWithBiases).toBe(53);
    expect(c.nonEmbedding).toBe(2 * 1 * 2 * (2 * 2 + 3));
    expect(c.embedding).toBe(10 + 8 + 10);
    expect(c.total).toBe(53 + 28);
  });

  it('dFF defaults to 4 d, so N = 12 L d^2', () => {
    for (const [L, d] of [
      [2, 64],
      [6, 256],
      [12, 768],
    ]) {
      const c = countParams({ vocabSize: 50257, seqLen: 1024, dModel: d, numLayers: L, tieEmbeddings: true });
      expect(c.nonEmbedding).toBe(12 * L * d * d);
    }
  });

  it('GPT-2 small total is the familiar 124,439,808', () => {
    const c = countParams({
      vocabSize: 50257,
      seqLen: 1024,
      dModel: 768,
      numLayers: 12,
      tieEmbeddings: true,
    });
    expect(c.total).toBe(124_439_808);
  });

  it('rejects bad shapes with the field name', () => {
    expect(() => countParams({ ...gptRef, numLayers: 0 })).toThrow(/numLayers/);
    expect(() => countParams({ ...gptRef, dModel: 1.5 })).toThrow(/dModel/);
  });
});

describe('flops', () => {
  it('Kaplan forward = 2N + 2 L T d; training = 3x forward', () => {
    const N = 786_432;
    expect(forwardFlopsPerToken(gptRef)).toBe(2 * N + 2 * 4 * 128 * 128);
    expect(flopsPerToken(gptRef)).toBe(6 * N + 6 * 4 * 128 * 128);
  });

  it('C = 6 N D and PF-day conversion', () => {
    expect(trainingCompute(1e6, 1e9)).toBe(6e15);
    expect(flopsToPfDays(8.64e19)).toBe(1);
    expect(pfDaysToFlops(flopsToPfDays(1.234e18))).toBeCloseTo(1.234e18, -2);
  });
});
