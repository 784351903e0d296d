/**
 * Normalizers and pre-tokenizers that mirror Hugging Face's BertNormalizer, BertPreTokenizer,
 * WhitespaceSplit and Metaspace, code point by code point, so that our encoders see exactly the
 * words HF's do. Behaviour was checked against the `tokenizers` package (normalize.test.ts).
 */

/** Rust's `char::is_whitespace` (Unicode White_Space); differs from JavaScript's `\s` on U+0085 and U+FEFF. */
export function isUnicodeWhitespace(cp: number): boolean {
  return (
    (cp >= 0x09 && cp <= 0x0d) ||
    cp === 0x20 ||
    cp === 0x85 ||
    cp === 0xa0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000
  );
}

/** HF's BERT "control": general category Cc, Cf, Co or Cs, except tab, newline and carriage return. Cn is kept. */
const CONTROL = /^[\p{Cc}\p{Cf}\p{Co}\p{Cs}]$/u;
const PUNCTUATION = /^\p{P}$/u;
const NONSPACING_MARKS = /\p{Mn}/gu;

function isBertControl(ch: string, cp: number): boolean {
  if (cp === 0x09 || cp === 0x0a || cp === 0x0d) return false;
  return CONTROL.test(ch);
}

/** The CJK ranges of HF's (and Google BERT's) `is_chinese_char`. */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** ASCII punctuation (which includes symbols such as `$+<=>^`|~`) or Unicode category P*. */
export function isBertPunctuation(ch: string, cp: number): boolean {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
  return cp > 127 && PUNCTUATION.test(ch);
}

export interface BertNormalizerOptions {
  /** Drop NUL, U+FFFD and control characters; turn every whitespace character into ' '. Default true. */
  cleanText?: boolean;
  /** Put spaces around CJK ideographs so that each becomes its own word. Default true. */
  handleChineseChars?: boolean;
  /** NFD, then drop nonspacing marks (category Mn). Default: same as `lowercase`. */
  stripAccents?: boolean;
  /** Lowercase code point by code point (no final-sigma rule, as Rust's `char::to_lowercase`). Default true. */
  lowercase?: boolean;
}

/** HF's BertNormalizer: clean text, CJK spacing, strip accents, lowercase, in that order. */
export function bertNormalize(text: string, options: BertNormalizerOptions = {}): string {
  const cleanText = options.cleanText ?? true;
  const handleChineseChars = options.handleChineseChars ?? true;
  const lowercase = options.lowercase ?? true;
  const stripAccents = options.stripAccents ?? lowercase;
  let out = text;
  if (cleanText || handleChineseChars) {
    out = '';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (cleanText) {
        if (cp === 0 || cp === 0xfffd || isBertControl(ch, cp)) continue;
        if (isUnicodeWhitespace(cp)) {
          out += ' ';
          continue;
        }
      }
      out += handleChineseChars && isChineseChar(cp) ? ` ${ch} ` : ch;
    }
  }
  if (stripAccents) out = out.normalize('NFD').replace(NONSPACING_MARKS, '');
  if (lowercase) {
    let lower = '';
    // Per code point: 'Σ' at a word end stays 'σ' as in Rust (String#toLowerCase would give 'ς').
    for (const ch of out) lower += ch.toLowerCase();
    out = lower;
  }
  return out;
}

/** HF's BertPreTokenizer: split on whitespace (removed) and on each punctuation character (kept alone). */
export function bertPreTokenize(text: string, visit: (word: string) => void): void {
  let start = -1;
  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    const ws = isUnicodeWhitespace(cp);
    if (ws || isBertPunctuation(text.slice(i, i + width), cp)) {
      if (start >= 0) visit(text.slice(start, i));
      start = -1;
      if (!ws) visit(text.slice(i, i + width));
    } else if (start < 0) {
      start = i;
    }
    i += width;
  }
  if (start >= 0) visit(text.slice(start));
}

/** SentencePiece's word-start marker, U+2581. */
export const METASPACE = '\u2581';

/**
 * HF's WhitespaceSplit followed by Metaspace(replacement '▁', prepend_scheme 'always', split true):
 * split on whitespace; prefix each word with '▁' unless it already starts with one; then split
 * before every '▁' (a '▁' in the text starts a new piece).
 */
export function metaspacePreTokenize(text: string, visit: (piece: string) => void): void {
  let start = -1;
  let i = 0;
  const emit = (word: string): void => {
    const marked = word.startsWith(METASPACE) ? word : METASPACE + word;
    let from = 0;
    for (let j = 1; j < marked.length; j++) {
      if (marked.charCodeAt(j) === 0x2581) {
        visit(marked.slice(from, j));
        from = j;
      }
    }
    visit(marked.slice(from));
  };
  while (i < text.length) {
    const cp = text.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    if (isUnicodeWhitespace(cp)) {
      if (start >= 0) emit(text.slice(start, i));
      start = -1;
    } else if (start < 0) {
      start = i;
    }
    i += width;
  }
  if (start >= 0) emit(text.slice(start));
}
