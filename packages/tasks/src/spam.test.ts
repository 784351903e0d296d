import { describe, expect, it } from 'vitest';
import { bodyHash, loadSpamTasks, type ParsedMail, senderDomain, subjectTarget } from './spam.js';
import { summarizeTask } from './task.js';

const mail = (id: string, label: 'spam' | 'ham', body: string, subject = 'Hello'): ParsedMail => ({
  id,
  sourceGroup: label === 'spam' ? 'spam-1' : 'easy-ham-1',
  label,
  subject,
  body,
  bodySource: 'plain',
  senderDomain: 'x.org',
});

describe('spam', () => {
  it('helpers', () => {
    expect(senderDomain('Bob <Bob@Mail.Example.COM>')).toBe('mail.example.com');
    expect(subjectTarget('Re: RE: Fwd: [SAtalk] Rules')).toBe('[SAtalk] Rules');
    expect(subjectTarget('Re:')).toBe('');
    expect(bodyHash('A  b\n')).toBe(bodyHash('a b'));
  });
  it('drops empty and duplicate bodies; subject task shares the split', () => {
    const mails = [
      ...Array.from({ length: 40 }, (_, i) =>
        mail(`m${i}`, i % 2 ? 'spam' : 'ham', `body ${i}`, i === 3 ? 'Re: ' : `Subject ${i}`),
      ),
      mail('dup', 'ham', 'BODY 1'),
      mail('empty', 'spam', ''),
    ];
    const { spam, spamSubject } = loadSpamTasks({ seed: 3, mails });
    const s = summarizeTask(spam);
    expect(s.examples.train + s.examples.validation + s.examples.test).toBe(40);
    expect(spamSubject.train.length + spamSubject.validation.length + spamSubject.test.length).toBe(39);
    for (const split of ['train', 'validation', 'test'] as const) {
      const ids = new Set(spam[split].map((e) => e.id));
      for (const e of spamSubject[split]) expect(ids.has(e.id)).toBe(true);
    }
    expect(spam.notes.join('\n')).toMatch(/dropped 1 messages with an empty body and 1 whose/);
  });
  it('the real corpus (about 5 s)', () => {
    const { spam, spamSubject } = loadSpamTasks({ seed: 1 });
    const s = summarizeTask(spam);
    const total = s.examples.train + s.examples.validation + s.examples.test;
    expect(total).toBeGreaterThan(5600);
    expect(total).toBeLessThan(6046);
    expect(s.classCounts!.test.spam).toBeGreaterThan(100);
    const all = [...spam.train, ...spam.validation, ...spam.test];
    // Some text/plain parts (ham about HTML, spam sending HTML as text/plain) keep tags; HTML parts do not.
    expect(all.filter((e) => /<\/?(p|div|td|font)\b/i.test(e.text)).length / all.length).toBeLessThan(0.03);
    expect(spamSubject.train.length).toBeGreaterThan(4000);
    expect(
      [...spamSubject.train, ...spamSubject.validation, ...spamSubject.test].find(
        (e) => e.id === 'easy-ham-1/00001',
      )?.label,
    ).toBe('New Sequences Window');
  }, 30_000);
});
