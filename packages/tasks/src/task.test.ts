import { describe, expect, it } from 'vitest';
import { classCounts, makeTask, splitByGroup, summarizeTask, type TaskExample, textToText } from './task.js';

const examples: TaskExample[] = Array.from({ length: 200 }, (_, i) => ({
  id: `e${i}`,
  text: `text ${i}`,
  label: i % 3 === 0 ? 'x' : 'y',
  group: `g${Math.floor(i / 4)}`,
}));

describe('task format', () => {
  it('splits by group, deterministically, with no group in two splits', () => {
    const a = splitByGroup(examples, 7, { train: 0.8, validation: 0.1, test: 0.1 });
    const b = splitByGroup(examples, 7, { train: 0.8, validation: 0.1, test: 0.1 });
    expect(a).toEqual(b);
    const groups = (s: TaskExample[]) => new Set(s.map((e) => e.group));
    const [tr, va, te] = [groups(a.train), groups(a.validation), groups(a.test)];
    expect([tr.size, va.size, te.size]).toEqual([40, 5, 5]);
    for (const g of va) expect(tr.has(g) || te.has(g)).toBe(false);
    for (const g of te) expect(tr.has(g)).toBe(false);
    expect(a.train.length + a.validation.length + a.test.length).toBe(200);
    expect(splitByGroup(examples, 8).validation).not.toEqual(a.validation);
  });
  it('textToText prefixes the input and targets the label text', () => {
    const task = makeTask('t', 'single', examples, { seed: 1 });
    expect(task.labels).toEqual(['x', 'y']);
    const tt = textToText(task, 'classify genre');
    expect(tt.train[0].input).toBe(`classify genre: ${task.train[0].text}`);
    expect(tt.train[0].target).toBe(task.train[0].label);
    const pair = textToText(
      { ...task, train: [{ id: 'p', text: 'A', textPair: 'B', label: 'y', group: 'p' }] },
      'para',
    );
    expect(pair.train[0].input).toBe('para: sentence1: A sentence2: B');
  });
  it('class counts and summary', () => {
    expect(classCounts(examples.slice(0, 6), ['x', 'y', 'z'])).toEqual({ x: 2, y: 4, z: 0 });
    const s = summarizeTask(makeTask('t', 'single', examples, { seed: 1 }));
    expect(s.examples.train + s.examples.validation + s.examples.test).toBe(200);
    expect(s.sha256).toBe(summarizeTask(makeTask('t', 'single', examples, { seed: 1 })).sha256);
  });
});
