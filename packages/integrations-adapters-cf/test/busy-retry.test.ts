/**
 * The development-only lock wait (src/dev/busy-retry.ts) over the real local D1: statements and batches that meet
 * SQLITE_BUSY are run again until they succeed, exactly once in effect; any other error passes through at once;
 * a lock that outlasts the budget is passed on, not swallowed.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { isSqliteBusy, withBusyRetry, type BusyRetryStats } from '@gatehouse/integrations-adapters-cf/dev';

const BUSY = new Error('D1_ERROR: database is locked: SQLITE_BUSY');

/** The real binding, with the first `locked` executions of anything failing as a second local process would. */
function lockedFor(locked: number): { d1: D1Database; attempts: () => number } {
  let attempts = 0;
  const fail =
    <T>(run: () => Promise<T>) =>
    () =>
      ++attempts <= locked ? Promise.reject(BUSY) : run();
  const statement = (s: D1PreparedStatement): D1PreparedStatement =>
    ({
      bind: (...v: unknown[]) => statement(s.bind(...v)),
      run: () => fail(() => s.run())(),
      all: () => fail(() => s.all())(),
      first: (c?: string) => fail(() => (c === undefined ? s.first() : s.first(c)))(),
      raw: () => fail(() => s.raw())(),
      [Symbol.for('real')]: s,
    }) as unknown as D1PreparedStatement;
  const real = (s: D1PreparedStatement) =>
    (s as unknown as Record<symbol, D1PreparedStatement>)[Symbol.for('real')] ?? s;
  const d1 = {
    prepare: (q: string) => statement(env.AUTH_DB.prepare(q)),
    batch: (stmts: D1PreparedStatement[]) => fail(() => env.AUTH_DB.batch(stmts.map(real)))(),
    exec: (q: string) => fail(() => env.AUTH_DB.exec(q))(),
  } as unknown as D1Database;
  return { d1, attempts: () => attempts };
}

describe('withBusyRetry (development only)', () => {
  it('recognises the lock by the SQLite result name and nothing else', () => {
    expect(isSqliteBusy(BUSY)).toBe(true);
    expect(isSqliteBusy(new Error('D1_ERROR: database table is locked: SQLITE_LOCKED'))).toBe(true);
    expect(isSqliteBusy(new Error('D1_ERROR: UNIQUE constraint failed: organizations.slug: SQLITE_CONSTRAINT'))).toBe(
      false,
    );
    expect(isSqliteBusy(new Error('D1_ERROR: no such table: nope: SQLITE_ERROR'))).toBe(false);
  });

  it('runs a locked write again until it lands, once', async () => {
    await env.AUTH_DB.exec('CREATE TABLE IF NOT EXISTS busy_probe (id TEXT PRIMARY KEY)');
    const stats: BusyRetryStats = { retried: 0, gaveUp: 0 };
    const { d1, attempts } = lockedFor(3);
    await withBusyRetry(d1, { stats }).prepare('INSERT INTO busy_probe (id) VALUES (?)').bind('one').run();
    expect(attempts()).toBe(4);
    expect(stats).toEqual({ retried: 3, gaveUp: 0 });
    expect(
      (
        await env.AUTH_DB.prepare('SELECT count(*) AS n FROM busy_probe WHERE id = ?')
          .bind('one')
          .first<{ n: number }>()
      )?.n,
    ).toBe(1);
  });

  it('retries a locked batch as a whole, with the wrapped statements unwrapped for the binding', async () => {
    await env.AUTH_DB.exec('CREATE TABLE IF NOT EXISTS busy_batch (id TEXT PRIMARY KEY)');
    const db = withBusyRetry(lockedFor(2).d1);
    await db.batch([
      db.prepare('INSERT INTO busy_batch (id) VALUES (?)').bind('a'),
      db.prepare('INSERT INTO busy_batch (id) VALUES (?)').bind('b'),
    ]);
    const { results } = await env.AUTH_DB.prepare('SELECT id FROM busy_batch ORDER BY id').all<{ id: string }>();
    expect(results.map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('passes any other error through at once, without retrying', async () => {
    await env.AUTH_DB.exec('CREATE TABLE IF NOT EXISTS busy_unique (id TEXT PRIMARY KEY)');
    await env.AUTH_DB.prepare('INSERT INTO busy_unique (id) VALUES (?)').bind('x').run();
    const stats: BusyRetryStats = { retried: 0, gaveUp: 0 };
    const db = withBusyRetry(env.AUTH_DB, { stats });
    await expect(db.prepare('INSERT INTO busy_unique (id) VALUES (?)').bind('x').run()).rejects.toThrow(
      /UNIQUE constraint failed/,
    );
    expect(stats.retried).toBe(0);
  });

  it('gives up when the lock outlasts the budget, and says so with the lock error', async () => {
    const stats: BusyRetryStats = { retried: 0, gaveUp: 0 };
    const db = withBusyRetry(lockedFor(Number.POSITIVE_INFINITY).d1, { budgetMs: 150, stats });
    await expect(db.prepare('SELECT 1').first()).rejects.toThrow(/SQLITE_BUSY/);
    expect(stats.gaveUp).toBe(1);
    expect(stats.retried).toBeGreaterThan(0);
  });
});
