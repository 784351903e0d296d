import { describe, expect, it } from 'vitest';
import {
  bibleUnavailableReason,
  buildParaphraseTask,
  KJV_MODULE,
  osisToText,
  parseDiathekeOutput,
  readBible,
  type Verse,
  WEB_MODULE,
} from './bible.js';
import { summarizeTask } from './task.js';

describe('kjv-web-paraphrase', () => {
  it('reads diatheke plaintext output: headings, continuation lines, glued words', () => {
    const out = [
      '<title canonical="true" type="psalm">A Psalm.</title> <l sID="x"/>Psalms 3:1: Yahweh, how <w savlm="s">my</w> foes',
      'have increased!<l eID="x"/>',
      'Obadiah 1:1: the <w savlm="a">Lord</w><w savlm="b">Yahweh</w><w savlm="c">says</w> ¶ this.',
      '(engWEB2015eb)',
    ].join('\n');
    expect(parseDiathekeOutput(out)).toEqual([
      {
        ref: 'Psalms 3:1',
        book: 'Psalms',
        chapter: 3,
        verse: 1,
        text: 'Yahweh, how my foes have increased!',
      },
      { ref: 'Obadiah 1:1', book: 'Obadiah', chapter: 1, verse: 1, text: 'the Lord Yahweh says this.' },
    ]);
    expect(osisToText('a <note>n</note>b &amp; c')).toBe('a b & c');
  });
  it('balanced pairs, negatives from another chapter of the same book, split by book', () => {
    const verses = (tag: string): Verse[] =>
      ['Ruth', 'Mark', 'Jude', 'Acts', 'Job', 'Amos'].flatMap((book) =>
        Array.from({ length: book === 'Jude' ? 5 : 20 }, (_, i) => {
          const chapter = book === 'Jude' ? 1 : 1 + (i % 4);
          return { ref: `${book} ${chapter}:${i}`, book, chapter, verse: i, text: `${tag} ${book} ${i}` };
        }),
      );
    const task = buildParaphraseTask(verses('kjv'), verses('web'), { seed: 2 });
    const s = summarizeTask(task);
    const all = [...task.train, ...task.validation, ...task.test];
    expect(all).toHaveLength(100); // Jude has one chapter: left out
    expect(all.filter((e) => e.label === 'paraphrase')).toHaveLength(50);
    for (const e of all) {
      const kjvChapter = e.id.split(' ')[1].split(':')[0];
      if (e.label === 'paraphrase') expect(e.textPair).toBe(e.text.replace('kjv', 'web'));
      else {
        expect(e.textPair!.split(' ')[1]).toBe(e.group);
        expect(e.id.split('/neg/')[1].split(' ')[1].split(':')[0]).not.toBe(kjvChapter);
      }
    }
    const books = (x: typeof all) => new Set(x.map((e) => e.group));
    for (const b of books(task.test)) expect(books(task.train).has(b)).toBe(false);
    expect(summarizeTask(buildParaphraseTask(verses('kjv'), verses('web'), { seed: 2 })).sha256).toBe(
      s.sha256,
    );
    expect(task.notes.join('\n')).toMatch(/one-chapter books left out.*Jude/);
  });
  const reason = bibleUnavailableReason();
  it.skipIf(reason !== null)(`reads Ruth from the installed SWORD modules (${reason ?? 'installed'})`, () => {
    const kjv = readBible(KJV_MODULE, 'Ruth');
    const web = readBible(WEB_MODULE, 'Ruth');
    expect(kjv).toHaveLength(85);
    expect(web).toHaveLength(85);
    expect(kjv[0].text).toMatch(/^Now it came to pass in the days when the judges ruled/);
    expect(web.every((v) => !/[<>]/.test(v.text))).toBe(true);
    const task = buildParaphraseTask(kjv, web, { seed: 0 });
    expect(task.train.length + task.validation.length + task.test.length).toBe(85);
  });
  it('says what to install when diatheke is missing', () => {
    if (reason !== null) expect(reason).toMatch(/apt-get install sword-text-kjv sword-text-web diatheke/);
  });
});
