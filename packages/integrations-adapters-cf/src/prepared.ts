/**
 * Prepared queries for the repositories' hot paths. Not exported from the package: callers see repository functions.
 */
import type { Db } from './db.js';

/**
 * A query that runs on every MCP request, built once per D1 binding as a drizzle prepared query with placeholders
 * (https://orm.drizzle.team/docs/perf-queries) instead of through the query builder each time: the builder cost more
 * than the D1 call (`pnpm bench`). Returns the lookup `db → prepared query`; its cache is keyed by the binding object
 * and holds only SQL text and a statement over that binding, no request state.
 */
export function preparedQuery<T>(build: (db: Db) => T): (db: Db) => T {
  const cache = new WeakMap<object, T>();
  return (db) => {
    let hit = cache.get(db.$client);
    if (!hit) {
      hit = build(db);
      cache.set(db.$client, hit);
    }
    return hit;
  };
}
