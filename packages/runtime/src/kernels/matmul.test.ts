import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { Rng } from '../rng.js';
import { randn, relErr } from './test-util.js';

/** float64 reference: op(A) op(B) per batch, batch dims broadcast when one side has 1. */
function refMatMul(
  a: tf.Tensor,
  b: tf.Tensor,
  ta: boolean,
  tb: boolean,
): { data: Float64Array; shape: number[] } {
  const ad = a.dataSync();
  const bd = b.dataSync();
  const ar = a.rank;
  const br = b.rank;
  const M = ta ? a.shape[ar - 1] : a.shape[ar - 2];
  const K = ta ? a.shape[ar - 2] : a.shape[ar - 1];
  const N = tb ? b.shape[br - 2] : b.shape[br - 1];
  const bA = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const bB = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const batch = Math.max(bA, bB);
  const outBatch =
    a.shape.slice(0, -2).length >= b.shape.slice(0, -2).length && bA >= bB
      ? a.shape.slice(0, -2)
      : b.shape.slice(0, -2);
  const out = new Float64Array(batch * M * N);
  for (let p = 0; p < batch; p++) {
    const ao = (bA === 1 ? 0 : p) * M * K;
    const bo = (bB === 1 ? 0 : p) * K * N;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++)
          s += ad[ao + (ta ? k * M + i : i * K + k)] * bd[bo + (tb ? j * K + k : k * N + j)];
        out[p * M * N + i * N + j] = s;
      }
  }
  return { data: out, shape: [...outBatch, M, N] };
}

const shapesOf = (
  batch: number[],
  M: number,
  N: number,
  K: number,
  ta: boolean,
  tb: boolean,
  bBatch = batch,
) => ({
  a: [...batch, ...(ta ? [K, M] : [M, K])],
  b: [...bBatch, ...(tb ? [N, K] : [K, N])],
});

describe('BatchMatMul on wasm (SIMD sgemm)', () => {
  beforeAll(async () => {
    const info = await initBackend('wasm');
    expect(info.customKernels).toBe(true);
  });

  const cases: Array<[number[], number, number, number, number[]?]> = [
    [[], 1, 1, 1],
    [[], 3, 5, 7],
    [[], 4, 8, 16],
    [[], 37, 19, 300], // K crosses the 256 block, M/N not multiples of 4/8
    [[], 70, 530, 9], // M crosses 64, N crosses 512
    [[2], 5, 3, 4],
    [[2, 3], 9, 10, 11],
    [[3], 6, 7, 5, [1]], // broadcast B over batch
    [[1], 6, 7, 5, [4]], // broadcast A over batch
    [[], 0, 3, 4],
    [[], 3, 4, 0],
  ];
  for (const [batch, M, N, K, bBatch] of cases) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        it(`batch [${batch}]${bBatch ? `x[${bBatch}]` : ''} ${M}x${N}x${K} tA=${ta} tB=${tb}`, () => {
          const rng = new Rng(M * 1000 + N * 10 + K + (ta ? 1 : 0) + (tb ? 2 : 0));
          const s = shapesOf(batch, M, N, K, ta, tb, bBatch ?? batch);
          const a = randn(rng, s.a);
          const b = randn(rng, s.b);
          const c = tf.matMul(a, b, ta, tb);
          const ref = refMatMul(a, b, ta, tb);
          expect(c.shape).toEqual(ref.shape);
          expect(relErr(c.dataSync(), ref.data)).toBeLessThan(1e-5);
          tf.dispose([a, b, c]);
        });
      }
    }
  }

  it('gradients match closed forms for every transpose combination', () => {
    const rng = new Rng(7);
    for (const ta of [false, true])
      for (const tb of [false, true]) {
        const s = shapesOf([2], 5, 6, 7, ta, tb);
        const a = randn(rng, s.a);
        const b = randn(rng, s.b);
        const w = randn(rng, [2, 5, 6]);
        const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, ta, tb), w)))(
          [a, b],
        );
        // dL/dop(A) = W op(B)^T, dL/dop(B) = op(A)^T W, then undo the transposes.
        const opA = ta ? tf.transpose(a, [0, 2, 1]) : a;
        const opB = tb ? tf.transpose(b, [0, 2, 1]) : b;
        const dOpA = refMatMul(w, opB, false, true);
        const dOpB = refMatMul(opA, w, true, false);
        const wantA = ta
          ? tf.transpose(tf.tensor(Float32Array.from(dOpA.data), dOpA.shape), [0, 2, 1])
          : tf.tensor(Float32Array.from(dOpA.data), dOpA.shape);
        const wantB = tb
          ? tf.transpose(tf.tensor(Float32Array.from(dOpB.data), dOpB.shape), [0, 2, 1])
          : tf.tensor(Float32Array.from(dOpB.data), dOpB.shape);
        expect(relErr(ga.dataSync(), wantA.dataSync())).toBeLessThan(1e-5);
        expect(relErr(gb.dataSync(), wantB.dataSync())).toBeLessThan(1e-5);
        tf.dispose([a, b, w, ga, gb, opA, opB, wantA, wantB]);
      }
  });

  it('does not leak tensors', () => {
    const rng = new Rng(3);
    const a = randn(rng, [2, 9, 5]);
    const b = randn(rng, [2, 7, 5]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.matMul(a, b, false, true).dispose();
    tf.tidy(() => {
      tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y, false, true)))([a, b]);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b]);
  });

  it('survives wasm heap growth (views are re-derived per call)', () => {
    const rng = new Rng(5);
    const a = randn(rng, [33, 17]);
    const b = randn(rng, [17, 9]);
    const big = tf.zeros([(64 * 1024 * 1024) / 4]); // forces memory.grow
    const c = tf.matMul(a, b);
    expect(relErr(c.dataSync(), refMatMul(a, b, false, false).data)).toBeLessThan(1e-5);
    tf.dispose([a, b, big, c]);
  });
});
