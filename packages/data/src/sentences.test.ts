import { describe, expect, it } from 'vitest';
import { paragraphsFromText, splitSentences } from './sentences.js';

describe('splitSentences', () => {
  it('splits on . ! ? before a capital', () => {
    expect(splitSentences('It rained. Did it? Yes! We stayed in.')).toEqual([
      'It rained.',
      'Did it?',
      'Yes!',
      'We stayed in.',
    ]);
  });
  it('keeps abbreviations, initials and dotted acronyms inside the sentence', () => {
    expect(splitSentences('Mr. Smith met Dr. Jones in the U.S. Senate. Then A. Lincoln spoke.')).toEqual([
      'Mr. Smith met Dr. Jones in the U.S. Senate.',
      'Then A. Lincoln spoke.',
    ]);
  });
  it('does not split before a lower-case word or a number', () => {
    expect(splitSentences('The cost was 3.5 percent. it was low. 1990 was a year.')).toEqual([
      'The cost was 3.5 percent. it was low. 1990 was a year.',
    ]);
  });
  it('keeps closing quotes and brackets with their sentence', () => {
    expect(splitSentences('He said "Stop." Then he left. (Applause.) We won.')).toEqual([
      'He said "Stop."',
      'Then he left.',
      '(Applause.)',
      'We won.',
    ]);
  });
  it('treats an ellipsis as an end', () => {
    expect(splitSentences('Wait... Now go.')).toEqual(['Wait...', 'Now go.']);
  });
  it('normalizes whitespace and drops empty input', () => {
    expect(splitSentences('  a\n b  ')).toEqual(['a b']);
    expect(splitSentences(' \n ')).toEqual([]);
  });
});

describe('paragraphsFromText', () => {
  it('splits at blank lines (also with CRLF and trailing spaces)', () => {
    expect(paragraphsFromText('One. Two.\r\n  \r\nThree\nlines.\n\n\n')).toEqual([
      ['One.', 'Two.'],
      ['Three lines.'],
    ]);
  });
});
