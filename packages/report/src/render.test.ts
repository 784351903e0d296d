import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { CHART_FONT, normalizeSvgIds, renderChart, renderSvg } from './render.js';

const spec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: 'determinism check',
  width: 200,
  height: 120,
  data: {
    values: [
      { x: 1, y: 3, m: 'a' },
      { x: 10, y: 2, m: 'a' },
      { x: 1, y: 4, m: 'b' },
      { x: 10, y: 2.5, m: 'b' },
    ],
  },
  // clip: true makes vega emit a clipPath with a process-wide counter id.
  mark: { type: 'line', clip: true, strokeDash: [4, 2] },
  encoding: {
    x: { field: 'x', type: 'quantitative', scale: { type: 'log' } },
    y: { field: 'y', type: 'quantitative', scale: { type: 'log' } },
    color: { field: 'm', type: 'nominal' },
  },
} as TopLevelSpec;

describe('normalizeSvgIds', () => {
  it('renumbers ids and their references in order of appearance', () => {
    const svg =
      '<g><clipPath id="clip7"></clipPath><path clip-path="url(#clip7)"/><use href="#grad3"/><linearGradient id="grad3"/></g>';
    expect(normalizeSvgIds(svg)).toBe(
      '<g><clipPath id="v0"></clipPath><path clip-path="url(#v0)"/><use href="#v1"/><linearGradient id="v1"/></g>',
    );
  });
});

describe('renderChart', () => {
  it('is byte-identical when rendered twice (svg and png), with our font', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'render-'));
    const a = await renderChart(spec, join(dir, 'a'));
    const b = await renderChart(spec, join(dir, 'b'));
    const svgA = readFileSync(a.svg);
    expect(svgA.equals(readFileSync(b.svg))).toBe(true);
    expect(readFileSync(a.png).equals(readFileSync(b.png))).toBe(true);
    expect(svgA.toString()).toContain(CHART_FONT);
    expect(svgA.toString()).toMatch(/clip-path="url\(#v0\)"/);
    // PNG signature and a non-trivial size.
    const png = readFileSync(a.png);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.length).toBeGreaterThan(2000);
  });

  it('does not touch files whose content is unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'render-'));
    const out = await renderChart(spec, join(dir, 'c'));
    const before = [statSync(out.svg).mtimeMs, statSync(out.png).mtimeMs];
    await new Promise((r) => setTimeout(r, 20));
    await renderChart(spec, join(dir, 'c'));
    expect([statSync(out.svg).mtimeMs, statSync(out.png).mtimeMs]).toEqual(before);
  });

  it('renderSvg sets a white background', async () => {
    const svg = await renderSvg(spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toMatch(/fill="white"|fill="#fff"|fill="#ffffff"/i);
  });
});
