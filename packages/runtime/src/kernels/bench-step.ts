/**
 * GPT-ref training-step benchmark over the ops.ts functions (mirrors packages/models' GPT):
 * vocab 256, context 128, width 128, 4 layers, 4 heads, MLP 4x, batch 32, Adam, fp32.
 *   cd packages/runtime && ../../node_modules/.bin/tsx src/kernels/bench-step.ts [--backend wasm|wasm-stock|cpu] [--steps 10] [--batch 32] [--profile]
 * Prints median tokens/s over the timed steps (after 2 warm-up steps) and, with --profile,
 * per-kernel time for one step (tf.profile).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, parseBackendName } from '../backend.js';
import * as ops from '../ops.js';
import { registerMissingWasmKernels } from './index.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const vocabSize = 256;
const seqLen = Number(arg('seqLen', '128'));
const dModel = 128;
const numLayers = Number(arg('layers', '4'));
const numHeads = 4;
const dFF = 4 * dModel;
const batch = Number(arg('batch', '32'));
const steps = Number(arg('steps', '10'));
const profile = process.argv.includes('--profile');

const info = await initBackend(parseBackendName(arg('backend', 'wasm')));
// Stock tfjs-wasm has no UnsortedSegmentSum (gather's gradient): without it the step throws.
if (info.name === 'wasm-stock') registerMissingWasmKernels();
console.log(
  `backend ${info.name} (tf ${info.tfBackend}), custom kernels ${info.customKernels}; ${info.notes.join('; ')}`,
);

let seed = 1;
const init = (shape: number[], std = 0.02) => tf.variable(tf.randomNormal(shape, 0, std, 'float32', seed++));
const ones = (n: number) => tf.variable(tf.ones([n]));
const zeros = (n: number) => tf.variable(tf.zeros([n]));
const wte = init([vocabSize, dModel]);
const wpe = init([seqLen, dModel]);
const layers = Array.from({ length: numLayers }, () => ({
  ln1g: ones(dModel),
  ln1b: zeros(dModel),
  wqkv: init([dModel, 3 * dModel]),
  bqkv: zeros(3 * dModel),
  wo: init([dModel, dModel]),
  bo: zeros(dModel),
  ln2g: ones(dModel),
  ln2b: zeros(dModel),
  w1: init([dModel, dFF]),
  b1: zeros(dFF),
  w2: init([dFF, dModel]),
  b2: zeros(dModel),
}));
const lnfg = ones(dModel);
const lnfb = zeros(dModel);

function loss(ids: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  const [B, T] = ids.shape;
  const D = dModel / numHeads;
  const pos = tf.range(0, T, 1, 'int32');
  let x = tf.add(
    ops.embedding(wte as tf.Variable as unknown as tf.Tensor2D, ids),
    ops.embedding(wpe as unknown as tf.Tensor2D, pos),
  ); // [B, T, C]
  for (const L of layers) {
    const h = ops.layerNorm(x, L.ln1g as unknown as tf.Tensor1D, L.ln1b as unknown as tf.Tensor1D);
    const qkv = ops.linear(h, L.wqkv as unknown as tf.Tensor2D, L.bqkv as unknown as tf.Tensor1D); // [B, T, 3C]
    const [q, k, v] = tf
      .split(qkv, 3, -1)
      .map((t) => tf.transpose(tf.reshape(t, [B, T, numHeads, D]), [0, 2, 1, 3]) as tf.Tensor4D); // [B, H, T, D]
    const y = ops.attention(q, k, v, { causal: true }); // [B, H, T, D]
    const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, dModel]);
    x = tf.add(x, ops.linear(merged, L.wo as unknown as tf.Tensor2D, L.bo as unknown as tf.Tensor1D));
    const h2 = ops.layerNorm(x, L.ln2g as unknown as tf.Tensor1D, L.ln2b as unknown as tf.Tensor1D);
    const m = ops.linear(
      ops.gelu(ops.linear(h2, L.w1 as unknown as tf.Tensor2D, L.b1 as unknown as tf.Tensor1D)),
      L.w2 as unknown as tf.Tensor2D,
      L.b2 as unknown as tf.Tensor1D,
    );
    x = tf.add(x, m);
  }
  const hf = ops.layerNorm(x, lnfg as unknown as tf.Tensor1D, lnfb as unknown as tf.Tensor1D);
  const logits = ops.projectToVocab(hf, wte as unknown as tf.Tensor2D); // [B, T, V]
  return ops.crossEntropy(
    tf.reshape(logits, [-1, vocabSize]) as tf.Tensor2D,
    tf.reshape(targets, [-1]) as tf.Tensor1D,
  );
}

const optimizer = tf.train.adam(3e-4);
const ids = tf.tensor2d(
  Int32Array.from({ length: batch * seqLen }, (_, i) => (i * 7919 + 13) % vocabSize),
  [batch, seqLen],
  'int32',
);
const targets = tf.tensor2d(
  Int32Array.from({ length: batch * seqLen }, (_, i) => (i * 104729 + 7) % vocabSize),
  [batch, seqLen],
  'int32',
);

function step(): number {
  const l = optimizer.minimize(() => loss(ids, targets), true) as tf.Scalar;
  const v = l.dataSync()[0];
  l.dispose();
  return v;
}

for (let i = 0; i < 2; i++) console.log(`warm-up step ${i}: loss ${step().toFixed(4)}`);
const times: number[] = [];
const before = tf.memory().numTensors;
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  const l = step();
  times.push(performance.now() - t0);
  if (i === steps - 1) console.log(`last loss ${l.toFixed(4)}`);
}
const after = tf.memory().numTensors;
times.sort((p, q) => p - q);
const med = times[Math.floor(times.length / 2)];
console.log(
  `step ms: median ${med.toFixed(1)}  min ${times[0].toFixed(1)}  max ${times[times.length - 1].toFixed(1)}  (numTensors ${before} -> ${after})`,
);
console.log(`tokens/s: ${((batch * seqLen) / (med / 1000)).toFixed(0)}  (B*T = ${batch * seqLen})`);

if (profile) {
  const p = await tf.profile(() => {
    step();
  });
  const agg = new Map<string, { ms: number; n: number }>();
  for (const k of p.kernels) {
    const e = agg.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.n++;
    agg.set(k.name, e);
  }
  const rows = [...agg.entries()].sort((p2, q2) => q2[1].ms - p2[1].ms);
  const total = rows.reduce((s, [, e]) => s + e.ms, 0);
  console.log(`profile (one step, kernel ms, total ${total.toFixed(0)}):`);
  for (const [name, e] of rows.slice(0, 25))
    console.log(`  ${name.padEnd(24)} ${e.ms.toFixed(1).padStart(8)} ms  ${String(e.n).padStart(5)} calls`);
}
