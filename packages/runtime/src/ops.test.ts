import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { fusedActive } from './kernels/fused.js';
import * as ops from './ops.js';
import { Rng } from './rng.js';

// Every op is checked on wasm with the fused kernels against its composite reference form,
// which runs on tfjs's cpu backend (ops.ts takes the composite path there): values, and
// gradients through tf.grads.

type Spec = { shape: number[]; dtype?: 'float32' | 'int32'; values?: number[]; scale?: number };
function makeInputs(
  seed: number,
  specs: Spec[],
): Array<{ data: Float32Array | Int32Array; shape: number[]; dtype: 'float32' | 'int32' }> {
  const rng = new Rng(seed);
  return specs.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const dtype = s.dtype ?? 'float32';
    const data = dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = s.values ? s.values[i] : (rng.float() * 2 - 1) * (s.scale ?? 1);
    return { data, shape: s.shape, dtype };
  });
}

/** Runs f on `backend` with fresh tensors; returns output values and grads of sum(out * w) w.r.t. the first `nGrad` inputs. */
async function evalOn(
  backend: 'cpu' | 'wasm',
  inputs: ReturnType<typeof makeInputs>,
  nGrad: number,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.data, i.shape, i.dtype));
    const y = f(...xs);
    const w = tf.tensor(
      Float32Array.from({ length: y.size }, (_, i) => Math.sin(i + 1)),
      y.shape,
    );
    const gradsOf = tf.grads((...g: tf.Tensor[]) => tf.sum(tf.mul(f(...g, ...xs.slice(nGrad)), w)));
    const grads = nGrad > 0 ? gradsOf(xs.slice(0, nGrad)) : [];
    return {
      y: Array.from(y.dataSync()),
      shape: y.shape,
      grads: grads.map((g) => Array.from(g.dataSync())),
      fused: fusedActive(),
    };
  });
}

function maxRel(a: number[], b: number[]): number {
  let m = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return a.length === b.length ? m / (1 + s) : Infinity;
}

async function compare(
  inputs: ReturnType<typeof makeInputs>,
  nGrad: number,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  tol = 2e-5,
) {
  const ref = await evalOn('cpu', inputs, nGrad, f);
  const got = await evalOn('wasm', inputs, nGrad, f);
  expect(ref.fused).toBe(false);
  expect(got.fused).toBe(true);
  expect(got.shape).toEqual(ref.shape);
  expect(maxRel(got.y, ref.y)).toBeLessThan(tol);
  for (let i = 0; i < nGrad; i++) expect(maxRel(got.grads[i], ref.grads[i]), `grad ${i}`).toBeLessThan(tol);
}

describe('ops: fused wasm kernels match the composite reference', () => {
  beforeAll(async () => {
    const info = await initBackend('wasm');
    expect(info.customKernels).toBe(true);
  });

  for (const shape of [[1], [3, 5, 7], [2, 4, 33]]) {
    it(`gelu ${shape}`, () => compare(makeInputs(1, [{ shape, scale: 4 }]), 1, (x) => ops.gelu(x)));
  }
  it('gelu saturates like the reference for large |x| (SIMD exp clamps)', () =>
    compare(
      makeInputs(1, [
        { shape: [2, 7], values: [-100, -30, -9, -3, -1e-3, 0, 1e-6, 1e-3, 0.5, 3, 9, 30, 100, 1e4] },
      ]),
      1,
      (x) => ops.gelu(x),
    ));
  for (const shape of [
    [1, 1],
    [3, 5, 7],
    [2, 3, 128],
    [41, 33],
    [2, 5, 6],
  ]) {
    it(`layerNorm ${shape}`, () => {
      const C = shape[shape.length - 1];
      return compare(makeInputs(2, [{ shape, scale: 3 }, { shape: [C] }, { shape: [C] }]), 3, (x, g, b) =>
        ops.layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D),
      );
    });
  }
  for (const [N, I, O] of [
    [1, 1, 1],
    [3, 5, 7],
    [37, 19, 300],
    [21, 6, 13],
  ]) {
    it(`linear ${N}x${I} -> ${O} (with bias)`, () =>
      compare(makeInputs(3, [{ shape: [2, N, I] }, { shape: [I, O] }, { shape: [O] }]), 3, (x, w, b) =>
        ops.linear(x, w as tf.Tensor2D, b as tf.Tensor1D),
      ));
  }
  it('linear without bias', () =>
    compare(makeInputs(4, [{ shape: [5, 3] }, { shape: [3, 6] }]), 2, (x, w) =>
      ops.linear(x, w as tf.Tensor2D),
    ));
  it('projectToVocab', () =>
    compare(makeInputs(5, [{ shape: [2, 3, 8] }, { shape: [11, 8] }]), 2, (h, t) =>
      ops.projectToVocab(h, t as tf.Tensor2D),
    ));
  for (const [B, H, T, S, D, causal] of [
    [1, 1, 1, 1, 1, true],
    [2, 3, 5, 5, 7, true],
    [2, 2, 4, 6, 3, true], // S > T: mask aligned to the end
    [1, 2, 6, 4, 3, true], // S < T: leading rows fully masked
    [2, 2, 5, 3, 4, false],
    [1, 2, 23, 23, 5, true], // rows of every length 1..23 (vector bodies and scalar tails)
    [2, 1, 9, 13, 4, false],
  ] as Array<[number, number, number, number, number, boolean]>) {
    it(`attention B${B} H${H} T${T} S${S} D${D} causal=${causal}`, () =>
      compare(
        makeInputs(6, [
          { shape: [B, H, T, D], scale: 2 },
          { shape: [B, H, S, D], scale: 2 },
          { shape: [B, H, S, D] },
        ]),
        3,
        (q, k, v) => ops.attention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, { causal }),
      ));
  }
  it('attention with keyPadding (composite path on both)', () =>
    compare(
      makeInputs(7, [
        { shape: [2, 1, 3, 4] },
        { shape: [2, 1, 3, 4] },
        { shape: [2, 1, 3, 4] },
        { shape: [2, 3], values: [1, 1, 0, 1, 0, 1] },
      ]),
      3,
      (q, k, v, m) =>
        ops.attention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, {
          causal: true,
          keyPadding: m as tf.Tensor2D,
        }),
    ));
  it('crossEntropy with ignored targets (int32)', () =>
    compare(
      makeInputs(8, [
        { shape: [6, 11], scale: 5 },
        { shape: [6], dtype: 'int32', values: [3, -1, 0, 10, 7, -100] },
      ]),
      1,
      (l, t) => ops.crossEntropy(l as tf.Tensor2D, t as tf.Tensor1D),
    ));
  it('crossEntropy, wide rows, a target >= V counts but contributes 0 (one-hot of it is empty)', () =>
    compare(
      makeInputs(14, [
        { shape: [9, 257], scale: 8 },
        { shape: [9], dtype: 'int32', values: [0, 256, 5, -1, 100, 300, 7, 255, 1] },
      ]),
      1,
      (l, t) => ops.crossEntropy(l as tf.Tensor2D, t as tf.Tensor1D),
    ));
  it('crossEntropy, float targets', () =>
    compare(
      makeInputs(15, [
        { shape: [5, 6], scale: 3 },
        { shape: [5], values: [1, 5, -1, 0, 2.0] },
      ]),
      1,
      (l, t) => ops.crossEntropy(l as tf.Tensor2D, t as tf.Tensor1D),
    ));
  it('crossEntropy, float targets, all ignored', () =>
    compare(makeInputs(9, [{ shape: [2, 3] }, { shape: [2], values: [-1, -1] }]), 1, (l, t) =>
      ops.crossEntropy(l as tf.Tensor2D, t as tf.Tensor1D),
    ));
  it('embedding (gather and its gradient, UnsortedSegmentSum)', () =>
    compare(
      makeInputs(10, [{ shape: [7, 5] }, { shape: [2, 3], dtype: 'int32', values: [0, 6, 6, 2, 0, 0] }]),
      1,
      (t, ids) => ops.embedding(t as tf.Tensor2D, ids),
    ));
  it('split + concat (SplitV and its gradient)', () =>
    compare(makeInputs(11, [{ shape: [2, 3, 12] }]), 1, (x) =>
      tf.concat(
        tf.split(x, [5, 3, 4], -1).map((p, i) => tf.mul(p, i + 1)),
        -1,
      ),
    ));
  it('split along axis 0 and a middle axis', () =>
    compare(makeInputs(12, [{ shape: [4, 6, 2] }]), 1, (x) => {
      const [a, b] = tf.split(x, 2, 0); // [2, 6, 2] each
      return tf.add(tf.concat([b, tf.mul(a, 2)], 0), tf.tile(tf.split(x, 3, 1)[2], [1, 3, 1]));
    }));

  it('transpose [0, 2, 1, 3] and [1, 0, 2] (block-copy Transpose), values and gradients', () =>
    compare(makeInputs(16, [{ shape: [2, 5, 3, 7] }]), 1, (x) =>
      tf.add(
        tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [6, 35]),
        tf.reshape(tf.transpose(tf.reshape(x, [10, 3, 7]), [1, 0, 2]), [6, 35]),
      ),
    ));
  it('attention head split/merge with D = 32 (vector block copies)', () =>
    compare(makeInputs(17, [{ shape: [2, 3, 4, 32] }]), 1, (x) =>
      tf.mul(
        tf.transpose(tf.transpose(x, [0, 2, 1, 3]), [0, 2, 1, 3]),
        tf.transpose(x, [0, 2, 1, 3]).reshape([2, 3, 4, 32]),
      ),
    ));
  it('transpose with other perms falls back to the stock kernel', () =>
    compare(makeInputs(18, [{ shape: [3, 4, 5] }]), 1, (x) => tf.transpose(x, [2, 0, 1])));
  it('concat along every axis (block-copy Concat), values and gradients', () =>
    compare(
      makeInputs(19, [
        { shape: [2, 3, 5] },
        { shape: [2, 3, 2] },
        { shape: [1, 3, 5] },
        { shape: [2, 4, 5] },
      ]),
      4,
      (a, b, c, d) =>
        tf.addN([
          tf.sum(tf.mul(tf.concat([a, b, a], -1), 2)),
          tf.sum(tf.square(tf.concat([a, c], 0))),
          tf.sum(tf.mul(tf.concat([d, a], 1), tf.range(1, 6))),
        ]),
    ));
  it('concat of int32 and empty inputs', () => {
    return (async () => {
      for (const backend of ['cpu', 'wasm'] as const) {
        await tf.setBackend(backend);
        const y = tf.tidy(() =>
          tf.concat(
            [
              tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'),
              tf.zeros([2, 0], 'int32'),
              tf.tensor2d([5, 6], [2, 1], 'int32'),
            ],
            1,
          ),
        );
        expect(Array.from(y.dataSync())).toEqual([1, 2, 5, 3, 4, 6]);
        expect(y.dtype).toBe('int32');
        y.dispose();
      }
    })();
  });

  for (const [n, decay, withClip] of [
    [1, 0.1, true],
    [7, 0, false],
    [130, 0.1, false],
    [1027, 0.01, true],
  ] as Array<[number, number, boolean]>) {
    it(`adamwUpdate n=${n} decay=${decay} clip=${withClip}: three steps match the composite`, async () => {
      const init = makeInputs(20 + n, [
        { shape: [n] },
        { shape: [n], scale: 0.1 },
        { shape: [n], scale: 0.01 },
      ]);
      const grads = makeInputs(30 + n, [
        { shape: [n], scale: 2 },
        { shape: [n], scale: 0.5 },
        { shape: [n], scale: 3 },
      ]);
      const runOn = async (backend: 'cpu' | 'wasm') => {
        await tf.setBackend(backend);
        let p = tf.tensor(init[0].data, [n]);
        let m = tf.tensor(init[1].data, [n]);
        let v = tf.tensor(Float32Array.from(init[2].data, Math.abs), [n]);
        const before = tf.memory().numTensors;
        for (let t = 1; t <= 3; t++) {
          const s = {
            lr: 3e-3,
            beta1: 0.9,
            beta2: 0.95,
            eps: 1e-8,
            weightDecay: decay,
            bc1: 1 - 0.9 ** t,
            bc2Sqrt: Math.sqrt(1 - 0.95 ** t),
          };
          const g = tf.tensor(grads[t - 1].data, [n]);
          const clip = withClip ? tf.scalar(0.37) : undefined;
          const r = ops.adamwUpdate(p, m, v, g, s, clip);
          tf.dispose([p, m, v, g, ...(clip ? [clip] : [])]);
          ({ p, m, v } = r);
        }
        expect(tf.memory().numTensors).toBe(before);
        const out = [p, m, v].map((x) => Array.from(x.dataSync()));
        tf.dispose([p, m, v]);
        return { out, fused: fusedActive() };
      };
      const ref = await runOn('cpu');
      const got = await runOn('wasm');
      expect(got.fused).toBe(true);
      for (let i = 0; i < 3; i++)
        expect(maxRel(got.out[i], ref.out[i]), ['p', 'm', 'v'][i]).toBeLessThan(1e-6);
    });
  }
  it('sumOfSquares over several tensors (odd sizes) matches the composite', () =>
    compare(
      makeInputs(40, [{ shape: [3, 5] }, { shape: [1] }, { shape: [1031] }, { shape: [64, 17], scale: 3 }]),
      0,
      (a, b, c, d) => ops.sumOfSquares([a, b, c, d]),
    ));

  it('fused ops do not leak tensors across repeated calls (values and gradients)', () => {
    const rng = new Rng(13);
    const r = (shape: number[]) =>
      tf.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.float() - 0.5),
        shape,
      );
    const x = r([2, 4, 8]);
    const g = r([8]);
    const b = r([8]);
    const w = r([8, 8]);
    const q = r([2, 2, 4, 4]);
    const ids = tf.tensor1d([1, 0, 3], 'int32');
    const tgt = tf.tensor1d([1, -1, 3], 'int32');
    const step = () =>
      tf.tidy(() => {
        const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor, ww: tf.Tensor, qq: tf.Tensor) => {
          const h = ops.gelu(
            ops.linear(
              ops.layerNorm(xx, gg as tf.Tensor1D, bb as tf.Tensor1D),
              ww as tf.Tensor2D,
              bb as tf.Tensor1D,
            ),
          );
          const a = ops.attention(qq as tf.Tensor4D, qq as tf.Tensor4D, qq as tf.Tensor4D, { causal: true });
          const e = ops.embedding(ww as tf.Tensor2D, ids);
          const ce = ops.crossEntropy(tf.reshape(h, [8, 8]).slice([0, 0], [3, 8]) as tf.Tensor2D, tgt);
          const t = tf.transpose(tf.concat([qq, qq], -1), [0, 2, 1, 3]);
          return tf.addN([
            tf.sum(h),
            tf.sum(a),
            tf.sum(e),
            ce,
            tf.sum(t),
            ...tf.split(h, 2, -1).map((p) => tf.sum(p)),
          ]);
        };
        tf.grads(f)([x, g, b, w, q]);
      });
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, g, b, w, q, ids, tgt]);
  });
});
