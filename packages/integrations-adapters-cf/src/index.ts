export * from './db.js';
export * from './principals.js';
export * from './directory.js';
export * from './installations.js';
export * from './webhook-events.js';
export * from './sessions.js';
export * from './templates.js';
export * from './api-token-auth.js';
