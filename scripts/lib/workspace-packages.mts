/**
 * The one place the scripts import Gatehouse workspace packages from (root devDependencies, `workspace:*`), so the
 * CLI uses the same repositories and roles the workers use.
 */
export * from '@gatehouse/integrations-adapters-cf';
export { MIN_PASSWORD_LENGTH, ROLES, createCredentialsCipher, hashPassword, roleAtLeast, type Role } from '@gatehouse/integrations-core';
