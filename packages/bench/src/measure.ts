/**
 * The one client loop every row is measured with: sequential requests (never concurrent, so the figures are latency,
 * not throughput), a warmup that is discarded, then a fixed number of timed samples. Bounded: no loop runs longer
 * than `warmup + samples` iterations.
 */
import type { CpuProbe } from './workerd-cpu.js';

/** Sample counts per row. */
export interface SamplePlan {
  warmup: number;
  samples: number;
}

/** Latency and CPU of one row. Milliseconds throughout. */
export interface Measurement {
  p50Ms: number;
  p95Ms: number;
  /** workerd process CPU over the timed samples divided by their count; null without a probe. */
  cpuMsPerRequest: number | null;
  /** This Node process's CPU (client loop, HTTP client, and the loopback upstream when one is called) per request. */
  clientCpuMsPerRequest: number;
  samples: number;
}

/** Nearest-rank percentile (p in 0..100) of an ascending-sorted array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('percentile of no samples');
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/**
 * Runs `send` `plan.warmup` times untimed, then `plan.samples` times timed. `send` must consume the whole response
 * body and throw on any unexpected status, so a row never averages error responses into its figures.
 */
export async function measure(
  send: () => Promise<unknown>,
  plan: SamplePlan,
  cpu: CpuProbe | null,
): Promise<Measurement> {
  for (let i = 0; i < plan.warmup; i++) await send();
  const times: number[] = [];
  const cpuBefore = cpu?.readNs();
  const clientBefore = process.cpuUsage();
  for (let i = 0; i < plan.samples; i++) {
    const start = performance.now();
    await send();
    times.push(performance.now() - start);
  }
  const cpuAfter = cpu?.readNs();
  const client = process.cpuUsage(clientBefore);
  times.sort((a, b) => a - b);
  return {
    p50Ms: percentile(times, 50),
    p95Ms: percentile(times, 95),
    cpuMsPerRequest:
      cpuBefore === undefined || cpuAfter === undefined ? null : (cpuAfter - cpuBefore) / 1e6 / plan.samples,
    clientCpuMsPerRequest: (client.user + client.system) / 1000 / plan.samples,
    samples: plan.samples,
  };
}
