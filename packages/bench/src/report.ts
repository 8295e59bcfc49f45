/**
 * Plain-text rendering of the bench results: the main table (one line per row, ratios against the one-SELECT
 * baseline's p50), the cold-start table, and the verdict on the target.
 */
import type { Measurement } from './measure.js';

/** One line of the main table. */
export interface ReportRow {
  label: string;
  /** Tools in the tools/list response; null for rows that are not a tools/list. */
  tools: number | null;
  /** Size of the (validated) response body, bytes. */
  bytes: number;
  m: Measurement;
}

/** One line of the cold table: the first tools/list after a catalog version bump (cache miss). */
export interface ColdRow {
  label: string;
  tools: number;
  /** Each cold request's latency, ms. */
  timesMs: number[];
  /** The warm p50 of the same catalog, ms. */
  warmP50Ms: number;
}

const ms = (v: number) => v.toFixed(v < 10 ? 3 : v < 100 ? 2 : 1);

function table(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmt)].join('\n');
}

/** The main table; `baselineP50Ms` is the denominator of the last column. */
export function renderMainTable(rows: readonly ReportRow[], baselineP50Ms: number): string {
  return table(
    ['row', 'tools listed', 'response KB', 'p50 ms', 'p95 ms', 'workerd CPU ms/req', 'client CPU ms/req', 'p50 / baseline p50'],
    rows.map((r) => [
      r.label,
      r.tools === null ? '-' : String(r.tools),
      (r.bytes / 1024).toFixed(1),
      ms(r.m.p50Ms),
      ms(r.m.p95Ms),
      r.m.cpuMsPerRequest === null ? 'n/a' : ms(r.m.cpuMsPerRequest),
      ms(r.m.clientCpuMsPerRequest),
      `${(r.m.p50Ms / baselineP50Ms).toFixed(2)}x`,
    ]),
  );
}

/** The cold table: median and max of the cold requests, and how many warm p50s one cold request costs. */
export function renderColdTable(rows: readonly ColdRow[]): string {
  return table(
    ['cold tools/list (after catalog_version bump)', 'tools listed', 'n', 'median ms', 'max ms', 'cold / warm p50'],
    rows.map((r) => {
      const sorted = [...r.timesMs].sort((a, b) => a - b);
      const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
      return [r.label, String(r.tools), String(sorted.length), ms(median), ms(sorted.at(-1)!), `${(median / r.warmP50Ms).toFixed(1)}x`];
    }),
  );
}

/**
 * The verdict on the target (tools/list p50 at 100 × 10 within `maxRatio` × the one-SELECT worker's p50),
 * plus the same ratio on workerd CPU, which the client's share of the latency does not blur.
 */
export function renderTarget(target: ReportRow, baseline: ReportRow, maxRatio: number): string {
  const ratio = target.m.p50Ms / baseline.m.p50Ms;
  const verdict = ratio <= maxRatio ? 'MET' : 'NOT MET';
  const cpu =
    target.m.cpuMsPerRequest === null || baseline.m.cpuMsPerRequest === null
      ? 'n/a'
      : `${(target.m.cpuMsPerRequest / baseline.m.cpuMsPerRequest).toFixed(2)}×`;
  return [
    `100 × 10: workerd CPU per request = ${cpu} the one-SELECT worker's (for information; the target is on p50)`,
    `100 × 10: tools/list p50 = ${ratio.toFixed(2)}× the one-SELECT worker (${ms(target.m.p50Ms)} ms vs ${ms(baseline.m.p50Ms)} ms); target ≤ ${maxRatio}×: ${verdict}`,
  ].join('\n');
}

/**
 * Marginal cost per listed tool between two tools/list rows (slope of p50 and of CPU over the tool count), in µs.
 * Both rows are warm, so this is the per-tool cost of serving a cached list: serialization and transfer.
 */
export function renderPerToolSlope(small: ReportRow, large: ReportRow): string {
  const dTools = (large.tools ?? 0) - (small.tools ?? 0);
  const p50 = ((large.m.p50Ms - small.m.p50Ms) * 1000) / dTools;
  const cpu =
    large.m.cpuMsPerRequest === null || small.m.cpuMsPerRequest === null
      ? 'n/a'
      : `${(((large.m.cpuMsPerRequest - small.m.cpuMsPerRequest) * 1000) / dTools).toFixed(2)} µs`;
  return `marginal cost per listed tool, warm (${small.label} → ${large.label}): p50 ${p50.toFixed(2)} µs, workerd CPU ${cpu}`;
}
