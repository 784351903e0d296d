import { createHash } from 'node:crypto';
import { DEFAULT_FRACTIONS, type SplitFractions, type SplitName, splitDocuments } from '@pretrain-lab/data';

/**
 * The one format every downstream task is loaded into. Classification and pair tasks keep the
 * label as text (so a T5-style model can generate it and a BERT-style head can index `labels`);
 * generation tasks keep the target text in `label`.
 */

export type TaskKind = 'single' | 'pair' | 'generation';

export interface TaskExample {
  /** Unique within the task and stable across runs. */
  id: string;
  text: string;
  /** The second segment of a pair task (BERT's sentence B). */
  textPair?: string;
  /** The class name, or the target text of a generation task. */
  label: string;
  /** The document the example comes from: splits never put one group in two splits. */
  group: string;
}

export interface Task {
  name: string;
  kind: TaskKind;
  /** Class names in a fixed order (classification and pair tasks); [] for generation. */
  labels: string[];
  train: TaskExample[];
  validation: TaskExample[];
  test: TaskExample[];
  /** Where the data came from, what was dropped and why, which conventions were chosen. */
  notes: string[];
}

export const TASK_SPLITS: readonly SplitName[] = ['train', 'validation', 'test'];

/** Options every built-in loader takes. */
export interface TaskOptions {
  /** Seed of the group-level split (and of any sampling the task does). */
  seed: number;
  fractions?: SplitFractions;
}

/**
 * Fractions for the downstream tasks that are not tied to a pretraining corpus: more held out
 * than pretraining's 0.9/0.05/0.05, so that validation and test scores are less noisy.
 */
export const TASK_FRACTIONS: Readonly<SplitFractions> = Object.freeze({
  train: 0.8,
  validation: 0.1,
  test: 0.1,
});

/** A user error in a task file: one line naming the file (and line) and what is wrong. */
export class TaskFileError extends Error {
  override name = 'TaskFileError';
}

/** A built-in task whose data is not installed: the message says what to install. */
export class TaskUnavailableError extends Error {
  override name = 'TaskUnavailableError';
}

/**
 * Splits examples by group with the data package's document splitter (groups play the part of
 * documents), so the rule is the one pretraining uses: sha256(seed, group) order, lowest keys to
 * validation, then test, the rest to train. Examples keep their input order within a split.
 */
export function splitByGroup(
  examples: readonly TaskExample[],
  seed: number,
  fractions: SplitFractions = DEFAULT_FRACTIONS,
): Record<SplitName, TaskExample[]> {
  const groups = [...new Set(examples.map((e) => e.group))];
  const splits = splitDocuments(
    groups.map((id) => ({ id, paragraphs: [] })),
    { seed, fractions },
  );
  const splitOf = new Map<string, SplitName>();
  for (const s of TASK_SPLITS) for (const d of splits[s]) splitOf.set(d.id, s);
  const out: Record<SplitName, TaskExample[]> = { train: [], validation: [], test: [] };
  for (const e of examples) out[splitOf.get(e.group)!].push(e);
  return out;
}

/** Builds a Task from examples: split by group, labels sorted unless given. */
export function makeTask(
  name: string,
  kind: TaskKind,
  examples: readonly TaskExample[],
  options: { seed: number; fractions?: SplitFractions; labels?: string[]; notes?: string[] },
): Task {
  const splits = splitByGroup(examples, options.seed, options.fractions ?? TASK_FRACTIONS);
  const labels =
    kind === 'generation' ? [] : (options.labels ?? [...new Set(examples.map((e) => e.label))].sort());
  return { name, kind, labels, ...splits, notes: options.notes ?? [] };
}

/** Count of examples per label in one split, in the order of `labels` (then any others). */
export function classCounts(
  examples: readonly TaskExample[],
  labels: readonly string[] = [],
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const l of labels) counts[l] = 0;
  for (const e of examples) counts[e.label] = (counts[e.label] ?? 0) + 1;
  return counts;
}

export interface TaskSummary {
  name: string;
  kind: TaskKind;
  examples: Record<SplitName, number>;
  groups: Record<SplitName, number>;
  /** Per split class counts (classification and pair tasks only). */
  classCounts?: Record<SplitName, Record<string, number>>;
  /** sha256 over ids, texts and labels of every split: two runs saw the same task iff equal. */
  sha256: string;
}

export function summarizeTask(task: Task): TaskSummary {
  const hash = createHash('sha256');
  const examples = {} as Record<SplitName, number>;
  const groups = {} as Record<SplitName, number>;
  const counts = {} as Record<SplitName, Record<string, number>>;
  for (const s of TASK_SPLITS) {
    examples[s] = task[s].length;
    groups[s] = new Set(task[s].map((e) => e.group)).size;
    if (task.kind !== 'generation') counts[s] = classCounts(task[s], task.labels);
    hash.update(`${s}\u0000`);
    for (const e of task[s])
      hash.update(`${e.id}\u0000${e.text}\u0000${e.textPair ?? ''}\u0000${e.label}\u0000${e.group}\u0000`);
  }
  return {
    name: task.name,
    kind: task.kind,
    examples,
    groups,
    ...(task.kind !== 'generation' ? { classCounts: counts } : {}),
    sha256: hash.digest('hex'),
  };
}

/** One example of a text-to-text task (T5): the model reads `input` and writes `target`. */
export interface TextToTextExample {
  id: string;
  input: string;
  target: string;
  group: string;
}

export interface TextToTextTask {
  name: string;
  prefix: string;
  train: TextToTextExample[];
  validation: TextToTextExample[];
  test: TextToTextExample[];
  /** The targets a classification task can produce (the label texts); [] for generation. */
  targets: string[];
  notes: string[];
}

/**
 * T5's view of a task: "<prefix>: <text>" -> label text. Pair tasks put both segments in the
 * input the way T5 formats GLUE ("mnli premise: ... hypothesis: ..."): "<prefix>: sentence1: <text>
 * sentence2: <textPair>".
 */
export function textToText(task: Task, prefix: string): TextToTextTask {
  const convert = (e: TaskExample): TextToTextExample => ({
    id: e.id,
    input:
      e.textPair === undefined
        ? `${prefix}: ${e.text}`
        : `${prefix}: sentence1: ${e.text} sentence2: ${e.textPair}`,
    target: e.label,
    group: e.group,
  });
  return {
    name: task.name,
    prefix,
    train: task.train.map(convert),
    validation: task.validation.map(convert),
    test: task.test.map(convert),
    targets: [...task.labels],
    notes: [...task.notes, `text-to-text: input "${prefix}: <text>", target = label text`],
  };
}

/** Whitespace-separated word count, used for length filters. */
export function wordCount(text: string): number {
  const t = text.trim();
  return t.length === 0 ? 0 : t.split(/\s+/).length;
}
