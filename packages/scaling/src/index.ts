export { type BootstrapOptions, type BootstrapResult, bootstrap, quantile } from './bootstrap.js';
export {
  distinctCount,
  fitOffsetPowerLaw,
  fitPowerLaw,
  huber,
  type OffsetFit,
  type OffsetFitOptions,
  offsetPowerLaw,
  type PowerLawFit,
  powerLaw,
} from './fits.js';
export {
  type CurvePoint,
  computeFrontier,
  type FrontierFit,
  type FrontierOptions,
  type FrontierPoint,
  fitComputeFrontier,
  type LearningCurve,
} from './frontier.js';
export { type MinimizeResult, type NelderMeadOptions, nelderMead } from './optimize.js';
export {
  countParams,
  FLOPS_PER_PF_DAY,
  flopsPerToken,
  flopsToPfDays,
  forwardFlopsPerToken,
  type ModelShape,
  type ParamCount,
  pfDaysToFlops,
  trainingCompute,
} from './params.js';
export { Mulberry32 } from './prng.js';
export { type MeanStd, mean, meanStd, sampleStd } from './stats.js';
export { type FitSummaryOptions, fitScalingSummary, type ModelResult, type ScalingFits } from './summary.js';
