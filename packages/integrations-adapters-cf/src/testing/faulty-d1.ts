/**
 * TESTS ONLY: a D1 binding that fails on purpose, for fault tests (D1 unavailable in the middle of a request).
 * Every execution (statement run/all/first/raw, batch, exec) is counted; those `failWhen` picks reject with `error`,
 * before reaching the database (`when: 'before'`, the default) or after it ran (`'after'`: a write that committed
 * but whose answer was lost), the rest go to the real binding. A batch fails as a whole when any of its statements
 * is picked (D1 runs a batch as one transaction: https://developers.cloudflare.com/d1/worker-api/d1-database/#batch).
 */

/** The failing binding and the record of what ran through it. */
export interface FaultyD1 {
  d1: D1Database;
  /** Executions so far (failed ones included), in order, with their SQL. */
  executions: { sql: string; failed: boolean }[];
}

/** `failWhen(sql, n)`: whether execution number `n` (1-based) of `sql` fails. */
export function faultyD1(
  real: D1Database,
  failWhen: (sql: string, n: number) => boolean,
  error = new Error('D1_ERROR: Network connection lost.'),
  options: { when?: 'before' | 'after' } = {},
): FaultyD1 {
  const executions: FaultyD1['executions'] = [];
  const REAL = Symbol('real');
  const gate = async <T>(sql: string, run: () => Promise<T>): Promise<T> => {
    const failed = failWhen(sql, executions.length + 1);
    executions.push({ sql, failed });
    if (!failed) return run();
    if (options.when === 'after') await run();
    throw error;
  };
  const wrap = (s: D1PreparedStatement, sql: string): D1PreparedStatement =>
    ({
      [REAL]: s,
      sql,
      bind: (...values: unknown[]) => wrap(s.bind(...values), sql),
      run: () => gate(sql, () => s.run()),
      all: () => gate(sql, () => s.all()),
      first: (column?: string) => gate(sql, () => (column === undefined ? s.first() : s.first(column))),
      raw: (options?: { columnNames?: boolean }) =>
        gate(sql, () => (options?.columnNames ? s.raw({ columnNames: true }) : s.raw())),
    }) as unknown as D1PreparedStatement;
  const unwrap = (s: D1PreparedStatement) => (s as unknown as { [REAL]?: D1PreparedStatement })[REAL] ?? s;
  const sqlOf = (s: D1PreparedStatement) => (s as unknown as { sql?: string }).sql ?? '';
  const d1 = {
    prepare: (sql: string) => wrap(real.prepare(sql), sql),
    batch: (statements: D1PreparedStatement[]) => {
      const sql = statements.map(sqlOf).join(';\n');
      return gate(sql, () => real.batch(statements.map(unwrap)));
    },
    exec: (sql: string) => gate(sql, () => real.exec(sql)),
    dump: () => real.dump(),
    withSession: (c?: string) => real.withSession(c),
  } as unknown as D1Database;
  return { d1, executions };
}
