/**
 * Self-pretraining (Krishna et al. 2023): a task's unlabelled training inputs as pretraining
 * documents, one document per input, cut to its first `maxWords` words (what a short-input
 * model reads). Labels are never used, and test inputs are never included.
 */
import { type Document, paragraphsFromText } from '@pretrain-lab/data';
import { loadTask } from './registry.js';

export interface SelfPretrainOptions {
  tasks: readonly string[];
  maxWords: number;
  /** The split seed the tasks are loaded with (the pretraining split's). */
  seed: number;
}

export function taskInputDocuments(opts: SelfPretrainOptions): { docs: Document[]; notes: string[] } {
  const docs: Document[] = [];
  const notes: string[] = [];
  for (const name of opts.tasks) {
    const task = loadTask(name, { seed: opts.seed });
    let kept = 0;
    for (const e of task.train) {
      const words = e.text.split(/\s+/).filter(Boolean).slice(0, opts.maxWords);
      const paragraphs = paragraphsFromText(words.join(' '));
      if (paragraphs.length === 0) continue;
      docs.push({ id: `${name}/${e.id}`, paragraphs });
      kept++;
    }
    notes.push(`${kept} training inputs of ${name} (first ${opts.maxWords} words each, no labels)`);
  }
  return { docs, notes };
}
