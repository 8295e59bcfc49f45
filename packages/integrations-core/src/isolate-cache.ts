/**
 * Isolate-level caches hold values, never promises. On Cloudflare a request's I/O belongs to that request: a promise
 * one request created (a fetch, a stream, work chained on them) can be cancelled when that request ends, and any
 * other request awaiting it fails with it ("Cannot perform I/O on behalf of a different request":
 * https://developers.cloudflare.com/workers/runtime-apis/bindings/#making-requests). So a miss is computed by the
 * request that meets it, and only the settled value is kept; two requests that miss at once both compute (the
 * values are equal; the work is small and rare: a registry read, a key import, a serialization per catalog version).
 */

/** The parts of Map and WeakMap a value cache needs. */
export interface ValueStore<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): unknown;
}

/**
 * The cached value for `key`, or `compute()`'s result, stored once it has resolved. A rejection is passed on and
 * nothing is stored, so the next request tries again.
 */
export async function cachedValue<K, V>(store: ValueStore<K, V>, key: K, compute: () => Promise<V>): Promise<V> {
  const hit = store.get(key);
  if (hit !== undefined) return hit;
  const value = await compute();
  store.set(key, value);
  return value;
}
