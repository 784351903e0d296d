/**
 * The unit every corpus is made of. Sentences are kept (not only paragraphs) so that objectives
 * that need them (BERT's next-sentence prediction, sentence shuffling) can be built on any corpus.
 */
export interface Document {
  /** Unique within its corpus and stable across runs: splits and manifests hash it. */
  id: string;
  title?: string;
  /** A class of the document where the corpus has one, e.g. the Brown genre or a SOTU party. */
  label?: string;
  /** Paragraphs of sentences. */
  paragraphs: string[][];
}

/** The document as plain text: sentences joined by a space, paragraphs by a blank line. */
export function documentText(doc: Document): string {
  return doc.paragraphs.map((sentences) => sentences.join(' ')).join('\n\n');
}

/** Number of Unicode code points (not UTF-16 units), so counts do not depend on the JS string encoding. */
export function countCodePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A low surrogate continues the code point its high surrogate began.
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}
