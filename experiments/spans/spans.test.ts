/**
 * The span-corruption study end to end through the CLI on the smoke preset: the summary in the
 * ablation schema, kill -9 and --resume ending with the same rows as an uninterrupted run, and
 * the one-line errors for bad config.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AblationSummary, deepMerge } from '@pretrain-lab/experiment';
import { afterAll, describe, expect, it } from 'vitest';
import { defaults, settings } from './config.js';
import { presets } from './presets.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'packages', 'cli', 'src', 'bin.ts');
// node itself with tsx's loader (not the tsx wrapper), so that kill -9 hits the process doing the work.
const node = [process.execPath, '--import', 'tsx', bin];
const env = { ...process.env, PRETRAIN_LAB_BACKEND: 'wasm' };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spans-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function lab(args: string[]) {
  const r = spawnSync(node[0], [...node.slice(1), ...args], { cwd: root, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const readJSON = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const readRows = (dir: string) =>
  fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
/** Wall-clock columns differ between any two runs; everything else must be identical. */
const deterministic = ({ tokensPerSec: _t, elapsedSec: _e, ...rest }: Record<string, unknown>) => rest;

describe('spans settings', () => {
  it('the default study is the ends of T5 Table 7: spans 1, 3, 10 at 15%, each once', () => {
    const s = settings(defaults);
    expect(s.map((x) => x.name)).toEqual(['span 1 (i.i.d.), 15%', 'span 3, 15%', 'span 10, 15%']);
    // The full preset is the whole of Tables 6-7: 5 span lengths and 3 more rates.
    expect(settings(deepMerge(defaults, presets.full.overrides))).toHaveLength(8);
    expect(s.find((x) => x.name === 'span 3, 15%')?.group).toBe('both');
    expect(presets.default.overrides).toEqual({});
  });
});

describe('pnpm exp spans --preset smoke', () => {
  it('pretrains each setting, fine-tunes every row text to text, and writes the ablation summary', () => {
    const out = path.join(tmp, 'smoke');
    const r = lab(['exp', 'spans', '--preset', 'smoke', '--out', out, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary: AblationSummary = readJSON(path.join(out, 'summary.json'));
    expect(summary.experiment).toBe('spans');
    expect(summary.baseline).toBe('no pretraining');
    expect(summary.variants.map((v) => [v.name, v.pretrained, v.fields])).toEqual([
      ['no pretraining', false, {}],
      ['span 1 (i.i.d.), 15%', true, { meanSpan: 1, rate: 0.15, group: 'span' }],
      ['span 3, 15%', true, { meanSpan: 3, rate: 0.15, group: 'both' }],
      ['span 3, 50%', true, { meanSpan: 3, rate: 0.5, group: 'rate' }],
    ]);
    expect(summary.tasks.map((t) => [t.name, t.kind, t.metric])).toEqual([
      ['spam', 'classification', 'accuracy'],
      ['brown-fill', 'generation', 'exactMatch'],
    ]);

    // Longer spans at the same rate give shorter targets; a higher rate gives longer ones.
    expect(summary.pretrain.map((p) => p.variant)).toEqual([
      'span 1 (i.i.d.), 15%',
      'span 3, 15%',
      'span 3, 50%',
    ]);
    const target = (name: string) =>
      summary.pretrain.find((p) => p.variant === name)!.extra.targetLength as number;
    expect(target('span 3, 15%')).toBeLessThan(target('span 1 (i.i.d.), 15%'));
    expect(target('span 3, 50%')).toBeGreaterThan(target('span 3, 15%'));
    for (const p of summary.pretrain) {
      expect(p.status).toBe('completed');
      expect(p.steps).toBe(6);
      expect(p.tokens).toBe(6 * 4 * 24); // input tokens: the budget every setting shares
      expect(p.finalLoss.val).toBeGreaterThan(0);
      expect(p.extra.inputLength).toBe(24);
    }

    // One row per (variant, task, evaluation); no frozen probe on the generation task. Per-example
    // scores in test order, the headline their mean.
    expect(summary.results.map((r) => `${r.task} ${r.method}`)).toEqual(
      Array(4).fill(['spam probe', 'spam finetune', 'brown-fill finetune']).flat(),
    );
    for (const row of summary.results) {
      const task = summary.tasks.find((t) => t.name === row.task)!;
      expect(row.metric).toBe(task.metric);
      expect(row.trainExamples).toBe(32);
      expect(row.perExample).toHaveLength(task.testExamples);
      expect(row.score).toBeCloseTo(row.perExample.reduce((a, x) => a + x, 0) / row.perExample.length, 12);
      if (row.method === 'finetune') expect(row.examples).toHaveLength(3);
      if (row.task === 'brown-fill') {
        expect(Object.keys(row.scores).sort()).toEqual(['exactMatch', 'rougeL']);
        expect(row.examples![0].target).toMatch(/^[a-z]+$/); // one lowercase word
      } else if (row.method === 'finetune') {
        // Rank classification is the headline; greedy decoding's accuracy is kept beside it.
        expect(Object.keys(row.scores).sort()).toEqual(['accuracy', 'greedyAccuracy', 'macroF1']);
        expect(row.examples![0].prediction).toMatch(/ \(greedy: .*\)$/);
        expect(row.examples![0].prediction.split(' (greedy')[0]).toMatch(/^(spam|ham)$/);
      } else expect(Object.keys(row.scores).sort()).toEqual(['accuracy', 'macroF1']);
    }
    expect(readJSON(path.join(out, 'run.json')).status).toBe('completed');
  });
});

describe('kill -9 and --resume', () => {
  // Longer pretraining with several checkpoints, so that a kill lands inside a unit.
  const longer = ['--pretrain.steps=24', '--pretrain.checkpointEvery=4', '--pretrain.evalEvery=8'];

  it('ends with exactly the metrics and summary rows of an uninterrupted run', async () => {
    const straight = path.join(tmp, 'straight');
    expect(lab(['exp', 'spans', '--preset', 'smoke', '--out', straight, '--quiet', ...longer]).code).toBe(0);

    const killed = path.join(tmp, 'killed');
    const child: ChildProcess = spawn(
      node[0],
      [...node.slice(1), 'exp', 'spans', '--preset', 'smoke', '--out', killed, '--quiet', ...longer],
      { cwd: root, env, stdio: 'ignore' },
    );
    // Kill while the second setting pretrains: its first checkpoint exists, it has not finished.
    const marker = path.join(killed, 'checkpoints', 'pretrain-span-3-15-s1', 'state.json');
    const deadline = Date.now() + 90_000;
    while (!fs.existsSync(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(fs.existsSync(marker)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(readJSON(path.join(killed, 'run.json')).status).toBe('running'); // no chance to record anything
    expect(fs.existsSync(path.join(killed, 'summary.json'))).toBe(false); // no half-written summary

    const resumed = lab(['exp', 'spans', '--resume', killed, '--quiet']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(readRows(killed).map(deterministic)).toEqual(readRows(straight).map(deterministic));
    const a: AblationSummary = readJSON(path.join(straight, 'summary.json'));
    const b: AblationSummary = readJSON(path.join(killed, 'summary.json'));
    expect(b.results).toEqual(a.results);
    const strip = (s: AblationSummary) => s.pretrain.map(({ tokensPerSec: _t, ...p }) => p);
    expect(strip(b)).toEqual(strip(a));
    const record = readJSON(path.join(killed, 'run.json'));
    expect(record.status).toBe('completed');
    expect(record.resumedAt).toHaveLength(1);
  });
});

describe('bad config fails before training, in one line', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'an unknown key',
      ['--pretrain.stepz=3'],
      /^error: unknown config key 'pretrain.stepz'; valid keys: .*pretrain\.steps/,
    ],
    [
      'an evaluation the study does not have',
      ['--evals=[{"method":"distill","trainExamples":32}]'],
      /^error: evals: method must be finetune or probe, got 'distill'$/,
    ],
    [
      'a corruption rate out of range',
      ['--rates=[0.15,1.5]'],
      /^error: corruption rates must be in \(0, 1\), got 1.5$/,
    ],
    ['a bad AdamW beta', ['--finetune.beta2=1'], /^error: finetune.beta2 must be in \[0, 1\), got 1$/],
  ];
  for (const [what, args, pattern] of cases) {
    it(what, () => {
      const r = lab([
        'exp',
        'spans',
        '--preset',
        'smoke',
        '--out',
        path.join(tmp, 'bad'),
        '--quiet',
        ...args,
      ]);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
      expect(fs.existsSync(path.join(tmp, 'bad', 'run.json'))).toBe(false);
    });
  }
});
