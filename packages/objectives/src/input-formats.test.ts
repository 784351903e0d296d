import { describe, expect, it } from 'vitest';
import { formatHasNsp, formatHasPairLabel, INPUT_FORMATS, pairObjective } from './input-formats.js';

describe('input formats and their pair objective', () => {
  it('says which formats train NSP, SOP or neither', () => {
    expect(
      Object.fromEntries(INPUT_FORMATS.map((f) => [f, [pairObjective(f), formatHasPairLabel(f)]])),
    ).toEqual({
      'segment-pair': ['nsp', true],
      'sentence-pair': ['nsp', true],
      'full-sentences': [null, false],
      'doc-sentences': [null, false],
      'segment-pair-sop': ['sop', true],
    });
  });

  it('keeps formatHasNsp as an alias: the pair head is the same binary classifier', () => {
    for (const f of INPUT_FORMATS) expect(formatHasNsp(f)).toBe(formatHasPairLabel(f));
  });
});
