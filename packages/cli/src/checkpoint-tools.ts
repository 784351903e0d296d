/**
 * Checkpoint tools: `lab export --format hf`, `lab score`, `lab generate`.
 * A checkpoint directory (results/<exp>/<run>/checkpoints/<model>/) holds model.safetensors,
 * state.json (with the model config) and tokenizer.json, all hash-checked on load. GPT-2
 * (scaling), BERT (nsp) and T5 (spans) checkpoints are told apart by their model config; the
 * BERT and T5 layouts and scores are in hf-export.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, writeJSONAtomic } from '@pretrain-lab/experiment';
import {
  BERT,
  type BERTConfig,
  GPT,
  type GPTConfig,
  resolveBERTConfig,
  resolveGPTConfig,
  resolveT5Config,
  T5,
  type T5Config,
} from '@pretrain-lab/models';
import { initBackend, parseBackendName, UserError } from '@pretrain-lab/runtime';
import { tokenizerFromJSON, UnigramTokenizer, WordPieceTokenizer } from '@pretrain-lab/tokenizers';
import { loadCheckpoint, writeSafetensors } from '@pretrain-lab/train';
import {
  bertTokenizerConfig,
  hfBERTConfig,
  hfBERTTensors,
  hfT5Config,
  hfT5Tensors,
  modelKind,
  scoreBERT,
  scoreT5,
  t5TokenizerConfig,
  vocabTxt,
  type Weight,
} from './hf-export.js';

type Loaded<K, C, Tok> = { kind: K; ck: ReturnType<typeof loadCheckpoint>; config: C; tokenizer: Tok };
export type LoadedCheckpoint =
  | Loaded<'gpt', GPTConfig, ReturnType<typeof tokenizerFromJSON>>
  | Loaded<'bert', BERTConfig, WordPieceTokenizer>
  | Loaded<'t5', T5Config, UnigramTokenizer>;

export function loadModelCheckpoint(dir: string): LoadedCheckpoint {
  const ck = loadCheckpoint(dir);
  const mc = ck.state.modelConfig;
  const tokPath = path.join(dir, 'tokenizer.json');
  if (!fs.existsSync(tokPath)) throw new UserError(`checkpoint ${dir} has no tokenizer.json`);
  const tokenizer = tokenizerFromJSON(JSON.parse(fs.readFileSync(tokPath, 'utf8')));
  const kind = modelKind(mc);
  if (kind === 'bert') {
    if (!(tokenizer instanceof WordPieceTokenizer))
      throw new UserError(`BERT checkpoint ${dir}: tokenizer.json is ${tokenizer.kind}, expected WordPiece`);
    const config = resolveBERTConfig(mc as unknown as BERTConfig);
    return { kind, ck, config, tokenizer };
  }
  if (kind === 't5') {
    if (!(tokenizer instanceof UnigramTokenizer))
      throw new UserError(`T5 checkpoint ${dir}: tokenizer.json is ${tokenizer.kind}, expected Unigram`);
    const config = resolveT5Config(mc as unknown as T5Config);
    return { kind, ck, config, tokenizer };
  }
  return { kind, ck, config: resolveGPTConfig(mc as unknown as GPTConfig), tokenizer };
}

type WithModel =
  | (Extract<LoadedCheckpoint, { kind: 'gpt' }> & { model: GPT })
  | (Extract<LoadedCheckpoint, { kind: 'bert' }> & { model: BERT })
  | (Extract<LoadedCheckpoint, { kind: 't5' }> & { model: T5 });

async function modelFromCheckpoint(dir: string, backend?: string): Promise<WithModel> {
  const loaded = loadModelCheckpoint(dir);
  await initBackend(parseBackendName(backend ?? process.env.PRETRAIN_LAB_BACKEND));
  const withModel: WithModel =
    loaded.kind === 'bert'
      ? { ...loaded, model: new BERT(loaded.config, 0) }
      : loaded.kind === 't5'
        ? { ...loaded, model: new T5(loaded.config, 0) }
        : { ...loaded, model: new GPT(loaded.config, 0) };
  withModel.model.params.assign(
    Object.fromEntries(Object.entries(loaded.ck.weights).map(([k, v]) => [k, v.data])),
  );
  return withModel;
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

const f32 = (rec: Record<string, Weight>) =>
  Object.fromEntries(
    Object.entries(rec).map(([k, v]) => [k, { dtype: 'F32' as const, shape: v.shape, data: v.data }]),
  );

export async function exportCommand(
  checkpoint: string,
  opts: { format: string; out: string },
): Promise<void> {
  if (opts.format !== 'hf') throw new UserError(`unknown export format '${opts.format}'; valid: hf`);
  const loaded = loadModelCheckpoint(checkpoint);
  // Everything that can refuse the checkpoint runs before the output directory is made.
  let files: Record<string, string | Record<string, unknown>>;
  let tensors: Record<string, Weight>;
  const tokenizerJSON = fs.readFileSync(path.join(checkpoint, 'tokenizer.json'), 'utf8');
  if (loaded.kind === 'bert') {
    const { config, tokenizer } = loaded;
    if (loaded.ck.state.runConfig?.pairObjective === 'sop')
      throw new UserError(
        "this BERT checkpoint's pair head was trained for sentence-order prediction (ALBERT's SOP: in order vs swapped), which Hugging Face's BertForPreTraining reads as next-sentence prediction; export refused rather than mislabel it",
      );
    tensors = hfBERTTensors(loaded.ck.weights, config);
    files = {
      'config.json': hfBERTConfig(config, tokenizer.specialTokens['[PAD]'] ?? 0),
      'tokenizer.json': tokenizerJSON,
      'vocab.txt': vocabTxt(tokenizer),
      'tokenizer_config.json': bertTokenizerConfig(tokenizer, config.maxLen),
    };
  } else if (loaded.kind === 't5') {
    tensors = hfT5Tensors(loaded.ck.weights);
    files = {
      'config.json': hfT5Config(loaded.config),
      'tokenizer.json': tokenizerJSON,
      'tokenizer_config.json': t5TokenizerConfig(loaded.tokenizer),
    };
  } else {
    // Our names and layouts are GPT-2's already (Conv1D weights [in, out]); a tied head is
    // written once as transformer.wte.weight, as transformers does.
    tensors = loaded.ck.weights;
    files = { 'config.json': hfGPT2Config(loaded.config), 'tokenizer.json': tokenizerJSON };
  }
  fs.mkdirSync(opts.out, { recursive: true });
  writeSafetensors(path.join(opts.out, 'model.safetensors'), f32(tensors), { format: 'pt' });
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(opts.out, name);
    if (typeof content === 'string') writeFileAtomic(file, content);
    else writeJSONAtomic(file, content);
  }
  process.stdout.write(
    `wrote ${opts.out}/{${['model.safetensors', ...Object.keys(files)].sort().join(',')}}\n`,
  );
}

export interface ScoreOptions {
  text: string;
  json?: boolean;
  backend?: string;
  /** T5: the target text whose log-probabilities are scored. */
  target?: string;
  /** BERT: a second segment ([CLS] text [SEP] pair [SEP]). */
  pair?: string;
  /** BERT: comma-separated positions to mask and score (0 = [CLS]). */
  positions?: string;
}

export async function scoreCommand(checkpoint: string, opts: ScoreOptions): Promise<void> {
  const m = await modelFromCheckpoint(checkpoint, opts.backend);
  const out = process.stdout;
  const misplaced = (flag: string, kinds: string) => {
    throw new UserError(`${flag} is for ${kinds} checkpoints; this one is ${m.kind.toUpperCase()}`);
  };
  try {
    if (m.kind !== 't5' && opts.target !== undefined) misplaced('--target', 'T5');
    if (m.kind !== 'bert' && opts.pair !== undefined) misplaced('--pair', 'BERT');
    if (m.kind !== 'bert' && opts.positions !== undefined) misplaced('--positions', 'BERT');
    if (m.kind === 'bert') {
      const s = await scoreBERT(m.model, m.tokenizer, opts);
      if (opts.json) out.write(`${JSON.stringify(s)}\n`);
      else {
        out.write('position token            logprob (that position masked)\n');
        s.positions.forEach((p, k) => {
          out.write(
            `${String(p).padEnd(8)} ${JSON.stringify(s.tokens[p]).padEnd(16)} ${s.logProbs[k].toFixed(4)}\n`,
          );
        });
        out.write(
          `mean loss ${s.meanLoss.toFixed(4)} nats/token (pseudo-perplexity ${Math.exp(s.meanLoss).toFixed(2)})\n`,
        );
        if (s.nsp)
          out.write(
            `NSP log p(IsNext) ${s.nsp.isNext.toFixed(4)}, log p(NotNext) ${s.nsp.notNext.toFixed(4)}\n`,
          );
      }
      return;
    }
    if (m.kind === 't5') {
      if (opts.target === undefined)
        throw new UserError('a T5 checkpoint scores a target given an input: add --target "..."');
      const s = await scoreT5(m.model, m.tokenizer, { text: opts.text, target: opts.target });
      if (opts.json) out.write(`${JSON.stringify(s)}\n`);
      else {
        out.write(
          `input ${s.inputTokens.map((t) => JSON.stringify(t)).join(' ')}\ntarget token     logprob\n`,
        );
        s.tokens.forEach((t, i) => {
          out.write(`${JSON.stringify(t).padEnd(16)} ${s.logProbs[i].toFixed(4)}\n`);
        });
        out.write(
          `mean loss ${s.meanLoss.toFixed(4)} nats/token (perplexity ${Math.exp(s.meanLoss).toFixed(2)})\n`,
        );
      }
      return;
    }
    const { model, tokenizer } = m;
    const ids = tokenizer.encode(opts.text);
    if (ids.length < 2) throw new UserError('--text must encode to at least two tokens');
    const { logProbs, meanLoss } = await model.scoreTokens(ids);
    const tokens = Array.from(ids, (id) => tokenizer.idToToken(id) ?? String(id));
    if (opts.json) {
      out.write(
        `${JSON.stringify({ ids: Array.from(ids), tokens, logProbs: Array.from(logProbs), meanLoss })}\n`,
      );
    } else {
      out.write(`token            logprob\n${tokens[0].padEnd(16)} (context)\n`);
      for (let i = 0; i < logProbs.length; i++)
        out.write(`${JSON.stringify(tokens[i + 1]).padEnd(16)} ${logProbs[i].toFixed(4)}\n`);
      out.write(
        `mean loss ${meanLoss.toFixed(4)} nats/token (perplexity ${Math.exp(meanLoss).toFixed(2)})\n`,
      );
    }
  } finally {
    m.model.dispose();
  }
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
  const m = await modelFromCheckpoint(checkpoint, opts.backend);
  if (m.kind !== 'gpt') {
    m.model.dispose();
    throw new UserError(
      `lab generate samples from GPT checkpoints; this one is ${m.kind.toUpperCase()} (try lab score)`,
    );
  }
  const { model, tokenizer } = m;
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
