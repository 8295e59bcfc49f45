/**
 * Vitest global setup: one real stack for the whole end-to-end run, its URLs and tokens provided to the tests.
 */
import type { TestProject } from 'vitest/node';
import { startStack } from './stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mcpUrl: string;
    mcpReplicaUrl: string;
    integrationsUrl: string;
    adminToken: string;
    memberToken: string;
    adminEmail: string;
    adminPassword: string;
  }
}

export default async function setup(project: TestProject) {
  const stack = await startStack();
  project.provide('mcpUrl', stack.mcpUrl);
  project.provide('mcpReplicaUrl', stack.mcpReplicaUrl);
  project.provide('integrationsUrl', stack.integrationsUrl);
  project.provide('adminToken', stack.adminToken);
  project.provide('memberToken', stack.memberToken);
  project.provide('adminEmail', stack.adminEmail);
  project.provide('adminPassword', stack.adminPassword);
  return () => stack.stop();
}
