/**
 * A point chart of one number per variant, in the house chart style: a panel per quantity (a
 * task and evaluation, a target length), x the variant's short label in a given order, colour
 * its group (a sweep), y the mean over seeds with ±1 standard deviation bars, and per panel an
 * optional dashed grey rule (the no-pretraining row). Panels wrap two to a line, each with its
 * own y scale, since their units differ.
 */
import type { TopLevelSpec } from 'vega-lite';
import { BASELINE_COLOR, PALETTE, WIDTH } from '../chart-style.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export interface PanelPoint {
  panel: string;
  /** The colour (and legend entry) of the point, e.g. its sweep. */
  group: string;
  /** The x label; the same label may sit in several groups. */
  label: string;
  variant: string;
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

export interface PanelRule {
  panel: string;
  y: number;
}

export interface PointPanelsOptions {
  title: string;
  /** Lines under the title; the seed count and the rule's meaning are added after them. */
  subtitle?: string[];
  yTitle: string | null;
  xTitle: string;
  /** x labels in order; labels not listed go after them. */
  labels: readonly string[];
  panels: readonly string[];
  groups: readonly string[];
  rules?: readonly PanelRule[];
  /** What the rule is, e.g. 'no pretraining'. */
  ruleLabel?: string;
  emptyText?: string;
  /** Angle of the x labels (default 0, level); long labels read better at -35. */
  labelAngle?: number;
}

export function pointPanelsSpec(points: readonly PanelPoint[], o: PointPanelsOptions): TopLevelSpec {
  if (points.length === 0)
    return {
      $schema: SCHEMA,
      title: { text: o.title, subtitle: 'no data in this run' },
      width: WIDTH,
      height: 60,
      data: { values: [{ text: o.emptyText ?? 'no row of this run has these numbers' }] },
      mark: { type: 'text', fontSize: 13, color: '#444444' },
      encoding: { text: { field: 'text' } },
    } as TopLevelSpec;
  const seeds = Math.max(0, ...points.map((p) => p.n));
  const labels = [...o.labels, ...points.map((p) => p.label).filter((l) => !o.labels.includes(l))];
  const rules = (o.rules ?? []).filter((r) => points.some((p) => p.panel === r.panel));
  const values = [
    ...points.map((p) => ({ ...p, kind: 'point' })),
    ...rules.map((r) => ({ panel: r.panel, mean: r.y, kind: 'rule' })),
  ];
  const x = {
    field: 'label',
    type: 'ordinal',
    title: o.xTitle,
    sort: labels,
    axis: { labelAngle: o.labelAngle ?? 0 },
  };
  // Padding keeps points off the frame; a panel where every value is equal (a floor at 0) still
  // gets a scale around it.
  const y = {
    field: 'mean',
    type: 'quantitative',
    title: o.yTitle,
    scale: { zero: false, padding: 14 },
    axis: { format: '~r' },
  };
  const groups = o.groups.filter((g) => points.some((p) => p.group === g));
  const color = {
    field: 'group',
    type: 'nominal',
    title: null,
    scale: { domain: groups, range: groups.map((_, i) => PALETTE[i % PALETTE.length]) },
    legend: { orient: 'bottom', labelLimit: 0 },
  };
  const onlyPoints = { filter: "datum.kind === 'point'" };
  const layer: unknown[] = [
    {
      transform: [{ filter: "datum.kind === 'rule'" }],
      mark: { type: 'rule', color: BASELINE_COLOR, strokeDash: [5, 4], strokeWidth: 1.5 },
      encoding: { y },
    },
  ];
  if (seeds > 1)
    layer.push({
      transform: [onlyPoints],
      mark: { type: 'rule', strokeWidth: 1.5 },
      encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color },
    });
  layer.push({
    transform: [onlyPoints],
    mark: { type: 'point', filled: true, size: 60, opacity: 1 },
    encoding: { x, y, color },
  });
  const spread =
    seeds > 1 ? `mean over ${seeds} seeds; bars: ±1 standard deviation across seeds` : 'one seed';
  const rule = rules.length && o.ruleLabel ? `; dashed grey: ${o.ruleLabel}` : '';
  return {
    $schema: SCHEMA,
    title: { text: o.title, subtitle: [...(o.subtitle ?? []), `${spread}${rule}`] },
    data: { values },
    facet: {
      field: 'panel',
      type: 'nominal',
      title: null,
      sort: o.panels,
      header: { labelFontWeight: 'bold', labelFontSize: 12 },
    },
    columns: 2,
    resolve: { scale: { y: 'independent', x: 'independent' } },
    spec: { width: 300, height: 190, layer },
  } as TopLevelSpec;
}
