import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSyntheticScalingRun } from './synthetic.js';

describe('writeSyntheticScalingRun', () => {
  it('writes the results format, byte-identical for a seed', () => {
    const a = writeSyntheticScalingRun(mkdtempSync(join(tmpdir(), 'syn-')), { bootstrap: 20 });
    const b = writeSyntheticScalingRun(mkdtempSync(join(tmpdir(), 'syn-')), { bootstrap: 20 });
    for (const f of ['config.json', 'run.json', 'metrics.jsonl', 'summary.json']) {
      expect(readFileSync(join(a, f), 'utf8')).toBe(readFileSync(join(b, f), 'utf8'));
    }
    const summary = JSON.parse(readFileSync(join(a, 'summary.json'), 'utf8'));
    expect(summary.models).toHaveLength(5);
    expect(summary.models[0].nonEmbeddingParams).toBe(12 * 2 * 32 * 32);
    expect(summary.fits.params.a).toBeGreaterThan(0.1);
    const row = JSON.parse(readFileSync(join(a, 'metrics.jsonl'), 'utf8').split('\n')[0]);
    expect(row.compute).toBe(6 * row.nonEmbeddingParams * row.tokens);
  });
});
