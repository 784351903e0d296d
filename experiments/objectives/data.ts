/**
 * Data of the objectives comparison: the corpus split by document (the tasks use the same split,
 * so no held-out document is pretrained on), one WordPiece tokenizer for every architecture
 * (trained on the training documents), the pretraining documents as one token stream with [SEP]
 * between documents, and each task's texts as token ids, which every architecture wraps in its
 * own way (units.ts).
 */
import path from 'node:path';
import { checkSplits, type Document, documentText, loadCorpus, splitDocuments } from '@pretrain-lab/data';
import { Rng } from '@pretrain-lab/runtime';
import { loadTaskOrSkip, nestedTrainingOrder, taskInputDocuments } from '@pretrain-lab/tasks';
import { loadOrTrainTokenizer, WordPieceTokenizer } from '@pretrain-lab/tokenizers';
import type { ObjectivesConfig } from './config.js';

export interface SpecialIds {
  padId: number;
  clsId: number;
  sepId: number;
  maskId: number;
}

export interface TextTask {
  kind: 'classification';
  name: string;
  labels: string[];
  /** Token ids of each text, at most seqLen - 2 of them (room for [CLS] and [SEP] or EOS). */
  train: { ids: Int32Array[]; labels: Int32Array };
  test: { ids: Int32Array[]; labels: Int32Array };
}

/** The synthetic in-context task (in-context.ts): its prompts are drawn per number of pairs. */
export interface RecallTask {
  kind: 'kv-recall';
  name: 'kv-recall';
}

export type GridTask = TextTask | RecallTask;

export interface ObjectivesData {
  tok: WordPieceTokenizer;
  ids: SpecialIds;
  /** Pretraining token stream (training documents + self-pretraining inputs), [SEP] between documents. */
  train: Int32Array;
  /** The held-out documents' stream, for validation losses. */
  validation: Int32Array;
  tasks: TextTask[];
  skipped: string[];
  notes: string[];
  /** Ids that end a sentence ('.', '?', '!' and [SEP], the end of a document), for sentence permutation. */
  sentenceEndIds: number[];
  /** By token id: 1 if the token begins a word (no WordPiece '##'), for SpanBERT's whole-word spans. */
  wordStart: Uint8Array;
}

function stream(docs: readonly Document[], tok: WordPieceTokenizer, sepId: number): Int32Array {
  const parts: Int32Array[] = [];
  let n = 0;
  for (const d of docs) {
    for (const s of d.paragraphs.flat()) {
      const ids = tok.encode(s);
      parts.push(ids);
      n += ids.length;
    }
    parts.push(Int32Array.of(sepId));
    n++;
  }
  const out = new Int32Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function sample<T>(items: readonly T[], max: number, rng: Rng): T[] {
  if (items.length <= max) return items.slice();
  const idx = Array.from(rng.permutation(items.length).subarray(0, max)).sort((x, y) => x - y);
  return idx.map((i) => items[i]);
}

/** Load (or train and save in `dir`) the tokenizer, build the streams, load the tasks. */
export function loadData(cfg: ObjectivesConfig, dir: string): ObjectivesData {
  const splits = splitDocuments(loadCorpus(cfg.corpus), { seed: cfg.splitSeed });
  checkSplits(cfg.corpus, splits, { minTrain: 1, why: 'pretraining needs training documents' });
  const tok = loadOrTrainTokenizer(path.join(dir, 'tokenizer.json'), () =>
    WordPieceTokenizer.train(splits.train.map(documentText), cfg.tokenizer),
  );
  const id = (t: string) => {
    const v = tok.tokenToId(t);
    if (v === undefined) throw new Error(`WordPiece tokenizer has no ${t}`);
    return v;
  };
  const ids = { padId: id('[PAD]'), clsId: id('[CLS]'), sepId: id('[SEP]'), maskId: id('[MASK]') };
  const self = taskInputDocuments({ ...cfg.pretrain.selfPretrain, seed: cfg.splitSeed });
  const train = stream([...splits.train, ...self.docs], tok, ids.sepId);
  const validation = stream(splits.validation, tok, ids.sepId);
  const notes = [
    `${splits.train.length} training documents of ${cfg.corpus}`,
    ...self.notes,
    `${train.length.toLocaleString('en-US')} pretraining tokens, WordPiece vocabulary ${tok.vocabSize}`,
  ];

  const maxTrain = Math.max(...cfg.evals.map((e) => e.trainExamples));
  const maxIds = cfg.model.seqLen - 2;
  const tasks: TextTask[] = [];
  const skipped: string[] = [];
  for (const name of cfg.tasks.names) {
    const task = loadTaskOrSkip(name, { seed: cfg.splitSeed });
    if ('skipped' in task) {
      skipped.push(task.skipped);
      continue;
    }
    if (task.kind === 'generation')
      throw new Error(`task ${name} is a generation task; the objectives comparison probes classifiers`);
    const labelIndex = new Map(task.labels.map((l, i) => [l, i]));
    const encode = (examples: typeof task.train) => ({
      ids: examples.map((e) => tok.encode(e.textPair ? `${e.text} ${e.textPair}` : e.text).slice(0, maxIds)),
      labels: Int32Array.from(examples, (e) => labelIndex.get(e.label)!),
    });
    tasks.push({
      kind: 'classification',
      name,
      labels: task.labels,
      // Training examples in a seeded order, so every smaller set is a prefix of the larger ones.
      train: encode(nestedTrainingOrder(task.train, cfg.splitSeed, name, maxTrain)),
      test: encode(sample(task.test, cfg.tasks.maxTestExamples, Rng.derive(cfg.splitSeed, `task/${name}`))),
    });
  }
  const sentenceEndIds = ['.', '?', '!']
    .map((t) => tok.tokenToId(t))
    .filter((v): v is number => v !== undefined)
    .concat(ids.sepId);
  const wordStart = Uint8Array.from({ length: tok.vocabSize }, (_, i) =>
    tok.idToToken(i)?.startsWith('##') ? 0 : 1,
  );
  return { tok, ids, train, validation, tasks, skipped, notes, sentenceEndIds, wordStart };
}
