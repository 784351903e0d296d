import { describe, expect, it } from 'vitest';
import {
  decodeCharset,
  decodeHeaderValue,
  decodeQuotedPrintable,
  extractBodyText,
  htmlToText,
  parseContentType,
  parseHeaders,
  parseMime,
} from './mime.js';

const latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1'); // UTF-8 bytes as a byte string

describe('MIME', () => {
  it('unfolds headers and skips the mbox From line', () => {
    const h = parseHeaders(
      'From a@b  Thu Aug 22 2002\nSubject: one\n two\nContent-Type: text/plain;\n\tcharset="utf-8"',
    );
    expect(h).toEqual([
      { name: 'subject', value: 'one two' },
      { name: 'content-type', value: 'text/plain; charset="utf-8"' },
    ]);
  });
  it('parses content types, including a missing semicolon', () => {
    expect(parseContentType('Multipart/Mixed; boundary="a;b"')).toEqual({
      type: 'multipart/mixed',
      params: { boundary: 'a;b' },
    });
    expect(parseContentType('TEXT/PLAIN charset=US-ASCII')).toEqual({
      type: 'text/plain',
      params: { charset: 'US-ASCII' },
    });
    expect(parseContentType(undefined).type).toBe('text/plain');
  });
  it('nested multipart: prefers text/plain, decodes QP and base64', () => {
    const b64 = Buffer.from('Second part caf\u00e9', 'utf8').toString('base64');
    const raw = [
      'Content-Type: multipart/mixed; boundary="outer"',
      '',
      'preamble',
      '--outer',
      'Content-Type: multipart/alternative; boundary=inner',
      '',
      '--inner',
      'Content-Type: text/plain; charset=iso-8859-1',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Hello caf=E9 soft=',
      'break',
      '--inner',
      'Content-Type: text/html',
      '',
      '<p>ignored</p>',
      '--inner--',
      '--outer',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      b64,
      '--outer',
      'Content-Type: text/plain',
      'Content-Disposition: attachment; filename=x.txt',
      '',
      'attached',
      '--outer--',
      'epilogue',
    ].join('\r\n');
    expect(extractBodyText(parseMime(raw))).toEqual({
      text: 'Hello café softbreak\n\nSecond part café',
      source: 'plain',
    });
  });
  it('falls back to HTML without tags, scripts, styles, comments; decodes entities', () => {
    const raw =
      'Content-Type: text/html\n\n<html><head><style>p{}</style></head><body><script>x()</script><!-- c --><p>Buy&nbsp;now &amp; save&#33; &#146;</p><br>Line <b>two</b></body>';
    expect(extractBodyText(parseMime(raw))).toEqual({
      text: 'Buy now & save! ’\n\nLine two',
      source: 'html',
    });
    expect(htmlToText('<HEAD><TITLE>t</TITLE>body text')).toContain('body text'); // unclosed <head>
  });
  it('charsets: windows-1252 smart quotes (Node drops them), utf-8 guess, koi8-r', () => {
    expect(decodeCharset('\x93hi\x94', 'iso-8859-1')).toBe('“hi”');
    expect(decodeCharset(latin1('naïve'), undefined)).toBe('naïve');
    expect(decodeCharset('caf\xe9', undefined)).toBe('café');
    expect(decodeCharset('\xf0\xd2\xc9\xd7\xc5\xd4', 'koi8-r')).toBe('Привет');
  });
  it('quoted-printable and RFC 2047 encoded words', () => {
    expect(decodeQuotedPrintable('a=3Db =\nc  \nd')).toBe('a=b c\nd');
    expect(
      decodeHeaderValue(
        `=?iso-8859-1?Q?Caf=E9_au_lait?= =?utf-8?B?${Buffer.from(' ☕').toString('base64')}?= now`,
      ),
    ).toBe('Café au lait ☕ now');
    expect(decodeHeaderValue('plain \x99', undefined)).toBe('plain ™');
    expect(decodeHeaderValue('\xb1\xa4\xb0\xed', 'euc-kr')).toBe('광고');
  });
  it('a multipart whose boundary never occurs is read as text', () => {
    expect(extractBodyText(parseMime('Content-Type: multipart/mixed; boundary=zz\n\njust text')).text).toBe(
      'just text',
    );
  });
});
