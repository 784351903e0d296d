import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRuns, latestCompleteRun, loadRun, parseJsonl } from './results.js';
import { writeSyntheticScalingRun } from './synthetic.js';

describe('parseJsonl', () => {
  it('drops a truncated last line but reports a bad line in the middle', () => {
    expect(parseJsonl('{"a":1}\n{"a":2}\n{"a":')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(parseJsonl('{"a":1}\n\n{"a":2}\n')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(() => parseJsonl('{"a":1}\n{oops\n{"a":2}', 'm.jsonl')).toThrow(/m\.jsonl:2/);
  });
});

describe('loadRun', () => {
  it('reads the four files into tables and objects', () => {
    const root = mkdtempSync(join(tmpdir(), 'results-'));
    const dir = writeSyntheticScalingRun(root, {
      shapes: [
        [2, 32],
        [2, 64],
        [4, 64],
      ],
      evalPoints: 4,
      bootstrap: 20,
    });
    const run = loadRun(dir);
    expect(run.config.experiment).toBe('scaling');
    expect(run.run.status).toBe('completed');
    expect(run.metrics.numRows()).toBe(3 * 4 * 2);
    expect(run.metrics.columnNames()).toContain('nonEmbeddingParams');
    expect(run.models.numRows()).toBe(3);
    expect(run.summary?.fits).toBeDefined();
  });

  it('explains a missing or corrupt file', () => {
    const root = mkdtempSync(join(tmpdir(), 'results-'));
    expect(() => loadRun(root)).toThrow(/config\.json is missing/);
    writeFileSync(join(root, 'config.json'), '{"experiment":');
    expect(() => loadRun(root)).toThrow(/not valid JSON/);
  });

  it('tolerates a run without summary.json or with a half-written last metric', () => {
    const root = mkdtempSync(join(tmpdir(), 'results-'));
    const dir = join(root, 'scaling', 'r1');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), '{"experiment":"scaling"}');
    writeFileSync(join(dir, 'run.json'), '{"runId":"r1","experiment":"scaling","status":"running"}');
    writeFileSync(join(dir, 'metrics.jsonl'), '{"model":"a","split":"val","step":1,"loss":3}\n');
    appendFileSync(join(dir, 'metrics.jsonl'), '{"model":"a","spl');
    const run = loadRun(dir);
    expect(run.summary).toBeNull();
    expect(run.metrics.numRows()).toBe(1);
    expect(run.models.numRows()).toBe(0);
  });
});

describe('findRuns / latestCompleteRun', () => {
  it('lists runs sorted and picks the newest completed one', () => {
    const root = mkdtempSync(join(tmpdir(), 'results-'));
    const opts = {
      shapes: [
        [2, 32],
        [2, 64],
      ] as [number, number][],
      evalPoints: 3,
      bootstrap: 0,
    };
    writeSyntheticScalingRun(root, { ...opts, runId: 'b', startedAt: '2025-02-01T00:00:00Z' });
    writeSyntheticScalingRun(root, { ...opts, runId: 'a', startedAt: '2025-03-01T00:00:00Z' });
    writeSyntheticScalingRun(root, {
      ...opts,
      runId: 'c',
      startedAt: '2025-04-01T00:00:00Z',
      status: 'failed',
    });
    mkdirSync(join(root, 'scaling', 'd-no-run-json'));
    expect(findRuns(root, 'scaling').map((d) => d.split('/').pop())).toEqual([
      'a',
      'b',
      'c',
      'd-no-run-json',
    ]);
    expect(latestCompleteRun(root, 'scaling')?.split('/').pop()).toBe('a');
    expect(findRuns(root, 'nsp')).toEqual([]);
    expect(latestCompleteRun(root, 'nsp')).toBeNull();
  });
});
