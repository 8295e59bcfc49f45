/**
 * Vitest global setup: one real stack for the whole end-to-end run, its URLs and credentials provided to the tests.
 */
import type { TestProject } from 'vitest/node';
import { startStack, type Stack } from './stack.js';

/** What tests can inject(): the stack's facts, without its teardown and state directory. */
type Provided = Omit<Stack, 'stop' | 'stateDir'>;

declare module 'vitest' {
  export interface ProvidedContext extends Provided {}
}

export default async function setup(project: TestProject) {
  const { stop, stateDir: _stateDir, ...provided } = await startStack();
  for (const [key, value] of Object.entries(provided) as [keyof Provided, string][]) project.provide(key, value);
  return stop;
}
