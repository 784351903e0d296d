// Speed check of the native sgemm (not a test): GFLOP/s on 1 and 2 threads for the shapes the
// GPT-ref step uses, next to the AssemblyScript kernel (relaxed-SIMD build, one thread) on the
// same heap. Run: node packages/native/bench.mjs  (after the addon is built).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const nat = require('./index.cjs');

const binSrc = fs.readFileSync(path.join(here, '../runtime/src/kernels/wasm-binary.ts'), 'utf8');
const b64 = /WASM_RELAXED_SIMD_BASE64 =\s*'([^']+)'/.exec(binSrc)?.[1];
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const memory = new WebAssembly.Memory({ initial: 1024, maximum: 16384 });
const asm = b64
  ? new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(b64, 'base64')), { env: { memory } }).exports
  : null;

let top = 1 << 16;
const alloc = (floats) => {
  const o = top;
  top += (floats * 4 + 63) & ~63;
  while (top > memory.buffer.byteLength) memory.grow(256);
  return o;
};
const work = alloc((asm ? asm.sgemmWorkBytes() : 0) / 4 + 16);

// [label, batch, M, N, K, transA, transB, broadcast B]
const shapes = [
  ['512^3', 1, 512, 512, 512, false, false],
  ['4096x128x384', 1, 4096, 128, 384, false, false],
  ['4096x128x384 A^T B', 1, 4096, 128, 384, true, false],
  ['4096x128x384 A B^T', 1, 4096, 128, 384, false, true],
  ['4096x384x128', 1, 4096, 384, 128, false, false],
  ['4096x384x128 A^T B', 1, 4096, 384, 128, true, false],
  ['4096x384x128 A B^T', 1, 4096, 384, 128, false, true],
  ['128x384x4096 A^T B (dW)', 1, 128, 384, 4096, true, false],
  ['128 x 128x128x32 A B^T', 128, 128, 128, 32, false, true],
  ['128 x 128x32x128', 128, 128, 32, 128, false, false],
  ['32 x 64x64x24 A B^T', 32, 64, 64, 24, false, true],
  ['32 x 64x24x64', 32, 64, 24, 64, false, false],
];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** GFLOP/s of f(): median and best over ~0.4 s after a warm-up (best: what a quiet machine gives). */
function rate(flops, f) {
  for (let i = 0; i < 3; i++) f();
  const times = [];
  const t0 = performance.now();
  while (times.length < 7 || (performance.now() - t0 < 400 && times.length < 300)) {
    const t = performance.now();
    f();
    times.push(performance.now() - t);
  }
  const g = (ms) => flops / (ms * 1e-3) / 1e9;
  return `${g(median(times)).toFixed(1)} (${g(Math.min(...times)).toFixed(1)})`;
}

nat.setHeap(memory.buffer);
const maxThreads = nat.threads();
console.log(
  `native ${nat.isa()} (compiled: ${nat.compiled().join(', ')}), ${maxThreads} threads available; asm: ${asm ? 'relaxed-simd, 1 thread' : 'not found'}`,
);
const rows = [];
for (const [label, batch, M, N, K, ta, tb] of shapes) {
  const a = alloc(batch * M * K);
  const b = alloc(batch * K * N);
  const c = alloc(batch * M * N);
  const h = new Float32Array(memory.buffer);
  for (let i = 0; i < batch * M * K; i++) h[(a >> 2) + i] = Math.random() - 0.5;
  for (let i = 0; i < batch * K * N; i++) h[(b >> 2) + i] = Math.random() - 0.5;
  nat.setHeap(memory.buffer);
  const args = [
    batch,
    M,
    N,
    K,
    a,
    ta ? 1 : K,
    ta ? M : 1,
    M * K,
    b,
    tb ? 1 : N,
    tb ? K : 1,
    K * N,
    c,
    N,
    M * N,
    0,
  ];
  const flops = 2 * batch * M * N * K;
  const row = { shape: label };
  if (asm) row.asm = rate(flops, () => asm.sgemm(...args, work));
  for (const t of [1, 2]) {
    if (t > maxThreads) continue;
    nat.setThreads(t);
    row[`native ${t}t`] = rate(flops, () => nat.sgemm(...args));
  }
  nat.setThreads(maxThreads);
  rows.push(row);
  top = a;
}
const cols = Object.keys(rows[0]);
console.log(`| ${cols.join(' | ')} |`);
console.log(`|${cols.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${cols.map((k) => r[k]).join(' | ')} |`);
console.log('GFLOP/s: median (best) of repeated calls, 2 * batch * M * N * K flops per call.');
