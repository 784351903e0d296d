import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MetricsWriter } from '@pretrain-lab/train';
import { describe, expect, it } from 'vitest';
import { RunLedger } from './ledger.js';

describe('RunLedger', () => {
  it('records finished units with the metrics length, survives a restart, and rewinds unfinished rows', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-'));
    const metrics = new MetricsWriter(path.join(dir, 'metrics.jsonl'));
    const a = new RunLedger(dir, metrics, { results: [] as number[] });
    metrics.append({ unit: 'a', loss: 1 });
    a.finish('a', (s) => s.results.push(1));
    const bytes = metrics.size();
    metrics.append({ unit: 'b', loss: 2 }); // an attempt at b that is then killed
    const b = new RunLedger(dir, metrics, { results: [] as number[] }); // the resumed process
    expect(b.isDone('a')).toBe(true);
    expect(b.isDone('b')).toBe(false);
    expect(b.state.results).toEqual([1]);
    b.rewind();
    expect(metrics.size()).toBe(bytes);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
