/**
 * DEVELOPMENT ONLY (imported by the apps' `src/dev/dev-entry.ts`, never by a production entry): a D1 binding that
 * waits out SQLite's write lock.
 *
 * Locally, D1 is a SQLite file under `.wrangler/state`. One workerd process serializes its own writes, but when two
 * processes open the same file (`pnpm dev:integrations` beside a main worker, the admin CLI beside `pnpm dev`, the
 * end-to-end replica) a write that meets the other's lock fails at once with `SQLITE_BUSY` ("database is locked"):
 * local D1 sets no busy timeout (https://www.sqlite.org/rc.html#busy). A statement or batch that failed with
 * SQLITE_BUSY did not take effect (SQLite rolls the transaction back: https://www.sqlite.org/lang_transaction.html),
 * so it is safe to run again; this wrapper does, with jittered backoff, for up to {@link BUSY_RETRY_BUDGET_MS}.
 *
 * D1 reports errors only as messages (no code property: https://developers.cloudflare.com/d1/observability/debug-d1/),
 * so the lock is recognised by the SQLite result name in the message. That is acceptable here and only here: on
 * Cloudflare, D1 is one database behind one writer and this module is not in the bundle.
 */

/** How long one statement or batch keeps retrying a locked database before the error is passed on, milliseconds. */
export const BUSY_RETRY_BUDGET_MS = 10_000;

/** Whether an error is SQLite's "database is locked" (SQLITE_BUSY or SQLITE_LOCKED) as local D1 reports it. */
export function isSqliteBusy(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /SQLITE_BUSY|SQLITE_LOCKED|database is locked/.test(message);
}

/** Counts of waited-out locks, for the dev stack's diagnostics. */
export interface BusyRetryStats {
  retried: number;
  gaveUp: number;
}

/** How long to wait out a lock, and where to count the waits. */
export interface BusyRetryOptions {
  /** Retry budget per statement or batch, milliseconds (default {@link BUSY_RETRY_BUDGET_MS}). */
  budgetMs?: number;
  stats?: BusyRetryStats;
}

/** Runs `op`, running it again while it fails with a lock error, within the budget. Other errors pass at once. */
export async function retryWhileBusy<T>(op: () => Promise<T>, options: BusyRetryOptions = {}): Promise<T> {
  const { stats } = options;
  const deadline = Date.now() + (options.budgetMs ?? BUSY_RETRY_BUDGET_MS);
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (error) {
      if (!isSqliteBusy(error)) throw error;
      if (Date.now() >= deadline) {
        if (stats) stats.gaveUp++;
        throw error;
      }
      if (stats) stats.retried++;
      // 5, 10, 20 … ms, capped at 200 ms, with full jitter so two writers do not retry in lockstep.
      const ceiling = Math.min(200, 5 * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
    }
  }
}

const INNER = Symbol('inner statement');

/** A prepared statement whose executions wait out the lock; `bind` keeps the wrapping. */
class BusyRetryStatement {
  readonly [INNER]: D1PreparedStatement;
  constructor(
    inner: D1PreparedStatement,
    private readonly options: BusyRetryOptions,
  ) {
    this[INNER] = inner;
  }
  bind(...values: unknown[]): BusyRetryStatement {
    return new BusyRetryStatement(this[INNER].bind(...values), this.options);
  }
  first<T>(column?: string): Promise<T | null> {
    return retryWhileBusy(
      () => (column === undefined ? this[INNER].first<T>() : this[INNER].first<T>(column)),
      this.options,
    );
  }
  run<T>(): Promise<D1Result<T>> {
    return retryWhileBusy(() => this[INNER].run<T>(), this.options);
  }
  all<T>(): Promise<D1Result<T>> {
    return retryWhileBusy(() => this[INNER].all<T>(), this.options);
  }
  raw<T extends unknown[]>(options?: { columnNames?: boolean }): Promise<T[] | [string[], ...T[]]> {
    return retryWhileBusy(
      () =>
        (options?.columnNames ? this[INNER].raw<T>({ columnNames: true }) : this[INNER].raw<T>()) as Promise<
          T[] | [string[], ...T[]]
        >,
      this.options,
    );
  }
}

function unwrap(statement: D1PreparedStatement | BusyRetryStatement): D1PreparedStatement {
  return statement instanceof BusyRetryStatement ? statement[INNER] : statement;
}

/**
 * Wraps a D1 binding so that every statement, batch and exec waits out a lock held by another local process.
 * Everything else passes through unchanged: `dump`, and `withSession` (whose session is not wrapped; nothing here uses
 * the Sessions API yet).
 */
export function withBusyRetry(d1: D1Database, options: BusyRetryOptions = {}): D1Database {
  const wrapper = {
    prepare: (query: string) => new BusyRetryStatement(d1.prepare(query), options),
    batch: <T>(statements: (D1PreparedStatement | BusyRetryStatement)[]) =>
      retryWhileBusy(() => d1.batch<T>(statements.map(unwrap)), options),
    exec: (query: string) => retryWhileBusy(() => d1.exec(query), options),
    dump: () => d1.dump(),
    withSession: (constraintOrBookmark?: string) => d1.withSession(constraintOrBookmark),
  };
  return wrapper as unknown as D1Database;
}

const devEnvs = new WeakMap<object, object>();

/**
 * A worker env with its AUTH_DB wrapped by {@link withBusyRetry}; one wrapper per env object (plain functions, no
 * I/O object shared across requests), so every request of an isolate sees the same binding.
 */
export function withLockWaitingAuthDb<E extends { AUTH_DB: D1Database }>(env: E): E {
  let dev = devEnvs.get(env) as E | undefined;
  if (!dev) {
    dev = { ...env, AUTH_DB: withBusyRetry(env.AUTH_DB) };
    devEnvs.set(env, dev);
  }
  return dev;
}
