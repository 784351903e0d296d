/**
 * What `lab show` (show.ts) reads a text with: the toy word vocabulary (one id per distinct word,
 * in order of appearance, then the special tokens), or a trained tokenizer.json; and the one-line
 * parsing of its numeric options.
 */
import fs from 'node:fs';
import { UserError } from '@pretrain-lab/runtime';
import { tokenizerFromJSON } from '@pretrain-lab/tokenizers';

export interface Vocab {
  ids: Int32Array;
  token: (id: number) => string;
  vocabSize: number;
  /** Display ids for special tokens, beyond the word ids. */
  special: Record<string, number>;
}

/** Word-level toy vocabulary: ids 0..W-1 for the distinct words, then the special tokens. */
export function toyVocab(text: string, specials: string[], extra = 0): Vocab {
  const words = text.split(/\s+/).filter(Boolean);
  if (words.length === 0) throw new UserError('--text is empty');
  const index = new Map<string, number>();
  for (const w of words) if (!index.has(w)) index.set(w, index.size);
  const names = [...index.keys()];
  const special: Record<string, number> = {};
  for (const s of specials) special[s] = names.length + Object.keys(special).length;
  const vocabSize = names.length + specials.length + extra;
  const byId = [...names, ...specials];
  return {
    ids: Int32Array.from(words, (w) => index.get(w)!),
    token: (id) => byId[id] ?? `<id ${id}>`,
    vocabSize,
    special,
  };
}

export function fileVocab(path: string, text: string): Vocab {
  if (!fs.existsSync(path)) throw new UserError(`--tokenizer ${path}: no such file`);
  const tok = tokenizerFromJSON(JSON.parse(fs.readFileSync(path, 'utf8')));
  return {
    ids: tok.encode(text),
    token: (id) => tok.idToToken(id) ?? `<id ${id}>`,
    vocabSize: tok.vocabSize,
    special: { ...tok.specialTokens },
  };
}

export function num(
  name: string,
  v: string | undefined,
  opts: { int?: boolean; min?: number; max?: number } = {},
): number {
  const n = Number(v);
  if (
    v === undefined ||
    v.trim() === '' ||
    !Number.isFinite(n) ||
    (opts.int && !Number.isInteger(n)) ||
    (opts.min !== undefined && n < opts.min) ||
    (opts.max !== undefined && n > opts.max)
  ) {
    throw new UserError(
      `--${name}: expected ${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` >= ${opts.min}` : ''}${opts.max !== undefined ? ` <= ${opts.max}` : ''}, got '${v}'`,
    );
  }
  return n;
}
