/**
 * The native vocabulary head (`vocabCE`: logits, cross-entropy and every gradient in one call,
 * 256 rows at a time) against the unfused path it replaces, sgemm + crossEntropyGrad + sgemm +
 * sgemm + colSum on the same heap: equal bit for bit, on 1 and 2 threads, with and without bias;
 * and through tfjs, the gradient at dy != 1 (dy times the saved dy = 1 gradient).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { ops } from '../index.js';
import { loadNative, type NativeInstance, nativeStatus } from './native.js';
import { firstBitDiff } from './native-check.js';
import type { WasmBackendInternals } from './wasm-internals.js';

const status = nativeStatus();

describe.skipIf(!status.loaded)('native vocabCE', () => {
  let nat: NativeInstance;
  let backend: WasmBackendInternals;
  const raws: number[] = [];
  beforeAll(async () => {
    await initBackend('wasm');
    backend = tf.findBackend('wasm') as WasmBackendInternals;
    const n = loadNative(backend);
    if (!n) throw new Error(`loadNative returned null: ${nativeStatus().reason}`);
    nat = n;
  });
  const heap = () => backend.wasm.asm.memory.buffer;
  function alloc(n: number, seed: number, scale = 1): number {
    const raw = backend.wasm._malloc(n * 4 + 64) >>> 0;
    raws.push(raw);
    const p = (raw + 63) & ~63;
    const v = new Float32Array(heap(), p, n);
    let s = seed;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      v[i] = scale * (s / 2 ** 31 - 1);
    }
    return p;
  }
  const read = (p: number, n: number) => new Float32Array(heap(), p, n).slice();
  function threads<T>(n: number, f: () => T): T {
    const old = nat.addon.threads();
    nat.addon.setThreads(n);
    try {
      return f();
    } finally {
      nat.addon.setThreads(old);
    }
  }

  // [M rows, V, C]: one chunk of 4 threads' worth, several chunks with a short last one, a
  // vocabulary that is no multiple of 4 (colSum's double-summed columns), the GPT-ref head.
  const shapes: Array<[number, number, number]> = [
    [1024, 1024, 16],
    [300, 4000, 64],
    [37, 19, 5],
    [600, 257, 96],
  ];
  for (const [M, V, C] of shapes)
    for (const hasBias of [false, true])
      it(`${M}x${V}x${C}${hasBias ? ' with bias' : ''}: the unfused path's loss and gradients bit for bit`, () => {
        const e = nat.exports;
        const h = alloc(M * C, 1, 2);
        const table = alloc(V * C, 2, 0.5);
        const bias = hasBias ? alloc(V, 3) : 0;
        const tp = alloc(M, 4);
        const t = new Int32Array(heap(), tp, M);
        for (let i = 0; i < M; i++) t[i] = (i * 7919) % V;
        t[1] = -1; // ignored
        t[2] = V + 3; // counts, adds 0
        // Unfused: logits, loss + dl in place, dh = dl @ table, dt = dl^T @ h, db = colSum(dl).
        const dl = alloc(M * V, 5);
        const want = { dh: alloc(M * C, 6), dt: alloc(V * C, 7), db: alloc(Math.max(1, V), 8) };
        if (hasBias) e.broadcastRows(bias, dl, M, V);
        nat.sgemm(1, M, V, C, h, C, 1, 0, table, 1, C, 0, dl, V, 0, hasBias ? 1 : 0);
        const lossWant = e.crossEntropyGrad!(dl, tp, 1, M, V, dl);
        nat.sgemm(1, M, C, V, dl, V, 1, 0, table, C, 1, 0, want.dh, C, 0, 0);
        nat.sgemm(1, V, C, M, dl, 1, V, 0, h, C, 1, 0, want.dt, C, 0, 0);
        if (hasBias) e.colSum(dl, want.db, M, V, 0);
        const w = { dh: read(want.dh, M * C), dt: read(want.dt, V * C), db: read(want.db, V) };
        for (const n of [1, 2]) {
          const got = { dh: alloc(M * C, 9), dt: alloc(V * C, 10), db: alloc(Math.max(1, V), 11) };
          const loss = threads(n, () =>
            e.vocabCE!(h, table, bias, tp, 1, M, V, C, got.dh, got.dt, hasBias ? got.db : 0),
          );
          expect(loss, `loss on ${n} threads`).toBe(lossWant);
          expect(firstBitDiff(read(got.dh, M * C), w.dh), `dh on ${n} threads`).toBe(-1);
          expect(firstBitDiff(read(got.dt, V * C), w.dt), `dt on ${n} threads`).toBe(-1);
          if (hasBias) expect(firstBitDiff(read(got.db, V), w.db), `db on ${n} threads`).toBe(-1);
          // The loss alone (no gradient recorded): the same number, nothing written.
          expect(threads(n, () => e.vocabCE!(h, table, bias, tp, 1, M, V, C, 0, 0, 0))).toBe(lossWant);
        }
        while (raws.length) backend.wasm._free(raws.pop()!);
      });
});

describe.skipIf(!status.loaded)('ops.vocabCrossEntropy on the native kernel set', () => {
  beforeAll(async () => {
    await initBackend('native');
  });
  it('at dy = 2.5 its gradients are 2.5 times those at dy = 1, and the loss without a tape is the same', () => {
    const [N, V, C] = [300, 97, 24];
    const rnd = (n: number, k: number) =>
      Float32Array.from({ length: n }, (_, i) => Math.sin(i * k + 1) * 0.7);
    const h = tf.variable(tf.tensor2d(rnd(N * C, 0.37), [N, C]));
    const table = tf.variable(tf.tensor2d(rnd(V * C, 0.11), [V, C]));
    const bias = tf.variable(tf.tensor1d(rnd(V, 0.53)));
    const targets = tf.tensor1d(
      Int32Array.from({ length: N }, (_, i) => (i % 5 === 0 ? -100 : (i * 31) % V)),
      'int32',
    );
    const loss = () => ops.vocabCrossEntropy(h, table, targets, bias);
    const one = tf.variableGrads(loss, [h, table, bias]);
    const scaled = tf.variableGrads(() => tf.mul(loss(), 2.5) as tf.Scalar, [h, table, bias]);
    const untaped = tf.tidy(loss);
    expect(untaped.dataSync()[0]).toBe(one.value.dataSync()[0]);
    for (const v of [h, table, bias]) {
      const a = one.grads[v.name].dataSync();
      const b = scaled.grads[v.name].dataSync();
      expect(
        a.some((x) => x !== 0),
        v.name,
      ).toBe(true);
      for (let i = 0; i < a.length; i++)
        if (b[i] !== Math.fround(2.5 * a[i])) expect([v.name, i, b[i]]).toEqual([v.name, i, 2.5 * a[i]]);
    }
    tf.dispose([
      h,
      table,
      bias,
      targets,
      one.value,
      scaled.value,
      untaped,
      ...Object.values(one.grads),
      ...Object.values(scaled.grads),
    ]);
  });
});
