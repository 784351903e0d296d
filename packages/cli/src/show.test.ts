import { describe, expect, it } from 'vitest';
import { lab, ok, userError } from './cli-testing.js';
import { SHOW_OBJECTIVES, show } from './show.js';

const base = { text: 'I love this red car', seed: '1', meanSpan: '3', rate: '0.15' };
const sentences = 'I love cars . They are red ! Fast too .';
const sorted = (xs: string[]) => [...xs].sort();

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

  it('every objective shows its inputs and targets (or labels) as lines and as JSON', () => {
    for (const objective of SHOW_OBJECTIVES) {
      const { view, lines } = show(objective, base) as any;
      expect(JSON.parse(JSON.stringify(view)), objective).toEqual(view);
      expect(Array.isArray(view.inputs), objective).toBe(true);
      expect(view.targets ?? view.labels, objective).toBeDefined();
      expect(
        lines.some((l: string) => l.startsWith('inputs:')),
        objective,
      ).toBe(true);
      expect(view.objective).toBe(objective);
    }
  });

  it('pins seed 1 of the T5 objectives: prefix LM (both forms) and deshuffling', () => {
    const prefix = show('prefix-lm', base) as any;
    expect([prefix.view.inputTokens, prefix.view.targetTokens]).toEqual([
      ['I'],
      ['love', 'this', 'red', 'car'],
    ]);
    const decoder = show('prefix-lm-decoder', base) as any;
    expect(decoder.view.prefixLength).toBe(1);
    expect(decoder.view.lossMask).toEqual([1, 1, 1, 1]);
    expect(decoder.lines).toContain('prefix:  I (1 token, attended bidirectionally)');
    expect((show('deshuffle', base) as any).view.inputTokens).toEqual(['red', 'love', 'car', 'this', 'I']);
    for (let seed = 1; seed <= 30; seed++) {
      const o = { ...base, seed: String(seed) };
      const { view } = show('prefix-lm', o) as any;
      expect([...view.inputTokens, ...view.targetTokens]).toEqual(view.tokens);
      const dec = (show('prefix-lm-decoder', o) as any).view;
      expect(dec.prefixLength).toBe(view.inputTokens.length); // the same split for the same seed
      expect(dec.lossMask.filter((m: number) => m === 1).length).toBe(5 - dec.prefixLength);
      expect(sorted((show('deshuffle', o) as any).view.inputTokens)).toEqual(sorted(view.tokens));
    }
  });

  it('pins seed 1 of the BART noisings at --rate 0.3', () => {
    const o = { ...base, rate: '0.3' };
    const tokens = (objective: string, opts = o) => (show(objective, opts) as any).view.inputTokens;
    expect(tokens('bart-token-masking')).toEqual(['I', 'love', 'this', '[MASK]', '[MASK]']);
    expect(tokens('bart-token-deletion')).toEqual(['I', 'love', 'this']);
    const infilling = show('bart-text-infilling', o) as any;
    expect(infilling.view.inputTokens).toEqual(['[MASK]', 'this', 'red', 'car']);
    expect(infilling.view.spanLengths).toEqual([2]);
    expect(infilling.lines).toContain('spans:   "I love" (Poisson lambda 3)');
    expect(tokens('bart-document-rotation')).toEqual(['car', 'I', 'love', 'this', 'red']);
    const permuted = show('bart-sentence-permutation', { ...o, text: sentences }) as any;
    expect(permuted.view.inputTokens.join(' ')).toBe('They are red ! Fast too . I love cars .');
    expect(permuted.view.order).toEqual([1, 2, 0]);
    expect(tokens('bart', { ...o, text: sentences }).join(' ')).toBe(
      'They [MASK] ! Fast too . I love [MASK]',
    );
    for (const objective of SHOW_OBJECTIVES.filter((name) => name.startsWith('bart')))
      expect((show(objective, o) as any).view.targetTokens, objective).toEqual(base.text.split(' '));
  });

  it('electra: generator samples replace the MLM positions; a correct sample is labelled 0', () => {
    const { view, lines } = show('electra', base) as any;
    expect(view.generatorInputTokens).toEqual(['I', 'love', 'this', 'red', '[MASK]']);
    expect(view.inputTokens).toEqual(['I', 'love', 'this', 'red', 'love']);
    expect(view.labels).toEqual([0, 0, 0, 0, 1]);
    expect(lines[0]).toBe('text:      I love this red car');
    let correct = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const v = (show('electra', { ...base, seed: String(seed) }) as any).view;
      expect(v.masked.reduce((a: number, b: number) => a + b, 0)).toBe(1); // exactly max(1, round(5 * 0.15))
      expect(v.labels).toEqual(v.tokens.map((t: string, i: number) => (v.inputTokens[i] === t ? 0 : 1)));
      if (v.masked.some((m: number, i: number) => m && v.labels[i] === 0)) correct++;
    }
    expect(correct).toBeGreaterThan(0); // 1 in 5 samples hits the original
  });

  it('spanbert: the masked span, its labels and its span-boundary targets', () => {
    const { view, lines } = show('spanbert', base) as any;
    expect(view.inputTokens).toEqual(['I', 'love', 'this', '[MASK]', 'car']);
    expect(view.labels).toEqual([-100, -100, -100, 3, -100]);
    expect(view.sbo).toEqual({
      position: [3],
      leftBoundary: [2],
      rightBoundary: [4],
      relativePosition: [1],
      targetId: [3],
    });
    expect(lines).toContain('  SBO: red (3) from this (2) and car (4), relative position 1');
  });

  it('gives one-line errors for bad input', () => {
    expect(() => show('nsp-magic', base)).toThrow(
      `unknown objective 'nsp-magic'; valid: ${SHOW_OBJECTIVES.join(', ')}`,
    );
    expect(SHOW_OBJECTIVES.join(', ')).toContain(
      'prefix-lm, prefix-lm-decoder, deshuffle, bart-token-masking',
    );
    expect(() => show('span-corruption', { ...base, rate: '2' })).toThrow(
      "--rate: expected a number >= 0 <= 1, got '2'",
    );
    expect(() => show('bart-text-infilling', { ...base, rate: '-1' })).toThrow(
      /--rate: expected a number >= 0/,
    );
    expect(() => show('bart-text-infilling', { ...base, meanSpan: '0' })).toThrow(/--mean-span: expected/);
    expect(() => show('mlm', { ...base, seed: 'x' })).toThrow(/--seed: expected an integer/);
    expect(() => show('mlm', { ...base, text: '   ' })).toThrow('--text is empty');
    expect(() => show('prefix-lm', { ...base, text: 'alone' })).toThrow(
      '--text needs at least two tokens for prefix LM',
    );
  });

  it('through the CLI: --json prints the view, an unknown objective is one error line naming the valid ones', async () => {
    const out = ok(await lab('show', 'spanbert', '--text', base.text, '--seed', '1', '--json'));
    expect(JSON.parse(out)).toEqual((show('spanbert', base) as any).view);
    const line = userError(await lab('show', 'nope', '--text', base.text));
    expect(line).toBe(`error: unknown objective 'nope'; valid: ${SHOW_OBJECTIVES.join(', ')}`);
  }, 60_000);
});
