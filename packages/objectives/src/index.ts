export * from './bert-inputs.js';
export * from './causal-lm.js';
export * from './mlm.js';
export * from './nsp.js';
export * from './span-corruption.js';
