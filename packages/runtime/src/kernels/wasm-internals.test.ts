import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { assertWasmInternals, PINNED_TFJS_VERSION } from './wasm-internals.js';

// The kernels read tfjs-backend-wasm internals (heap memory, dataIdMap offsets). If this
// file fails after a tfjs upgrade, update wasm-internals.ts before anything else.
describe('tfjs-backend-wasm internals the kernels rely on', () => {
  it(`tfjs is the pinned version ${PINNED_TFJS_VERSION}`, () => {
    expect(tf.version.tfjs).toBe(PINNED_TFJS_VERSION);
  });
  it('backend exposes heap memory, malloc, dataIdMap offsets and makeOutput', async () => {
    await initBackend('wasm');
    const backend = tf.findBackend('wasm');
    expect(backend).not.toBeNull();
    expect(() => assertWasmInternals(backend as tf.KernelBackend)).not.toThrow();
  });
});
