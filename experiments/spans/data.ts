/**
 * Data for the span-corruption study: the corpus split by document (the split brown-genre and
 * brown-restore use with the same seed, so no held-out document is ever pretrained on), a
 * Unigram tokenizer with T5's 100 sentinels trained on the training documents, the documents as
 * token streams, and the tasks in T5's text-to-text form ("restore: ..." -> "...") as ids.
 */
import path from 'node:path';
import { checkSplits, type Document, documentText, loadCorpus, splitDocuments } from '@pretrain-lab/data';
import { Rng } from '@pretrain-lab/runtime';
import {
  exactMatch,
  FILL_BLANK,
  loadTaskOrSkip,
  nestedTrainingOrder,
  taskInputDocuments,
  textToText,
} from '@pretrain-lab/tasks';
import { loadOrTrainTokenizer, UnigramTokenizer } from '@pretrain-lab/tokenizers';
import type { SpansConfig } from './config.js';

/** T5's task prefixes, in its style ("summarize:", "cola sentence:"). */
const PREFIX: Record<string, string> = {
  'brown-genre': 'classify genre',
  'brown-restore': 'restore',
  'brown-cloze': 'last word',
  'brown-fill': 'fill',
  spam: 'classify spam',
  'spam-subject': 'subject',
  'kjv-web-paraphrase': 'paraphrase',
};

export function corpusSplits(corpus: string, splitSeed: number) {
  const splits = splitDocuments(loadCorpus(corpus), { seed: splitSeed });
  checkSplits(corpus, splits);
  return splits;
}

/** The run's tokenizer: tokenizer.json when resuming, else trained on `docs` and saved there. */
export function runTokenizer(dir: string, docs: readonly Document[], vocabSize: number): UnigramTokenizer {
  // <pad>=0, </s>=1, <unk>=2, and <extra_id_0..99> at the end of the vocabulary, as T5's.
  return loadOrTrainTokenizer(path.join(dir, 'tokenizer.json'), () =>
    UnigramTokenizer.train(docs.map(documentText), { vocabSize }),
  );
}

/** Every document's ids, one after another (T5 packs its C4 documents the same way). */
export function tokenStream(docs: readonly Document[], tok: UnigramTokenizer): Int32Array {
  const parts = docs.map((d) => tok.encode(documentText(d)));
  const out = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * The pretraining data of a run in `dir`: the corpus split by document, the run's tokenizer, and
 * the streams pretraining cuts into chunks: the training documents then the self-pretraining task
 * inputs, and the validation split.
 */
export function pretrainingData(cfg: SpansConfig, dir: string) {
  const splits = corpusSplits(cfg.corpus, cfg.splitSeed);
  const tok = runTokenizer(dir, splits.train, cfg.tokenizer.vocabSize);
  const self = taskInputDocuments({ ...cfg.pretrain.selfPretrain, seed: cfg.splitSeed });
  const streams = {
    train: tokenStream([...splits.train, ...self.docs], tok),
    validation: tokenStream(splits.validation, tok),
  };
  return { splits, tok, selfNotes: self.notes, streams };
}

export interface TextTask {
  name: string;
  kind: 'classification' | 'generation';
  /** The headline metric: accuracy, exactMatch (brown-restore, where case and punctuation are the task), or rougeL. */
  metric: 'accuracy' | 'exactMatch' | 'rougeL';
  /** Label texts (classification); [] for generation. */
  labels: string[];
  /** Decoder length of this task: the longest label with </s>, or finetune.maxTargetLength. */
  targetLength: number;
  /** Training examples in the task's seeded order, so each smaller set is a prefix of the larger. */
  train: { inputs: Int32Array[]; targets: Int32Array[]; labelIndex: Int32Array | null };
  /** A seeded sample of the test split, in split order; targets as text, for the metrics. */
  test: { inputs: Int32Array[]; targets: string[] };
  /** Generation: the share of test targets that survive tokenizing and the cut (what exact match can reach). */
  ceiling: number | null;
  notes: string[];
}

/** ids cut to max - 1, then </s>. */
function withEos(ids: Int32Array, max: number, eos: number): Int32Array {
  const out = new Int32Array(Math.min(ids.length, max - 1) + 1);
  out.set(ids.subarray(0, max - 1));
  out[out.length - 1] = eos;
  return out;
}

/** Load a task and encode it text to text; { skipped } with the reason when its data is missing here. */
export function encodeTextTask(
  name: string,
  tok: UnigramTokenizer,
  opts: {
    splitSeed: number;
    maxTrain: number;
    maxTest: number;
    maxInputLength: number;
    maxTargetLength: number;
  },
): TextTask | { skipped: string } {
  const task = loadTaskOrSkip(name, { seed: opts.splitSeed });
  if ('skipped' in task) return task;
  const t2t = textToText(task, PREFIX[name] ?? name);
  const kind = task.kind === 'generation' ? 'generation' : 'classification';
  const targetLength =
    kind === 'classification'
      ? Math.max(...task.labels.map((l) => tok.encode(l).length + 1))
      : opts.maxTargetLength;
  // As nsp's encodeTask: the training order is one seeded permutation (nested subsets, the same
  // for every row); the test set a seeded sample kept in split order.
  const train = nestedTrainingOrder(t2t.train, opts.splitSeed, name, opts.maxTrain);
  let test = t2t.test;
  if (test.length > opts.maxTest) {
    const pick = Rng.derive(opts.splitSeed, `task/${name}`)
      .permutation(test.length)
      .subarray(0, opts.maxTest);
    test = Array.from(pick)
      .sort((a, b) => a - b)
      .map((i) => t2t.test[i]);
  }
  // brown-fill's blank is T5's: the first sentinel, as in span corruption's inputs.
  const blank = (s: string) =>
    name === 'brown-fill' ? s.replace(FILL_BLANK, tok.idToToken(tok.sentinelId(0))!) : s;
  const input = (s: string) => withEos(tok.encode(blank(s)), opts.maxInputLength, tok.eosId);
  let ceiling: number | null = null;
  if (kind === 'generation') {
    const gold = test.map((e) => e.target);
    const back = gold.map((g) => tok.decode(tok.encode(g).subarray(0, targetLength - 1)));
    ceiling = exactMatch(gold, back).reduce((a, x) => a + x, 0) / Math.max(1, gold.length);
  }
  return {
    name,
    kind,
    metric:
      kind === 'classification'
        ? 'accuracy'
        : name === 'brown-restore' || name === 'brown-cloze' || name === 'brown-fill'
          ? 'exactMatch'
          : 'rougeL',
    labels: task.labels,
    targetLength,
    train: {
      inputs: train.map((e) => input(e.input)),
      targets: train.map((e) => withEos(tok.encode(e.target), targetLength, tok.eosId)),
      // Classification: the label's index, for the frozen-encoder probe.
      labelIndex:
        kind === 'classification' ? Int32Array.from(train, (e) => task.labels.indexOf(e.target)) : null,
    },
    test: { inputs: test.map((e) => input(e.input)), targets: test.map((e) => e.target) },
    ceiling,
    notes: task.notes,
  };
}
