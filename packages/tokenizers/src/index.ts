export * from './bpe.js';
export * from './char.js';
export * from './hf.js';
export * from './io.js';
export * from './special.js';
export * from './train.js';
export * from './types.js';
