import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { type AsmInstance, loadAsm } from './asm-module.js';
import { loadNative, type NativeInstance, nativeStatus } from './native.js';
import { CHECKS, type CheckCtx, firstBitDiff } from './native-check.js';
import type { WasmBackendInternals } from './wasm-internals.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const status = nativeStatus();
const required = process.env.PRETRAIN_LAB_REQUIRE_NATIVE === '1';
if (!status.loaded)
  console.warn(
    `native.test.ts: native kernels not available (${status.reason}); their tests are skipped${required ? ', and PRETRAIN_LAB_REQUIRE_NATIVE=1 fails the suite' : ''}`,
  );

describe('native kernel addon', () => {
  it.runIf(required)('is built and loads (PRETRAIN_LAB_REQUIRE_NATIVE=1)', () => {
    expect(status.loaded, status.reason).toBe(true);
  });
  it('reports why it is off under PRETRAIN_LAB_KERNELS=wasm', () => {
    const old = process.env.PRETRAIN_LAB_KERNELS;
    process.env.PRETRAIN_LAB_KERNELS = 'wasm';
    try {
      expect(nativeStatus()).toEqual({ loaded: false, reason: 'PRETRAIN_LAB_KERNELS=wasm' });
    } finally {
      if (old === undefined) delete process.env.PRETRAIN_LAB_KERNELS;
      else process.env.PRETRAIN_LAB_KERNELS = old;
    }
  });
});

describe.skipIf(!status.loaded)('native kernels vs the AssemblyScript kernels', () => {
  let ctx: CheckCtx;
  let nat: NativeInstance;
  let asm: AsmInstance;
  let backend: WasmBackendInternals;
  beforeAll(async () => {
    await initBackend('wasm');
    backend = tf.findBackend('wasm') as WasmBackendInternals;
    asm = loadAsm(backend);
    const n = loadNative(backend);
    if (!n) throw new Error(`loadNative returned null: ${nativeStatus().reason}`);
    nat = n;
    ctx = { backend, asm, nat };
  });

  it('identifies itself', () => {
    expect(nat.variant).toMatch(/^native-(avx512|avx2|generic|avx512emu)$/);
    expect(nat.variant).toBe(`native-${status.isa}`);
    expect(status.threads).toBeGreaterThanOrEqual(1);
    expect(loadNative(backend)).toBe(nat);
  });

  for (const c of CHECKS) {
    it(c.name, () => {
      expect(c.run(ctx)).toEqual([]);
    });
  }

  /** Runs f with the pool at n threads and returns a copy of the floats at out. */
  function withThreads(n: number, f: () => void, out: number, len: number): Float32Array {
    const old = nat.addon.threads();
    nat.addon.setThreads(n);
    try {
      f();
    } finally {
      nat.addon.setThreads(old);
    }
    return new Float32Array(backend.wasm.asm.memory.buffer, out, len).slice();
  }
  const rawOf = new Map<number, number>();
  function freeHeap(p: number): void {
    backend.wasm._free(rawOf.get(p) ?? p);
    rawOf.delete(p);
  }
  function randOnHeap(n: number, seed: number): number {
    const raw = backend.wasm._malloc(n * 4 + 64) >>> 0;
    const p = (raw + 63) & ~63;
    rawOf.set(p, raw);
    const v = new Float32Array(backend.wasm.asm.memory.buffer, p, n);
    let s = seed;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      v[i] = s / 2 ** 31 - 1;
    }
    return p;
  }

  it('sgemm is bit-identical on 1 and 2 threads and across repeated calls (rows, columns, batch splits)', () => {
    // [batch, M, N, K, tA, tB]: cooperative row split, column split (small M), batch split.
    const shapes: Array<[number, number, number, number, boolean, boolean]> = [
      [1, 300, 200, 300, false, false],
      [1, 301, 130, 257, true, false],
      [1, 8, 700, 300, false, true],
      [7, 128, 96, 64, false, true],
      [3, 128, 32, 128, false, false],
      [2, 64, 64, 24, true, true],
    ];
    for (const [batch, M, N, K, ta, tb] of shapes) {
      const a = randOnHeap(batch * M * K, 1);
      const b = randOnHeap(batch * K * N, 2);
      const c = randOnHeap(batch * M * N, 3);
      const run = () =>
        nat.sgemm(
          batch,
          M,
          N,
          K,
          a,
          ta ? 1 : K,
          ta ? M : 1,
          M * K,
          b,
          tb ? 1 : N,
          tb ? K : 1,
          K * N,
          c,
          N,
          M * N,
          0,
        );
      const one = withThreads(1, run, c, batch * M * N);
      const two = withThreads(2, run, c, batch * M * N);
      const again = withThreads(2, run, c, batch * M * N);
      expect(firstBitDiff(two, one), `${batch}x${M}x${N}x${K} 2 vs 1 threads`).toBe(-1);
      expect(firstBitDiff(again, two), `${batch}x${M}x${N}x${K} repeated`).toBe(-1);
      for (const p of [a, b, c]) freeHeap(p);
    }
  });

  it('row kernels and reductions are bit-identical on 1 and 2 threads', () => {
    const rows = 4096;
    const C = 128;
    const n = rows * C;
    const x = randOnHeap(n, 4);
    const dy = randOnHeap(n, 5);
    const g = randOnHeap(C, 6);
    const out = randOnHeap(n + 2 * C, 7);
    const e = nat.exports;
    const cases: Array<[string, () => void, number]> = [
      ['geluFwd', () => e.geluFwd(x, out, n, 0), n],
      ['layerNormFwd', () => e.layerNormFwd(x, g, g, out, rows, C, 1e-5, 0), n],
      [
        'layerNormBwd',
        () => e.layerNormBwd(x, g, dy, out, out + 4 * n, out + 4 * (n + C), rows, C, 1e-5, 0),
        n + 2 * C,
      ],
      ['rmsNormFwd', () => e.rmsNormFwd!(x, g, out, rows, C, 1e-6), n],
      ['rmsNormBwd', () => e.rmsNormBwd!(x, g, dy, out, out + 4 * n, rows, C, 1e-6), n + C],
      ['reluFwd', () => e.reluFwd!(x, out, n), n],
      ['reluBwd', () => e.reluBwd!(x, dy, out, n), n],
      ['colSum', () => e.colSum(x, out, rows, C, 0), C],
      ['attnSoftmaxFwd', () => e.attnSoftmaxFwd(x, out, rows, 128, C, 0.3, 1), n],
      ['attnSoftmaxMaskedFwd', () => e.attnSoftmaxMaskedFwd(x, out, 8, 4, 128, C, 0.3, 1, dy, 1, 0), n],
      ['crossEntropyBwd', () => e.crossEntropyBwd(x, g, 0, C, rows, 1, out, 0), n],
    ];
    for (const [name, f, len] of cases) {
      const one = withThreads(1, f, out, len);
      const two = withThreads(2, f, out, len);
      expect(firstBitDiff(two, one), name).toBe(-1);
    }
    const ce = (t: number) => {
      const old = nat.addon.threads();
      nat.addon.setThreads(t);
      try {
        return [e.crossEntropyFwd(x, g, 0, C, rows, 0), e.sumSquares(x, n)];
      } finally {
        nat.addon.setThreads(old);
      }
    };
    expect(ce(2)).toEqual(ce(1));
    for (const p of [x, dy, g, out]) freeHeap(p);
  });

  it('crossEntropyGrad is crossEntropyFwd and crossEntropyBwd at g = 1, bit for bit, in place too', () => {
    const e = nat.exports;
    for (const [N, V] of [
      [1024, 1024],
      [37, 4000],
      [5, 19],
    ]) {
      const logits = randOnHeap(N * V, 11);
      // int32 targets: in range, one ignored (-1) and one past the vocabulary (counts, adds 0).
      const tp = randOnHeap(N, 12);
      const t = new Int32Array(backend.wasm.asm.memory.buffer, tp, N);
      for (let i = 0; i < N; i++) t[i] = (i * 7919) % V;
      t[1] = -1;
      t[2] = V + 3;
      const want = randOnHeap(N * V, 13);
      const got = randOnHeap(N * V, 14);
      const lossWant = e.crossEntropyFwd(logits, tp, 1, N, V, 0);
      e.crossEntropyBwd(logits, tp, 1, N, V, 1, want, 0);
      let loss = Number.NaN;
      const one = withThreads(
        1,
        () => {
          loss = e.crossEntropyGrad!(logits, tp, 1, N, V, got);
        },
        got,
        N * V,
      );
      expect(loss).toBe(lossWant);
      const w = new Float32Array(backend.wasm.asm.memory.buffer, want, N * V).slice();
      expect(firstBitDiff(one, w), `${N}x${V}`).toBe(-1);
      const two = withThreads(2, () => e.crossEntropyGrad!(logits, tp, 1, N, V, got), got, N * V);
      expect(firstBitDiff(two, w), `${N}x${V} on 2 threads`).toBe(-1);
      // In place: dx is the logits buffer.
      expect(e.crossEntropyGrad!(logits, tp, 1, N, V, logits)).toBe(lossWant);
      expect(firstBitDiff(new Float32Array(backend.wasm.asm.memory.buffer, logits, N * V).slice(), w)).toBe(
        -1,
      );
      for (const p of [logits, tp, want, got]) freeHeap(p);
    }
  });

  it('follows wasm heap growth (memory.buffer replaced) and rejects offsets past the heap', () => {
    const a = randOnHeap(64 * 32, 8);
    const bigBefore = backend.wasm.asm.memory.buffer;
    const big = tf.zeros([(96 * 1024 * 1024) / 4]); // forces memory.grow
    expect(backend.wasm.asm.memory.buffer).not.toBe(bigBefore);
    const c1 = randOnHeap(64 * 64, 9);
    const c2 = randOnHeap(64 * 64, 9);
    asm.exports.sgemm(1, 64, 64, 32, a, 32, 1, 0, a, 1, 32, 0, c1, 64, 0, 0, asm.work);
    nat.sgemm(1, 64, 64, 32, a, 32, 1, 0, a, 1, 32, 0, c2, 64, 0, 0);
    const h = backend.wasm.asm.memory.buffer;
    const want = new Float32Array(h, c1, 64 * 64);
    const got = new Float32Array(h, c2, 64 * 64);
    let m = 0;
    for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
    expect(m).toBeLessThan(1e-4);
    const end = backend.wasm.asm.memory.buffer.byteLength;
    expect(() => nat.exports.geluFwd(end - 8, c2, 4, 0)).toThrow(RangeError);
    expect(() => nat.sgemm(1, 64, 64, 32, a, 32, 1, 0, end - 64, 1, 32, 0, c2, 64, 0, 0)).toThrow(
      /out of heap/,
    );
    big.dispose();
    for (const p of [a, c1, c2]) freeHeap(p);
  });

  // The other compiled code paths (portable C++, AVX-512 logic emulated on AVX2, AVX2 on an
  // AVX-512 machine), in child processes, since the instruction set is chosen once per process.
  const isas = otherIsas();
  for (const isa of isas) {
    it(`the same checks pass under PRETRAIN_LAB_ISA=${isa} (child process)`, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'native-isa-'));
      const script = path.join(dir, 'check.mts');
      const url = (f: string) => JSON.stringify(new URL(f, import.meta.url).href);
      fs.writeFileSync(
        script,
        `import * as tf from '@tensorflow/tfjs';
const { initBackend } = await import(${url('../backend.ts')});
const { loadAsm } = await import(${url('./asm-module.ts')});
const { loadNative } = await import(${url('./native.ts')});
const { runAllChecks } = await import(${url('./native-check.ts')});
await initBackend('wasm');
const backend = tf.findBackend('wasm');
const nat = loadNative(backend);
const fails = runAllChecks({ backend, asm: loadAsm(backend), nat });
console.log(JSON.stringify({ variant: nat.variant, fails }));
`,
      );
      fs.symlinkSync(path.resolve(here, '../../node_modules'), path.join(dir, 'node_modules'));
      const tsx = path.resolve(here, '../../../../node_modules/.bin/tsx');
      const r = spawnSync(tsx, [script], {
        encoding: 'utf8',
        timeout: 300_000,
        env: { ...process.env, PRETRAIN_LAB_ISA: isa, PRETRAIN_LAB_THREADS: '2' },
      });
      fs.rmSync(dir, { recursive: true, force: true });
      expect(r.status, r.stderr.slice(-3000)).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
      expect(out.variant).toBe(`native-${isa}`);
      expect(out.fails).toEqual({});
    });
  }
});

/** ISAs other than the one in use that this binary has and this CPU can run. */
function otherIsas(): string[] {
  if (!status.loaded) return [];
  const addon = createRequire(import.meta.url)('@pretrain-lab/native') as {
    compiled(): string[];
    cpuFeatures(): { avx2: boolean; avx512: boolean };
  };
  const cpu = addon.cpuFeatures();
  const runs = (i: string) =>
    i === 'generic' || ((i === 'avx2' || i === 'avx512emu') && cpu.avx2) || (i === 'avx512' && cpu.avx512);
  return addon.compiled().filter((i) => i !== status.isa && runs(i));
}
