import { execFileSync } from 'node:child_process';
import { Rng } from '@pretrain-lab/runtime/rng';
import { decodeEntities } from './mime.js';
import { makeTask, TASK_FRACTIONS, type Task, type TaskExample, type TaskOptions } from './task.js';

/**
 * kjv-web-paraphrase: is sentence B a paraphrase of sentence A? A = a King James verse, B = the
 * World English Bible's rendering of the same verse (paraphrase) or a WEB verse from another
 * chapter of the same book (not). Read with Debian's diatheke from the SWORD modules
 * engKJV2006eb (sword-text-kjv) and engWEB2015eb (sword-text-web).
 */

export const BIBLE_INSTALL_NOTE =
  "task 'kjv-web-paraphrase' needs Debian's SWORD texts and reader: apt-get install sword-text-kjv sword-text-web diatheke";

export const KJV_MODULE = 'engKJV2006eb';
export const WEB_MODULE = 'engWEB2015eb';

export interface Verse {
  /** "Genesis 1:1". */
  ref: string;
  book: string;
  chapter: number;
  verse: number;
  text: string;
}

/** Why the task cannot be built here, or null when diatheke and both modules are installed. */
export function bibleUnavailableReason(): string | null {
  try {
    execFileSync('which', ['diatheke'], { stdio: 'pipe' });
  } catch {
    return BIBLE_INSTALL_NOTE;
  }
  try {
    const list = execFileSync('diatheke', ['-b', 'system', '-k', 'modulelist'], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
    if (!list.includes(KJV_MODULE) || !list.includes(WEB_MODULE))
      return `${BIBLE_INSTALL_NOTE} (diatheke is there, a module is not)`;
  } catch {
    return BIBLE_INSTALL_NOTE;
  }
  return null;
}

/**
 * OSIS markup of one verse to text: section headings and psalm titles (<title>) and notes
 * dropped, Strong's <w> wrappers removed (a space put back where the WEB module glues two words'
 * elements together: "Lord</w><w>Yahweh"), the KJV paragraph sign ¶ dropped, spaces collapsed.
 */
export function osisToText(osis: string): string {
  return decodeEntities(
    osis
      .replace(/<title\b[^>]*\/>/g, ' ')
      .replace(/<title\b[\s\S]*?<\/title>/g, ' ')
      .replace(/<note\b[\s\S]*?<\/note>/g, ' ')
      .replace(/<\/w><w\b/g, '</w> <w')
      .replace(/<[^>]*>/g, '')
      .replace(/¶/g, ' '),
  )
    .replace(/\s+/g, ' ')
    .trim();
}

const VERSE_START = /^(.+?) (\d+):(\d+): ?([\s\S]*)$/;

/**
 * Parses diatheke's `-f plaintext` output (which still carries OSIS markup): a verse starts with
 * "<Book> <c>:<v>: ", possibly after a heading in markup; poetry continues on following lines.
 */
export function parseDiathekeOutput(output: string): Verse[] {
  const verses: Verse[] = [];
  let current: { book: string; chapter: number; verse: number; osis: string } | null = null;
  const flush = () => {
    if (!current) return;
    const text = osisToText(current.osis);
    if (text.length > 0)
      verses.push({
        ref: `${current.book} ${current.chapter}:${current.verse}`,
        book: current.book,
        chapter: current.chapter,
        verse: current.verse,
        text,
      });
  };
  for (const line of output.split('\n')) {
    // Headings come before the reference on the verse's line: look past them and any empty tags.
    const bare = line.replace(/<title\b[\s\S]*?<\/title>/g, '').replace(/^(\s*<[^>]*>)*\s*/, '');
    const m = VERSE_START.exec(bare);
    if (m && /^[1-3]?\s?[A-Z][A-Za-z ]*$/.test(m[1])) {
      flush();
      current = { book: m[1], chapter: Number(m[2]), verse: Number(m[3]), osis: m[4] };
    } else if (/^\((eng[A-Za-z0-9]+)\)$/.test(line.trim())) {
      // diatheke's closing "(module)" line
    } else if (current) {
      current.osis += `\n${line}`;
    }
  }
  flush();
  return verses;
}

const cache = new Map<string, Verse[]>();

/**
 * The verses of a range (default Genesis-Revelation, which in the WEB module also holds the
 * deuterocanon) in a module; diatheke takes 3-16 s for the whole Bible, so results are cached.
 */
export function readBible(module: string, range = 'Gen-Rev'): Verse[] {
  const key = `${module}\u0000${range}`;
  let verses = cache.get(key);
  if (!verses) {
    const out = execFileSync('diatheke', ['-b', module, '-f', 'plaintext', '-k', range], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    verses = parseDiathekeOutput(out);
    cache.set(key, verses);
  }
  return verses;
}

/**
 * Every KJV and WEB verse text, normalized (lowercase, whitespace folded), or null when the
 * modules are not installed: keep these out of pretraining data so the paraphrase task's verses are
 * not memorized (compare with normalizeVerseText of a candidate sentence or paragraph).
 */
export function bibleVerseTexts(): Set<string> | null {
  if (bibleUnavailableReason()) return null;
  const set = new Set<string>();
  for (const m of [KJV_MODULE, WEB_MODULE]) for (const v of readBible(m)) set.add(normalizeVerseText(v.text));
  return set;
}

export function normalizeVerseText(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

export interface ParaphraseOptions extends TaskOptions {
  /** Verses to use instead of running diatheke (tests). */
  verses?: { kjv: readonly Verse[]; web: readonly Verse[] };
}

/**
 * Builds the pair task from aligned verses: within each book the verses are shuffled (seeded) and
 * the first half become positives, the rest negatives, so every book is balanced 50/50 (within one
 * example). A negative's WEB verse comes from another chapter of the same book, so nothing from a
 * held-out book leaks into train. Books with one chapter cannot have such negatives and are left
 * out. Split by book: group = book.
 */
export function buildParaphraseTask(
  kjv: readonly Verse[],
  web: readonly Verse[],
  options: TaskOptions,
): Task {
  const webByRef = new Map(web.map((v) => [v.ref, v]));
  const byBook = new Map<string, { k: Verse; w: Verse }[]>();
  let unaligned = 0;
  for (const k of kjv) {
    const w = webByRef.get(k.ref);
    if (!w) {
      unaligned++;
      continue;
    }
    if (!byBook.has(k.book)) byBook.set(k.book, []);
    byBook.get(k.book)!.push({ k, w });
  }
  const examples: TaskExample[] = [];
  const oneChapter: string[] = [];
  for (const [book, pairs] of byBook) {
    const chapters = new Set(pairs.map((p) => p.k.chapter));
    if (chapters.size < 2) {
      oneChapter.push(book);
      continue;
    }
    const rng = Rng.derive(options.seed, `kjv-web-paraphrase/${book}`);
    const order = rng.permutation(pairs.length);
    const half = Math.ceil(pairs.length / 2);
    order.forEach((index, rank) => {
      const { k, w } = pairs[index];
      if (rank < half) {
        examples.push({
          id: `${k.ref}/pos`,
          text: k.text,
          textPair: w.text,
          label: 'paraphrase',
          group: book,
        });
        return;
      }
      // Rejection sampling: about 1/chapters of draws land in the same chapter.
      let other = pairs[rng.int(pairs.length)];
      while (other.w.chapter === k.chapter) other = pairs[rng.int(pairs.length)];
      examples.push({
        id: `${k.ref}/neg/${other.w.ref}`,
        text: k.text,
        textPair: other.w.text,
        label: 'not_paraphrase',
        group: book,
      });
    });
  }
  // Corpus order (book, chapter, verse) within each split rather than shuffle order.
  const position = new Map(kjv.map((v, i) => [v.ref, i]));
  examples.sort((a, b) => position.get(a.id.split('/')[0])! - position.get(b.id.split('/')[0])!);
  return makeTask('kjv-web-paraphrase', 'pair', examples, {
    seed: options.seed,
    fractions: options.fractions ?? TASK_FRACTIONS,
    labels: ['not_paraphrase', 'paraphrase'],
    notes: [
      `KJV (${KJV_MODULE}) vs WEB (${WEB_MODULE}) read with diatheke; ${kjv.length} KJV and ${web.length} WEB verses, ${unaligned} KJV verses without a WEB verse of the same reference dropped`,
      'positive: the same verse in both; negative: the KJV verse with a WEB verse from another chapter of the same book; balanced 50/50 within each book (seeded)',
      `group = the book (${byBook.size - oneChapter.length} books); one-chapter books left out (no other chapter for negatives): ${oneChapter.join(', ') || 'none'}`,
      'keep the verse texts (bibleVerseTexts()) out of pretraining data',
    ],
  });
}

/** The task, or null when diatheke or a module is missing (the note says what to install). */
export function loadKjvWebParaphrase(options: ParaphraseOptions): Task | null {
  if (options.verses) return buildParaphraseTask(options.verses.kjv, options.verses.web, options);
  if (bibleUnavailableReason()) return null;
  return buildParaphraseTask(readBible(KJV_MODULE), readBible(WEB_MODULE), options);
}
