/** Saving and loading tokenizers as Hugging Face tokenizer.json files. */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BpeTokenizer } from './bpe.js';
import { CharTokenizer } from './char.js';
import { TokenizerFormatError } from './hf.js';
import type { Tokenizer } from './types.js';
import { UnigramTokenizer } from './unigram.js';
import { WordPieceTokenizer } from './wordpiece.js';

/**
 * Rebuilds one of our tokenizers from a tokenizer.json object. The kind is read from the
 * structure: a ByteLevel pre-tokenizer means byte-level BPE; a BPE model with no
 * pre-tokenizer and no merges means char; a WordPiece or Unigram model means wordpiece or unigram.
 */
export function tokenizerFromJSON(
  json: unknown,
): CharTokenizer | BpeTokenizer | WordPieceTokenizer | UnigramTokenizer {
  if (typeof json !== 'object' || json === null) throw new TokenizerFormatError('expected a JSON object');
  const { pre_tokenizer: pre, model } = json as {
    pre_tokenizer?: { type?: unknown } | null;
    model?: { merges?: unknown; type?: unknown };
  };
  if (model?.type === 'WordPiece') return WordPieceTokenizer.fromHuggingFaceJSON(json);
  if (model?.type === 'Unigram') return UnigramTokenizer.fromHuggingFaceJSON(json);
  if (pre != null && pre.type === 'ByteLevel') return BpeTokenizer.fromHuggingFaceJSON(json);
  if (pre == null && Array.isArray(model?.merges) && model.merges.length === 0)
    return CharTokenizer.fromHuggingFaceJSON(json);
  throw new TokenizerFormatError(
    'not a tokenizer this package writes: expected a BPE model with either a ByteLevel pre_tokenizer (bpe) ' +
      'or no pre_tokenizer and no merges (char)',
  );
}

/** Writes `tokenizer.toHuggingFaceJSON()` to `path` atomically (temporary file, then rename). */
export function saveTokenizer(tokenizer: Tokenizer, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, `${JSON.stringify(tokenizer.toHuggingFaceJSON(), null, 2)}\n`);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** Reads a tokenizer.json written by saveTokenizer. */
export function loadTokenizer(
  path: string,
): CharTokenizer | BpeTokenizer | WordPieceTokenizer | UnigramTokenizer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`loadTokenizer: cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TokenizerFormatError(
      `${path} is not valid JSON (${(error as Error).message}); re-save the tokenizer`,
    );
  }
  try {
    return tokenizerFromJSON(json);
  } catch (error) {
    if (error instanceof TokenizerFormatError) throw new TokenizerFormatError(`${path}: ${error.message}`);
    throw error;
  }
}

/** A run's tokenizer: the one saved at `path` (a resumed run), else `train()`'s, saved there first. */
export function loadOrTrainTokenizer<T extends Tokenizer>(path: string, train: () => T): T {
  if (existsSync(path)) return loadTokenizer(path) as unknown as T;
  const tok = train();
  saveTokenizer(tok, path);
  return tok;
}
