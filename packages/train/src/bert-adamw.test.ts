/**
 * Five AdamW steps on BERT's pretraining loss (MLM + NSP, padded batch) pinned against
 * torch.optim.AdamW with clip_grad_norm_ (fixtures from tools/reference/bert.py), post-norm
 * and pre-norm: the loss at every step, the pre-clip gradient norms, and every parameter
 * after the fifth update. Float32; losses to 1e-5 absolute, gradient norms to 1e-6 + 1e-4
 * relative, as adamw.test.ts; parameters to 1e-3 relative + 5e-5 absolute, which is 1e-3 of
 * the farthest Adam can move a parameter in five steps (steps * lr). adamw.test.ts's 1e-5
 * absolute is too tight here: Adam divides by sqrt(v), so a gradient entry that is small
 * at some step turns float32 rounding into a visible difference (worst seen: 2.5e-5 on a
 * post-norm mlp.c_proj weight that moved 0.0145 and crossed zero).
 */
import { bertFixtureBatch, bertFromFixture, loadBERTFixture } from '@pretrain-lab/models/testing';
import { initBackend } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';
import { expectAdamWParity } from './testing/optimizer-parity.js';

beforeAll(async () => {
  await initBackend();
});

for (const variant of ['postnorm', 'prenorm'] as const) {
  describe(`AdamW on BERT parity with PyTorch (${variant})`, () => {
    it('matches five steps: losses, gradient norms and final parameters', async () => {
      const fx = loadBERTFixture(variant);
      const model = bertFromFixture(fx);
      const batch = bertFixtureBatch(fx);
      const loss = () => {
        const out = model.pretrainLoss(batch);
        tf.dispose([out.mlmLoss, out.nspLoss!]);
        return out.loss;
      };
      await expectAdamWParity(model.params, fx, loss, {
        loss: 1e-5,
        paramAtol: 1e-3 * fx.optimizer.steps * fx.optimizer.lr, // 5e-5, see the header
        paramRtol: 1e-3,
        keyBiasWidth: fx.config.dModel,
      });
      tf.dispose(Object.values(batch));
      model.dispose();
    });
  });
}
