/**
 * The one place the scripts import Gatehouse workspace packages from (root devDependencies, `workspace:*`), so the
 * CLI uses the same repositories and roles the workers use.
 */
export * from '@gatehouse/integrations-adapters-cf';
export {
  MAX_KNOWLEDGE_DOCUMENT_BYTES,
  MIN_PASSWORD_LENGTH,
  ROLES,
  chunkKnowledgeText,
  createCredentialsCipher,
  hashPassword,
  roleAtLeast,
  type Role,
} from '@gatehouse/integrations-core';
// Development only: the admin CLI is a second local process on the dev database and waits out its lock.
export { withBusyRetry } from '@gatehouse/integrations-adapters-cf/dev';
