export * from './authorization-code-flow.js';
export * from './authorization.js';
export * from './refresh.js';
export * from './template-flow.js';
