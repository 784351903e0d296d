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
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BERT, resolveBERTConfig } from '@pretrain-lab/models';
import { type Flat, flatData } from '@pretrain-lab/models/testing';
import { initBackend } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';
import { expectAdamWParity } from './testing/optimizer-parity.js';

beforeAll(async () => {
  await initBackend();
});

interface BERTTrainFixture {
  config: {
    vocabSize: number;
    maxLen: number;
    typeVocabSize: number;
    dModel: number;
    numLayers: number;
    numHeads: number;
    dFF: number;
    layerNormEps: number;
    preNorm: boolean;
  };
  params: Record<string, Flat>;
  inputs: { inputIds: Flat; tokenTypeIds: Flat; attentionMask: Flat; mlmLabels: Flat; nspLabels: Flat };
  optimizer: {
    lr: number;
    betas: [number, number];
    eps: number;
    weightDecay: number;
    gradClip: number;
    steps: number;
  };
  train: { losses: number[]; gradNorms: number[]; paramsAfter: Record<string, number[]> };
}

function loadFixture(variant: 'postnorm' | 'prenorm'): BERTTrainFixture {
  // The committed fixture next to the model (packages/models/src/fixtures).
  const file = fileURLToPath(new URL(`../../models/src/fixtures/bert-tiny-${variant}.json`, import.meta.url));
  return JSON.parse(fs.readFileSync(file, 'utf8')) as BERTTrainFixture;
}

for (const variant of ['postnorm', 'prenorm'] as const) {
  describe(`AdamW on BERT parity with PyTorch (${variant})`, () => {
    it('matches five steps: losses, gradient norms and final parameters', async () => {
      const fx = loadFixture(variant);
      const c = fx.config;
      const model = new BERT(
        resolveBERTConfig({
          vocabSize: c.vocabSize,
          maxLen: c.maxLen,
          typeVocabSize: c.typeVocabSize,
          dModel: c.dModel,
          numLayers: c.numLayers,
          numHeads: c.numHeads,
          dFF: c.dFF,
          layerNormEps: c.layerNormEps,
          preNorm: c.preNorm,
          dropout: 0,
        }),
        0,
      );
      model.params.assign(Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, flatData(v)])));
      const i = fx.inputs;
      const t2 = (f: Flat) => tf.tensor2d(f.data, f.shape as [number, number], 'int32');
      const batch = {
        inputIds: t2(i.inputIds),
        tokenTypeIds: t2(i.tokenTypeIds),
        attentionMask: t2(i.attentionMask),
        mlmLabels: t2(i.mlmLabels),
        nspLabels: tf.tensor1d(i.nspLabels.data, 'int32'),
      };
      const loss = () => {
        const out = model.pretrainLoss(batch);
        tf.dispose([out.mlmLoss, out.nspLoss!]);
        return out.loss;
      };
      await expectAdamWParity(model.params, fx, loss, {
        loss: 1e-5,
        paramAtol: 1e-3 * fx.optimizer.steps * fx.optimizer.lr, // 5e-5, see the header
        paramRtol: 1e-3,
        keyBiasWidth: c.dModel,
      });
      tf.dispose(Object.values(batch));
      model.dispose();
    });
  });
}
