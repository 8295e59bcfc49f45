export * from './template-schema.js';
export * from './outbound-policy.js';
export * from './render-request.js';
export * from './execute-tool.js';
export * from './builtin-catalog.js';
export * from './validate-template.js';
export * from './diff-templates.js';
export * from './validate-credentials.js';
