export {
  learningCurveSpec,
  learningPoints,
  lossCurveSpec,
  lossCurves,
  variantColors,
} from './ablation/charts.js';
export {
  BOOTSTRAP,
  type CellVerdict,
  type Claim,
  type ClaimResult,
  type ClaimVerdict,
  type Direction,
  fmtCellVerdict,
  fmtTest,
  judgeClaim,
  judgeClaims,
  overallVerdict,
  VERDICT_RULE,
} from './ablation/claims.js';
export { type AblationRun, type Cell, gridCells, loadAblation } from './ablation/summary.js';
export {
  type SyntheticAblationOptions,
  type SyntheticVariant,
  writeSyntheticAblationRun,
} from './ablation/synthetic.js';
export { type ExtraColumn, pretrainTable, type ScoreTableOptions, scoreTable } from './ablation/tables.js';
export { metricObjects } from './compare.js';
export { EXPERIMENT_REPORTS, type ExperimentReport, type FiguresResult, figuresAll } from './figures.js';
export { writeFileAtomicIfChanged } from './files.js';
export { fmtInt, fmtInterval, fmtSig, stableStringify } from './format.js';
export { D2L_NSP_LOSS, ROBERTA_TABLE1, ROBERTA_TABLE2 } from './nsp/anchors.js';
export {
  NSP_BASELINE,
  NSP_ROLES,
  type NspClaimGroup,
  type NspRole,
  nspClaimGroups,
  roleVariant,
} from './nsp/claims.js';
export { judgeNsp, nspHonestReading } from './nsp/reading.js';
export {
  NSP_FIGURES,
  nspFigures,
  nspLearningCurvesSpec,
  nspMlmLossSpec,
  nspPairLossSpec,
  nspReport,
} from './nsp/report.js';
export { type SyntheticNspRunOptions, writeSyntheticNspRun } from './nsp/synthetic.js';
export { BART_TABLE1, ELECTRA_SMALL, T5_GLUE } from './objectives/anchors.js';
export { OBJECTIVE_ROWS, objectivesClaimGroups } from './objectives/claims.js';
export {
  judgeObjectives,
  OBJECTIVES_FIGURES,
  objectivesFigures,
  objectivesInContextSpec,
  objectivesReport,
  objectivesScoresSpec,
} from './objectives/report.js';
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
  paperTables as spansPaperTables,
  T5_COLUMNS,
  T5_GLUE_STD,
  T5_NO_PRETRAINING,
  T5_TABLE6,
  T5_TABLE7,
} from './spans/anchors.js';
export { SPANS_FIGURES, spansLossSpec, spansScoresSpec, spansTargetLengthSpec } from './spans/charts.js';
export {
  SPANS_BASELINE,
  type SpansClaim,
  type SpansClaimGroup,
  settingVariant,
  spansClaimGroups,
  sweepAxes,
  sweepRows,
} from './spans/claims.js';
export { judgeSpans, spansHonestReading } from './spans/reading.js';
export { spansFigures, spansReport } from './spans/report.js';
export { type SyntheticSpansRunOptions, writeSyntheticSpansRun } from './spans/synthetic.js';
export {
  type SyntheticGridRunOptions,
  type SyntheticRunOptions,
  writeSyntheticGridRun,
  writeSyntheticScalingRun,
} from './synthetic.js';
