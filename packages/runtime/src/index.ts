export * from './backend.js';
export * from './rng.js';
export * from './seed.js';
