import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ForwardContext } from '@pretrain-lab/layers';
import { initBackend } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkpointExists, loadCheckpoint } from './checkpoint.js';
import { type TokenBatch, trainLanguageModel } from './lm.js';
import { MetricsWriter, readMetrics } from './metrics.js';
import { B, cfg, source, strip, T, tinyGPT } from './testing/tiny-run.js';
import { train } from './trainer.js';

beforeAll(async () => {
  await initBackend();
});

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

  /** A tiny GPT whose loss is changed by `bend` from the `from`-th call of the loss on. */
  const bentJob = (dir: string, bend: (loss: tf.Scalar) => tf.Scalar, from: number, evalSets = {}) => {
    const model = tinyGPT();
    const src = source(5);
    let calls = 0;
    const job = {
      name: 'blowup',
      model,
      train: src,
      lossFn: (b: TokenBatch, ctx: ForwardContext) => {
        calls += 1;
        const loss = model.loss(
          tf.tensor2d(b.inputs, [B, T], 'int32'),
          tf.tensor2d(b.targets, [B, T], 'int32'),
          ctx,
        );
        return calls >= from ? bend(loss) : loss;
      },
      evalSets,
      tokensIn: (b: TokenBatch) => b.inputs.length,
      cfg: cfg(10),
      metrics: new MetricsWriter(path.join(dir, 'metrics.jsonl')),
      checkpointDir: path.join(dir, 'ck'),
    };
    return { model, job };
  };

  it("a non-finite loss stops the job as 'diverged' and keeps the last good checkpoint", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainer-nan-'));
    const { model, job } = bentJob(dir, (l) => tf.mul(l, Number.NaN) as tf.Scalar, 6);
    const r = await train<TokenBatch>(job);
    expect(r.status).toBe('diverged');
    expect(r.divergence).toEqual({ step: 6, reason: 'training loss became NaN at step 6' });
    expect(r.steps).toBe(5);
    expect(checkpointExists(path.join(dir, 'ck'))).toBe(true);
    const ck = loadCheckpoint(path.join(dir, 'ck'));
    expect(ck.state.step).toBe(4);
    // The model in memory is set back to the checkpoint's weights.
    const snap = await model.params.snapshot();
    for (const [k, w] of Object.entries(ck.weights)) expect(snap[k].data).toEqual(w.data);
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a non-finite gradient stops the job as 'diverged'", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainer-inf-grad-'));
    // Finite loss, infinite gradient: an identity whose backward pass multiplies by Infinity.
    const blowBackward = tf.customGrad((...inputs: any[]) => ({
      value: tf.clone(inputs[0] as tf.Tensor),
      gradFunc: (dy: tf.Tensor) => tf.mul(dy, Number.POSITIVE_INFINITY),
    }));
    const { model, job } = bentJob(dir, (l) => blowBackward(l) as tf.Scalar, 3);
    const r = await train<TokenBatch>(job);
    expect(r.status).toBe('diverged');
    expect(r.divergence?.reason).toBe('gradient norm became NaN at step 3');
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("an evaluation loss far above its first value for 3 evaluations in a row is 'diverged'", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainer-rise-'));
    const src = source(5);
    // From the 8th call on (after the step-0 evaluation and a few steps), every loss is 5 nats higher.
    const { model, job } = bentJob(dir, (l) => tf.add(l, 5) as tf.Scalar, 8, { val: src.eval });
    const r = await train<TokenBatch>({
      ...job,
      cfg: { ...cfg(30), evalEvery: 2, logEvery: 2, checkpointEvery: 4 },
    });
    expect(r.status).toBe('diverged');
    expect(r.divergence?.reason).toMatch(
      /^val loss .* at step \d+ is more than 2 nats above its first value .*, for 3 evaluations in a row$/,
    );
    const rows = readMetrics(path.join(dir, 'metrics.jsonl')).filter((x) => x.split === 'val');
    expect(rows.at(-1)!.step).toBe(r.divergence!.step);
    expect(r.steps).toBeLessThan(30);
    // No checkpoint after the divergence was seen.
    expect(loadCheckpoint(path.join(dir, 'ck')).state.step).toBeLessThan(r.divergence!.step);
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a job that ends far above its first evaluation is 'diverged' however few evaluations it had", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainer-end-'));
    const src = source(5);
    // Evaluations at steps 0, 3 and 6; losses from step 4 on are 5 nats higher.
    const { model, job } = bentJob(dir, (l) => tf.add(l, 5) as tf.Scalar, 8, { val: src.eval });
    const r = await train<TokenBatch>({ ...job, cfg: { ...cfg(6), evalEvery: 3 } });
    expect(r.status).toBe('diverged');
    expect(r.divergence?.reason).toMatch(
      /^val loss .* at step 6 is more than 2 nats above its first value .* at the end$/,
    );
    expect(loadCheckpoint(path.join(dir, 'ck')).state.step).toBe(4); // the final, diverged state is not saved
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a healthy run completes', async () => {
    const src = source(2);
    const r = await trainLanguageModel({
      name: 'm',
      model: tinyGPT(),
      train: src,
      evalSets: { val: src.eval },
      cfg: { ...cfg(4), checkpointEvery: 0 },
      metrics: new MetricsWriter(path.join(os.tmpdir(), `ok-${process.pid}.jsonl`)),
    });
    expect(r.status).toBe('completed');
    expect(r.divergence).toBeUndefined();
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
