export * from './gpt.js';
