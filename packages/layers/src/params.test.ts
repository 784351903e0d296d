import { initBackend, Rng } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ParamStore } from './params.js';

beforeAll(async () => {
  await initBackend();
});

describe('ParamStore', () => {
  it('creates, names and disposes parameters without leaking tensors', () => {
    const before = tf.memory().numTensors;
    const store = new ParamStore(new Rng(1));
    store.create('w', [3, 4], { kind: 'normal', std: 0.02 });
    store.create('b', [4], { kind: 'zeros' });
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(store.names()).toEqual(['w', 'b']);
    expect(store.noDecay.has('b')).toBe(true);
    expect(store.noDecay.has('w')).toBe(false);
    expect(store.count()).toBe(16);
    expect(() => store.create('w', [1], { kind: 'zeros' })).toThrow(/created twice/);
    store.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('maps tfjs variable names back to ours, so two stores can hold the same names', () => {
    const a = new ParamStore(new Rng(1));
    const b = new ParamStore(new Rng(1));
    const va = a.create('x', [2], { kind: 'ones' });
    const vb = b.create('x', [2], { kind: 'ones' });
    expect(va.name).not.toBe(vb.name);
    expect(a.nameOf(va.name)).toBe('x');
    expect(b.nameOf(vb.name)).toBe('x');
    a.dispose();
    b.dispose();
  });

  it('initialises from the seed: same seed same values, and assign checks sizes', async () => {
    const v1 = new ParamStore(new Rng(5)).create('w', [8], { kind: 'normal', std: 1 });
    const v2 = new ParamStore(new Rng(5)).create('w', [8], { kind: 'normal', std: 1 });
    expect(Array.from(await v1.data())).toEqual(Array.from(await v2.data()));
    const s = new ParamStore(new Rng(1));
    s.create('w', [2, 2], { kind: 'zeros' });
    expect(() => s.assign({ w: new Float32Array(3) })).toThrow(/expected 4 values/);
    expect(() => s.assign({})).toThrow(/missing parameter 'w'/);
    s.assign({ w: Float32Array.from([1, 2, 3, 4]) });
    expect(Array.from(await s.get('w').data())).toEqual([1, 2, 3, 4]);
  });
});
