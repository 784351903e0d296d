/**
 * End-to-end tests of `lab score`, `lab export --format hf` and `lab generate` on the checkpoints
 * a smoke scaling run leaves behind, plus an independent check of the HF export with
 * tools/reference/check_hf_export.py (a plain-torch replica of transformers' GPT2LMHeadModel)
 * where /usr/bin/python3 has torch.
 *
 * The CLI runs as `tsx packages/cli/src/bin.ts ...` (what `pnpm lab` runs): through pnpm, a
 * failing command gets an extra `[ELIFECYCLE] ...` line from pnpm itself on stderr, which would
 * hide whether our own error output is one line.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCheckpoint, readSafetensors, saveCheckpoint, writeSafetensors } from '@pretrain-lab/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lab, ok, once, type Result, ROOT, run, userError } from './cli-testing.js';

const CHECK_HF = path.join(ROOT, 'tools', 'reference', 'check_hf_export.py');
/** PRETRAIN_LAB_PYTHON overrides the interpreter (default Debian's, which has python3-torch). */
const PYTHON = process.env.PRETRAIN_LAB_PYTHON || '/usr/bin/python3';
const TEXT = 'The jury said';
/** Longer than the smoke models' context (16), so scoring slides its window. */
const LONG_TEXT = 'The jury said it did find that the election was conducted fairly.';

const torchCheck = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8', timeout: 30_000 });
const HAS_TORCH = torchCheck.status === 0;
const TORCH_SKIP = HAS_TORCH
  ? ''
  : ` [skipped: ${PYTHON} cannot import torch and numpy; install python3-torch to run it]`;
const torchIt = HAS_TORCH ? it : it.skip;

/** GPT2LMHeadModel's state-dict names and shapes for a config.json. */
function gpt2Layout(cfg: Record<string, any>): Record<string, number[]> {
  const V = cfg.vocab_size;
  const P = cfg.n_positions;
  const C = cfg.n_embd;
  const F = cfg.n_inner ?? 4 * C;
  const out: Record<string, number[]> = {
    'transformer.wte.weight': [V, C],
    'transformer.wpe.weight': [P, C],
  };
  for (let i = 0; i < cfg.n_layer; i++) {
    const p = `transformer.h.${i}`;
    Object.assign(out, {
      [`${p}.ln_1.weight`]: [C],
      [`${p}.ln_1.bias`]: [C],
      [`${p}.attn.c_attn.weight`]: [C, 3 * C],
      [`${p}.attn.c_attn.bias`]: [3 * C],
      [`${p}.attn.c_proj.weight`]: [C, C],
      [`${p}.attn.c_proj.bias`]: [C],
      [`${p}.ln_2.weight`]: [C],
      [`${p}.ln_2.bias`]: [C],
      [`${p}.mlp.c_fc.weight`]: [C, F],
      [`${p}.mlp.c_fc.bias`]: [F],
      [`${p}.mlp.c_proj.weight`]: [F, C],
      [`${p}.mlp.c_proj.bias`]: [C],
    });
  }
  out['transformer.ln_f.weight'] = [C];
  out['transformer.ln_f.bias'] = [C];
  if (!cfg.tie_word_embeddings) out['lm_head.weight'] = [V, C];
  return out;
}

interface Scored {
  ids: number[];
  tokens: string[];
  logProbs: number[];
  meanLoss: number;
}

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const maxAbsDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));

let tmp: string;
let runDir: string;
/** The deepest smoke model (2 layers) and, for a second shape, the narrowest. */
let ckpt: string;
let ckptSmall: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'checkpoint-tools-test-'));
  runDir = path.join(tmp, 'run');
  const t0 = Date.now();
  ok(
    await run(
      'pnpm',
      ['--silent', 'exp', 'scaling', '--preset', 'smoke', '--out', runDir, '--quiet'],
      {},
      90_000,
    ),
  );
  const names = fs.readdirSync(path.join(runDir, 'checkpoints')).sort();
  expect(names.length).toBeGreaterThan(0);
  const layers = (n: string) =>
    loadCheckpoint(path.join(runDir, 'checkpoints', n)).state.modelConfig.numLayers as number;
  names.sort((a, b) => layers(b) - layers(a) || a.localeCompare(b));
  ckpt = path.join(runDir, 'checkpoints', names[0]);
  ckptSmall = path.join(runDir, 'checkpoints', names[names.length - 1]);
  console.log(`smoke run: ${Date.now() - t0} ms, checkpoints ${names.join(', ')}`);
}, 90_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const scored = once(async () => JSON.parse(ok(await lab('score', ckpt, '--text', TEXT, '--json'))) as Scored);
const scoredLong = once(
  async () => JSON.parse(ok(await lab('score', ckpt, '--text', LONG_TEXT, '--json'))) as Scored,
);
const exported = once(async () => {
  const out = path.join(tmp, 'hf');
  ok(await lab('export', ckpt, '--format', 'hf', '--out', out));
  return out;
});

/**
 * Deterministic O(1) weights (unit-variance uniform noise, matrices scaled by 1.5/sqrt(fan_in)):
 * the smoke models are barely trained and near-uniform, so on them a wrong GELU variant or
 * attention scale moves log-probs by only ~1e-7; on these it moves them far past 1e-4.
 */
function sharpWeights(weights: Record<string, { shape: number[]; data: Float32Array }>) {
  let seed = 12345;
  const u = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return (seed / 2 ** 32 - 0.5) * Math.sqrt(12);
  };
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const name of Object.keys(weights).sort()) {
    const { shape, data } = weights[name];
    const isLnGain = /ln_(1|2|f)\.weight$/.test(name);
    const scale =
      shape.length === 2 && !/wte|wpe|lm_head/.test(name)
        ? 1.5 / Math.sqrt(shape[0])
        : shape.length === 2
          ? 1
          : 0.3;
    out[name] = { shape: [...shape], data: Float32Array.from(data, () => (isLnGain ? 1 : 0) + scale * u()) };
  }
  return out;
}

/** An untied copy of a smoke checkpoint with sharp weights (sharpWeights) and its own lm_head.weight. */
const untied = once(async () => {
  const dir = path.join(tmp, 'untied-ckpt');
  const ck = loadCheckpoint(ckptSmall);
  const wte = ck.weights['transformer.wte.weight'];
  saveCheckpoint(dir, {
    weights: sharpWeights({
      ...ck.weights,
      'lm_head.weight': { shape: [...wte.shape], data: new Float32Array(wte.data) },
    }),
    optimizer: ck.optimizer,
    state: {
      step: ck.state.step,
      trainer: ck.state.trainer,
      modelConfig: { ...ck.state.modelConfig, tieEmbeddings: false },
      runConfig: ck.state.runConfig,
    },
    extraFiles: { 'tokenizer.json': fs.readFileSync(path.join(ckptSmall, 'tokenizer.json'), 'utf8') },
  });
  const out = path.join(tmp, 'hf-untied');
  ok(await lab('export', dir, '--format', 'hf', '--out', out));
  const ours = JSON.parse(ok(await lab('score', dir, '--text', TEXT, '--json'))) as Scored;
  return { dir, out, ours };
});

function checkHF(dir: string, ids: number[], extra: string[] = []): Promise<Result> {
  return run(PYTHON, [CHECK_HF, dir, '--ids', ids.join(','), ...extra]);
}

describe.concurrent('lab score / export / generate on a smoke checkpoint', () => {
  it('score --json: per-token log-probs and their mean loss', async ({ expect }) => {
    const s = await scored();
    expect(s.ids.length).toBeGreaterThanOrEqual(2);
    expect(s.tokens).toHaveLength(s.ids.length);
    expect(s.logProbs).toHaveLength(s.ids.length - 1);
    for (const lp of s.logProbs) {
      expect(Number.isFinite(lp)).toBe(true);
      expect(lp).toBeLessThanOrEqual(0);
    }
    const mean = -s.logProbs.reduce((a, b) => a + b, 0) / s.logProbs.length;
    expect(Math.abs(s.meanLoss - mean)).toBeLessThan(1e-9);
    expect(s.meanLoss).toBeGreaterThan(0);

    const long = await scoredLong();
    const cfg = loadCheckpoint(ckpt).state.modelConfig;
    expect(long.ids.length - 1).toBeGreaterThan(cfg.seqLen as number); // sliding windows
    expect(long.logProbs).toHaveLength(long.ids.length - 1);
    for (const lp of long.logProbs) expect(Number.isFinite(lp) && lp <= 0).toBe(true);
  });

  it('export --format hf: GPT-2 config.json and tensors by GPT-2 names and shapes', async ({ expect }) => {
    const out = await exported();
    const mc = loadCheckpoint(ckpt).state.modelConfig as Record<string, any>;
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({
      model_type: 'gpt2',
      architectures: ['GPT2LMHeadModel'],
      n_embd: mc.dModel,
      n_layer: mc.numLayers,
      n_head: mc.numHeads,
      vocab_size: mc.vocabSize,
      n_positions: mc.seqLen,
      layer_norm_epsilon: mc.layerNormEps,
      activation_function: 'gelu_new',
      tie_word_embeddings: true,
    });
    expect(cfg.n_inner ?? 4 * cfg.n_embd).toBe(mc.dFF || 4 * mc.dModel);
    const { tensors, metadata } = readSafetensors(path.join(out, 'model.safetensors'));
    expect(metadata.format).toBe('pt');
    const shapes = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.shape]));
    expect(shapes).toEqual(gpt2Layout(cfg));
    // Weights go out as they are.
    const ck = loadCheckpoint(ckpt);
    for (const [k, t] of Object.entries(tensors)) {
      expect(t.dtype).toBe('F32');
      expect(
        Buffer.from((t.data as Float32Array).buffer).equals(Buffer.from(ck.weights[k].data.buffer)),
      ).toBe(true);
    }
    expect(fs.readFileSync(path.join(out, 'tokenizer.json'), 'utf8')).toBe(
      fs.readFileSync(path.join(ckpt, 'tokenizer.json'), 'utf8'),
    );
  });

  torchIt(
    `the HF export scores the same under a torch GPT2LMHeadModel forward${TORCH_SKIP}`,
    async ({ expect }) => {
      const out = await exported();
      const runs = [scored(), scoredLong()].map(async (p) => {
        const s = await p;
        return { s, r: await checkHF(out, s.ids) };
      });
      for (const { s, r } of await Promise.all(runs)) {
        const ref = JSON.parse(ok(r)) as { logProbs: number[]; meanLoss: number };
        expect(ref.logProbs).toHaveLength(s.logProbs.length);
        const d = maxAbsDiff(s.logProbs, ref.logProbs);
        console.log(
          `tied ${path.basename(ckpt)}, ${s.ids.length} tokens: max |logprob ours - torch GPT-2| = ${d.toExponential(2)}`,
        );
        expect(d).toBeLessThan(1e-4);
        expect(Math.abs(ref.meanLoss - s.meanLoss)).toBeLessThan(1e-4);
      }
    },
  );

  torchIt(
    `an untied checkpoint exports lm_head.weight and scores the same under torch${TORCH_SKIP}`,
    async ({ expect }) => {
      const { out, ours } = await untied();
      const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
      expect(cfg.tie_word_embeddings).toBe(false);
      const shapes = Object.fromEntries(
        Object.entries(readSafetensors(path.join(out, 'model.safetensors')).tensors).map(([k, t]) => [
          k,
          t.shape,
        ]),
      );
      expect(shapes).toEqual(gpt2Layout(cfg));
      const ref = JSON.parse(ok(await checkHF(out, ours.ids))) as { logProbs: number[] };
      // Sharp weights: log-probs far from uniform, so a subtly different forward would show.
      expect(Math.max(...ours.logProbs) - Math.min(...ours.logProbs)).toBeGreaterThan(1);
      const d = maxAbsDiff(ours.logProbs, ref.logProbs);
      console.log(`untied: max |logprob ours - torch GPT-2| = ${d.toExponential(2)}`);
      expect(d).toBeLessThan(1e-4);
    },
  );

  torchIt(`check_hf_export.py refuses a file that is not GPT-2's layout${TORCH_SKIP}`, async ({ expect }) => {
    const out = await exported();
    const bad = path.join(tmp, 'hf-bad');
    fs.mkdirSync(bad, { recursive: true });
    fs.copyFileSync(path.join(out, 'config.json'), path.join(bad, 'config.json'));
    const { tensors } = readSafetensors(path.join(out, 'model.safetensors'));
    const { 'transformer.h.0.mlp.c_fc.bias': _dropped, ...rest } = tensors;
    const w = rest['transformer.h.0.attn.c_proj.weight'];
    rest['transformer.h.0.attn.c_proj.weight'] = { ...w, shape: [w.shape[1], w.shape[0], 1] };
    writeSafetensors(path.join(bad, 'model.safetensors'), rest);
    const line = userError(await checkHF(bad, [1, 2, 3]));
    expect(line).toMatch(/missing transformer\.h\.0\.mlp\.c_fc\.bias/);
    expect(line).toMatch(/transformer\.h\.0\.attn\.c_proj\.weight has shape/);
  });

  it('generate: the same seed gives the same text; temperature 0 is deterministic', async ({ expect }) => {
    const args = ['generate', ckpt, '--prompt', 'The', '--max-tokens', '10'];
    const [a, b, g1, g2] = await Promise.all([
      lab(...args, '--seed', '3'),
      lab(...args, '--seed', '3'),
      lab(...args, '--temperature', '0', '--seed', '1'),
      lab(...args, '--temperature', '0', '--seed', '2'),
    ]);
    expect(ok(a)).toBe(ok(b));
    expect(ok(a).startsWith('The')).toBe(true);
    expect(ok(g1)).toBe(ok(g2));
    expect(ok(g1).startsWith('The')).toBe(true);
  });

  it('bad inputs: exit 2 with one `error:` line', async ({ expect }) => {
    const [r1, r2] = await Promise.all([
      lab('score', path.join(tmp, 'no-such-checkpoint'), '--text', TEXT, '--json'),
      lab('export', ckpt, '--format', 'onnx', '--out', path.join(tmp, 'onnx')),
    ]);
    expect(userError(r1)).toMatch(/no-such-checkpoint/);
    const onnx = userError(r2);
    expect(onnx).toMatch(/onnx/);
    expect(fs.existsSync(path.join(tmp, 'onnx'))).toBe(false);
  });

  it('a truncated model.safetensors is refused and left untouched', async ({ expect }) => {
    const copy = path.join(tmp, 'truncated-ckpt');
    fs.cpSync(ckpt, copy, { recursive: true });
    const file = path.join(copy, 'model.safetensors');
    fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
    const size = fs.statSync(file).size;
    const hash = sha256(file);
    const line = userError(await lab('score', copy, '--text', TEXT, '--json'));
    expect(line).toMatch(/sha256|corrupt/);
    expect(line).toMatch(/model\.safetensors/);
    expect(fs.statSync(file).size).toBe(size);
    expect(sha256(file)).toBe(hash);
  });
});
