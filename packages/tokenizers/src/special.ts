/**
 * Splitting text on special tokens before any other tokenization, as Hugging Face's
 * AddedVocabulary does: special tokens are matched literally, leftmost first and, among
 * tokens starting at the same place, longest first.
 */

/** One piece of a text: either a special token (matched whole) or ordinary text between them. */
export interface TextSegment {
  text: string;
  special: boolean;
}

const REGEX_META = /[.*+?^${}()|[\]\\/]/g;

/**
 * Builds a matcher for the given special tokens; returns null when there are none.
 * Alternatives are sorted longest first so that JavaScript's first-alternative-wins rule
 * gives the leftmost-longest match (HF uses Aho-Corasick with LeftmostLongest).
 */
export function specialTokenPattern(specialTokens: readonly string[]): RegExp | null {
  const tokens = specialTokens.filter((t) => t.length > 0);
  if (tokens.length === 0) return null;
  const sorted = [...new Set(tokens)].sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0));
  return new RegExp(sorted.map((t) => t.replace(REGEX_META, '\\$&')).join('|'), 'g');
}

/** Splits `text` into ordinary segments and whole special tokens, in order; drops empty segments. */
export function splitOnSpecialTokens(text: string, pattern: RegExp | null): TextSegment[] {
  if (pattern === null) return text.length > 0 ? [{ text, special: false }] : [];
  const segments: TextSegment[] = [];
  let last = 0;
  pattern.lastIndex = 0;
  for (const match of text.matchAll(pattern)) {
    const start = match.index;
    if (start > last) segments.push({ text: text.slice(last, start), special: false });
    segments.push({ text: match[0], special: true });
    last = start + match[0].length;
  }
  if (last < text.length) segments.push({ text: text.slice(last), special: false });
  return segments;
}

/** Growable Int32Array, so encoding megabytes of text does not go through a boxed number[]. */
export class IdBuffer {
  private data: Int32Array;
  length = 0;

  constructor(initialCapacity = 1024) {
    this.data = new Int32Array(Math.max(16, initialCapacity));
  }

  push(id: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = id;
  }

  pushAll(ids: ArrayLike<number>): void {
    if (this.length + ids.length > this.data.length) this.grow(this.length + ids.length);
    for (let i = 0; i < ids.length; i++) this.data[this.length++] = ids[i];
  }

  /** A copy trimmed to the filled length. */
  toInt32Array(): Int32Array {
    return this.data.slice(0, this.length);
  }

  private grow(minCapacity: number): void {
    let capacity = this.data.length * 2;
    while (capacity < minCapacity) capacity *= 2;
    const next = new Int32Array(capacity);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}
