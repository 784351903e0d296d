import fs from 'node:fs';
import path from 'node:path';
import { Rng } from '@pretrain-lab/runtime/rng';
import { bibleUnavailableReason, loadKjvWebParaphrase } from './bible.js';
import { loadBrownGenre } from './brown.js';
import { loadBrownCloze, loadBrownFill, loadBrownRestore } from './brown-restore.js';
import { loadJsonlTask, loadTsvTask, type TaskFiles } from './files.js';
import { loadSpamTasks, type SpamOptions } from './spam.js';
import { type Task, TaskFileError, type TaskKind, type TaskOptions, TaskUnavailableError } from './task.js';

/** The built-in tasks by name. User files load with loadTsvTask / loadJsonlTask instead. */

export interface TaskInfo {
  name: string;
  kind: TaskKind;
  description: string;
  /** Why the task cannot be loaded on this machine (what to install), or null when it can. */
  unavailable: () => string | null;
}

const TASKS: readonly TaskInfo[] = [
  {
    name: 'brown-genre',
    kind: 'single',
    description: 'Brown paragraph -> genre (15 classes), split like pretraining',
    unavailable: () => null,
  },
  {
    name: 'brown-restore',
    kind: 'generation',
    description:
      'Brown sentence lowercased without punctuation -> as written (case + punctuation), split like pretraining',
    unavailable: () => null,
  },
  {
    name: 'brown-cloze',
    kind: 'generation',
    description: 'Brown sentence without its last word -> that word (LAMBADA-style), split like pretraining',
    unavailable: () => null,
  },
  {
    name: 'brown-fill',
    kind: 'generation',
    description:
      'Brown sentence with one word blanked out -> that word (fill in the blank), split like pretraining',
    unavailable: () => null,
  },
  {
    name: 'spam',
    kind: 'single',
    description: 'SpamAssassin message body -> spam / ham',
    unavailable: () => null,
  },
  {
    name: 'spam-subject',
    kind: 'generation',
    description: 'SpamAssassin message body -> Subject line',
    unavailable: () => null,
  },
  {
    name: 'kjv-web-paraphrase',
    kind: 'pair',
    description: 'KJV verse + WEB verse -> paraphrase / not_paraphrase',
    unavailable: bibleUnavailableReason,
  },
];

export function listTasks(): TaskInfo[] {
  return [...TASKS];
}

/**
 * Loads a built-in task. Unknown names throw an Error listing the valid ones; a task whose data is
 * not installed throws TaskUnavailableError saying what to install.
 */
export function loadTask(name: string, options: TaskOptions & Pick<SpamOptions, 'groupBy'>): Task {
  if (/^(tsv|jsonl):/.test(name)) return loadTaskSpec(name, options);
  const info = TASKS.find((t) => t.name === name);
  if (!info)
    throw new TaskFileError(
      `unknown task '${name}'; valid: ${TASKS.map((t) => t.name).join(', ')}, or tsv:PATH / jsonl:PATH for your own files`,
    );
  if (!Number.isFinite(options.seed))
    throw new Error(`loadTask('${name}'): seed must be a number, got ${options.seed}`);
  switch (name) {
    case 'brown-genre':
      return loadBrownGenre(options);
    case 'brown-restore':
      return loadBrownRestore(options);
    case 'brown-cloze':
      return loadBrownCloze(options);
    case 'brown-fill':
      return loadBrownFill(options);
    case 'spam':
      return loadSpamTasks(options).spam;
    case 'spam-subject':
      return loadSpamTasks(options).spamSubject;
    case 'kjv-web-paraphrase': {
      const task = loadKjvWebParaphrase(options);
      if (!task)
        throw new TaskUnavailableError(bibleUnavailableReason() ?? 'kjv-web-paraphrase is unavailable');
      return task;
    }
  }
  throw new Error(`task '${name}' is listed but has no loader`);
}

/**
 * A user task named by a spec, so experiments take it wherever they take a task name:
 *   tsv:PATH[?text=COL&pair=COL&label=COL&kind=single|pair|generation]
 *   jsonl:PATH[?...]
 * PATH is one file (split by the seed) or a GLUE-style folder with train.tsv and dev.tsv (dev
 * serves as the test split, since GLUE's test labels are hidden). Column defaults follow GLUE:
 * `sentence` and `label` (SST-2), or `sentence1`/`sentence2` when `pair` is given without a name.
 */
export function loadTaskSpec(spec: string, options: TaskOptions): Task {
  const m = /^(tsv|jsonl):([^?]+)(?:\?(.*))?$/.exec(spec);
  if (!m)
    throw new TaskFileError(
      `task spec '${spec}' is not of the form tsv:PATH[?text=..&label=..] or jsonl:PATH[?...]`,
    );
  const [, format, target, query] = m;
  const params = new URLSearchParams(query ?? '');
  const known = new Set(['text', 'pair', 'label', 'kind', 'group']);
  for (const key of params.keys()) {
    if (!known.has(key))
      throw new TaskFileError(
        `task spec '${spec}': unknown parameter '${key}'; valid: ${[...known].join(', ')}`,
      );
  }
  const pair = params.get('pair');
  const kind = params.get('kind') ?? (pair !== null ? 'pair' : 'single');
  if (!['single', 'pair', 'generation'].includes(kind))
    throw new TaskFileError(`task spec '${spec}': kind must be single, pair or generation, got '${kind}'`);
  const ext = format === 'tsv' ? 'tsv' : 'jsonl';
  let files: TaskFiles = target;
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
    const train = path.join(target, `train.${ext}`);
    const dev = path.join(target, `dev.${ext}`);
    if (!fs.existsSync(train) || !fs.existsSync(dev))
      throw new TaskFileError(`task spec '${spec}': the folder needs train.${ext} and dev.${ext}`);
    files = { train, test: dev };
  }
  const opts = {
    textColumn: params.get('text') ?? (pair !== null ? 'sentence1' : 'sentence'),
    textPairColumn: pair === null ? undefined : pair || 'sentence2',
    labelColumn: params.get('label') ?? 'label',
    groupColumn: params.get('group') ?? undefined,
    kind: kind as TaskKind,
    name: path.basename(target).replace(/\.(tsv|jsonl)$/, ''),
    seed: options.seed,
  };
  return format === 'tsv' ? loadTsvTask(files, opts) : loadJsonlTask(files, opts);
}

/** loadTask, or `{ skipped }` with the reason when the task's data is not installed here. */
export function loadTaskOrSkip(name: string, options: TaskOptions): Task | { skipped: string } {
  try {
    return loadTask(name, options);
  } catch (e) {
    if (e instanceof TaskUnavailableError || (e as Error).name === 'TaskUnavailableError')
      return { skipped: `${name}: ${(e as Error).message}` };
    throw e;
  }
}

/**
 * A task's training examples in one seeded order (by split seed and task name), so that every
 * smaller labelled set is a prefix of the larger ones: nested learning-curve subsets, the same
 * for every model evaluated on the task.
 */
export function nestedTrainingOrder<T>(
  examples: readonly T[],
  splitSeed: number,
  name: string,
  max: number,
): T[] {
  const order = Rng.derive(splitSeed, `task/${name}/order`).permutation(examples.length);
  return Array.from(order.subarray(0, max), (i) => examples[i]);
}
