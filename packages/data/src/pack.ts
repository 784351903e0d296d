import type { Tokenizer } from '@pretrain-lab/tokenizers';
import { type Document, documentText } from './document.js';

/**
 * From documents to fixed-length training sequences, as nanoGPT's prepare.py + get_batch do it:
 * tokenize each document, append an end-of-text id after each one, concatenate into one stream,
 * and cut windows of seqLen + 1 tokens with stride seqLen (inputs are window[0:T], targets
 * window[1:T+1], so consecutive windows share one token).
 */

export const END_OF_TEXT = '<|endoftext|>';

/** Rows of seqLen + 1 tokens, row-major: data[i * (seqLen + 1) + t]. */
export interface PackedSequences {
  data: Int32Array; // [count, seqLen + 1]
  count: number;
  seqLen: number;
}

export function tokenizeDocuments(docs: readonly Document[], tokenizer: Tokenizer): Int32Array[] {
  return docs.map((doc) => tokenizer.encode(documentText(doc)));
}

/** The tokenizer's '<|endoftext|>' id, or a clear error when it has none. */
export function endOfTextId(tokenizer: Tokenizer): number {
  const id = tokenizer.specialTokens[END_OF_TEXT] ?? tokenizer.tokenToId(END_OF_TEXT);
  if (id === undefined) {
    throw new Error(
      `tokenizer (${tokenizer.kind}) has no ${END_OF_TEXT} token; pass endOfTextId explicitly or train it with that special token`,
    );
  }
  return id;
}

/** Concatenates token arrays, writing `separator` after each one (GPT-2 / nanoGPT convention). */
export function concatWithSeparator(parts: readonly Int32Array[], separator: number): Int32Array {
  let total = 0;
  for (const p of parts) total += p.length + 1;
  const out = new Int32Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
    out[at++] = separator;
  }
  return out;
}

/** Tokenizes documents and concatenates them into one stream with an end-of-text id after each. */
export function buildTokenStream(
  docs: readonly Document[],
  tokenizer: Tokenizer,
  options: { endOfTextId?: number } = {},
): Int32Array {
  const eot = options.endOfTextId ?? endOfTextId(tokenizer);
  return concatWithSeparator(tokenizeDocuments(docs, tokenizer), eot);
}

/**
 * Cuts a stream into non-overlapping windows of seqLen + 1 tokens with stride seqLen; the tail
 * that does not fill a window is dropped. count = floor((stream.length - 1) / seqLen).
 */
export function packSequences(stream: Int32Array, seqLen: number): PackedSequences {
  if (!Number.isInteger(seqLen) || seqLen < 1)
    throw new Error(`packSequences: seqLen must be a positive integer, got ${seqLen}`);
  const count = stream.length > 0 ? Math.floor((stream.length - 1) / seqLen) : 0;
  const width = seqLen + 1;
  const data = new Int32Array(count * width);
  for (let i = 0; i < count; i++) data.set(stream.subarray(i * seqLen, i * seqLen + width), i * width);
  return { data, count, seqLen };
}
