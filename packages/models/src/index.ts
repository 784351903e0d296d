export * from './gpt.js';
export * from './bert.js';
export * from './t5.js';
