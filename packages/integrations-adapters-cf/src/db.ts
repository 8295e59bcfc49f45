import { drizzle } from 'drizzle-orm/d1';
import * as schema from './schema.js';

/** A drizzle client over the AUTH_DB binding. Build one per request; it holds no connection state. */
export function createDb(d1: D1Database) {
  return drizzle(d1, { schema });
}
export type Db = ReturnType<typeof createDb>;

/** Random row id. */
export function newId(): string {
  return crypto.randomUUID();
}
