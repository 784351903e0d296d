/**
 * vega-lite spec -> SVG (vega's headless 'none' renderer) -> PNG (resvg), byte-deterministic.
 *
 * Sources of nondeterminism handled here:
 * - vega numbers clip paths and gradients from process-wide counters, so the same chart
 *   rendered twice in one process gets different ids: ids are renumbered in order of appearance.
 * - Fonts: every text mark uses one explicit family (DejaVu Sans, installed on our machines), and
 *   resvg loads that family's files explicitly instead of whatever the system lists first.
 *   Without node-canvas vega estimates text widths from a fixed table, which is also stable.
 * - The PNG gets an explicit white background and a fixed zoom.
 * Object key order of the spec does not matter to vega's output; data order does, so callers
 * sort their rows.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { writeFileAtomicIfChanged } from './files.js';

export const CHART_FONT = 'DejaVu Sans';
const FONT_DIRS = ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/dejavu', '/usr/share/fonts/TTF'];
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSans-Oblique.ttf'];

/** Font files for resvg; empty when DejaVu is not installed (then system fonts are used). */
export function chartFontFiles(): string[] {
  for (const dir of FONT_DIRS) {
    const files = FONT_FILES.map((f) => `${dir}/${f}`).filter((p) => existsSync(p));
    if (files.length > 0) return files;
  }
  return [];
}

/** Defaults every chart shares; a spec's own config wins key by key. */
function withHouseConfig(spec: TopLevelSpec): TopLevelSpec {
  const own = (spec as { config?: Record<string, unknown> }).config ?? {};
  return {
    ...spec,
    background: (spec as { background?: string }).background ?? 'white',
    config: {
      font: CHART_FONT,
      ...own,
      title: { fontSize: 14, subtitleFontSize: 11, anchor: 'start', ...(own.title as object) },
      axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridOpacity: 0.5, ...(own.axis as object) },
      legend: { labelFontSize: 11, titleFontSize: 11, ...(own.legend as object) },
    },
  } as TopLevelSpec;
}

/** Rename `id="X"` and its references (`url(#X)`, `href="#X"`) to `v0`, `v1`, ... in order. */
export function normalizeSvgIds(svg: string): string {
  const map = new Map<string, string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) {
    if (!map.has(m[1])) map.set(m[1], `v${map.size}`);
  }
  if (map.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (s, a: string, id: string, b: string) =>
      map.has(id) ? a + map.get(id) + b : s,
    )
    .replace(/url\(#([^)]+)\)/g, (s, id: string) => (map.has(id) ? `url(#${map.get(id)})` : s))
    .replace(/(href=")#([^"]+)(")/g, (s, a: string, id: string, b: string) =>
      map.has(id) ? `${a}#${map.get(id)}${b}` : s,
    );
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vgSpec = compile(withHouseConfig(spec)).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return `${normalizeSvgIds(svg)}\n`;
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string, zoom = 2): Uint8Array {
  const fontFiles = chartFontFiles();
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: zoom },
    font: {
      loadSystemFonts: fontFiles.length === 0,
      fontFiles,
      defaultFontFamily: CHART_FONT,
      sansSerifFamily: CHART_FONT,
    },
  });
  return resvg.render().asPng();
}

/**
 * Render a vega-lite spec to `${outBase}.svg` and `${outBase}.png`. Files are written atomically
 * and only when their bytes change.
 */
export async function renderChart(
  spec: TopLevelSpec,
  outBase: string,
): Promise<{ svg: string; png: string }> {
  const svgText = await renderSvg(spec);
  const svg = `${outBase}.svg`;
  const png = `${outBase}.png`;
  writeFileAtomicIfChanged(svg, svgText);
  writeFileAtomicIfChanged(png, svgToPng(svgText));
  return { svg, png };
}

/** Render named specs into `outDir` (`<name>.svg` and `<name>.png` each); returns the files in order. */
export async function renderCharts(
  specs: readonly (readonly [string, TopLevelSpec])[],
  outDir: string,
): Promise<string[]> {
  const files: string[] = [];
  for (const [name, spec] of specs) {
    const out = await renderChart(spec, join(outDir, name));
    files.push(out.svg, out.png);
  }
  return files;
}
