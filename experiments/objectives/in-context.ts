/**
 * In-context evaluation of the decoder-only rows (GPT-3, Brown et al. 2020: zero-, one- and
 * few-shot prompts, no gradient step), and the synthetic recall data some rows pretrain on.
 *
 * - kv-recall: a prompt of k key-value pairs of random tokens, then one of the keys; the answer
 *   is the token that followed it (associative recall, the copy an induction head does). Scored
 *   by the greedy next token over the whole vocabulary: chance is 1 in recallVocab (keys and
 *   values come from the first recallVocab ordinary ids).
 *
 *     k = 2:   [k1 v1 k2 v2 k2] -> v2
 *
 * - few-shot classification with label words: k demonstrations "text [SEP] label [SEP]" (each
 *   text cut to `wordsPerText` tokens, drawn from the task's training set), then the test text
 *   and [SEP]; the prediction is the label whose tokens have the highest total log-probability.
 *
 * Recall pretraining data (multi-query associative recall, as in Arora et al. 2023's Zoology):
 * a sequence of `pairs` key-value pairs, then the keys again in a random order, each followed by
 * its value, so the second half is predictable only from the context. A row with `recall: p`
 * replaces a fraction p of its training chunks by such sequences.
 */
import type { GPT } from '@pretrain-lab/models';
import { Rng } from '@pretrain-lab/runtime';
import * as tf from '@tensorflow/tfjs';
import type { SpecialIds, TextTask } from './data.js';

/** Keys and values are ids FIRST_ORDINARY .. FIRST_ORDINARY + recallVocab - 1 (after the 5 specials). */
const FIRST_ORDINARY = 5;

function distinct(rng: Rng, n: number, recallVocab: number): number[] {
  const seen = new Set<number>();
  while (seen.size < n) seen.add(FIRST_ORDINARY + rng.int(recallVocab));
  return [...seen];
}

/** One recall pretraining sequence of `length` tokens: pairs, then keys again with their values. */
export function recallSequence(length: number, pairs: number, recallVocab: number, rng: Rng): Int32Array {
  const keys = distinct(rng, pairs, recallVocab);
  const values = keys.map(() => FIRST_ORDINARY + rng.int(recallVocab));
  const out = new Int32Array(length);
  let o = 0;
  for (let i = 0; i < pairs && o + 1 < length; i++) {
    out[o++] = keys[i];
    out[o++] = values[i];
  }
  while (o < length) {
    const order = rng.permutation(pairs);
    for (let j = 0; j < pairs && o < length; j++) {
      out[o++] = keys[order[j]];
      if (o < length) out[o++] = values[order[j]];
    }
  }
  return out;
}

export interface Prompt {
  /** Tokens read before the answer. */
  prompt: Int32Array;
  /** Candidate continuations (kv-recall: none, greedy over the vocabulary; label words: one per label). */
  candidates: Int32Array[];
  /** Index of the right candidate, or the right next token for kv-recall. */
  answer: number;
}

/** The kv-recall test prompts with k pairs: `n` of them, the same for every row. */
export function kvRecallPrompts(k: number, n: number, recallVocab: number, splitSeed: number): Prompt[] {
  return Array.from({ length: n }, (_, j) => {
    const rng = Rng.derive(splitSeed, `kv-recall/${k}/${j}`);
    const keys = distinct(rng, Math.max(1, k), recallVocab);
    const values = keys.map(() => FIRST_ORDINARY + rng.int(recallVocab));
    const q = rng.int(keys.length);
    const prompt = new Int32Array(2 * k + 1);
    for (let i = 0; i < k; i++) prompt.set([keys[i], values[i]], 2 * i);
    prompt[2 * k] = keys[q];
    return { prompt, candidates: [], answer: values[q] };
  });
}

/** Few-shot label-word prompts for every test example of a classification task. */
export function labelWordPrompts(
  task: TextTask,
  shots: number,
  labelWords: Int32Array[],
  ids: SpecialIds,
  opts: { wordsPerText: number; splitSeed: number; maxLen: number },
): Prompt[] {
  const cut = (x: Int32Array) => x.subarray(0, opts.wordsPerText);
  return task.test.ids.map((text, j) => {
    const rng = Rng.derive(opts.splitSeed, `${task.name}/shots/${j}`);
    const parts: number[] = [];
    for (let s = 0; s < shots; s++) {
      const i = rng.int(task.train.ids.length);
      parts.push(...cut(task.train.ids[i]), ids.sepId, ...labelWords[task.train.labels[i]], ids.sepId);
    }
    parts.push(...cut(text), ids.sepId);
    const longest = Math.max(...labelWords.map((w) => w.length));
    if (parts.length + longest > opts.maxLen)
      throw new Error(
        `${task.name}: a ${shots}-shot prompt needs ${parts.length + longest} tokens, more than the context of ${opts.maxLen}; lower the shots or wordsPerText`,
      );
    return { prompt: Int32Array.from(parts), candidates: labelWords, answer: task.test.labels[j] };
  });
}

/**
 * Per-prompt scores (1 right, 0 wrong) of a decoder on prompts: greedy next token for prompts
 * without candidates, else the candidate with the highest total log-probability.
 */
export async function scorePrompts(model: GPT, prompts: readonly Prompt[], padId: number): Promise<number[]> {
  // One row per (prompt, candidate), or per prompt when it has no candidates.
  const rows: { seq: Int32Array; from: number; to: number }[] = [];
  for (const p of prompts) {
    if (p.candidates.length === 0) rows.push({ seq: p.prompt, from: p.prompt.length, to: p.prompt.length });
    for (const c of p.candidates) {
      const seq = new Int32Array(p.prompt.length + c.length);
      seq.set(p.prompt);
      seq.set(c, p.prompt.length);
      rows.push({ seq, from: p.prompt.length, to: seq.length });
    }
  }
  const logp: number[] = [];
  const argmax: number[] = [];
  const V = model.config.vocabSize;
  for (let s = 0; s < rows.length; s += 64) {
    const batch = rows.slice(s, s + 64);
    const T = Math.max(...batch.map((r) => r.seq.length));
    const ids = new Int32Array(batch.length * T).fill(padId);
    batch.forEach((r, i) => {
      ids.set(r.seq, i * T);
    });
    const lp = tf.tidy(() => tf.logSoftmax(model.forward(tf.tensor2d(ids, [batch.length, T], 'int32')))); // [B, T, V]
    const data = (await lp.data()) as Float32Array;
    lp.dispose();
    batch.forEach((r, i) => {
      if (r.from === r.to) {
        // Greedy next token after the prompt: the argmax at its last position.
        const base = (i * T + r.from - 1) * V;
        let best = 0;
        for (let v = 1; v < V; v++) if (data[base + v] > data[base + best]) best = v;
        argmax.push(best);
        logp.push(0);
        return;
      }
      let total = 0;
      for (let t = r.from; t < r.to; t++) total += data[(i * T + t - 1) * V + r.seq[t]];
      logp.push(total);
      argmax.push(-1);
    });
  }
  const out: number[] = [];
  let k = 0;
  for (const p of prompts) {
    if (p.candidates.length === 0) {
      out.push(argmax[k++] === p.answer ? 1 : 0);
      continue;
    }
    let best = 0;
    for (let c = 0; c < p.candidates.length; c++) if (logp[k + c] > logp[k + best]) best = c;
    out.push(best === p.answer ? 1 : 0);
    k += p.candidates.length;
  }
  return out;
}
