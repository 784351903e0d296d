import { describe, expect, it } from 'vitest';
import { countCodePoints, documentText } from './document.js';

describe('documentText', () => {
  it('joins sentences with a space and paragraphs with a blank line', () => {
    expect(documentText({ id: 'a', paragraphs: [['One.', 'Two.'], ['Three.']] })).toBe('One. Two.\n\nThree.');
  });
  it('is empty for a document without paragraphs', () => {
    expect(documentText({ id: 'a', paragraphs: [] })).toBe('');
  });
});

describe('countCodePoints', () => {
  it('counts a surrogate pair once', () => {
    expect(countCodePoints('ab')).toBe(2);
    expect(countCodePoints('a\u{1F600}b')).toBe(3);
    expect(countCodePoints('—é')).toBe(2);
  });
});
