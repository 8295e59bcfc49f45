/**
 * A fixed-concurrency runner with latency and outcome accounting: `concurrency` workers take jobs from one list in
 * order until it is empty. Latencies are wall-clock milliseconds from just before a job starts to its settling.
 */

/** Throughput, latency quantiles and outcome counts of one pool run. */
export interface PoolReport {
  count: number;
  elapsedMs: number;
  /** Jobs per second over the whole run. */
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  /** Outcome label (an HTTP status, `ok`, an error name) → how many jobs ended with it. */
  outcomes: Record<string, number>;
  /** The first few failures, for the report (never secrets: callers label them). */
  failures: string[];
}

/** The value at quantile `q` (0..1) of sorted `values`, nearest rank; 0 for none. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * Runs `jobs` with `concurrency` at a time. Each job resolves with its outcome label; a job that throws counts as
 * `error:<name>` and its message (first 5) lands in `failures`.
 */
export async function runPool(jobs: readonly (() => Promise<string>)[], concurrency: number): Promise<PoolReport> {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const failures: string[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const t0 = performance.now();
      let outcome: string;
      try {
        outcome = await job();
      } catch (err) {
        outcome = `error:${err instanceof Error ? err.name : 'unknown'}`;
        if (failures.length < 5) failures.push(err instanceof Error ? err.message : String(err));
      }
      latencies.push(performance.now() - t0);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, jobs.length)) }, worker));
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    count: jobs.length,
    elapsedMs,
    perSecond: jobs.length / (elapsedMs / 1000),
    p50Ms: quantile(latencies, 0.5),
    p95Ms: quantile(latencies, 0.95),
    outcomes,
    failures,
  };
}
