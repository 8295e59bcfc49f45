/**
 * Prepared queries for the repositories' hot paths. Not exported from the package: callers see repository functions.
 */
import type { Db } from './db.js';

/**
 * A query that runs on every MCP request, built once per D1 binding as a drizzle prepared query with placeholders
 * (https://orm.drizzle.team/docs/perf-queries) instead of through the query builder each time: the builder cost more
 * than the D1 call (`pnpm bench`). `cache` is keyed by the binding object and holds only SQL text and a statement
 * over that binding, no request state.
 */
export function preparedFor<T>(cache: WeakMap<object, T>, db: Db, build: (db: Db) => T): T {
  let hit = cache.get(db.$client);
  if (!hit) {
    hit = build(db);
    cache.set(db.$client, hit);
  }
  return hit;
}
