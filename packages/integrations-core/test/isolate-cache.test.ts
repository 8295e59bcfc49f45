import { describe, expect, it } from 'vitest';
import { cachedValue } from '../src/isolate-cache.js';

describe('cachedValue', () => {
  it('keeps the settled value, never a promise, and computes it once after it settled', async () => {
    const store = new Map<string, number>();
    let runs = 0;
    expect(await cachedValue(store, 'k', async () => ++runs)).toBe(1);
    expect(store.get('k')).toBe(1);
    expect(await cachedValue(store, 'k', async () => ++runs)).toBe(1);
    expect(runs).toBe(1);
  });

  it('shares no in-flight work: two requests that miss at once each compute, neither awaits the other’s promise', async () => {
    const store = new Map<string, string>();
    const started: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = cachedValue(store, 'k', async () => {
      started.push('first');
      await gate;
      return 'a';
    });
    // The first request's work is still pending; a second request computes its own instead of awaiting it.
    const second = await cachedValue(store, 'k', async () => {
      started.push('second');
      return 'b';
    });
    expect(second).toBe('b');
    expect(started).toEqual(['first', 'second']);
    release();
    expect(await first).toBe('a');
  });

  it('stores nothing when the work fails, so the next request tries again', async () => {
    const store = new WeakMap<object, string>();
    const key = {};
    await expect(cachedValue(store, key, () => Promise.reject(new Error('registry down')))).rejects.toThrow(
      'registry down',
    );
    expect(store.get(key)).toBeUndefined();
    expect(await cachedValue(store, key, async () => 'ok')).toBe('ok');
  });
});
