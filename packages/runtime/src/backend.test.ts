import { describe, expect, it } from 'vitest';
import { initBackend, NATIVE_INSTALL, nativeUnavailableMessage, UserError } from './backend.js';

// tfjs-node(-gpu) are opt-in (not dependencies), so a default install has neither.
describe('forced native backend that is not installed', () => {
  for (const name of ['tensorflow', 'tensorflow-gpu'] as const) {
    it(`${name}: one-line UserError with the install command`, async () => {
      const err = await initBackend(name).then(
        () => null,
        (e: unknown) => e,
      );
      if (err === null) return; // installed and working here: nothing to check
      expect(err).toBeInstanceOf(UserError);
      const message = (err as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toContain(NATIVE_INSTALL[name].command);
      expect(message).toContain('--backend wasm');
    });
  }

  it('says what the GPU build needs, installed or not', () => {
    for (const installed of [false, true]) {
      const m = nativeUnavailableMessage('tensorflow-gpu', installed);
      expect(m).toContain('CUDA 11.2 and cuDNN 8.1');
      expect(m).toContain('pnpm --filter @pretrain-lab/runtime add @tensorflow/tfjs-node-gpu@4.22.0');
    }
    expect(nativeUnavailableMessage('tensorflow', false)).toMatch(/is not installed \(opt-in/);
    expect(nativeUnavailableMessage('tensorflow', true)).toMatch(/installed without a working binding/);
  });
});
