export { WORKERS, REPO_ROOT, buildDevBundle, type StackWorker } from './build.js';
export { LOCAL_HOST, startLocalStack, type LocalD1, type LocalStack, type LocalStackOptions } from './local-stack.js';
export { applyMigrations, freePort, generateSecrets, startThrowawayStack, type ThrowawayStack } from './throwaway.js';
