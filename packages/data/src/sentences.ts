/**
 * A small deterministic sentence splitter for plain English text (SOTU, Moby Dick, user files).
 * Rule: a sentence ends at [.!?] (plus any closing quotes or brackets) followed by whitespace and
 * an upper-case letter (possibly behind an opening quote or bracket), unless the word ending in
 * '.' is a known abbreviation, a single initial ("A. Lincoln") or a dotted acronym ("U.S.").
 * It is not Punkt; it is predictable, and that matters more for reproducible data.
 */

/** Lower-case abbreviations, without the final period, that do not end a sentence. */
const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'messrs',
  'mme',
  'dr',
  'st',
  'jr',
  'sr',
  'prof',
  'rev',
  'hon',
  'gen',
  'gov',
  'sen',
  'rep',
  'col',
  'capt',
  'lt',
  'sgt',
  'maj',
  'cmdr',
  'adm',
  'pres',
  'supt',
  'esq',
  'vs',
  'etc',
  'no',
  'nos',
  'vol',
  'art',
  'sec',
  'ch',
  'fig',
  'co',
  'inc',
  'ltd',
  'corp',
  'bros',
  'dept',
  'jan',
  'feb',
  'mar',
  'apr',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
  'mt',
  'ft',
  'approx',
]);

// [.!?]+ then closing quotes/brackets, then whitespace; the lookahead wants an upper-case start.
const BOUNDARY = /[.!?]+["'\u201d\u2019)\]]*\s+(?=["'\u201c\u2018([]*[A-Z])/g;

function endsWithAbbreviation(text: string, periodIndex: number): boolean {
  let start = periodIndex;
  while (start > 0 && !/\s/.test(text[start - 1])) start--;
  // The word before the period, without opening punctuation: "(Mr" -> "Mr".
  const word = text.slice(start, periodIndex).replace(/^["'\u201c\u2018([]+/, '');
  if (word.length === 0) return false;
  if (ABBREVIATIONS.has(word.toLowerCase())) return true;
  if (/^[A-Za-z]$/.test(word)) return true; // an initial
  if (/^(?:[A-Za-z]\.)+[A-Za-z]$/.test(word)) return true; // U.S, D.C, e.g, i.e
  return false;
}

/** Splits one paragraph (whitespace already normalized or not) into trimmed sentences. */
export function splitSentences(paragraph: string): string[] {
  const text = paragraph.replace(/\s+/g, ' ').trim();
  if (text.length === 0) return [];
  const out: string[] = [];
  let start = 0;
  BOUNDARY.lastIndex = 0;
  for (let m = BOUNDARY.exec(text); m !== null; m = BOUNDARY.exec(text)) {
    const punct = m[0];
    // Only a lone '.' can be an abbreviation's period; "?" and "!" and "..." always end.
    if (punct[0] === '.' && punct[1] !== '.' && endsWithAbbreviation(text, m.index)) continue;
    const end = m.index + punct.trimEnd().length;
    out.push(text.slice(start, end));
    start = m.index + punct.length;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/** Splits text into paragraphs at blank lines, each paragraph into sentences; empties are dropped. */
export function paragraphsFromText(text: string): string[][] {
  const paragraphs: string[][] = [];
  for (const block of text.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n/)) {
    const sentences = splitSentences(block);
    if (sentences.length > 0) paragraphs.push(sentences);
  }
  return paragraphs;
}
