export * from './causal-lm.js';
