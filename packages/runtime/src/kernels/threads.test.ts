import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { Rng } from '../rng.js';
import { loadAsm } from './asm-module.js';
import { randn, relErr } from './test-util.js';
import { requestedThreads, setThreadAutotune, startThreads, threadStats } from './threads.js';
import type { WasmBackendInternals } from './wasm-internals.js';

/** float64 reference for op(A) op(B) (+ bias), batch dims equal. */
function ref(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): Float64Array {
  const ad = a.dataSync();
  const bd = b.dataSync();
  const M = ta ? a.shape[a.rank - 1] : a.shape[a.rank - 2];
  const K = ta ? a.shape[a.rank - 2] : a.shape[a.rank - 1];
  const N = tb ? b.shape[b.rank - 2] : b.shape[b.rank - 1];
  const batch = a.size / (M * K);
  const out = new Float64Array(batch * M * N);
  for (let p = 0; p < batch; p++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++)
          s += ad[p * M * K + (ta ? k * M + i : i * K + k)] * bd[p * K * N + (tb ? j * K + k : k * N + j)];
        out[p * M * N + i * N + j] = s;
      }
  return out;
}

const here = path.dirname(fileURLToPath(import.meta.url));

describe('matmuls split across two threads', () => {
  let threads = 1;
  beforeAll(async () => {
    process.env.PRETRAIN_LAB_THREADS ??= '2'; // exercise the worker even on a busy machine
    const info = await initBackend('wasm');
    threads = info.threads;
    if (process.env.PRETRAIN_LAB_THREADS !== '1') expect(threads).toBe(2);
    setThreadAutotune(false); // split every eligible product, so each split path runs here
  });

  it('PRETRAIN_LAB_THREADS picks the count (1 disables, at most 2)', () => {
    const old = process.env.PRETRAIN_LAB_THREADS;
    try {
      process.env.PRETRAIN_LAB_THREADS = '1';
      expect(requestedThreads()).toBe(1);
      process.env.PRETRAIN_LAB_THREADS = '8';
      expect(requestedThreads()).toBe(2);
      process.env.PRETRAIN_LAB_THREADS = 'zero';
      expect(requestedThreads()).toBe(1);
    } finally {
      if (old === undefined) delete process.env.PRETRAIN_LAB_THREADS;
      else process.env.PRETRAIN_LAB_THREADS = old;
    }
  });

  // Shapes chosen so each split kind is the cheapest to copy (see threads.ts).
  const cases: Array<{
    kind: 'batch' | 'M' | 'N' | 'K';
    a: number[];
    b: number[];
    ta: boolean;
    tb: boolean;
  }> = [
    { kind: 'batch', a: [7, 128, 96], b: [7, 96, 162], ta: false, tb: false }, // odd batch
    { kind: 'batch', a: [4, 128, 97], b: [4, 161, 97], ta: false, tb: true },
    { kind: 'M', a: [301, 130], b: [130, 257], ta: false, tb: false },
    { kind: 'N', a: [129, 258], b: [262, 129], ta: true, tb: true },
    { kind: 'K', a: [4099, 66], b: [4099, 70], ta: true, tb: false },
  ];
  for (const c of cases) {
    it(`split by ${c.kind}: ${c.a} x ${c.b} tA=${c.ta} tB=${c.tb} matches float64`, () => {
      const rng = new Rng(c.a[0] + c.b[1]);
      const a = randn(rng, c.a);
      const b = randn(rng, c.b);
      const before = threadStats.byKind[c.kind];
      const y = tf.matMul(a, b, c.ta, c.tb);
      expect(relErr(y.dataSync(), ref(a, b, c.ta, c.tb))).toBeLessThan(1e-5);
      if (threads === 2) expect(threadStats.byKind[c.kind]).toBe(before + 1);
      tf.dispose([a, b, y]);
    });
  }

  it('split linear (bias accumulated into C) matches, values and gradients', () => {
    const rng = new Rng(11);
    const x = randn(rng, [515, 96]);
    const w = randn(rng, [96, 200]);
    const bias = randn(rng, [200]);
    const split0 = threadStats.split;
    const y = tf.tidy(() => tf.add(tf.matMul(x, w), bias));
    const want = ref(x, w, false, false);
    const bd = bias.dataSync();
    for (let i = 0; i < want.length; i++) want[i] += bd[i % 200];
    expect(relErr(y.dataSync(), want)).toBeLessThan(1e-5);
    if (threads === 2) expect(threadStats.split).toBeGreaterThan(split0);
    tf.dispose([x, w, bias, y]);
  });

  it('a worker that fails to start leaves one thread and a note', async () => {
    const backend = tf.findBackend('wasm') as WasmBackendInternals;
    const asm = loadAsm(backend);
    const old = process.env.PRETRAIN_LAB_THREADS;
    process.env.PRETRAIN_LAB_THREADS = '2';
    try {
      const r = await startThreads(asm, { workerSource: "throw new Error('no threads here')" });
      expect(r.threads).toBe(1);
      expect(r.note).toMatch(/failed to start/);
    } finally {
      if (old === undefined) delete process.env.PRETRAIN_LAB_THREADS;
      else process.env.PRETRAIN_LAB_THREADS = old;
    }
    // Matmuls still work (on the pool that was already running, or on one thread).
    const rng = new Rng(3);
    const a = randn(rng, [200, 150]);
    const b = randn(rng, [150, 180]);
    const y = tf.matMul(a, b);
    expect(relErr(y.dataSync(), ref(a, b, false, false))).toBeLessThan(1e-5);
    tf.dispose([a, b, y]);
  });

  it('self-tuning alternates split and one-thread runs of a shape, both correct', () => {
    setThreadAutotune(true);
    try {
      const rng = new Rng(21);
      const a = randn(rng, [260, 140]);
      const b = randn(rng, [140, 200]);
      const want = ref(a, b, false, false);
      const s0 = threadStats.split;
      const u0 = threadStats.single;
      for (let i = 0; i < 8; i++) {
        const y = tf.matMul(a, b);
        expect(relErr(y.dataSync(), want)).toBeLessThan(1e-5);
        y.dispose();
      }
      if (threads === 2) {
        expect(threadStats.split - s0).toBeGreaterThanOrEqual(3);
        expect(threadStats.single - u0).toBeGreaterThanOrEqual(3);
      }
      tf.dispose([a, b]);
    } finally {
      setThreadAutotune(false);
    }
  });

  it('the worker does not keep the process alive', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threads-exit-'));
    const script = path.join(dir, 'exit.mts');
    const backendUrl = new URL('../backend.ts', import.meta.url).href;
    const tfPath = createRequirePath();
    fs.writeFileSync(
      script,
      `import { createRequire } from 'node:module';
const tf = createRequire(${JSON.stringify(tfPath)})('@tensorflow/tfjs');
const { initBackend } = await import(${JSON.stringify(backendUrl)});
const info = await initBackend('wasm');
const a = tf.ones([512, 256]);
const y = tf.matMul(a, a, false, true);
console.log(JSON.stringify({ threads: info.threads, v: y.dataSync()[0] }));
`,
    );
    const tsx = path.resolve(here, '../../../../node_modules/.bin/tsx');
    const t0 = Date.now();
    const r = spawnSync(tsx, [script], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, PRETRAIN_LAB_THREADS: '2' },
    });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.error).toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
    expect(out.v).toBe(256);
    expect(Date.now() - t0).toBeLessThan(60_000);
  });
});

function createRequirePath(): string {
  return path.resolve(here, '../../package.json');
}
