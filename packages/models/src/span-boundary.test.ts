/**
 * SpanBERT's span boundary head pinned against PyTorch (tools/reference/span_boundary.py): the
 * loss and its gradient with respect to every head parameter, the encoder states and the tied
 * table, within float32 tolerance (|got - ref| <= 1e-5 + 1e-4 |ref|); then the head wired into
 * BERT (config spanBoundary): L = L_MLM + L_SBO, and a batch without targets adds nothing.
 */
import { ParamStore } from '@pretrain-lab/layers';
import { initBackend, Rng } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BERT, resolveBERTConfig } from './bert.js';
import { SpanBoundaryHead } from './span-boundary.js';
import { type Flat, flatData, loadFixtureJSON, toleranceRatio } from './testing/fixtures.js';

interface SBOFixture {
  config: {
    dModel: number;
    embeddingSize: number;
    vocabSize: number;
    maxSpanLength: number;
    layerNormEps: number;
  };
  params: Record<string, Flat>;
  h: Flat;
  table: Flat;
  sbo: Record<'left' | 'right' | 'position' | 'targets', Flat>;
  loss: number;
  grads: Record<string, number[]>;
}

beforeAll(async () => {
  await initBackend();
});

describe('SpanBoundaryHead', () => {
  it('matches the PyTorch reference: loss and every gradient', () => {
    const fx = loadFixtureJSON<SBOFixture>('span-boundary');
    const store = new ParamStore(new Rng(0));
    const head = new SpanBoundaryHead(store, 'sbo', fx.config);
    store.assign(Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [`sbo.${k}`, flatData(v)])));
    const h = tf.variable(tf.tensor(flatData(fx.h), fx.h.shape));
    const table = tf.variable(tf.tensor2d(flatData(fx.table), fx.table.shape as [number, number]));
    const i1 = (f: Flat) => tf.tensor1d(f.data, 'int32');
    const sbo = {
      left: i1(fx.sbo.left),
      right: i1(fx.sbo.right),
      position: i1(fx.sbo.position),
      targets: i1(fx.sbo.targets),
    };
    const vars = [...store.vars.values(), h, table];
    const { value, grads } = tf.variableGrads(() => head.loss(h, sbo, table as tf.Tensor2D), vars);
    expect(toleranceRatio([value.dataSync()[0]], [fx.loss], 1e-5, 1e-4)).toBeLessThanOrEqual(1);
    const byName: Record<string, tf.Tensor> = {};
    for (const [k, g] of Object.entries(grads)) byName[k] = g;
    for (const [name, ref] of Object.entries(fx.grads)) {
      const v = name === 'h' ? h : name === 'table' ? table : store.vars.get(`sbo.${name}`);
      expect(v, name).toBeDefined();
      const got = byName[(v as tf.Variable).name].dataSync();
      expect(toleranceRatio(got, ref, 1e-5, 1e-4), name).toBeLessThanOrEqual(1);
    }
    tf.dispose([value, ...Object.values(grads), h, table, ...Object.values(sbo)]);
    store.dispose();
  });

  it('in BERT: the SBO loss is added to the MLM loss, and skipped when a batch has no span targets', () => {
    const cfg = resolveBERTConfig({
      vocabSize: 20,
      maxLen: 8,
      dModel: 8,
      numLayers: 1,
      numHeads: 2,
      nsp: false,
      spanBoundary: 8,
      dropout: 0,
    });
    const model = new BERT(cfg, 1);
    expect(model.params.names().filter((n) => n.startsWith('cls.span_boundary.'))).toHaveLength(10);
    const ids = tf.tensor2d([[2, 5, 4, 4, 7, 9, 3, 1]], [1, 8], 'int32');
    const labels = tf.tensor2d([[-100, -100, 6, 8, -100, -100, -100, -100]], [1, 8], 'int32');
    const i1 = (x: number[]) => tf.tensor1d(x, 'int32');
    const sbo = { left: i1([1, 1]), right: i1([4, 4]), position: i1([1, 2]), targets: i1([6, 8]) };
    const withSbo = model.pretrainLoss({ inputIds: ids, mlmLabels: labels, spanBoundary: sbo });
    const [total, mlm, span] = [withSbo.loss, withSbo.mlmLoss, withSbo.sboLoss as tf.Scalar].map(
      (x) => x.dataSync()[0],
    );
    expect(span).toBeGreaterThan(0);
    expect(total).toBeCloseTo(mlm + span, 5);
    const empty = { left: i1([]), right: i1([]), position: i1([]), targets: i1([]) };
    const without = model.pretrainLoss({ inputIds: ids, mlmLabels: labels, spanBoundary: empty });
    expect(without.sboLoss).toBeNull();
    expect(without.loss.dataSync()[0]).toBe(mlm);
    const plain = new BERT(resolveBERTConfig({ ...cfg, spanBoundary: 0 }), 1);
    expect(() => plain.pretrainLoss({ inputIds: ids, mlmLabels: labels, spanBoundary: sbo })).toThrow(
      /no SBO head/,
    );
    tf.dispose([ids, labels, ...Object.values(sbo), ...Object.values(empty)]);
    tf.dispose([withSbo.loss, withSbo.mlmLoss, withSbo.sboLoss as tf.Scalar, without.loss, without.mlmLoss]);
    model.dispose();
    plain.dispose();
  });
});
