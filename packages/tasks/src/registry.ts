import { bibleUnavailableReason, loadKjvWebParaphrase } from './bible.js';
import { loadBrownGenre } from './brown.js';
import { loadSpamTasks, type SpamOptions } from './spam.js';
import { TaskUnavailableError, type Task, type TaskKind, type TaskOptions } from './task.js';

/** The built-in tasks by name. User files load with loadTsvTask / loadJsonlTask instead. */

export interface TaskInfo {
  name: string;
  kind: TaskKind;
  description: string;
  /** Why the task cannot be loaded on this machine (what to install), or null when it can. */
  unavailable: () => string | null;
}

const TASKS: readonly TaskInfo[] = [
  { name: 'brown-genre', kind: 'single', description: 'Brown paragraph -> genre (15 classes), split like pretraining', unavailable: () => null },
  { name: 'spam', kind: 'single', description: 'SpamAssassin message body -> spam / ham', unavailable: () => null },
  { name: 'spam-subject', kind: 'generation', description: 'SpamAssassin message body -> Subject line', unavailable: () => null },
  { name: 'kjv-web-paraphrase', kind: 'pair', description: 'KJV verse + WEB verse -> paraphrase / not_paraphrase', unavailable: bibleUnavailableReason },
];

export function listTasks(): TaskInfo[] {
  return [...TASKS];
}

/**
 * Loads a built-in task. Unknown names throw an Error listing the valid ones; a task whose data is
 * not installed throws TaskUnavailableError saying what to install.
 */
export function loadTask(name: string, options: TaskOptions & Pick<SpamOptions, 'groupBy'>): Task {
  const info = TASKS.find((t) => t.name === name);
  if (!info) throw new Error(`unknown task '${name}'; valid: ${TASKS.map((t) => t.name).join(', ')}`);
  if (!Number.isFinite(options.seed)) throw new Error(`loadTask('${name}'): seed must be a number, got ${options.seed}`);
  switch (name) {
    case 'brown-genre':
      return loadBrownGenre(options);
    case 'spam':
      return loadSpamTasks(options).spam;
    case 'spam-subject':
      return loadSpamTasks(options).spamSubject;
    case 'kjv-web-paraphrase': {
      const task = loadKjvWebParaphrase(options);
      if (!task) throw new TaskUnavailableError(bibleUnavailableReason() ?? 'kjv-web-paraphrase is unavailable');
      return task;
    }
  }
  throw new Error(`task '${name}' is listed but has no loader`);
}
