export * from './roles.js';
export * from './tenant.js';
export * from './provider.js';
export * from './session-dispatch.js';
export * from './credentials-cipher.js';
export * from './tokens.js';
export * from './worker-config.js';
export * from './http-errors.js';
