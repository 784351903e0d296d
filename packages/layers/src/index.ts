export * from './attention.js';
export * from './block.js';
export * from './dropout.js';
export * from './embeddings.js';
export * from './feedforward.js';
export * from './linear.js';
export * from './norm.js';
export * from './params.js';
