export * from './adamw.js';
export * from './checkpoint.js';
export * from './lm.js';
export * from './metrics.js';
export * from './progress.js';
export * from './safetensors.js';
export * from './schedule.js';
export * from './trainer.js';
