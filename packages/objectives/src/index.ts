export * from './bert-inputs.js';
export * from './causal-lm.js';
export * from './denoise.js';
export * from './mlm.js';
export * from './noise-mask.js';
export * from './nsp.js';
export * from './sop.js';
export * from './span-corruption.js';
