/** The load run's report as people read it: throughput, latency, status counts, then the counts read back. */
import type { LoadtestReport } from './loadtest.js';
import type { PoolReport } from './pool.js';

function row(label: string, r: PoolReport): string {
  const outcomes = Object.entries(r.outcomes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');
  return `${label.padEnd(10)} ${String(r.count).padStart(6)} req  ${r.perSecond.toFixed(1).padStart(8)} req/s  p50 ${r.p50Ms.toFixed(1)} ms  p95 ${r.p95Ms.toFixed(1)} ms  (${outcomes})`;
}

/** The report as printed by `pnpm loadtest`, ending in PASS or FAIL with every failure. */
export function formatReport(report: LoadtestReport): string {
  const c = report.counts;
  const lines = [
    row('webhooks', report.webhooks),
    ...(report.mcp ? [row('mcp', report.mcp)] : []),
    `read back: ${c.uniqueSent} unique sent → ${c.eventsStored} events stored once, ${c.eventsDuplicated} duplicated, ${c.eventsMissing} missing`,
    `           ${c.repeatsSent} repeats sent → ${c.repeatsRefused} refused as duplicates; delivery records ${JSON.stringify(c.deliveries)}`,
    report.failures.length === 0 ? 'PASS' : `FAIL\n  - ${report.failures.join('\n  - ')}`,
  ];
  return lines.join('\n');
}
