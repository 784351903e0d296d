/**
 * T5 pinned against PyTorch (fixture from tools/reference/t5.py): parameter names and shapes,
 * decoder inputs, encoder output, logits, loss, the gradient of every parameter, and T5's
 * relative-position buckets over -300..300. The five AdamW steps are checked in
 * packages/train/src/t5-adamw.test.ts. Then decoding (beam size 1 is greedy), masks, leaks.
 * Tolerances: float32 throughout; encoder output, logits and loss to 1e-5 absolute + 1e-4
 * relative, gradients to 1e-6 absolute + 1e-3 relative (as the GPT tests); buckets exactly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { relativePositionBucket } from '@pretrain-lab/layers';
import { initBackend, Rng } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { beamSearch, greedySearch, type NextLogProbs, resolveT5Config, T5, type T5Config } from './t5.js';
import { type Flat, flatData, toleranceRatio } from './testing/fixtures.js';

interface T5Fixture {
  config: Omit<T5Config, 'dropout'>;
  params: Record<string, Flat>;
  inputIds: Flat;
  attentionMask: Flat;
  labels: Flat;
  decoderInputIds: Flat;
  encoderOut: Flat;
  logits: Flat;
  loss: number;
  grads: Record<string, number[]>;
  buckets: {
    numBuckets: number;
    maxDistance: number;
    bidirectional: boolean;
    relativePositions: [number, number];
    buckets: number[];
  }[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
const fx = JSON.parse(fs.readFileSync(path.join(here, 'fixtures', 't5-tiny.json'), 'utf8')) as T5Fixture;

function t5FromFixture(overrides: Partial<T5Config> = {}): T5 {
  const model = new T5(resolveT5Config({ ...fx.config, dropout: 0, ...overrides }), 0);
  model.params.assign(Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, flatData(v)])));
  return model;
}

function batch() {
  const int2d = (f: Flat) => tf.tensor2d(f.data, f.shape as [number, number], 'int32');
  return { inputIds: int2d(fx.inputIds), attentionMask: int2d(fx.attentionMask), labels: int2d(fx.labels) };
}

beforeAll(async () => {
  await initBackend();
});

describe('T5 parity with PyTorch', () => {
  it('has exactly the reference parameter names and shapes', () => {
    const model = t5FromFixture();
    expect(model.params.names().sort()).toEqual(Object.keys(fx.params).sort());
    for (const [name, v] of model.params.vars) expect(v.shape, name).toEqual(fx.params[name].shape);
    model.dispose();
  });

  it('shifts labels right into decoder inputs', async () => {
    const model = t5FromFixture();
    const b = batch();
    const dec = model.shiftRight(b.labels);
    expect(Array.from(await dec.data())).toEqual(fx.decoderInputIds.data);
    tf.dispose([dec, ...Object.values(b)]);
    model.dispose();
  });

  it('matches the encoder output, logits and loss', async () => {
    const model = t5FromFixture();
    const b = batch();
    const enc = model.encode(b.inputIds, b.attentionMask);
    expect(enc.shape).toEqual(fx.encoderOut.shape);
    expect(
      toleranceRatio(await enc.data(), fx.encoderOut.data, 1e-5, 1e-4),
      'encoder output',
    ).toBeLessThanOrEqual(1);
    const dec = model.shiftRight(b.labels);
    const logits = model.decode(dec, enc, b.attentionMask);
    expect(logits.shape).toEqual(fx.logits.shape);
    expect(toleranceRatio(await logits.data(), fx.logits.data, 1e-5, 1e-4), 'logits').toBeLessThanOrEqual(1);
    const loss = model.loss(b);
    expect(Math.abs((await loss.data())[0] - fx.loss)).toBeLessThan(1e-5 + 1e-4 * fx.loss);
    tf.dispose([enc, dec, logits, loss, ...Object.values(b)]);
    model.dispose();
  });

  it('matches the gradient of every parameter', async () => {
    const model = t5FromFixture();
    const b = batch();
    const { value, grads } = tf.variableGrads(() => model.loss(b), [...model.params.vars.values()]);
    const names = Object.keys(grads).map((k) => model.params.nameOf(k));
    expect(names.sort()).toEqual(Object.keys(fx.grads).sort());
    for (const [tfName, g] of Object.entries(grads)) {
      const name = model.params.nameOf(tfName);
      expect(
        toleranceRatio(await g.data(), flatData(fx.grads[name]), 1e-6, 1e-3),
        `gradient of ${name}`,
      ).toBeLessThanOrEqual(1);
    }
    tf.dispose([value, ...Object.values(grads), ...Object.values(b)]);
    model.dispose();
  });

  it("matches T5's relative-position buckets exactly", () => {
    expect(fx.buckets.length).toBe(4);
    for (const g of fx.buckets) {
      const [lo] = g.relativePositions;
      const ours = g.buckets.map((_, i) =>
        relativePositionBucket(lo + i, g.bidirectional, g.numBuckets, g.maxDistance),
      );
      expect(
        ours,
        `${g.numBuckets}/${g.maxDistance} ${g.bidirectional ? 'bidirectional' : 'unidirectional'}`,
      ).toEqual(g.buckets);
    }
  });
});

/** A toy language model: log-softmax of seeded normal logits that depend on the whole prefix. */
function toyModel(seed: number, V: number, rowSalt: (row: number) => number): NextLogProbs {
  return async (prefixes) => {
    const out = new Float32Array(prefixes.length * V);
    prefixes.forEach((prefix, row) => {
      const rng = Rng.derive(seed, `toy/${rowSalt(row)}/${prefix.join(',')}`);
      const logits = Array.from({ length: V }, () => 2 * rng.normal());
      const max = Math.max(...logits);
      const lse = max + Math.log(logits.reduce((a, l) => a + Math.exp(l - max), 0));
      for (let v = 0; v < V; v++) out[row * V + v] = logits[v] - lse;
    });
    return out;
  };
}

describe('greedySearch and beamSearch on toy distributions', () => {
  const tokens = { vocabSize: 5, decoderStartId: 0, eosId: 1, padId: 0 };

  it('beam size 1 is greedy, EOS or not, for any length penalty', async () => {
    let stoppedEarly = 0;
    for (let seed = 0; seed < 40; seed++) {
      const next = toyModel(seed, 5, (row) => row);
      const greedy = await greedySearch(next, 3, tokens, 6);
      stoppedEarly += greedy.filter((g) => g.length < 6).length;
      for (const g of greedy) expect(g.slice(0, -1)).not.toContain(1);
      for (const lengthPenalty of [0, 0.6, 2]) {
        const beam = await beamSearch(next, 3, tokens, { beamSize: 1, maxLength: 6, lengthPenalty });
        expect(
          beam.ids.map((x) => Array.from(x)),
          `seed ${seed}`,
        ).toEqual(greedy.map((x) => Array.from(x)));
      }
    }
    expect(stoppedEarly).toBeGreaterThan(10); // the toy really exercises EOS stopping
  });

  it('a beam as wide as the search space finds the best hypothesis by brute force', async () => {
    const V = 5;
    const L = 4;
    for (const lengthPenalty of [0, 0.6]) {
      for (let seed = 0; seed < 3; seed++) {
        // With beamSize rows, row r of the decoder batch belongs to example floor(r / K).
        const K = 700;
        const next = toyModel(seed, V, (row) => Math.floor(row / K));
        const beam = await beamSearch(next, 2, tokens, { beamSize: K, maxLength: L, lengthPenalty });
        for (let example = 0; example < 2; example++) {
          const score = async (ids: number[]) => {
            let sum = 0;
            for (let t = 0; t < ids.length; t++)
              sum += (await toyModel(seed, V, () => example)([[0, ...ids.slice(0, t)]]))[ids[t]];
            return sum / ids.length ** lengthPenalty;
          };
          // Every hypothesis: non-EOS tokens then EOS (length <= L), or L non-EOS tokens.
          let best = -Infinity;
          let bestIds: number[] = [];
          const visit = async (prefix: number[]) => {
            for (let tok = 0; tok < V; tok++) {
              const ids = [...prefix, tok];
              if (tok === 1 || ids.length === L) {
                const s = await score(ids);
                if (s > best) [best, bestIds] = [s, ids];
              } else await visit(ids);
            }
          };
          await visit([]);
          expect(Array.from(beam.ids[example]), `seed ${seed}, alpha ${lengthPenalty}`).toEqual(bestIds);
          expect(beam.scores[example]).toBeCloseTo(best, 5);
        }
      }
    }
  });

  it('rejects bad options', async () => {
    const next = toyModel(0, 5, () => 0);
    await expect(beamSearch(next, 1, tokens, { beamSize: 0, maxLength: 3 })).rejects.toThrow(/beamSize/);
    await expect(greedySearch(next, 1, tokens, 0)).rejects.toThrow(/maxLength/);
  });
});

describe('T5 decoding', () => {
  it('beam search with beam size 1 equals greedy decoding, with and without a length penalty', async () => {
    const model = t5FromFixture();
    const b = batch();
    const greedy = await model.greedy(b.inputIds, b.attentionMask, { maxLength: 7 });
    expect(greedy.map((g) => g.length)).toEqual([7, 7]); // this model never says EOS in 7 steps
    for (const lengthPenalty of [0, 0.6, 2]) {
      const beam = await model.beamSearch(b.inputIds, b.attentionMask, {
        beamSize: 1,
        maxLength: 7,
        lengthPenalty,
      });
      expect(beam.ids.map((x) => Array.from(x))).toEqual(greedy.map((x) => Array.from(x)));
    }
    tf.dispose(Object.values(b));
    model.dispose();
  });

  it('stops at EOS, per row, in greedy and beam search alike', async () => {
    const probe = t5FromFixture();
    const b = batch();
    const free = await probe.greedy(b.inputIds, b.attentionMask, { maxLength: 7 });
    probe.dispose();
    // Make row 0's third greedy token the EOS id (eosId is only read by decoding): each row
    // must then be the free-running output cut after its first occurrence.
    const eosId = free[0][2];
    const model = t5FromFixture({ eosId });
    const greedy = await model.greedy(b.inputIds, b.attentionMask, { maxLength: 7 });
    const cutAtEos = (ids: Int32Array) =>
      Array.from(ids.indexOf(eosId) >= 0 ? ids.slice(0, ids.indexOf(eosId) + 1) : ids);
    expect(greedy.map((g) => Array.from(g))).toEqual(free.map(cutAtEos));
    expect(greedy[0].length).toBeLessThanOrEqual(3);
    const beam = await model.beamSearch(b.inputIds, b.attentionMask, {
      beamSize: 1,
      maxLength: 7,
      lengthPenalty: 0.6,
    });
    expect(beam.ids.map((x) => Array.from(x))).toEqual(greedy.map((x) => Array.from(x)));
    tf.dispose(Object.values(b));
    model.dispose();
  });

  it('returns wider-beam hypotheses whose scores are their length-normalised log-probabilities', async () => {
    const model = t5FromFixture({ eosId: 2 });
    const b = batch();
    const maxLength = 6;
    const lengthPenalty = 0.6;
    const greedy = await model.greedy(b.inputIds, b.attentionMask, { maxLength });
    const beam = await model.beamSearch(b.inputIds, b.attentionMask, {
      beamSize: 3,
      maxLength,
      lengthPenalty,
    });
    const V = fx.config.vocabSize;
    const logProbOf = async (row: number, ids: Int32Array) => {
      const enc = model.encode(
        tf.slice(b.inputIds, [row, 0], [1, -1]),
        tf.slice(b.attentionMask, [row, 0], [1, -1]),
      );
      const dec = tf.tensor2d([0, ...ids.slice(0, -1)], [1, ids.length], 'int32');
      const lp = tf.logSoftmax(model.decode(dec, enc, tf.slice(b.attentionMask, [row, 0], [1, -1])), -1);
      const data = await lp.data();
      tf.dispose([enc, dec, lp]);
      return ids.reduce((s, id, t) => s + data[t * V + id], 0);
    };
    for (let row = 0; row < 2; row++) {
      const ids = beam.ids[row];
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.length).toBeLessThanOrEqual(maxLength);
      if (ids.length < maxLength) expect(ids[ids.length - 1]).toBe(2);
      expect(ids.slice(0, -1)).not.toContain(2);
      expect(beam.scores[row]).toBeCloseTo((await logProbOf(row, ids)) / ids.length ** lengthPenalty, 4);
      // Here the search finds hypotheses at least as good as greedy's by its own score.
      const g = greedy[row];
      expect(beam.scores[row]).toBeGreaterThanOrEqual(
        (await logProbOf(row, g)) / g.length ** lengthPenalty - 1e-5,
      );
    }
    tf.dispose(Object.values(b));
    model.dispose();
  });
});

describe('T5', () => {
  const small = () =>
    resolveT5Config({
      vocabSize: 13,
      dModel: 8,
      numLayers: 2,
      numDecoderLayers: 1,
      numHeads: 2,
      dKV: 3,
      dFF: 12,
      numBuckets: 8,
      maxDistance: 16,
      dropout: 0,
    });

  it('has the shapes of an encoder-decoder with numHeads * dKV != dModel and fewer decoder layers', () => {
    const model = new T5(small(), 1);
    const ids = tf.tensor2d(
      [
        [3, 4, 5, 1],
        [6, 1, 0, 0],
      ],
      [2, 4],
      'int32',
    );
    const mask = tf.tensor2d(
      [
        [1, 1, 1, 1],
        [1, 1, 0, 0],
      ],
      [2, 4],
      'int32',
    );
    const enc = model.encode(ids, mask);
    expect(enc.shape).toEqual([2, 4, 8]);
    const dec = tf.tensor2d([[0, 7, 8]], [1, 3], 'int32');
    const logits = model.decode(tf.concat([dec, dec]) as tf.Tensor2D, enc, mask);
    expect(logits.shape).toEqual([2, 3, 13]);
    expect(model.params.get('encoder.block.0.layer.0.SelfAttention.q.weight').shape).toEqual([8, 6]);
    expect(model.params.get('decoder.block.0.layer.1.EncDecAttention.o.weight').shape).toEqual([6, 8]);
    expect(model.params.names().filter((n) => n.includes('relative_attention_bias'))).toEqual([
      'encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight',
      'decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight',
    ]);
    expect(model.params.names().filter((n) => n.startsWith('decoder.block.1'))).toEqual([]);
    tf.dispose([ids, mask, enc, dec, logits]);
    model.dispose();
  });

  it('ignores padded encoder tokens and future decoder tokens', async () => {
    const model = new T5(small(), 2);
    const mask = tf.tensor2d([[1, 1, 1, 0, 0]], [1, 5], 'int32');
    const encA = model.encode(tf.tensor2d([[3, 4, 1, 0, 0]], [1, 5], 'int32'), mask);
    const encB = model.encode(tf.tensor2d([[3, 4, 1, 9, 7]], [1, 5], 'int32'), mask);
    const real = async (t: tf.Tensor) => Array.from(await tf.slice(t, [0, 0, 0], [1, 3, -1]).data());
    expect(await real(encB)).toEqual(await real(encA));
    const logitsA = model.decode(tf.tensor2d([[0, 5, 6, 7]], [1, 4], 'int32'), encA, mask);
    const logitsB = model.decode(tf.tensor2d([[0, 5, 9, 9]], [1, 4], 'int32'), encB, mask);
    const firstTwo = async (t: tf.Tensor) => Array.from(await tf.slice(t, [0, 0, 0], [1, 2, -1]).data());
    expect(await firstTwo(logitsB)).toEqual(await firstTwo(logitsA));
    tf.dispose([mask, encA, encB, logitsA, logitsB]);
    model.dispose();
  });

  it('applies dropout only in training, reproducibly for a seed', async () => {
    const model = new T5({ ...small(), dropout: 0.3 }, 3);
    const b = {
      inputIds: tf.tensor2d([[3, 4, 5, 1]], [1, 4], 'int32'),
      attentionMask: tf.tensor2d([[1, 1, 1, 1]], [1, 4], 'int32'),
      labels: tf.tensor2d([[7, 8, 1]], [1, 3], 'int32'),
    };
    const run = async (training: boolean, seed: number) => {
      const l = model.loss(b, { training, seed, site: 0 });
      const v = (await l.data())[0];
      l.dispose();
      return v;
    };
    expect(await run(false, 1)).toBe(await run(false, 2));
    expect(await run(true, 1)).toBe(await run(true, 1));
    expect(await run(true, 1)).not.toBe(await run(true, 2));
    expect(await run(true, 1)).not.toBe(await run(false, 1));
    tf.dispose(Object.values(b));
    model.dispose();
  });

  it('does not leak tensors in loss, gradients or decoding', async () => {
    const model = t5FromFixture();
    const b = batch();
    const vars = [...model.params.vars.values()];
    const once = async () => {
      model.loss(b).dispose();
      const { value, grads } = tf.variableGrads(() => model.loss(b), vars);
      tf.dispose([value, ...Object.values(grads)]);
      await model.greedy(b.inputIds, b.attentionMask, { maxLength: 3 });
      await model.beamSearch(b.inputIds, b.attentionMask, { beamSize: 2, maxLength: 3 });
    };
    await once();
    const before = tf.memory().numTensors;
    await once();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(b));
    model.dispose();
  });

  it('initialises the same weights from the same seed', async () => {
    const [m1, m2, m3] = [new T5(small(), 7), new T5(small(), 7), new T5(small(), 8)];
    const w = async (m: T5) =>
      Array.from(await m.params.get('decoder.block.0.layer.1.EncDecAttention.k.weight').data());
    expect(await w(m1)).toEqual(await w(m2));
    expect(await w(m1)).not.toEqual(await w(m3));
    for (const m of [m1, m2, m3]) m.dispose();
  });

  it('resolves defaults and rejects bad configs', () => {
    const c = resolveT5Config({ vocabSize: 100, dModel: 64, numLayers: 3, numHeads: 4 });
    expect([
      c.numDecoderLayers,
      c.dKV,
      c.dFF,
      c.numBuckets,
      c.maxDistance,
      c.eps,
      c.padId,
      c.decoderStartId,
      c.eosId,
    ]).toEqual([3, 16, 256, 32, 128, 1e-6, 0, 0, 1]);
    expect(() =>
      resolveT5Config({ vocabSize: 100, dModel: 64, numLayers: 3, numHeads: 4, nHeads: 2 } as never),
    ).toThrow(/unknown key 'nHeads'/);
    expect(() => resolveT5Config({ vocabSize: 100, dModel: 10, numLayers: 1, numHeads: 3 })).toThrow(/dKV/);
    expect(() =>
      resolveT5Config({ vocabSize: 100, dModel: 8, numLayers: 1, numHeads: 2, eosId: 100 }),
    ).toThrow(/eosId/);
    expect(() =>
      resolveT5Config({ vocabSize: 100, dModel: 8, numLayers: 1, numHeads: 2, numBuckets: 2 }),
    ).toThrow(/numBuckets/);
  });
});
