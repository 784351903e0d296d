export * from './exp.js';
