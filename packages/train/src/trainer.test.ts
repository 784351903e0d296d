import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GPT, resolveGPTConfig } from '@pretrain-lab/models';
import { initBackend } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADAMW_DEFAULTS } from './adamw.js';
import { checkpointExists, loadCheckpoint } from './checkpoint.js';
import { type TokenBatch, trainLanguageModel } from './lm.js';
import { MetricsWriter, readMetrics } from './metrics.js';
import { train } from './trainer.js';

beforeAll(async () => {
  await initBackend();
});

const T = 6;
const B = 2;
/** A deterministic, resumable source of random token batches. */
function source(seed: number) {
  let position = 0;
  const batch = (p: number): TokenBatch => {
    const ids = Int32Array.from({ length: B * (T + 1) }, (_, i) => (i * 7 + p * 13 + seed) % 11);
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      inputs.set(ids.subarray(b * (T + 1), b * (T + 1) + T), b * T);
      targets.set(ids.subarray(b * (T + 1) + 1, (b + 1) * (T + 1)), b * T);
    }
    return { inputs, targets };
  };
  return {
    next: () => batch(position++),
    getPosition: () => position,
    setPosition: (p: number) => {
      position = p;
    },
    eval: () => [batch(1000), batch(1001)],
  };
}

const cfg = (steps: number) => ({
  steps,
  seqLen: T,
  lr: 1e-2,
  minLr: 1e-3,
  warmupSteps: 2,
  adamw: ADAMW_DEFAULTS,
  evalEvery: 3,
  logEvery: 2,
  checkpointEvery: 2,
  seed: 1,
});
const tinyGPT = () =>
  new GPT(resolveGPTConfig({ vocabSize: 11, seqLen: T, dModel: 8, numLayers: 1, numHeads: 2 }), 1);
const strip = (rows: Record<string, unknown>[]) =>
  rows.map(({ tokensPerSec: _t, elapsedSec: _e, ...r }) => r);

describe('trainer', () => {
  it('a run stopped and resumed from its checkpoint writes the same rows as one that never stopped', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainer-'));
    const run = async (name: string, stopAfterStep?: number, model = tinyGPT()) => {
      const src = source(3);
      const metrics = new MetricsWriter(path.join(dir, `${name}.jsonl`));
      const r = await trainLanguageModel({
        name: 'm',
        model,
        train: src,
        evalSets: { val: src.eval },
        cfg: cfg(7),
        metrics,
        flopsPerToken: 6,
        checkpointDir: path.join(dir, name),
        resume: true,
        stopAfterStep,
      });
      model.dispose();
      return { r, rows: readMetrics(metrics.path) };
    };
    const straight = await run('a');
    const first = await run('b', 4);
    expect(first.r.stoppedEarly).toBe(true);
    fs.appendFileSync(path.join(dir, 'b.jsonl'), '{"model":"m","split":"train","step":5,"loss":9}\n'); // written after the checkpoint
    const resumed = await run('b');
    expect(resumed.r.resumedFrom).toBe(4);
    expect(strip(resumed.rows)).toEqual(strip(straight.rows));
    expect(resumed.r.finalLoss).toEqual(straight.r.finalLoss);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stops on a non-finite loss with a clear message and keeps the last good checkpoint', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainer-nan-'));
    const model = tinyGPT();
    const src = source(5);
    let calls = 0;
    const job = train<TokenBatch>({
      name: 'blowup',
      model,
      train: src,
      lossFn: (b, ctx) => {
        calls += 1;
        const loss = model.loss(
          tf.tensor2d(b.inputs, [B, T], 'int32'),
          tf.tensor2d(b.targets, [B, T], 'int32'),
          ctx,
        );
        return calls >= 6 ? (tf.mul(loss, Number.NaN) as tf.Scalar) : loss;
      },
      evalSets: {},
      tokensIn: (b) => b.inputs.length,
      cfg: cfg(10),
      metrics: new MetricsWriter(path.join(dir, 'metrics.jsonl')),
      checkpointDir: path.join(dir, 'ck'),
    });
    await expect(job).rejects.toThrow(
      /blowup: loss became NaN at step 6; stopping\. The last good checkpoint is kept at .*ck\. Try a lower learning rate/,
    );
    expect(checkpointExists(path.join(dir, 'ck'))).toBe(true);
    expect(loadCheckpoint(path.join(dir, 'ck')).state.step).toBe(4);
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the number of tensors flat across steps', async () => {
    const model = tinyGPT();
    const src = source(1);
    const before = tf.memory().numTensors;
    await trainLanguageModel({
      name: 'm',
      model,
      train: src,
      evalSets: { val: src.eval },
      cfg: { ...cfg(6), checkpointEvery: 0 },
      metrics: new MetricsWriter(path.join(os.tmpdir(), `flat-${process.pid}.jsonl`)),
      flopsPerToken: 0,
    });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
