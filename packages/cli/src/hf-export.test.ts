/**
 * `lab export --format hf` and `lab score` for BERT (nsp experiment) and T5 (spans experiment)
 * checkpoints, end to end through the CLI on the pretraining checkpoints their smoke runs leave,
 * checked by plain-torch replicas of transformers' BertForPreTraining / BertForMaskedLM and
 * T5ForConditionalGeneration forwards (tools/reference/check_hf_export_{bert,t5}.py) that read
 * the exported folder strictly, to 1e-4 in log-probability. The smoke models are barely
 * trained (near-uniform outputs hide a wrong transpose), so each is also checked on a copy
 * with sharp O(1) weights. Skipped with a printed reason where no python imports torch.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCheckpoint, readSafetensors, saveCheckpoint, writeSafetensors } from '@pretrain-lab/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, lab, ok, once, ROOT, run, TSX, userError } from './cli-testing.js';

const CHECK_BERT = path.join(ROOT, 'tools', 'reference', 'check_hf_export_bert.py');
const CHECK_T5 = path.join(ROOT, 'tools', 'reference', 'check_hf_export_t5.py');
const TEXT = 'Call me Ishmael.';
const PAIR = 'The whale!';
const TOL = 1e-4;

/** The first interpreter that imports torch and numpy: PRETRAIN_LAB_PYTHON, Debian's, then PATH's. */
function pythonWithTorch(): string | null {
  const candidates = [process.env.PRETRAIN_LAB_PYTHON, '/usr/bin/python3', 'python3'].filter(
    (p): p is string => !!p,
  );
  for (const p of candidates) {
    const r = spawnSync(p, ['-c', 'import torch, numpy'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return p;
  }
  return null;
}
const PYTHON = pythonWithTorch();
const TORCH_SKIP = PYTHON ? '' : ' [skipped: no python3 imports torch and numpy; install python3-torch]';
if (!PYTHON) console.log(`hf-export.test.ts: torch checks${TORCH_SKIP}`);
const torchIt = PYTHON ? it : it.skip;

const maxAbsDiff = (a: number[], b: number[]) => {
  expect(b).toHaveLength(a.length);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i])));
};

type Weights = Record<string, { shape: number[]; data: Float32Array }>;

/**
 * Deterministic O(1) weights: unit-variance uniform noise; matrices ([in, out]) scaled by
 * 1.5/sqrt(in); token/position tables and T5's bucket tables by 1; norm gains 1 + 0.3u; biases 0.3u.
 */
function sharpWeights(weights: Weights): Weights {
  let seed = 2024;
  const u = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return (seed / 2 ** 32 - 0.5) * Math.sqrt(12);
  };
  const out: Weights = {};
  for (const name of Object.keys(weights).sort()) {
    const { shape, data } = weights[name];
    const table = /embeddings\.weight$|^shared\.weight$|relative_attention_bias/.test(name);
    const gain = /(LayerNorm|layer_norm|ln_\d|ln_f)\.weight$/.test(name);
    const scale = table ? 1 : shape.length === 2 ? 1.5 / Math.sqrt(shape[0]) : 0.3;
    out[name] = { shape: [...shape], data: Float32Array.from(data, () => (gain ? 1 : 0) + scale * u()) };
  }
  return out;
}

let tmp: string;
/** nsp smoke: the SEGMENT-PAIR + NSP unit (BertForPreTraining) and the DOC-SENTENCES one (BertForMaskedLM). */
let bertNsp: string;
let bertMlm: string;
/** spans smoke: one pretraining unit. */
let t5: string;

function pretrainCheckpoints(runDir: string): string[] {
  const dir = path.join(runDir, 'checkpoints');
  return fs
    .readdirSync(dir)
    .filter((n) => n.startsWith('pretrain-') && fs.existsSync(path.join(dir, n, 'state.json')))
    .sort()
    .map((n) => path.join(dir, n));
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hf-export-test-'));
  const t0 = Date.now();
  const [nspRun, spansRun] = [path.join(tmp, 'nsp'), path.join(tmp, 'spans')];
  const exp = (name: string, out: string, ...extra: string[]) =>
    run(TSX, [BIN, 'exp', name, '--preset', 'smoke', '--out', out, '--quiet', ...extra], {}, 170_000);
  // Post-norm, the only BERT Hugging Face has (the nsp default is pre-norm, which export refuses).
  const [a, b] = await Promise.all([exp('nsp', nspRun, '--model.preNorm=false'), exp('spans', spansRun)]);
  ok(a);
  ok(b);
  const bert = pretrainCheckpoints(nspRun);
  const nsp = (d: string) => loadCheckpoint(d).state.modelConfig.nsp === true;
  bertNsp = bert.find(nsp)!;
  bertMlm = bert.find((d) => !nsp(d))!;
  t5 = pretrainCheckpoints(spansRun)[0];
  expect(bertNsp && bertMlm && t5).toBeTruthy();
  console.log(
    `smoke runs: ${Date.now() - t0} ms; ${[bertNsp, bertMlm, t5].map((d) => path.basename(d)).join(', ')}`,
  );
}, 180_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** A copy of a checkpoint with other weights and/or model config. */
function variant(
  src: string,
  name: string,
  opts: { sharp?: boolean; modelConfig?: Record<string, unknown>; runConfig?: Record<string, unknown> },
) {
  const dir = path.join(tmp, name);
  const ck = loadCheckpoint(src);
  saveCheckpoint(dir, {
    weights: opts.sharp ? sharpWeights(ck.weights) : ck.weights,
    optimizer: ck.optimizer,
    state: {
      step: ck.state.step,
      trainer: ck.state.trainer,
      modelConfig: { ...ck.state.modelConfig, ...opts.modelConfig },
      runConfig: { ...ck.state.runConfig, ...opts.runConfig },
    },
    extraFiles: { 'tokenizer.json': fs.readFileSync(path.join(src, 'tokenizer.json'), 'utf8') },
  });
  return dir;
}

interface BERTScored {
  model: 'bert';
  ids: number[];
  tokens: string[];
  typeIds: number[];
  positions: number[];
  maskId: number;
  logProbs: number[];
  meanLoss: number;
  nsp?: { isNext: number; notNext: number };
}
interface T5Scored {
  model: 't5';
  inputIds: number[];
  ids: number[];
  logProbs: number[];
  meanLoss: number;
}

/** Export + score + the torch replica, for one checkpoint. */
async function bertCase(ckpt: string, label: string, pair: boolean) {
  const out = path.join(tmp, `hf-${label}`);
  const [exported, scored] = await Promise.all([
    lab('export', ckpt, '--format', 'hf', '--out', out),
    lab('score', ckpt, '--text', TEXT, ...(pair ? ['--pair', PAIR] : []), '--json'),
  ]);
  ok(exported);
  const s = JSON.parse(ok(scored)) as BERTScored;
  return { out, s };
}

async function checkBERT(out: string, s: BERTScored) {
  const r = await run(PYTHON!, [
    CHECK_BERT,
    out,
    '--ids',
    s.ids.join(','),
    '--type-ids',
    s.typeIds.join(','),
    '--positions',
    s.positions.join(','),
  ]);
  return JSON.parse(ok(r)) as {
    logProbs: number[];
    meanLoss: number;
    nsp?: { isNext: number; notNext: number };
  };
}

async function t5Case(ckpt: string, label: string) {
  const out = path.join(tmp, `hf-${label}`);
  const [exported, scored] = await Promise.all([
    lab('export', ckpt, '--format', 'hf', '--out', out),
    lab('score', ckpt, '--text', TEXT, '--target', PAIR, '--json'),
  ]);
  ok(exported);
  return { out, s: JSON.parse(ok(scored)) as T5Scored };
}

async function checkT5(out: string, s: T5Scored) {
  const r = await run(PYTHON!, [
    CHECK_T5,
    out,
    '--input-ids',
    s.inputIds.join(','),
    '--target-ids',
    s.ids.join(','),
  ]);
  return JSON.parse(ok(r)) as { logProbs: number[]; meanLoss: number };
}

const bertNspCase = once(() => bertCase(bertNsp, 'bert-nsp', true));
const bertMlmCase = once(() => bertCase(bertMlm, 'bert-mlm', false));
const bertSharpCase = once(() =>
  bertCase(variant(bertNsp, 'bert-sharp', { sharp: true }), 'bert-sharp', true),
);
const bertMlmSharpCase = once(() =>
  bertCase(variant(bertMlm, 'bert-mlm-sharp', { sharp: true }), 'bert-mlm-sharp', false),
);
const t5SmokeCase = once(() => t5Case(t5, 't5'));
const t5SharpCase = once(() => t5Case(variant(t5, 't5-sharp', { sharp: true }), 't5-sharp'));

describe.concurrent('BERT and T5 in Hugging Face layout', () => {
  it('BERT export: config.json, HF names and shapes, vocab.txt and tokenizer.json', async ({ expect }) => {
    const { out } = await bertNspCase();
    const mc = loadCheckpoint(bertNsp).state.modelConfig as Record<string, any>;
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({
      model_type: 'bert',
      architectures: ['BertForPreTraining'],
      hidden_size: mc.dModel,
      num_hidden_layers: mc.numLayers,
      num_attention_heads: mc.numHeads,
      intermediate_size: mc.dFF,
      max_position_embeddings: mc.maxLen,
      type_vocab_size: mc.typeVocabSize,
      vocab_size: mc.vocabSize,
      layer_norm_eps: mc.layerNormEps,
      hidden_act: 'gelu_new',
      tie_word_embeddings: true,
    });
    const { tensors, metadata } = readSafetensors(path.join(out, 'model.safetensors'));
    expect(metadata.format).toBe('pt');
    const C = mc.dModel as number;
    const shape = (k: string) => tensors[k]?.shape;
    expect(shape('bert.embeddings.word_embeddings.weight')).toEqual([mc.vocabSize, C]);
    expect(shape('bert.encoder.layer.0.attention.self.query.weight')).toEqual([C, C]);
    expect(shape('bert.encoder.layer.0.intermediate.dense.weight')).toEqual([mc.dFF, C]);
    expect(shape('cls.seq_relationship.weight')).toEqual([2, C]);
    expect(shape('cls.predictions.bias')).toEqual([mc.vocabSize]);
    expect(shape('cls.predictions.decoder.weight')).toBeUndefined(); // tied, as save_pretrained
    expect(Object.keys(tensors).filter((k) => /c_attn|c_proj|c_fc|ln_\d/.test(k))).toEqual([]);
    // query = the first third of our fused c_attn, transposed to nn.Linear's [out, in].
    const ours = loadCheckpoint(bertNsp).weights['bert.encoder.layer.0.attn.c_attn.weight'];
    const q = tensors['bert.encoder.layer.0.attention.self.query.weight'].data as Float32Array;
    expect(q[1 * C + 2]).toBe(ours.data[2 * 3 * C + 1]);
    const vocab = fs.readFileSync(path.join(out, 'vocab.txt'), 'utf8').split('\n');
    expect(vocab.pop()).toBe('');
    expect(vocab).toHaveLength(mc.vocabSize);
    expect(vocab.slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    expect(fs.readFileSync(path.join(out, 'tokenizer.json'), 'utf8')).toBe(
      fs.readFileSync(path.join(bertNsp, 'tokenizer.json'), 'utf8'),
    );
    const tc = JSON.parse(fs.readFileSync(path.join(out, 'tokenizer_config.json'), 'utf8'));
    expect(tc).toMatchObject({ tokenizer_class: 'BertTokenizer', do_lower_case: true, mask_token: '[MASK]' });
    const mlm = JSON.parse(fs.readFileSync(path.join((await bertMlmCase()).out, 'config.json'), 'utf8'));
    expect(mlm.architectures).toEqual(['BertForMaskedLM']);
  });

  it('BERT score: one masked copy per non-special position, NSP in HF order', async ({ expect }) => {
    const { s } = await bertNspCase();
    expect(s.tokens[0]).toBe('[CLS]');
    expect(s.typeIds.at(-1)).toBe(1);
    expect(s.positions).not.toContain(0);
    expect(s.positions).toHaveLength(s.ids.length - 3); // [CLS] a [SEP] b [SEP]
    for (const lp of s.logProbs) expect(Number.isFinite(lp) && lp <= 0).toBe(true);
    expect(Math.abs(s.meanLoss + s.logProbs.reduce((a, b) => a + b, 0) / s.logProbs.length)).toBeLessThan(
      1e-9,
    );
    expect(Math.abs(Math.exp(s.nsp!.isNext) + Math.exp(s.nsp!.notNext) - 1)).toBeLessThan(1e-5);
    const picked = JSON.parse(
      ok(await lab('score', bertNsp, '--text', TEXT, '--pair', PAIR, '--positions', '0,2', '--json')),
    ) as BERTScored;
    expect(picked.positions).toEqual([0, 2]);
    expect(Math.abs(picked.logProbs[1] - s.logProbs[s.positions.indexOf(2)])).toBeLessThan(1e-5);
  });

  for (const [label, get, nsp] of [
    ['BertForPreTraining (smoke)', bertNspCase, true],
    ['BertForMaskedLM (smoke)', bertMlmCase, false],
    ['BertForPreTraining (sharp weights)', bertSharpCase, true],
    ['BertForMaskedLM (sharp weights)', bertMlmSharpCase, false],
  ] as const) {
    torchIt(
      `${label}: the export scores the same under a torch HF BERT forward${TORCH_SKIP}`,
      async ({ expect }) => {
        const { out, s } = await get();
        const ref = await checkBERT(out, s);
        const d = maxAbsDiff(s.logProbs, ref.logProbs);
        let msg = `${label}: max |MLM logprob ours - torch HF| = ${d.toExponential(2)} over ${s.positions.length} positions`;
        expect(d).toBeLessThan(TOL);
        expect(Math.abs(ref.meanLoss - s.meanLoss)).toBeLessThan(TOL);
        if (nsp) {
          const dn = Math.max(
            Math.abs(ref.nsp!.isNext - s.nsp!.isNext),
            Math.abs(ref.nsp!.notNext - s.nsp!.notNext),
          );
          msg += `, NSP ${dn.toExponential(2)}`;
          expect(dn).toBeLessThan(TOL);
        } else expect(ref.nsp).toBeUndefined();
        console.log(msg);
        if (label.includes('sharp'))
          expect(Math.max(...s.logProbs) - Math.min(...s.logProbs)).toBeGreaterThan(1);
      },
    );
  }

  it('a pre-norm BERT is refused with one line, and nothing is written', async ({ expect }) => {
    const dir = variant(bertNsp, 'bert-prenorm', { modelConfig: { preNorm: true } });
    const out = path.join(tmp, 'hf-prenorm');
    const line = userError(await lab('export', dir, '--format', 'hf', '--out', out));
    expect(line).toMatch(/pre-norm/);
    expect(line).toMatch(/post-norm/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a BERT whose pair head learned sentence order (SOP) is refused: HF would read it as NSP', async ({
    expect,
  }) => {
    const dir = variant(bertNsp, 'bert-sop', { runConfig: { pairObjective: 'sop' } });
    const out = path.join(tmp, 'hf-sop');
    const line = userError(await lab('export', dir, '--format', 'hf', '--out', out));
    expect(line).toMatch(/sentence-order prediction/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('T5 export: config.json with the tie convention, HF names, transposed projections', async ({
    expect,
  }) => {
    const { out } = await t5SmokeCase();
    const mc = loadCheckpoint(t5).state.modelConfig as Record<string, any>;
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({
      model_type: 't5',
      architectures: ['T5ForConditionalGeneration'],
      d_model: mc.dModel,
      d_kv: mc.dKV,
      d_ff: mc.dFF,
      num_layers: mc.numLayers,
      num_decoder_layers: mc.numDecoderLayers,
      num_heads: mc.numHeads,
      relative_attention_num_buckets: mc.numBuckets,
      relative_attention_max_distance: mc.maxDistance,
      layer_norm_epsilon: mc.eps,
      feed_forward_proj: 'relu',
      tie_word_embeddings: true,
      decoder_start_token_id: mc.decoderStartId,
      pad_token_id: mc.padId,
      eos_token_id: mc.eosId,
    });
    const { tensors } = readSafetensors(path.join(out, 'model.safetensors'));
    const inner = mc.numHeads * mc.dKV;
    expect(tensors['encoder.block.0.layer.0.SelfAttention.q.weight'].shape).toEqual([inner, mc.dModel]);
    expect(tensors['decoder.block.0.layer.1.EncDecAttention.o.weight'].shape).toEqual([mc.dModel, inner]);
    expect(tensors['decoder.block.0.layer.2.DenseReluDense.wi.weight'].shape).toEqual([mc.dFF, mc.dModel]);
    expect(tensors['encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight'].shape).toEqual([
      mc.numBuckets,
      mc.numHeads,
    ]);
    expect(tensors['lm_head.weight']).toBeUndefined(); // tied to shared.weight
    expect(JSON.parse(fs.readFileSync(path.join(out, 'tokenizer.json'), 'utf8')).model.type).toBe('Unigram');
  });

  for (const [label, get] of [
    ['T5ForConditionalGeneration (smoke)', t5SmokeCase],
    ['T5ForConditionalGeneration (sharp weights)', t5SharpCase],
  ] as const) {
    torchIt(
      `${label}: the export scores the same under a torch HF T5 forward${TORCH_SKIP}`,
      async ({ expect }) => {
        const { out, s } = await get();
        expect(s.ids.at(-1)).toBe(loadCheckpoint(t5).state.modelConfig.eosId);
        const ref = await checkT5(out, s);
        const d = maxAbsDiff(s.logProbs, ref.logProbs);
        console.log(
          `${label}: max |target logprob ours - torch HF| = ${d.toExponential(2)} over ${s.ids.length} tokens`,
        );
        expect(d).toBeLessThan(TOL);
        expect(Math.abs(ref.meanLoss - s.meanLoss)).toBeLessThan(TOL);
        if (label.includes('sharp'))
          expect(Math.max(...s.logProbs) - Math.min(...s.logProbs)).toBeGreaterThan(1);
      },
    );
  }

  torchIt(`the checkers refuse a folder that is not HF's layout${TORCH_SKIP}`, async ({ expect }) => {
    const [{ out: bertOut, s: bs }, { out: t5Out, s: ts }] = await Promise.all([
      bertNspCase(),
      t5SmokeCase(),
    ]);
    const broken = (src: string, name: string, drop: string, extra: string) => {
      const dir = path.join(tmp, name);
      fs.cpSync(src, dir, { recursive: true });
      const { tensors } = readSafetensors(path.join(src, 'model.safetensors'));
      const { [drop]: dropped, ...rest } = tensors;
      rest[extra] = dropped;
      writeSafetensors(path.join(dir, 'model.safetensors'), rest);
      return dir;
    };
    const b = broken(
      bertOut,
      'bad-bert',
      'bert.encoder.layer.0.attention.self.key.bias',
      'bert.encoder.ln_f.bias',
    );
    const t = broken(
      t5Out,
      'bad-t5',
      'decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight',
      'decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight',
    );
    const [rb, rt] = await Promise.all([
      run(PYTHON!, [CHECK_BERT, b, '--ids', bs.ids.join(','), '--positions', '1']),
      run(PYTHON!, [CHECK_T5, t, '--input-ids', ts.inputIds.join(','), '--target-ids', ts.ids.join(',')]),
    ]);
    const lb = userError(rb);
    expect(lb).toMatch(/missing bert\.encoder\.layer\.0\.attention\.self\.key\.bias/);
    expect(lb).toMatch(/unexpected tensor bert\.encoder\.ln_f\.bias/);
    const lt = userError(rt);
    expect(lt).toMatch(/missing decoder\.block\.0\.layer\.0\.SelfAttention\.relative_attention_bias\.weight/);
    expect(lt).toMatch(/unexpected tensor decoder\.block\.0\.layer\.1\.EncDecAttention/);
  });

  it('score flags that do not fit the model are one-line errors', async ({ expect }) => {
    const [noTarget, targetOnBert, pairOnT5, generate] = await Promise.all([
      lab('score', t5, '--text', TEXT, '--json'),
      lab('score', bertMlm, '--text', TEXT, '--target', PAIR),
      lab('score', t5, '--text', TEXT, '--target', PAIR, '--pair', PAIR),
      lab('generate', bertMlm, '--prompt', 'The'),
    ]);
    expect(userError(noTarget)).toMatch(/--target/);
    expect(userError(targetOnBert)).toMatch(/--target is for T5/);
    expect(userError(pairOnT5)).toMatch(/--pair is for BERT/);
    expect(userError(generate)).toMatch(/GPT/);
  });

  it('score without --json prints a table per model', async ({ expect }) => {
    const [bert, t5Text] = await Promise.all([
      lab('score', bertNsp, '--text', TEXT, '--pair', PAIR),
      lab('score', t5, '--text', TEXT, '--target', PAIR),
    ]);
    expect(ok(bert)).toMatch(/pseudo-perplexity/);
    expect(ok(bert)).toMatch(/NSP log p\(IsNext\) -?\d/);
    expect(ok(t5Text)).toMatch(/^input .*\ntarget token/);
    expect(ok(t5Text)).toMatch(/mean loss \d/);
  });
});
