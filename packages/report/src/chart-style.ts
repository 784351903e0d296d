/** Chart sizes and colours shared by the experiment reports (vega-lite), so the figures match. */
export const WIDTH = 520;
export const HEIGHT = 320;
/** Categorical colours (vega's category10 without grey, which marks the baseline). */
export const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#bcbd22',
  '#17becf',
];
/** The no-pretraining baseline's colour. */
export const BASELINE_COLOR = '#7f7f7f';
