/**
 * T5 attention pieces. The bucket function is pinned against PyTorch over -300..300 in
 * packages/models/src/t5.test.ts (fixture from tools/reference/t5.py); here: hand-checked
 * values, masks, and the attention itself against a direct computation.
 */

import { initBackend, Rng } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { inference } from './dropout.js';
import { ParamStore } from './params.js';
import {
  causalBias,
  keyPaddingBias,
  MASK_BIAS,
  relativePositionBucket,
  relativePositionBuckets,
  T5Attention,
} from './t5-attention.js';

beforeAll(async () => {
  await initBackend();
});

describe('relativePositionBucket', () => {
  it('gives exact buckets for small distances and splits directions (bidirectional, 32 / 128)', () => {
    // 16 buckets per direction, 8 exact: key before or at the query -> 0..7, after -> 16..23.
    for (let n = 0; n < 8; n++) expect(relativePositionBucket(-n, true, 32, 128)).toBe(n);
    for (let n = 1; n < 8; n++) expect(relativePositionBucket(n, true, 32, 128)).toBe(16 + n);
    // log-spaced: 8 + floor(log(n / 8) / log(16) * 8), capped at 15.
    expect(relativePositionBucket(-8, true, 32, 128)).toBe(8);
    expect(relativePositionBucket(-16, true, 32, 128)).toBe(10);
    expect(relativePositionBucket(-127, true, 32, 128)).toBe(15);
    expect(relativePositionBucket(-1000, true, 32, 128)).toBe(15);
    expect(relativePositionBucket(1000, true, 32, 128)).toBe(31);
  });

  it('maps future keys to bucket 0 and uses all buckets for the past (unidirectional)', () => {
    for (const n of [1, 5, 500]) expect(relativePositionBucket(n, false, 32, 128)).toBe(0);
    for (let n = 0; n < 16; n++) expect(relativePositionBucket(-n, false, 32, 128)).toBe(n);
    expect(relativePositionBucket(-1000, false, 32, 128)).toBe(31);
  });

  it('never decreases with distance and stays in range', () => {
    for (const [nb, md] of [
      [8, 16],
      [32, 128],
      [64, 256],
    ]) {
      for (const bidi of [true, false]) {
        let prev = -1;
        for (let n = 0; n <= 400; n++) {
          const b = relativePositionBucket(-n, bidi, nb, md);
          expect(b).toBeGreaterThanOrEqual(prev);
          expect(b).toBeLessThan(bidi ? nb / 2 : nb);
          prev = b;
        }
      }
    }
  });

  it('lays out a [T, S] table by key - query', () => {
    const table = relativePositionBuckets(2, 3, true, 8, 16);
    const expected = [0, 1, 2, 0, 0, 1].map((_, i) =>
      relativePositionBucket((i % 3) - Math.floor(i / 3), true, 8, 16),
    );
    expect(Array.from(table)).toEqual(expected);
  });
});

describe('T5 attention masks', () => {
  it('builds padding and causal biases', async () => {
    const pad = keyPaddingBias(tf.tensor2d([[1, 1, 0]], [1, 3], 'int32'));
    expect(pad.shape).toEqual([1, 1, 1, 3]);
    expect(Array.from(await pad.data())).toEqual([0, 0, MASK_BIAS].map(Math.fround));
    const causal = causalBias(3);
    expect(causal.shape).toEqual([1, 1, 3, 3]);
    expect(Array.from(await causal.data())).toEqual(
      [0, MASK_BIAS, MASK_BIAS, 0, 0, MASK_BIAS, 0, 0, 0].map(Math.fround),
    );
    tf.dispose([pad, causal]);
  });
});

describe('T5Attention', () => {
  it('creates bias-free q, k, v, o and the bucket table only when asked', () => {
    const store = new ParamStore(new Rng(1));
    new T5Attention(store, 'a', {
      dModel: 8,
      numHeads: 2,
      dKV: 3,
      relativeBias: { bidirectional: true, numBuckets: 8, maxDistance: 16 },
    });
    new T5Attention(store, 'b', { dModel: 8, numHeads: 2, dKV: 3 });
    expect(store.names()).toEqual([
      'a.q.weight',
      'a.k.weight',
      'a.v.weight',
      'a.o.weight',
      'a.relative_attention_bias.weight',
      'b.q.weight',
      'b.k.weight',
      'b.v.weight',
      'b.o.weight',
    ]);
    expect(store.get('a.q.weight').shape).toEqual([8, 6]);
    expect(store.get('a.o.weight').shape).toEqual([6, 8]);
    expect(store.get('a.relative_attention_bias.weight').shape).toEqual([8, 2]);
    store.dispose();
  });

  it('matches a direct computation with position bias and a padding mask, unscaled', async () => {
    const store = new ParamStore(new Rng(2));
    const H = 2;
    const D = 3;
    const attn = new T5Attention(store, 'a', {
      dModel: 4,
      numHeads: H,
      dKV: D,
      relativeBias: { bidirectional: true, numBuckets: 8, maxDistance: 16 },
    });
    const B = 2;
    const T = 3;
    const x = tf.tensor3d(
      Array.from({ length: B * T * 4 }, (_, i) => Math.sin(i + 1)),
      [B, T, 4],
    );
    const mask = tf.tensor2d(
      [
        [1, 1, 1],
        [1, 1, 0],
      ],
      [B, T],
      'int32',
    );
    const pos = attn.positionBias(T, T);
    expect(pos.shape).toEqual([1, H, T, T]);
    const bias = tf.add(pos, keyPaddingBias(mask));
    const y = attn.apply(x, inference(), { bias });
    expect(y.shape).toEqual([B, T, 4]);

    // Direct loops over plain arrays.
    const xs = (await x.array()) as number[][][];
    const W = async (n: string) => (await store.get(`a.${n}.weight`).array()) as number[][];
    const [wq, wk, wv, wo] = [await W('q'), await W('k'), await W('v'), await W('o')];
    const table = (await store.get('a.relative_attention_bias.weight').array()) as number[][];
    const mm = (a: number[], w: number[][]) =>
      w[0].map((_, j) => a.reduce((s, ai, i) => s + ai * w[i][j], 0));
    const maskRows = [
      [1, 1, 1],
      [1, 1, 0],
    ];
    const expected: number[] = [];
    for (let b = 0; b < B; b++) {
      const q = xs[b].map((r) => mm(r, wq));
      const k = xs[b].map((r) => mm(r, wk));
      const v = xs[b].map((r) => mm(r, wv));
      for (let t = 0; t < T; t++) {
        const merged: number[] = [];
        for (let h = 0; h < H; h++) {
          const scores = [0, 1, 2].map((s) => {
            let dot = 0;
            for (let d = 0; d < D; d++) dot += q[t][h * D + d] * k[s][h * D + d];
            return (
              dot + table[relativePositionBucket(s - t, true, 8, 16)][h] + (maskRows[b][s] ? 0 : MASK_BIAS)
            );
          });
          const m = Math.max(...scores);
          const e = scores.map((s) => Math.exp(s - m));
          const z = e.reduce((a, c) => a + c, 0);
          for (let d = 0; d < D; d++) merged.push(e.reduce((a, p, s) => a + (p / z) * v[s][h * D + d], 0));
        }
        expected.push(...mm(merged, wo));
      }
    }
    const got = await y.data();
    for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo(expected[i], 5);
    tf.dispose([x, mask, pos, bias, y]);
    store.dispose();
  });

  it('attends to memory of another length in cross-attention and does not leak', () => {
    const store = new ParamStore(new Rng(3));
    const attn = new T5Attention(store, 'x', { dModel: 4, numHeads: 2, dKV: 2 });
    const x = tf.ones([2, 3, 4]) as tf.Tensor3D;
    const memory = tf.ones([2, 5, 4]) as tf.Tensor3D;
    const bias = keyPaddingBias(tf.ones([2, 5]) as tf.Tensor2D);
    attn.apply(x, inference(), { memory, bias }).dispose();
    const before = tf.memory().numTensors;
    const y = attn.apply(x, inference(), { memory, bias });
    expect(y.shape).toEqual([2, 3, 4]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => attn.positionBias(2, 2)).toThrow(/relative_attention_bias/);
    tf.dispose([x, memory, bias]);
    store.dispose();
  });
});
