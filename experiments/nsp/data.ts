/**
 * Data for the NSP ablation: the corpus split by document (the same split the tasks use, so
 * no held-out document is ever pretrained on), a WordPiece tokenizer trained on the training
 * documents, sentences encoded once, and the downstream tasks turned into BERT inputs.
 */
import { checkSplits, type Document, loadCorpus, splitDocuments } from '@pretrain-lab/data';
import { type BertExample, pairExample, truncateSeqPair } from '@pretrain-lab/objectives';
import { Rng } from '@pretrain-lab/runtime';
import { loadTaskOrSkip, nestedTrainingOrder, taskInputDocuments } from '@pretrain-lab/tasks';
import type { WordPieceTokenizer } from '@pretrain-lab/tokenizers';

export interface SpecialIds {
  padId: number;
  clsId: number;
  sepId: number;
  maskId: number;
}

export function specialIds(tok: WordPieceTokenizer): SpecialIds {
  const id = (t: string) => {
    const v = tok.tokenToId(t);
    if (v === undefined) throw new Error(`WordPiece tokenizer has no ${t}`);
    return v;
  };
  return { padId: id('[PAD]'), clsId: id('[CLS]'), sepId: id('[SEP]'), maskId: id('[MASK]') };
}

export function corpusSplits(corpus: string, splitSeed: number) {
  const splits = splitDocuments(loadCorpus(corpus), { seed: splitSeed });
  checkSplits(corpus, splits, { minTrain: 2, why: 'NSP draws a random next segment from another document' });
  return splits;
}

/**
 * The pretraining documents: a seeded choice of `documents` training documents (0 = all), then
 * (self-pretraining) each listed task's training inputs as one document each, cut to their
 * first `maxWords` words. Test inputs are never included.
 */
export function pretrainingDocuments(
  train: readonly Document[],
  opts: { documents: number; splitSeed: number; selfPretrain: { tasks: string[]; maxWords: number } },
): { docs: Document[]; notes: string[] } {
  let docs = train.slice();
  if (opts.documents > 0 && opts.documents < docs.length) {
    const order = Rng.derive(opts.splitSeed, 'pretrain/documents').permutation(docs.length);
    docs = Array.from(order.subarray(0, opts.documents))
      .sort((a, b) => a - b)
      .map((i) => train[i]);
  }
  const self = taskInputDocuments({ ...opts.selfPretrain, seed: opts.splitSeed });
  const notes = [`${docs.length} of ${train.length} training documents of the corpus`, ...self.notes];
  docs = [...docs, ...self.docs];
  return { docs, notes };
}

/** A document as the objectives want it: its sentences in order, each already tokenized. */
export function encodeDocuments(docs: readonly Document[], tok: WordPieceTokenizer): Int32Array[][] {
  return docs.map((d) =>
    d.paragraphs
      .flat()
      .map((s) => tok.encode(s))
      .filter((ids) => ids.length > 0),
  );
}

export interface EncodedTask {
  name: string;
  labels: string[];
  train: { examples: BertExample[]; labels: Int32Array };
  test: { examples: BertExample[]; labels: Int32Array };
  notes: string[];
}

/** [CLS] text [SEP] (text pair [SEP]) with BERT's truncation, as fine-tuning inputs. */
function encodeExample(
  tok: WordPieceTokenizer,
  ids: SpecialIds,
  maxLen: number,
  text: string,
  pair: string | undefined,
  rng: Rng,
): BertExample {
  const a = tok.encode(text);
  if (pair === undefined) return singleExample(a.slice(0, maxLen - 2), ids, maxLen);
  const [ta, tb] = truncateSeqPair(a, tok.encode(pair), maxLen - 3, rng);
  return pairExample(ta, tb, -1, { ...ids, maxLen });
}

/** [CLS] a [SEP] padded: pairExample without the second segment and its separator. */
function singleExample(a: Int32Array, ids: SpecialIds, maxLen: number): BertExample {
  const inputIds = new Int32Array(maxLen).fill(ids.padId);
  inputIds[0] = ids.clsId;
  inputIds.set(a, 1);
  inputIds[a.length + 1] = ids.sepId;
  const attentionMask = new Int32Array(maxLen);
  attentionMask.fill(1, 0, a.length + 2);
  return {
    inputIds,
    tokenTypeIds: new Int32Array(maxLen),
    attentionMask,
    nspLabel: -1,
    length: a.length + 2,
    sources: [],
  };
}

function sample<T>(items: readonly T[], max: number, rng: Rng): T[] {
  if (items.length <= max) return items.slice();
  const idx = Array.from(rng.permutation(items.length).subarray(0, max)).sort((x, y) => x - y);
  return idx.map((i) => items[i]);
}

/** Load and encode a task; null (with the reason) when its data is not installed here. */
export function encodeTask(
  name: string,
  tok: WordPieceTokenizer,
  ids: SpecialIds,
  opts: { maxLen: number; splitSeed: number; maxTrain: number; maxTest: number },
): EncodedTask | { skipped: string } {
  const task = loadTaskOrSkip(name, { seed: opts.splitSeed });
  if ('skipped' in task) return task;
  if (!task) return { skipped: `${name}: not available here` };
  if (task.kind === 'generation')
    throw new Error(`task ${name} is a generation task; the NSP ablation fine-tunes classifiers`);
  const labelIndex = new Map(task.labels.map((l, i) => [l, i]));
  const rng = Rng.derive(opts.splitSeed, `task/${name}`);
  const encode = (examples: typeof task.train, max: number, nested: boolean) => {
    // Training examples in a seeded order, so every smaller training set is a prefix of the
    // larger ones (the same subset for every row of the table).
    const chosen = nested
      ? nestedTrainingOrder(examples, opts.splitSeed, name, max)
      : sample(examples, max, rng);
    return {
      examples: chosen.map((e) => encodeExample(tok, ids, opts.maxLen, e.text, e.textPair, rng)),
      labels: Int32Array.from(chosen, (e) => labelIndex.get(e.label)!),
    };
  };
  return {
    name,
    labels: task.labels,
    train: encode(task.train, opts.maxTrain, true),
    test: encode(task.test, opts.maxTest, false),
    notes: task.notes,
  };
}
