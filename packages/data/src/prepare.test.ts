import { describe, expect, it } from 'vitest';
import { buildManifest } from './manifest.js';
import { buildTokenStream, packSequences } from './pack.js';
import { prepareData } from './prepare.js';
import { charTokenizer, syntheticDocs } from './testing.js';

describe('prepareData', () => {
  it('equals split + manifest + stream + pack done by hand', () => {
    const docs = syntheticDocs(40);
    const tok = charTokenizer();
    const p = prepareData(docs, tok, { seed: 9, seqLen: 16 });
    expect(p.manifest).toEqual(
      buildManifest(p.splits, tok, { seed: 9, fractions: { train: 0.9, validation: 0.05, test: 0.05 } }),
    );
    for (const s of ['train', 'validation', 'test'] as const) {
      expect(p.packed[s]).toEqual(packSequences(buildTokenStream(p.splits[s], tok), 16));
    }
    expect(p.packed.train.count).toBeGreaterThan(10);
  });
  it('loads a named corpus and records its name', () => {
    const p = prepareData('moby-dick', charTokenizer(), { seed: 0, seqLen: 256 });
    expect(p.manifest.corpus).toBe('moby-dick');
    expect(p.manifest.splits.train.documents).toBe(122);
  });
});
