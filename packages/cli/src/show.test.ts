import { describe, expect, it } from 'vitest';
import { show } from './show.js';

const base = { text: 'I love this red car', seed: '1', meanSpan: '3', rate: '0.15' };

describe('lab show', () => {
  it('span-corruption reproduces the textbook figure (T5): I <X> this <Y> / <X> love <Y> red car <Z>', () => {
    const { view, lines } = show('span-corruption', { ...base, rate: '0.6', meanSpan: '1.5' }) as any;
    expect(view.inputTokens).toEqual(['I', '<X>', 'this', '<Y>']);
    expect(view.targetTokens).toEqual(['<X>', 'love', '<Y>', 'red', 'car', '<Z>']);
    expect(view.numNoiseTokens).toBe(3);
    expect(lines.join('\n')).toContain('targets: <X> love <Y> red car <Z>');
  });

  it('mlm labels exactly the selected positions and never touches the rest', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { view } = show('mlm', { ...base, seed: String(seed) }) as any;
      const selected = new Set(view.positions.map((p: any) => p.index));
      view.labels.forEach((l: number, i: number) => {
        if (selected.has(i)) expect(l).toBe(view.positions.find((p: any) => p.index === i).original);
        else {
          expect(l).toBe(-100);
          expect(view.inputs[i]).toBe(i === 0 ? 0 : view.tokens.indexOf(view.tokens[i]));
        }
      });
    }
  });

  it('causal-lm shifts by one token', () => {
    const { view } = show('causal-lm', base) as any;
    expect(view.inputs).toEqual([0, 1, 2, 3]);
    expect(view.targets).toEqual([1, 2, 3, 4]);
  });

  it('gives one-line errors for bad input', () => {
    expect(() => show('nsp-magic', base)).toThrow(
      "unknown objective 'nsp-magic'; valid: mlm, span-corruption, causal-lm",
    );
    expect(() => show('span-corruption', { ...base, rate: '2' })).toThrow(
      "--rate: expected a number >= 0 <= 1, got '2'",
    );
    expect(() => show('mlm', { ...base, seed: 'x' })).toThrow(/--seed: expected an integer/);
    expect(() => show('mlm', { ...base, text: '   ' })).toThrow('--text is empty');
  });
});
