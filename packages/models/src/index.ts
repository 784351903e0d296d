export * from './bert.js';
export * from './gpt.js';
export * from './t5.js';
