export * from './backend.js';
export * from './rng.js';
export * from './seed.js';
export * as ops from './ops.js';
