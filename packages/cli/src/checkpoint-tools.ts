/**
 * Checkpoint tools: `lab export --format hf`, `lab score`, `lab generate`.
 * A checkpoint directory (results/<exp>/<run>/checkpoints/<model>/) holds model.safetensors,
 * state.json (with the model config) and tokenizer.json, all hash-checked on load.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GPT, type GPTConfig, resolveGPTConfig } from '@pretrain-lab/models';
import { initBackend, parseBackendName, UserError } from '@pretrain-lab/runtime';
import { tokenizerFromJSON } from '@pretrain-lab/tokenizers';
import { loadCheckpoint, writeSafetensors } from '@pretrain-lab/train';
import { writeJSONAtomic } from './atomic.js';

export function loadModelCheckpoint(dir: string) {
  const ck = loadCheckpoint(dir);
  const config = resolveGPTConfig(ck.state.modelConfig as unknown as GPTConfig);
  const tokPath = path.join(dir, 'tokenizer.json');
  if (!fs.existsSync(tokPath)) throw new UserError(`checkpoint ${dir} has no tokenizer.json`);
  const tokenizer = tokenizerFromJSON(JSON.parse(fs.readFileSync(tokPath, 'utf8')));
  return { ck, config, tokenizer };
}

async function modelFromCheckpoint(dir: string, backend?: string) {
  const { ck, config, tokenizer } = loadModelCheckpoint(dir);
  await initBackend(parseBackendName(backend ?? process.env.PRETRAIN_LAB_BACKEND));
  const model = new GPT(config, 0);
  model.params.assign(Object.fromEntries(Object.entries(ck.weights).map(([k, v]) => [k, v.data])));
  return { model, tokenizer, config };
}

/** Hugging Face GPT-2 config.json for our GPTConfig (activation gelu_new = GPT-2's tanh GELU). */
export function hfGPT2Config(c: GPTConfig): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: c.vocabSize,
    n_positions: c.seqLen,
    n_ctx: c.seqLen,
    n_embd: c.dModel,
    n_layer: c.numLayers,
    n_head: c.numHeads,
    n_inner: c.dFF,
    activation_function: 'gelu_new',
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    layer_norm_epsilon: c.layerNormEps,
    initializer_range: 0.02,
    scale_attn_weights: true,
    tie_word_embeddings: c.tieEmbeddings,
    bos_token_id: 0,
    eos_token_id: 0,
    torch_dtype: 'float32',
  };
}

export async function exportCommand(
  checkpoint: string,
  opts: { format: string; out: string },
): Promise<void> {
  if (opts.format !== 'hf') throw new UserError(`unknown export format '${opts.format}'; valid: hf`);
  const { ck, config } = loadModelCheckpoint(checkpoint);
  fs.mkdirSync(opts.out, { recursive: true });
  // Our names and layouts are GPT-2's already (Conv1D weights [in, out]); a tied head is
  // written once as transformer.wte.weight, as transformers does.
  const tensors = Object.fromEntries(
    Object.entries(ck.weights).map(([k, v]) => [k, { dtype: 'F32' as const, shape: v.shape, data: v.data }]),
  );
  writeSafetensors(path.join(opts.out, 'model.safetensors'), tensors, { format: 'pt' });
  writeJSONAtomic(path.join(opts.out, 'config.json'), hfGPT2Config(config));
  fs.copyFileSync(path.join(checkpoint, 'tokenizer.json'), path.join(opts.out, 'tokenizer.json'));
  process.stdout.write(`wrote ${opts.out}/{config.json,model.safetensors,tokenizer.json}\n`);
}

export async function scoreCommand(
  checkpoint: string,
  opts: { text: string; json?: boolean; backend?: string },
): Promise<void> {
  const { model, tokenizer } = await modelFromCheckpoint(checkpoint, opts.backend);
  const ids = tokenizer.encode(opts.text);
  if (ids.length < 2) throw new UserError('--text must encode to at least two tokens');
  const { logProbs, meanLoss } = await model.scoreTokens(ids);
  const tokens = Array.from(ids, (id) => tokenizer.idToToken(id) ?? String(id));
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ ids: Array.from(ids), tokens, logProbs: Array.from(logProbs), meanLoss })}\n`,
    );
  } else {
    process.stdout.write(`token            logprob\n${tokens[0].padEnd(16)} (context)\n`);
    for (let i = 0; i < logProbs.length; i++)
      process.stdout.write(`${JSON.stringify(tokens[i + 1]).padEnd(16)} ${logProbs[i].toFixed(4)}\n`);
    process.stdout.write(
      `mean loss ${meanLoss.toFixed(4)} nats/token (perplexity ${Math.exp(meanLoss).toFixed(2)})\n`,
    );
  }
  model.dispose();
}

export async function generateCommand(
  checkpoint: string,
  opts: {
    prompt: string;
    maxTokens: string;
    temperature: string;
    topK: string;
    seed: string;
    backend?: string;
  },
): Promise<void> {
  const num = (name: string, v: string, int: boolean) => {
    const n = Number(v);
    if (!Number.isFinite(n) || (int && !Number.isInteger(n)) || n < 0)
      throw new UserError(`--${name}: expected a non-negative ${int ? 'integer' : 'number'}, got '${v}'`);
    return n;
  };
  const { model, tokenizer } = await modelFromCheckpoint(checkpoint, opts.backend);
  const eot = tokenizer.specialTokens['<|endoftext|>'];
  const prompt = opts.prompt ? tokenizer.encode(opts.prompt) : Int32Array.from([eot ?? 0]);
  const out = await model.generate(prompt, {
    maxNewTokens: num('max-tokens', opts.maxTokens, true),
    temperature: num('temperature', opts.temperature, false),
    topK: num('top-k', opts.topK, true),
    seed: num('seed', opts.seed, true),
    stopToken: eot,
  });
  process.stdout.write(`${tokenizer.decode(opts.prompt ? out : out.subarray(1))}\n`);
  model.dispose();
}
