export { EXPERIMENT_REPORTS, type ExperimentReport, type FiguresResult, figuresAll } from './figures.js';
export { writeFileAtomicIfChanged } from './files.js';
export { fmtInt, fmtInterval, fmtSig, stableStringify } from './format.js';
export { CHART_FONT, chartFontFiles, normalizeSvgIds, renderChart, renderSvg, svgToPng } from './render.js';
export {
  findRuns,
  type LoadedRun,
  latestCompleteRun,
  loadRun,
  type MetricRow,
  type ModelConfig,
  type ModelSummary,
  parseJsonl,
  type RunConfig,
  type RunInfo,
  type RunStatus,
  type RunSummary,
} from './results.js';
export {
  CHINCHILLA,
  KAPLAN,
  lossVsComputeSpec,
  lossVsParamsSpec,
  lossVsTokensSpec,
  runFits,
  SCALING_FIGURES,
  scalingFigures,
  scalingReport,
  scalingValidationTable,
} from './scaling.js';
export { type SyntheticRunOptions, writeSyntheticScalingRun } from './synthetic.js';
