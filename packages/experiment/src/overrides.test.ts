import { describe, expect, it } from 'vitest';
import { applyOverrides, extractOverrides, flattenKeys, parseValue } from './overrides.js';

const base = { seed: 1, corpus: 'brown', tie: true, models: [{ d: 1 }], train: { lr: 0.1, steps: 10 } };

describe('overrides', () => {
  it('separates dotted keys from other arguments, in both --k=v and --k v forms', () => {
    const { overrides, rest } = extractOverrides([
      'exp',
      'scaling',
      '--train.lr=0.5',
      '--preset',
      'smoke',
      '--train.steps',
      '3',
    ]);
    expect(overrides).toEqual({ 'train.lr': '0.5', 'train.steps': '3' });
    expect(rest).toEqual(['exp', 'scaling', '--preset', 'smoke']);
  });

  it('types values by what they replace', () => {
    const { config, applied } = applyOverrides(base, { 'train.lr': '0.5', 'train.steps': '3' });
    expect(config.train).toEqual({ lr: 0.5, steps: 3 });
    expect(base.train.lr).toBe(0.1); // the base is not modified
    expect(applied).toEqual(['train.lr = 0.5', 'train.steps = 3']);
    expect(parseValue('tie', 'false', true)).toBe(false);
    expect(parseValue('models', '[{"d":2}]', [{ d: 1 }])).toEqual([{ d: 2 }]);
  });

  it('rejects a value of the wrong type with one line naming the key', () => {
    expect(() => applyOverrides(base, { 'train.lr': 'fast' })).toThrow(
      "--train.lr: expected a number, got 'fast'",
    );
    expect(() => parseValue('tie', 'yes', true)).toThrow(/expected a boolean/);
    expect(() => parseValue('models', '{"d":2}', [{ d: 1 }])).toThrow(/expected a JSON array/);
  });

  it('rejects unknown keys and lists the valid ones', () => {
    expect(() => applyOverrides(base, { 'train.lrr': '1' })).toThrow(
      "unknown config key 'train.lrr'; valid keys: train.lr, train.steps",
    );
    expect(() => applyOverrides(base, { 'nope.x': '1' })).toThrow(
      /valid keys: seed, corpus, tie, models, train.lr, train.steps/,
    );
  });

  it('flattens nested keys', () => {
    expect(flattenKeys(base)).toEqual(['seed', 'corpus', 'tie', 'models', 'train.lr', 'train.steps']);
  });
});
