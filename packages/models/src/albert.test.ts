/**
 * ALBERT (BERT with `embeddingSize` < dModel and `shareLayers`) pinned against PyTorch
 * (fixture from tools/reference/albert.py: E = 8, dModel 16, three layers sharing one block):
 * parameter names and shapes, MLM and SOP logits, the three losses and the gradient of every
 * parameter (the shared block's sums its three applications) on a padded batch of pairs.
 * Tolerances, float32 throughout, as bert.test.ts: logits 1e-5 absolute + 1e-4 relative, losses
 * 1e-5, gradients 1e-6 absolute + 1e-3 relative.
 * Then: sharing is one block applied numLayers times, parameter counts (ALBERT-base as Hugging
 * Face's), BERT's names are unchanged by the new switches, the mapping onto HF's
 * AlbertForPreTraining names, the preset, the fine-tuning copy and tensor leaks.
 */

import { initBackend } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALBERT_SWITCHES, hfAlbertPlace, resolveALBERTConfig } from './albert.js';
import { BERT, type BERTPretrainBatch, bertParamCount, resolveBERTConfig } from './bert.js';
import {
  albertFixtureBatch,
  albertFromFixture,
  flatData,
  loadALBERTFixture,
  toleranceRatio,
} from './testing/fixtures.js';

beforeAll(async () => {
  await initBackend();
});

const disposeBatch = (b: BERTPretrainBatch) =>
  tf.dispose(Object.values(b).filter((t): t is tf.Tensor => t instanceof tf.Tensor));

describe('ALBERT parity with PyTorch', () => {
  const fx = loadALBERTFixture();

  it('has exactly the reference parameter names and shapes', () => {
    const model = albertFromFixture(fx);
    expect(model.config.embeddingSize).toBe(8);
    expect(model.config.shareLayers).toBe(true);
    expect(model.params.names().sort()).toEqual(Object.keys(fx.params).sort());
    for (const [name, v] of model.params.vars) expect(v.shape, name).toEqual(fx.params[name].shape);
    model.dispose();
  });

  it('matches MLM and SOP logits and the losses', async () => {
    const model = albertFromFixture(fx);
    const batch = albertFixtureBatch(fx);
    const h = model.encode(batch.inputIds, batch.tokenTypeIds, batch.attentionMask);
    expect(h.shape).toEqual([3, 12, 16]); // dModel wide after the E -> dModel projection
    const mlm = model.mlmLogits(h);
    const sop = model.nspLogits(h); // SOP is the pair head
    expect(mlm.shape).toEqual(fx.mlmLogits.shape);
    expect(sop.shape).toEqual(fx.sopLogits.shape);
    expect(toleranceRatio(await mlm.data(), fx.mlmLogits.data, 1e-5, 1e-4), 'MLM logits').toBeLessThanOrEqual(
      1,
    );
    expect(toleranceRatio(await sop.data(), fx.sopLogits.data, 1e-5, 1e-4), 'SOP logits').toBeLessThanOrEqual(
      1,
    );
    const { loss, mlmLoss, nspLoss } = model.pretrainLoss(batch);
    expect(Math.abs((await mlmLoss.data())[0] - fx.losses.mlm)).toBeLessThan(1e-5);
    expect(Math.abs((await nspLoss!.data())[0] - fx.losses.sop)).toBeLessThan(1e-5);
    expect(Math.abs((await loss.data())[0] - fx.losses.total)).toBeLessThan(1e-5);
    tf.dispose([h, mlm, sop, loss, mlmLoss, nspLoss!]);
    disposeBatch(batch);
    model.dispose();
  });

  it('matches the gradient of every parameter', async () => {
    const model = albertFromFixture(fx);
    const batch = albertFixtureBatch(fx);
    const { value, grads } = tf.variableGrads(
      () => model.pretrainLoss(batch).loss,
      [...model.params.vars.values()],
    );
    expect(
      Object.keys(grads)
        .map((k) => model.params.nameOf(k))
        .sort(),
    ).toEqual(Object.keys(fx.grads).sort());
    for (const [tfName, g] of Object.entries(grads)) {
      const name = model.params.nameOf(tfName);
      const ratio = toleranceRatio(await g.data(), flatData(fx.grads[name]), 1e-6, 1e-3);
      expect(ratio, `gradient of ${name}`).toBeLessThanOrEqual(1);
    }
    tf.dispose([value, ...Object.values(grads)]);
    disposeBatch(batch);
    model.dispose();
  });
});

describe('ALBERT switches', () => {
  const tiny = resolveBERTConfig({
    vocabSize: 23,
    maxLen: 8,
    dModel: 8,
    numLayers: 3,
    numHeads: 2,
    dropout: 0,
    embeddingSize: 4,
  });
  const ids = () =>
    tf.tensor2d(
      [
        [1, 5, 6, 2, 7, 9, 2, 0],
        [1, 9, 2, 22, 3, 2, 0, 0],
      ],
      [2, 8],
      'int32',
    );
  const mask = () =>
    tf.tensor2d(
      [
        [1, 1, 1, 1, 1, 1, 1, 0],
        [1, 1, 1, 1, 1, 1, 0, 0],
      ],
      [2, 8],
      'int32',
    );

  it('applies one shared block numLayers times', async () => {
    const shared = new BERT({ ...tiny, shareLayers: true }, 3);
    expect(new Set(shared.layers).size).toBe(1);
    expect(shared.layers).toHaveLength(3);
    expect(shared.params.names().some((n) => n.startsWith('bert.encoder.layer.'))).toBe(false);
    // An unshared model with the shared weights copied into each of its layers computes the same.
    const unshared = new BERT(tiny, 4);
    expect(new Set(unshared.layers).size).toBe(3);
    for (const [name, v] of unshared.params.vars)
      v.assign(shared.params.get(name.replace(/^bert\.encoder\.layer\.\d+\./, 'bert.encoder.shared_layer.')));
    const [x, m] = [ids(), mask()];
    const [a, b] = [shared.encode(x, null, m), unshared.encode(x, null, m)];
    expect(toleranceRatio(await a.data(), await b.data(), 1e-6, 0)).toBeLessThanOrEqual(1);
    // ... and depth matters: the same block applied once gives something else.
    const once = new BERT({ ...tiny, shareLayers: true, numLayers: 1 }, 3);
    once.params.assign(
      Object.fromEntries(
        await Promise.all(once.params.names().map(async (n) => [n, await shared.params.get(n).data()])),
      ),
    );
    const c = once.encode(x, null, m);
    expect(toleranceRatio(await c.data(), await a.data(), 1e-3, 0)).toBeGreaterThan(1);
    tf.dispose([x, m, a, b, c]);
    for (const model of [shared, unshared, once]) model.dispose();
  });

  it('factorizes the embeddings: E-wide tables, a projection and an E-wide MLM transform', async () => {
    const model = new BERT(tiny, 1);
    const shape = (n: string) => model.params.get(n).shape;
    expect(shape('bert.embeddings.word_embeddings.weight')).toEqual([23, 4]);
    expect(shape('bert.embeddings.position_embeddings.weight')).toEqual([8, 4]);
    expect(shape('bert.embeddings.token_type_embeddings.weight')).toEqual([2, 4]);
    expect(shape('bert.embeddings.LayerNorm.weight')).toEqual([4]);
    expect(shape('bert.encoder.embedding_hidden_mapping_in.weight')).toEqual([4, 8]);
    expect(shape('cls.predictions.transform.dense.weight')).toEqual([8, 4]);
    expect(shape('cls.predictions.transform.LayerNorm.weight')).toEqual([4]);
    const [x, m] = [ids(), mask()];
    const h = model.encode(x, null, m);
    const logits = model.mlmLogits(h);
    expect(h.shape).toEqual([2, 8, 8]);
    expect(logits.shape).toEqual([2, 8, 23]);
    // The decoder is tied to the E-wide table: moving one row of it moves that logit everywhere.
    const before = (await logits.array()) as number[][][];
    const table = model.params.get('bert.embeddings.word_embeddings.weight');
    const delta = new Float32Array(23 * 4);
    delta[17 * 4] = 0.5; // one coordinate of row 17 (a shift of the whole row is nulled by the LayerNorm: its outputs sum to ~0)
    const shifted = tf.tidy(() => tf.add(table, tf.tensor2d(delta, [23, 4])));
    table.assign(shifted);
    const after = (await model.mlmLogits(h).array()) as number[][][];
    expect(after[0][3][17]).not.toBeCloseTo(before[0][3][17], 4);
    expect(after[0][3][16]).toBeCloseTo(before[0][3][16], 6);
    tf.dispose([x, m, h, logits, shifted]);
    model.dispose();
  });

  it('leaves BERT as it was when embeddingSize = dModel and shareLayers is off', () => {
    const bert = new BERT(resolveBERTConfig({ ...tiny, embeddingSize: 0 }), 0);
    expect(bert.config.embeddingSize).toBe(8);
    expect(bert.embeddingProjection).toBeNull();
    expect(bert.params.names().filter((n) => /mapping|shared/.test(n))).toEqual([]);
    expect(bert.params.names().filter((n) => n.startsWith('bert.encoder.layer.')).length).toBe(3 * 12);
    bert.dispose();
  });

  it('counts parameters as built, and ALBERT-base as Hugging Face', () => {
    for (const over of [
      {},
      { shareLayers: true },
      { shareLayers: true, embeddingSize: 8 },
      { shareLayers: true, preNorm: true, nsp: false, numLabels: 2 },
      { pretrainingHeads: false, numLabels: 3 },
    ]) {
      const model = new BERT(resolveBERTConfig({ ...tiny, ...over }), 0);
      expect(bertParamCount(model.config), JSON.stringify(over)).toBe(model.params.count());
      model.dispose();
    }
    // albert-base-v2: AlbertModel has 11,683,584 parameters; AlbertForPreTraining adds the MLM
    // head (dense 768 -> 128, LayerNorm 128, bias 30000: 128,688; decoder tied) and SOP (1,538).
    const base = resolveALBERTConfig({
      vocabSize: 30000,
      maxLen: 512,
      dModel: 768,
      numLayers: 12,
      numHeads: 12,
    });
    expect(bertParamCount(base)).toBe(11_683_584 + 128_688 + 1_538);
    expect(bertParamCount({ ...base, pretrainingHeads: false, nsp: false })).toBe(11_683_584);
  });

  it('maps every parameter onto one place in HF AlbertForPreTraining', () => {
    const group = 'albert.encoder.albert_layer_groups.0.albert_layers.0';
    const hf = [
      'albert.embeddings.word_embeddings.weight',
      'albert.embeddings.position_embeddings.weight',
      'albert.embeddings.token_type_embeddings.weight',
      'albert.embeddings.LayerNorm.weight',
      'albert.embeddings.LayerNorm.bias',
      'albert.encoder.embedding_hidden_mapping_in.weight',
      'albert.encoder.embedding_hidden_mapping_in.bias',
      ...['query', 'key', 'value', 'dense', 'LayerNorm'].flatMap((p) =>
        ['weight', 'bias'].map((s) => `${group}.attention.${p}.${s}`),
      ),
      ...['ffn', 'ffn_output', 'full_layer_layer_norm'].flatMap((p) =>
        ['weight', 'bias'].map((s) => `${group}.${p}.${s}`),
      ),
      'albert.pooler.weight',
      'albert.pooler.bias',
      'predictions.bias',
      'predictions.dense.weight',
      'predictions.dense.bias',
      'predictions.LayerNorm.weight',
      'predictions.LayerNorm.bias',
      'sop_classifier.classifier.weight',
      'sop_classifier.classifier.bias',
    ]; // AlbertForPreTraining's state dict without the tied predictions.decoder.{weight,bias}
    const model = new BERT(resolveALBERTConfig({ ...tiny, shareLayers: true }), 0);
    const places = model.params.names().map((n) => ({ n, ...hfAlbertPlace(n) }));
    expect(places.flatMap((p) => p.names).sort()).toEqual([...hf].sort());
    const transposed = places.filter((p) => p.transpose).map((p) => p.n);
    // Exactly the dense weights transpose: 2-D tensors other than the embedding tables.
    expect(transposed.sort()).toEqual(
      model.params
        .names()
        .filter((n) => model.params.get(n).shape.length === 2 && !n.startsWith('bert.embeddings.'))
        .sort(),
    );
    // Unshared layers go to one group each (HF num_hidden_groups = numLayers).
    expect(hfAlbertPlace('bert.encoder.layer.2.mlp.c_fc.bias').names).toEqual([
      'albert.encoder.albert_layer_groups.2.albert_layers.0.ffn.bias',
    ]);
    expect(() => hfAlbertPlace('classifier.weight')).toThrow(/no place/);
    model.dispose();
  });

  it('sets ALBERT preset values and refuses an embedding wider than the model', () => {
    const base = { vocabSize: 11, maxLen: 4, dModel: 256, numLayers: 2, numHeads: 2 };
    const c = resolveALBERTConfig(base);
    expect([c.embeddingSize, c.shareLayers, c.dropout]).toEqual([ALBERT_SWITCHES.embeddingSize, true, 0]);
    expect(resolveALBERTConfig({ ...base, shareLayers: false }).shareLayers).toBe(false);
    expect(() => resolveALBERTConfig({ ...base, dModel: 64 })).toThrow(/embeddingSize 128 exceeds dModel 64/);
    expect(() => resolveBERTConfig({ ...base, embeddingSize: 2.5 })).toThrow(/embeddingSize/);
    expect(() => resolveBERTConfig({ ...base, sharedLayers: true } as never)).toThrow(
      /unknown key 'sharedLayers'/,
    );
  });

  it('copies the factorized, shared encoder into a fine-tuning model', async () => {
    const pre = new BERT({ ...tiny, shareLayers: true }, 5);
    const ft = pre.withClassifier(2, 6);
    expect(ft.params.names().filter((n) => !n.startsWith('bert.'))).toEqual([
      'classifier.weight',
      'classifier.bias',
    ]);
    for (const name of [
      'bert.encoder.embedding_hidden_mapping_in.weight',
      'bert.encoder.shared_layer.mlp.c_fc.weight',
    ])
      expect(Array.from(await ft.params.get(name).data()), name).toEqual(
        Array.from(await pre.params.get(name).data()),
      );
    const [x, m] = [ids(), mask()];
    const y = tf.tensor1d([1, 0], 'int32');
    const { value, grads } = tf.variableGrads(
      () => ft.classificationLoss({ inputIds: x, attentionMask: m, labels: y }),
      [...ft.params.vars.values()],
    );
    expect(
      Object.keys(grads)
        .map((k) => ft.params.nameOf(k))
        .sort(),
    ).toEqual(ft.params.names().sort());
    tf.dispose([x, m, y, value, ...Object.values(grads)]);
    pre.dispose();
    ft.dispose();
  });

  it('does not leak tensors', () => {
    const model = new BERT({ ...tiny, shareLayers: true, dropout: 0.1 }, 1);
    const [x, m] = [ids(), mask()];
    const labels = tf.tensor2d(
      [
        [-100, 5, -100, -100, 7, -100, -100, -100],
        [-100, -100, 2, -100, -100, -100, -100, -100],
      ],
      [2, 8],
      'int32',
    );
    const sop = tf.tensor1d([0, 1], 'int32');
    const step = (i: number) => {
      const ctx = { training: true, seed: i, site: 0 };
      const { value, grads } = tf.variableGrads(
        () =>
          model.pretrainLoss({ inputIds: x, attentionMask: m, mlmLabels: labels, nspLabels: sop }, ctx).loss,
      );
      tf.dispose([value, ...Object.values(grads)]);
    };
    step(0);
    const before = tf.memory().numTensors;
    for (let i = 1; i < 4; i++) step(i);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, m, labels, sop]);
    model.dispose();
  });
});
