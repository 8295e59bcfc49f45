import { drizzle } from 'drizzle-orm/d1';

/** A drizzle client over the AUTH_DB binding. Build one per request; it holds no connection state. */
export function createDb(d1: D1Database) {
  // No relational schema: the repositories use the query builder only, and drizzle would rebuild the relational
  // config on every client (measurable per request under `pnpm bench`).
  return drizzle(d1);
}
export type Db = ReturnType<typeof createDb>;

/** Random row id. */
export function newId(): string {
  return crypto.randomUUID();
}
