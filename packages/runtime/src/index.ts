export * from './backend.js';
export * as ops from './ops.js';
export * from './rng.js';
export * from './seed.js';
