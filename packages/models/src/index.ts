export * from './albert.js';
export * from './bert.js';
export * from './distilbert.js';
export * from './electra.js';
export * from './gpt.js';
export * from './span-boundary.js';
export * from './t5.js';
