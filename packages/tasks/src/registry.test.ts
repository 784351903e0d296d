import { describe, expect, it } from 'vitest';
import { listTasks, loadTask } from './registry.js';
import { textToText } from './task.js';

describe('registry', () => {
  it('lists tasks and rejects unknown names with the valid ones', () => {
    expect(listTasks().map((t) => t.name)).toEqual(['brown-genre', 'spam', 'spam-subject', 'kjv-web-paraphrase']);
    expect(() => loadTask('sst2', { seed: 0 })).toThrow("unknown task 'sst2'; valid: brown-genre, spam, spam-subject, kjv-web-paraphrase");
  });
  it('loads brown-genre and its text-to-text view', () => {
    const task = loadTask('brown-genre', { seed: 1 });
    const tt = textToText(task, 'classify genre');
    expect(tt.validation[0].input.startsWith('classify genre: ')).toBe(true);
    expect(task.labels).toContain(tt.validation[0].target);
  });
});
