import { Rng } from '@pretrain-lab/runtime/rng';
import { describe, expect, it } from 'vitest';
import { BatchStream, collateSeq2Seq, evalBatches } from './batches.js';
import { packSequences } from './pack.js';

// 10 sequences of seqLen 4; sequence i starts with token 4 * i.
const packed = packSequences(
  Int32Array.from({ length: 41 }, (_, i) => i),
  4,
);
const firstTokens = (inputs: Int32Array, T = 4) =>
  Array.from({ length: inputs.length / T }, (_, b) => inputs[b * T] / 4);

describe('BatchStream', () => {
  it('gives targets shifted by one from inputs', () => {
    const b = new BatchStream(packed, { batchSize: 2, seed: 0 }).next();
    expect(b.inputs.length).toBe(8);
    for (let i = 0; i < 8; i++) expect(b.targets[i]).toBe(b.inputs[i] + 1);
  });

  it('visits each sequence once per epoch in the order of Rng.derive(seed, batches/epoch<e>)', () => {
    const s = new BatchStream(packed, { batchSize: 3, seed: 11 });
    expect(s.batchesPerEpoch).toBe(3);
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const b = s.next();
      expect([b.epoch, b.position]).toEqual([0, 3 * i]);
      seen.push(...firstTokens(b.inputs));
    }
    expect(seen).toEqual(Array.from(Rng.derive(11, 'batches/epoch0').permutation(10)).slice(0, 9));
    // The 10th sequence is dropped; epoch 1 starts with its own permutation.
    const b = s.next();
    expect([b.epoch, b.position]).toEqual([1, 0]);
    expect(firstTokens(b.inputs)).toEqual(
      Array.from(Rng.derive(11, 'batches/epoch1').permutation(10)).slice(0, 3),
    );
  });

  it('is deterministic for a seed', () => {
    const run = (seed: number) => {
      const s = new BatchStream(packed, { batchSize: 4, seed });
      return Array.from({ length: 7 }, () => firstTokens(s.next().inputs));
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it('resumes from a saved position with exactly the same batches', () => {
    const a = new BatchStream(packed, { batchSize: 3, seed: 2 });
    for (let i = 0; i < 4; i++) a.next();
    const saved = JSON.parse(JSON.stringify(a.getPosition()));
    expect(saved).toEqual({ epoch: 1, offset: 3 });
    const b = new BatchStream(packed, { batchSize: 3, seed: 2 });
    b.setPosition(saved);
    for (let i = 0; i < 8; i++) expect(b.next()).toEqual(a.next());
  });

  it('rejects too few sequences and bad positions', () => {
    expect(() => new BatchStream(packed, { batchSize: 11, seed: 0 })).toThrow(/only 10 sequences/);
    const s = new BatchStream(packed, { batchSize: 2, seed: 0 });
    expect(() => s.setPosition({ epoch: -1, offset: 0 })).toThrow(/invalid position/);
    expect(() => s.setPosition({ epoch: 0, offset: 11 })).toThrow(/invalid position/);
  });
});

describe('evalBatches', () => {
  it('goes through sequences in order, the last batch holding the remainder', () => {
    const bs = evalBatches(packed, 4);
    expect(bs.map((b) => [b.batchSize, b.position])).toEqual([
      [4, 0],
      [4, 4],
      [2, 8],
    ]);
    expect(bs.flatMap((b) => firstTokens(b.inputs))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(evalBatches(packed, 4)).toEqual(bs);
  });
  it('stops at maxBatches', () => {
    expect(evalBatches(packed, 3, 2).map((b) => b.position)).toEqual([0, 3]);
  });
});

describe('collateSeq2Seq', () => {
  it('pads inputs with pad and a mask, labels with -100, to the longest rows or given lengths', () => {
    const b = collateSeq2Seq(
      [Int32Array.of(5, 6, 7), Int32Array.of(8)],
      [Int32Array.of(1), Int32Array.of(2, 3)],
      {
        pad: 0,
      },
    );
    expect([b.rows, b.inLen, b.outLen]).toEqual([2, 3, 2]);
    expect(Array.from(b.inputIds)).toEqual([5, 6, 7, 8, 0, 0]);
    expect(Array.from(b.attentionMask)).toEqual([1, 1, 1, 1, 0, 0]);
    expect(Array.from(b.labels)).toEqual([1, -100, 2, 3]);
    const cut = collateSeq2Seq([Int32Array.of(5, 6, 7)], [Int32Array.of(1, 2, 3)], {
      pad: 9,
      inLen: 2,
      outLen: 4,
    });
    expect(Array.from(cut.inputIds)).toEqual([5, 6]);
    expect(Array.from(cut.labels)).toEqual([1, 2, 3, -100]);
  });
});
