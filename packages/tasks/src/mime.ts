/**
 * Just enough MIME (RFC 2045-2047) to get readable text out of raw mail: headers with folded
 * lines, nested multipart bodies, quoted-printable and base64, charsets, encoded-word headers and
 * HTML reduced to text. Messages are handled as bytes (a latin1 string holds one byte per char)
 * until a part's charset is known, so 8-bit mail is not mangled by an early UTF-8 decode.
 */

export interface Header {
  /** Lowercased field name. */
  name: string;
  /** Raw value with folding removed (still bytes as latin1 chars, encoded-words undecoded). */
  value: string;
}

export interface MimePart {
  headers: Header[];
  /** The body as bytes in a latin1 string, before transfer decoding. */
  rawBody: string;
  /** Sub-parts of a multipart (or the message of a message/rfc822). */
  parts: MimePart[];
}

export interface ContentType {
  type: string; // "text/plain", lowercased
  params: Record<string, string>; // lowercased names
}

/** Splits a header block into fields; lines starting with space or tab continue the previous one. */
export function parseHeaders(block: string): Header[] {
  const headers: Header[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      // Unfolding (RFC 5322 2.2.3): the CRLF goes, the whitespace stays.
      headers[headers.length - 1].value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    // The mbox "From addr date" line and other junk have no colon before a space: skip them.
    if (colon <= 0 || /\s/.test(line.slice(0, colon))) continue;
    headers.push({ name: line.slice(0, colon).toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return headers;
}

export function getHeader(headers: readonly Header[], name: string): string | undefined {
  const n = name.toLowerCase();
  return headers.find((h) => h.name === n)?.value;
}

/** `text/plain; charset="iso-8859-1"` -> { type: 'text/plain', params: { charset: 'iso-8859-1' } }. */
export function parseContentType(value: string | undefined): ContentType {
  if (!value) return { type: 'text/plain', params: {} };
  const [typePart, ...rest] = splitParams(value);
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"'))
      v = v.slice(1, v.endsWith('"') && v.length > 1 ? -1 : undefined).replace(/\\(.)/g, '$1');
    params[p.slice(0, eq).trim().toLowerCase()] = v;
  }
  // Only the type/subtype token: "TEXT/PLAIN charset=US-ASCII" (a missing ';', seen in spam) is still text/plain.
  const m = /^\s*([a-z0-9!#$&^_.+-]+)\/([a-z0-9!#$&^_.+-]+)/i.exec(typePart);
  const type = m ? `${m[1]}/${m[2]}`.toLowerCase() : 'text/plain';
  if (m && !params.charset) {
    const cs = /charset\s*=\s*"?([^";\s]+)/i.exec(typePart);
    if (cs) params.charset = cs[1];
  }
  return { type, params };
}

/** Splits on ';' outside double quotes. */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && quoted && i + 1 < value.length) {
      current += c + value[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

/** Parses a message or part (bytes as a latin1 string) into a tree of parts. */
export function parseMime(raw: string, depth = 0): MimePart {
  const m = /\r?\n\r?\n/.exec(raw);
  // A part may start with its blank line (no headers): then everything is body.
  const headerBlock = m ? raw.slice(0, m.index) : raw;
  let body = m ? raw.slice(m.index + m[0].length) : '';
  if (m && m.index === 0) body = raw.slice(m[0].length);
  const headers = m && m.index === 0 ? [] : parseHeaders(headerBlock);
  const part: MimePart = { headers, rawBody: body, parts: [] };
  if (depth > 20) return part; // a pathological nesting is read as text rather than recursed into
  const ct = parseContentType(getHeader(headers, 'content-type'));
  if (ct.type.startsWith('multipart/') && ct.params.boundary) {
    part.parts = splitMultipart(body, ct.params.boundary).map((p) => parseMime(p, depth + 1));
  } else if (ct.type === 'message/rfc822') {
    part.parts = [
      parseMime(decodeTransfer(body, getHeader(headers, 'content-transfer-encoding')), depth + 1),
    ];
  }
  return part;
}

/**
 * The parts between "--boundary" delimiter lines, up to "--boundary--" (RFC 2046 5.1.1). The
 * preamble and epilogue are dropped; a missing close delimiter (truncated mail) ends at the end.
 */
export function splitMultipart(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const lines = body.split('\n');
  const parts: string[] = [];
  let current: string[] | null = null;
  for (const line of lines) {
    const l = line.replace(/\r$/, '');
    if (l.startsWith(delimiter)) {
      const after = l.slice(delimiter.length);
      if (after.trim() === '' || after.startsWith('--')) {
        if (current) parts.push(current.join('\n'));
        current = after.startsWith('--') ? null : [];
        if (after.startsWith('--')) break;
        continue;
      }
    }
    if (current) current.push(line);
  }
  if (current && current.length > 0) parts.push(current.join('\n'));
  return parts;
}

/** Undoes Content-Transfer-Encoding; the result is still bytes as a latin1 string. */
export function decodeTransfer(body: string, encoding: string | undefined): string {
  const e = (encoding ?? '').trim().toLowerCase();
  if (e === 'base64') return Buffer.from(body.replace(/[^A-Za-z0-9+/]/g, ''), 'base64').toString('latin1');
  if (e === 'quoted-printable') return decodeQuotedPrintable(body);
  return body; // 7bit, 8bit, binary, or unknown: as is
}

export function decodeQuotedPrintable(text: string): string {
  return text
    .replace(/[ \t]+(\r?\n)/g, '$1') // trailing whitespace is padding (RFC 2045 6.7 rule 3)
    .replace(/=\r?\n/g, '') // soft line breaks
    .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

const LATIN1_ALIASES = new Set([
  'us-ascii',
  'ascii',
  'iso-8859-1',
  'iso8859-1',
  'latin1',
  'latin-1',
  'l1',
  'windows-1252',
  'cp1252',
  'ansi_x3.4-1968',
  'default',
  'x-user-defined',
]);

/**
 * windows-1252's 0x80-0x9f (smart quotes, dashes, the euro sign, ...); 0x81, 0x8d, 0x8f, 0x90 and
 * 0x9d are unassigned and map to the C1 control of the same number, as in the WHATWG table.
 */
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

/**
 * windows-1252 bytes to text. Node 20's TextDecoder('windows-1252') (and 'latin1') silently drops
 * bytes 0x80-0x9f instead of mapping them, so we decode this one ourselves.
 */
export function decodeWindows1252(bytes: string): string {
  return bytes.replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]);
}

function isValidUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Bytes (latin1 string) to text under a charset, best effort: declared Latin-1 and ASCII are read
 * as windows-1252 (what mailers meant by them; smart quotes live in 0x80-0x9f); an unknown or
 * missing charset is UTF-8 when the bytes are valid UTF-8, windows-1252 otherwise. Other charsets
 * (koi8-r, gb2312, big5, ks_c_5601-1987, ...) go through TextDecoder where Node's ICU knows them.
 */
export function decodeCharset(bytes: string, charset: string | undefined): string {
  const buf = Buffer.from(bytes, 'latin1');
  let cs = (charset ?? '').trim().toLowerCase().replace(/^"|"$/g, '');
  if (cs === 'utf8') cs = 'utf-8';
  const ascii = !/[\x80-\xff]/.test(bytes);
  if (ascii) return bytes;
  if (cs === 'utf-8') return new TextDecoder('utf-8').decode(buf);
  if (LATIN1_ALIASES.has(cs))
    return isValidUtf8(buf) && cs === 'us-ascii' ? buf.toString('utf8') : decodeWindows1252(bytes);
  if (cs) {
    try {
      return new TextDecoder(cs).decode(buf);
    } catch {
      // unknown label: fall through to the guess
    }
  }
  return isValidUtf8(buf) ? buf.toString('utf8') : decodeWindows1252(bytes);
}

/**
 * Decodes RFC 2047 encoded-words (=?charset?B|Q?text?=) in a header value; whitespace between two
 * adjacent encoded-words is dropped (6.2). Raw 8-bit header bytes are decoded as UTF-8 when valid.
 */
export function decodeHeaderValue(value: string, fallbackCharset?: string): string {
  const re = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;
  let out = '';
  let last = 0;
  let previousWasWord = false;
  for (const m of value.matchAll(re)) {
    const between = value.slice(last, m.index);
    if (!(previousWasWord && /^\s*$/.test(between))) out += decodeRawHeader(between, fallbackCharset);
    const charset = m[1].split('*')[0]; // RFC 2231 language suffix
    const bytes =
      m[2].toLowerCase() === 'b'
        ? Buffer.from(m[3], 'base64').toString('latin1')
        : m[3]
            .replace(/_/g, ' ')
            .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    out += decodeCharset(bytes, charset);
    last = m.index! + m[0].length;
    previousWasWord = true;
  }
  out += decodeRawHeader(value.slice(last), fallbackCharset);
  return out.replace(/\s+/g, ' ').trim();
}

/**
 * Raw 8-bit bytes in a header (not allowed, common in spam): UTF-8 when valid, else the charset of
 * the message body when given (Korean and Chinese spam writes EUC-KR / GB2312 subjects raw), else
 * windows-1252.
 */
function decodeRawHeader(bytes: string, fallbackCharset: string | undefined): string {
  if (!/[\x80-\xff]/.test(bytes) || isValidUtf8(Buffer.from(bytes, 'latin1')))
    return decodeCharset(bytes, undefined);
  return decodeCharset(bytes, fallbackCharset ?? 'windows-1252');
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  copy: '©',
  reg: '®',
  trade: '™',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  bull: '•',
  middot: '·',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  sect: '§',
  deg: '°',
  plusmn: '±',
  times: '×',
  divide: '÷',
  laquo: '«',
  raquo: '»',
  iexcl: '¡',
  iquest: '¿',
  para: '¶',
  shy: '',
  eacute: 'é',
  egrave: 'è',
  ecirc: 'ê',
  aacute: 'á',
  agrave: 'à',
  acirc: 'â',
  auml: 'ä',
  ouml: 'ö',
  uuml: 'ü',
  szlig: 'ß',
  ccedil: 'ç',
  ntilde: 'ñ',
  oacute: 'ó',
  iacute: 'í',
  uacute: 'ú',
  Eacute: 'É',
  Auml: 'Ä',
  Ouml: 'Ö',
  Uuml: 'Ü',
  frac12: '½',
  frac14: '¼',
  frac34: '¾',
  micro: 'µ',
};

/** Decodes HTML character references; an unknown named one is left as written. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#[xX][0-9A-Fa-f]+|#[0-9]+|[A-Za-z][A-Za-z0-9]*);?/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      // Mailers wrote windows-1252 code points as references (&#146; for an apostrophe).
      if (code >= 0x80 && code <= 0x9f) return CP1252_HIGH[code - 0x80];
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    return NAMED_ENTITIES[ref] ?? NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** HTML to text: comments, head, script and style dropped, block tags become line breaks, tags go, entities decoded. */
export function htmlToText(html: string): string {
  return decodeEntities(
    html
      // Closed comments only: spam hides words in never-closed "<!--#rotate>" tags.
      .replace(/<!--[\s\S]*?-->/g, ' ')
      // Only closed elements are dropped: spam often opens <head> and never closes it.
      .replace(/<(script|style|head|title)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<\/?(br|p|div|tr|li|ul|ol|table|h[1-6]|blockquote|center|hr)\b[^>]*>/gi, '\n')
      .replace(/<\/?(td|th)\b[^>]*>/gi, ' ')
      .replace(/<[^>]*>/g, ''),
  );
}

/** Collapses spaces within lines, trims lines, keeps at most one blank line in a row. */
export function normalizeBody(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u00a0\t\f\v ]+/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function isAttachment(part: MimePart): boolean {
  const disposition = getHeader(part.headers, 'content-disposition') ?? '';
  return /^\s*attachment/i.test(disposition);
}

function collectLeaves(part: MimePart, type: string, out: MimePart[]): void {
  if (part.parts.length > 0) {
    for (const p of part.parts) collectLeaves(p, type, out);
    return;
  }
  const ct = parseContentType(getHeader(part.headers, 'content-type'));
  // A multipart whose boundary never occurs (broken spam) is read as plain text.
  const effective = ct.type.startsWith('multipart/') ? 'text/plain' : ct.type;
  if (effective === type && !isAttachment(part)) out.push(part);
}

/** The charset of the first text part (or the message), the best guess for raw 8-bit headers. */
export function firstCharset(part: MimePart): string | undefined {
  const ct = parseContentType(getHeader(part.headers, 'content-type'));
  if (ct.params.charset) return ct.params.charset;
  for (const p of part.parts) {
    const c = firstCharset(p);
    if (c) return c;
  }
  return undefined;
}

function decodeLeaf(part: MimePart): string {
  const ct = parseContentType(getHeader(part.headers, 'content-type'));
  return decodeCharset(
    decodeTransfer(part.rawBody, getHeader(part.headers, 'content-transfer-encoding')),
    ct.params.charset,
  );
}

/**
 * The readable body: the text/plain parts (not attachments) joined; when they are all empty, the
 * text/html parts reduced to text. Normalized with normalizeBody; '' when there is nothing.
 */
export function extractBodyText(message: MimePart): { text: string; source: 'plain' | 'html' | 'none' } {
  const plain: MimePart[] = [];
  collectLeaves(message, 'text/plain', plain);
  const plainText = normalizeBody(plain.map(decodeLeaf).join('\n\n'));
  if (plainText.length > 0) return { text: plainText, source: 'plain' };
  const html: MimePart[] = [];
  collectLeaves(message, 'text/html', html);
  const htmlText = normalizeBody(html.map((p) => htmlToText(decodeLeaf(p))).join('\n\n'));
  if (htmlText.length > 0) return { text: htmlText, source: 'html' };
  return { text: '', source: 'none' };
}
