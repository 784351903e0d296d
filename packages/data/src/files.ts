import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Document } from './document.js';
import { CorpusError } from './errors.js';
import { paragraphsFromText } from './sentences.js';

/**
 * User text files as a corpus: `files:<pattern>[,<pattern>...]`, each pattern a path or a glob
 * with `*` (any characters but '/'), `?` (one such character) and `**` (any number of directories).
 * Each file is one document, paragraphs at blank lines, ids are paths relative to the working
 * directory (so a manifest made elsewhere in the same checkout agrees).
 */

const WILDCARD = /[*?]/;

/** Converts one glob segment ('*.txt') to a RegExp over a single path segment. */
function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (const ch of segment) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Walks `dir` matching the remaining glob segments; dot-files are skipped unless named. */
function walk(dir: string, segments: readonly string[], out: Set<string>): void {
  if (segments.length === 0) {
    if (!isDirectory(dir)) out.add(dir);
    return;
  }
  const [head, ...rest] = segments;
  if (head === '**') {
    walk(dir, rest, out); // zero directories
    for (const entry of safeReaddir(dir)) {
      if (entry.startsWith('.')) continue;
      const child = join(dir, entry);
      if (isDirectory(child)) walk(child, segments, out);
    }
    return;
  }
  if (!WILDCARD.test(head)) {
    walk(join(dir, head), rest, out);
    return;
  }
  const re = segmentRegExp(head);
  for (const entry of safeReaddir(dir)) {
    if (entry.startsWith('.') && !head.startsWith('.')) continue;
    if (re.test(entry)) walk(join(dir, entry), rest, out);
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Expands one pattern to a sorted list of absolute file paths (a directory means all files under it). */
export function expandPattern(pattern: string, cwd = process.cwd()): string[] {
  const absolute = resolve(cwd, pattern);
  if (!WILDCARD.test(pattern)) {
    if (isDirectory(absolute)) return expandPattern(join(absolute, '**', '*'), cwd);
    try {
      statSync(absolute);
    } catch {
      throw new CorpusError(`files corpus: no such file '${pattern}' (resolved to ${absolute})`);
    }
    return [absolute];
  }
  // Split at the first segment with a wildcard: the part before it is a plain directory.
  const parts = absolute.split(sep === '\\' ? /[\\/]/ : '/');
  const first = parts.findIndex((p) => WILDCARD.test(p));
  const root = parts.slice(0, first).join('/') || '/';
  const out = new Set<string>();
  walk(root, parts.slice(first), out);
  const files = [...out].sort();
  if (files.length === 0)
    throw new CorpusError(`files corpus: pattern '${pattern}' matches no files (searched under ${root})`);
  return files;
}

/** All files named by a comma-separated list of patterns, deduplicated, in sorted order. */
export function expandPatterns(spec: string, cwd = process.cwd()): string[] {
  const patterns = spec
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (patterns.length === 0)
    throw new CorpusError('files corpus needs paths or globs, e.g. files:data/*.txt or files:a.txt,b.txt');
  const all = new Set<string>();
  for (const p of patterns) for (const f of expandPattern(p, cwd)) all.add(f);
  return [...all].sort();
}

function idFor(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  const id = rel.startsWith('..') || isAbsolute(rel) ? file : rel;
  return id.split(sep).join('/');
}

/** The first NUL byte within the first 8 KiB (how git and grep tell binary from text), or -1. */
function firstNul(bytes: Uint8Array): number {
  const n = Math.min(bytes.length, 8192);
  for (let i = 0; i < n; i++) if (bytes[i] === 0) return i;
  return -1;
}

/** Offset of the first byte that is not valid UTF-8 (the file is known not to decode). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  // Bisect for the longest prefix that decodes; `stream` lets a prefix end inside a character.
  const ok = (n: number) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let lo = 0;
  let hi = bytes.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Reads the files as documents. Files with no text (empty or only whitespace) are left out;
 * a binary file, a file that is not UTF-8, or a pattern list that leaves no text at all is a
 * CorpusError that names the file and says what to do.
 */
export function loadFiles(spec: string, cwd = process.cwd()): Document[] {
  const files = expandPatterns(spec, cwd);
  const docs: Document[] = [];
  const empty: string[] = [];
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      throw new CorpusError(`files corpus: cannot read '${file}': ${(err as Error).message}`);
    }
    const id = idFor(file, cwd);
    const nul = firstNul(bytes);
    if (nul >= 0)
      throw new CorpusError(
        `files corpus: '${id}' looks binary (a NUL byte at offset ${nul}), not text; leave it out, e.g. files:dir/**/*.txt`,
      );
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new CorpusError(
        `files corpus: '${id}' is not UTF-8 text (invalid bytes near offset ${firstInvalidUtf8(bytes)}); convert it, e.g. iconv -f latin1 -t utf-8 '${id}' > out.txt`,
      );
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte-order mark
    const paragraphs = paragraphsFromText(text);
    if (paragraphs.length === 0) {
      empty.push(id);
      continue;
    }
    docs.push({ id, title: id, paragraphs });
  }
  if (docs.length === 0) {
    const shown = empty.slice(0, 3).join(', ') + (empty.length > 3 ? `, ... (${empty.length} in all)` : '');
    throw new CorpusError(
      `files corpus '${spec}': ${files.length === 1 ? 'the file' : `all ${files.length} files`} matched ${files.length === 1 ? 'is' : 'are'} empty (${shown}); point it at files with text`,
    );
  }
  return docs;
}
