import { describe, expect, it } from 'vitest';
import { canonicalJSON, unitId } from './units.js';

describe('unitId', () => {
  it('depends on the config, not on key order or undefined fields', () => {
    const a = unitId('pretrain', { seed: 1, model: { dModel: 64, numLayers: 2 } });
    expect(a).toMatch(/^pretrain-[0-9a-f]{12}$/);
    expect(unitId('pretrain', { model: { numLayers: 2, dModel: 64 }, seed: 1, extra: undefined })).toBe(a);
    expect(unitId('pretrain', { seed: 2, model: { dModel: 64, numLayers: 2 } })).not.toBe(a);
    expect(unitId('eval', { seed: 1, model: { dModel: 64, numLayers: 2 } })).not.toBe(
      a.replace('pretrain', 'eval'),
    );
  });
  it('writes canonical JSON with sorted keys', () => {
    expect(canonicalJSON({ b: [1, { d: 1, c: 2 }], a: 'x' })).toBe('{"a":"x","b":[1,{"c":2,"d":1}]}');
  });
});
