import { describe, expect, it } from 'vitest';
import { causalLMExamples } from './causal-lm.js';

describe('causalLMExamples', () => {
  it('shifts targets by one token within each window', () => {
    const windows = Int32Array.from([1, 2, 3, 4, 10, 11, 12, 13]); // 2 windows of seqLen 3 + 1
    const ex = causalLMExamples(windows, 3);
    expect(ex.batch).toBe(2);
    expect([...ex.inputs]).toEqual([1, 2, 3, 10, 11, 12]);
    expect([...ex.targets]).toEqual([2, 3, 4, 11, 12, 13]);
  });

  it('every target is the next input of the same row', () => {
    const windows = Int32Array.from({ length: 5 * 9 }, (_, i) => (i * 7) % 31);
    const { inputs, targets, seqLen, batch } = causalLMExamples(windows, 8);
    for (let b = 0; b < batch; b++)
      for (let t = 0; t + 1 < seqLen; t++) expect(targets[b * seqLen + t]).toBe(inputs[b * seqLen + t + 1]);
  });

  it('rejects windows that do not divide into seqLen + 1', () => {
    expect(() => causalLMExamples(new Int32Array(7), 3)).toThrow(/multiple of seqLen \+ 1/);
  });
});
