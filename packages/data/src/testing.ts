import type { Tokenizer } from '@pretrain-lab/tokenizers';
import type { Document } from './document.js';

/**
 * Test helpers: a tokenizer whose ids are UTF-16 code units (ASCII text in tests), with
 * '<|endoftext|>' = 65536 so it can never collide with a character, and tiny documents.
 */
export const FAKE_EOT = 65536;

export function charTokenizer(): Tokenizer {
  return {
    kind: 'char',
    vocabSize: FAKE_EOT + 1,
    specialTokens: { '<|endoftext|>': FAKE_EOT },
    encode: (text) => Int32Array.from(text, (ch) => ch.charCodeAt(0)),
    decode: (ids) =>
      Array.from(ids, (id) => (id === FAKE_EOT ? '<|endoftext|>' : String.fromCharCode(id))).join(''),
    idToToken: (id) =>
      id === FAKE_EOT ? '<|endoftext|>' : id >= 0 && id < FAKE_EOT ? String.fromCharCode(id) : undefined,
    tokenToId: (token) =>
      token === '<|endoftext|>' ? FAKE_EOT : token.length === 1 ? token.charCodeAt(0) : undefined,
    toHuggingFaceJSON: () => ({}),
  };
}

/** n small documents with ids doc000.. and a sentence or two each. */
export function syntheticDocs(n: number): Document[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `doc${String(i).padStart(3, '0')}`,
    paragraphs:
      i % 2 === 0
        ? [[`Document ${i} starts.`, 'It has two sentences.']]
        : [[`Doc ${i}.`], ['Second paragraph.']],
  }));
}
