import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeSyntheticNspRun } from '../nsp/synthetic.js';
import {
  cellRows,
  cellStat,
  evalLabel,
  evalsText,
  fmtStat,
  gridCells,
  loadAblation,
  lossNames,
  tasksByKind,
} from './summary.js';

describe('loadAblation', () => {
  it('reads a run in the ablation schema', () => {
    const dir = writeSyntheticNspRun(mkdtempSync(join(tmpdir(), 'ablation-summary-')), {
      roles: ['segment'],
      tasks: ['spam'],
      testExamples: 10,
    });
    const { summary: s } = loadAblation(dir);
    expect(gridCells(s).map(evalLabel)).toEqual(['probe 64', 'probe 256', 'fine-tune 256']);
    expect(lossNames(s)).toEqual(['mlm', 'pair']);
    const c = gridCells(s)[0];
    expect(cellRows(s, 'SEGMENT-PAIR + NSP', c).map((r) => r.seed)).toEqual([1, 2, 3]);
    expect(cellStat(s, 'nobody', c)).toBeNull();
    expect(tasksByKind(s)).toEqual([{ kind: 'classification', tasks: ['spam'] }]);
    expect(evalsText(s.evals)).toBe('probe at 64 and 256; fine-tune at 256');
  });

  it('says what is wrong with a summary in another schema', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ablation-old-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), '{}');
    writeFileSync(join(dir, 'run.json'), '{"status":"completed"}');
    writeFileSync(join(dir, 'summary.json'), '{"table":[]}');
    expect(() => loadAblation(dir)).toThrow(/no 'variants' list: it is not in the ablation schema/);
  });

  it('fmtStat: percent with one decimal; the mean alone for one seed', () => {
    expect(fmtStat({ mean: 0.1234, std: 0.0111, n: 3 })).toBe('12.3 ± 1.1');
    expect(fmtStat({ mean: 0.1234, std: 0, n: 1 })).toBe('12.3');
    expect(fmtStat(null)).toBe('n/a');
  });
});

describe('the report loads no tfjs', () => {
  it('imports @pretrain-lab/experiment only through its tfjs-free subpaths', () => {
    const src = join(dirname(fileURLToPath(import.meta.url)), '..');
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const bad = files.filter((f) =>
      /from '@pretrain-lab\/(experiment|runtime|train|models)'/.test(readFileSync(join(src, f), 'utf8')),
    );
    expect(bad).toEqual([]);
  });
});
