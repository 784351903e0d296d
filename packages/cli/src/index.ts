export * from './atomic.js';
export * from './errors.js';
export * from './exp.js';
export * from './experiment.js';
export * from './ledger.js';
export * from './overrides.js';
export * from './runs.js';
