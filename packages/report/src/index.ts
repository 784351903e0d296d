export {
  type Comparison,
  compareMeans,
  fmtMeanStd,
  type MeanStd,
  metricObjects,
  NOISE_RULE,
  type Verdict,
} from './compare.js';
export { EXPERIMENT_REPORTS, type ExperimentReport, type FiguresResult, figuresAll } from './figures.js';
export { writeFileAtomicIfChanged } from './files.js';
export { fmtInt, fmtInterval, fmtSig, stableStringify } from './format.js';
export {
  NSP_BASELINE,
  NSP_FIGURES,
  type NspSummary,
  nspFigures,
  nspFinetuneSpec,
  nspHeadlineMetrics,
  nspHonestReading,
  nspMlmLossSpec,
  nspNspLossSpec,
  nspReport,
  nspValidationCurves,
  ROBERTA_TABLE1,
  ROBERTA_TABLE2,
  UNBALANCED_TASKS,
} from './nsp.js';
export { type SyntheticNspRunOptions, writeSyntheticNspRun } from './nsp-synthetic.js';
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
  isGridRun,
  KAPLAN,
  lossVsComputeSpec,
  lossVsParamsSpec,
  lossVsTokensSpec,
  runFits,
  SCALING_ANCHORS,
  SCALING_FIGURES,
  scalingFigureNames,
  scalingFigures,
  scalingReport,
  scalingValidationTable,
} from './scaling.js';
export {
  type AnchorRow,
  anchorRows,
  GRID_FIGURES,
  gridDifferences,
  gridFigures,
  gridFrontier,
  gridLossVsComputeSpec,
  gridLossVsParamsSpec,
  gridLossVsTokensSpec,
  gridReport,
  gridVerdicts,
  isoflopSpec,
  optimalSpec,
  type Verdict as GridVerdict,
} from './scaling-grid.js';
export {
  expectedTargetLength,
  headline as spansHeadline,
  rateRows,
  SPANS_FIGURES,
  type SpansSummary,
  spanRows,
  spansFigures,
  spansHonestReading,
  spansLossSpec,
  spansReport,
  spansScoresSpec,
  spansTargetLengthSpec,
  T5_GLUE_STD,
  T5_TABLE6,
  T5_TABLE7,
} from './spans.js';
export { type SyntheticSpansRunOptions, writeSyntheticSpansRun } from './spans-synthetic.js';
export {
  type SyntheticGridRunOptions,
  type SyntheticRunOptions,
  writeSyntheticGridRun,
  writeSyntheticScalingRun,
} from './synthetic.js';
