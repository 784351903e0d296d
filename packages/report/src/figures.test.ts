import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { figuresAll } from './figures.js';
import { writeSyntheticScalingRun } from './synthetic.js';

describe('figuresAll', () => {
  it('writes nothing and says so when there is no completed run', async () => {
    const root = mkdtempSync(join(tmpdir(), 'figs-'));
    writeSyntheticScalingRun(join(root, 'results'), { status: 'running', evalPoints: 3, bootstrap: 0 });
    const r = await figuresAll(join(root, 'results'), join(root, 'docs'));
    expect(r.files).toEqual([]);
    expect(r.notes).toEqual([
      expect.stringMatching(/^nsp: no completed run/),
      expect.stringMatching(/^objectives: no completed run/),
      expect.stringMatching(/^scaling: no completed run/),
      expect.stringMatching(/^spans: no completed run/),
    ]);
  });

  it('renders figures and the report of the latest completed run, stable on rerun', async () => {
    const root = mkdtempSync(join(tmpdir(), 'figs-'));
    writeSyntheticScalingRun(join(root, 'results'), { bootstrap: 50 });
    const docs = join(root, 'docs');
    const r = await figuresAll(join(root, 'results'), docs);
    expect(r.files).toHaveLength(7);
    expect(r.files).toContain(join(docs, 'figures', 'scaling-loss-vs-params.png'));
    const md = join(docs, 'experiments', 'scaling.md');
    expect(readFileSync(md, 'utf8')).toContain('../figures/scaling-loss-vs-params.svg');
    const mtimes = r.files.map((f) => statSync(f).mtimeMs);
    const again = await figuresAll(join(root, 'results'), docs);
    expect(again.files).toEqual(r.files);
    expect(again.files.map((f) => statSync(f).mtimeMs)).toEqual(mtimes);
  });

  it('a failing experiment becomes a note, the others still run', async () => {
    const root = mkdtempSync(join(tmpdir(), 'figs-'));
    writeSyntheticScalingRun(join(root, 'results'), { evalPoints: 3, bootstrap: 0 });
    const r = await figuresAll(join(root, 'results'), join(root, 'docs'), {
      scaling: {
        figures: async () => {
          throw new Error('boom');
        },
        report: () => '',
      },
      nsp: { figures: async () => [], report: () => '' },
    });
    expect(r.notes).toEqual([
      expect.stringMatching(/^nsp: no completed run/),
      expect.stringMatching(/^scaling: failed on .*: boom$/),
    ]);
  });
});
