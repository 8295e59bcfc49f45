/**
 * Plain-text rendering of the bench results: the main table (one line per row, ratios against the one-SELECT
 * baseline's p50, over HTTP and in Node's fetch), the cold-start table, and the verdict on the target.
 */
import type { Measurement } from './measure.js';

/** One line of the main table. */
export interface ReportRow {
  label: string;
  /** Tools in the tools/list response; null for rows that are not a tools/list. */
  tools: number | null;
  /** Size of the (validated) response body, decoded, bytes. */
  bytes: number;
  /** Size of the body on the wire (gzip when the worker compressed it), bytes. */
  wireBytes: number;
  /** Over HTTP, body bytes read as sent: the worker's latency (the target's measure). */
  http: Measurement;
  /** Through Node's fetch with the body decoded: what a Node MCP client pays end to end. */
  fetch: Measurement;
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

/** A plain-text table: the first column left-aligned, the others right-aligned, a dashed rule under the header. */
export function table(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmt)].join('\n');
}

/** The main table; `baseline` (the first row) is the denominator of both ratio columns. */
export function renderMainTable(rows: readonly ReportRow[], baseline: ReportRow): string {
  return table(
    [
      'row',
      'tools listed',
      'KB decoded',
      'KB on wire',
      'p50 ms',
      'p95 ms',
      'workerd CPU ms/req',
      'p50 / baseline',
      'fetch p50 ms',
      'fetch client CPU ms/req',
      'fetch p50 / baseline',
    ],
    rows.map((r) => [
      r.label,
      r.tools === null ? '-' : String(r.tools),
      (r.bytes / 1024).toFixed(1),
      (r.wireBytes / 1024).toFixed(1),
      ms(r.http.p50Ms),
      ms(r.http.p95Ms),
      r.http.cpuMsPerRequest === null ? 'n/a' : ms(r.http.cpuMsPerRequest),
      `${(r.http.p50Ms / baseline.http.p50Ms).toFixed(2)}x`,
      ms(r.fetch.p50Ms),
      ms(r.fetch.clientCpuMsPerRequest),
      `${(r.fetch.p50Ms / baseline.fetch.p50Ms).toFixed(2)}x`,
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
      return [
        r.label,
        String(r.tools),
        String(sorted.length),
        ms(median),
        ms(sorted.at(-1)!),
        `${(median / r.warmP50Ms).toFixed(1)}x`,
      ];
    }),
  );
}

/**
 * The verdict on the target (tools/list p50 at 100 × 10 within `maxRatio` × the one-SELECT worker's p50,
 * over HTTP), the same ratio on workerd CPU, and, for information, the ratio a Node fetch client sees once it has
 * decoded the body (its share grows with the list's decoded size, whatever the worker does).
 */
export function renderTarget(target: ReportRow, baseline: ReportRow, maxRatio: number): string {
  const ratio = target.http.p50Ms / baseline.http.p50Ms;
  const verdict = ratio <= maxRatio ? 'MET' : 'NOT MET';
  const cpu =
    target.http.cpuMsPerRequest === null || baseline.http.cpuMsPerRequest === null
      ? 'n/a'
      : `${(target.http.cpuMsPerRequest / baseline.http.cpuMsPerRequest).toFixed(2)}×`;
  const fetchRatio = target.fetch.p50Ms / baseline.fetch.p50Ms;
  const fetchVerdict = fetchRatio <= maxRatio ? 'within' : 'over';
  return [
    `100 × 10: workerd CPU per request = ${cpu} the one-SELECT worker's`,
    `100 × 10 end to end in Node's fetch, body decoded: ${fetchRatio.toFixed(2)}× (${ms(target.fetch.p50Ms)} ms vs ${ms(baseline.fetch.p50Ms)} ms), ${fetchVerdict} ${maxRatio}× on this reading; the extra is undici inflating ${(target.bytes / 1024).toFixed(0)} KB in the client`,
    `100 × 10: tools/list p50 = ${ratio.toFixed(2)}× the one-SELECT worker over HTTP, the worker's latency (${ms(target.http.p50Ms)} ms vs ${ms(baseline.http.p50Ms)} ms); target ≤ ${maxRatio}×: ${verdict}`,
  ].join('\n');
}

/** One line: a row's p50 and p95 over HTTP, and how far its p50 is above `floor`'s (named `floorName`), ms. */
export function renderOver(row: ReportRow, floor: ReportRow, floorName: string): string {
  return (
    `${row.label}: p50 ${ms(row.http.p50Ms)} ms, p95 ${ms(row.http.p95Ms)} ms over HTTP; ` +
    `p50 ${ms(row.http.p50Ms - floor.http.p50Ms)} ms above ${floorName} ` +
    `(p50 ${ms(floor.http.p50Ms)} ms, p95 ${ms(floor.http.p95Ms)} ms)`
  );
}

/**
 * What recording the run history costs a tools/call: the median p50 of the rounds with recording on over the median
 * p50 of the rounds with it off (measured alternately, so drift reaches both), against the target (< 10 %).
 */
export function renderRecordingCost(on: readonly ReportRow[], off: readonly ReportRow[], target: number): string {
  const median = (rows: readonly ReportRow[]) =>
    [...rows.map((r) => r.http.p50Ms)].sort((a, b) => a - b)[rows.length >> 1]!;
  const [onP50, offP50] = [median(on), median(off)];
  const extra = onP50 / offP50 - 1;
  const list = (rows: readonly ReportRow[]) => rows.map((r) => ms(r.http.p50Ms)).join(', ');
  return (
    `run history: tools/call p50 ${ms(onP50)} ms recording on (rounds ${list(on)}) vs ${ms(offP50)} ms off ` +
    `(rounds ${list(off)}): ${(extra * 100).toFixed(1)} %; target < ${(target * 100).toFixed(0)} %: ` +
    `${extra < target ? 'MET' : 'NOT MET on this reading'}`
  );
}

/**
 * Marginal cost per listed tool between two tools/list rows (slope of p50 and of CPU over the tool count), in µs.
 * Both rows are warm, so this is the per-tool cost of serving a cached list: serialization and transfer.
 */
export function renderPerToolSlope(small: ReportRow, large: ReportRow): string {
  const dTools = (large.tools ?? 0) - (small.tools ?? 0);
  const p50 = ((large.http.p50Ms - small.http.p50Ms) * 1000) / dTools;
  const fetchP50 = ((large.fetch.p50Ms - small.fetch.p50Ms) * 1000) / dTools;
  const cpu =
    large.http.cpuMsPerRequest === null || small.http.cpuMsPerRequest === null
      ? 'n/a'
      : `${(((large.http.cpuMsPerRequest - small.http.cpuMsPerRequest) * 1000) / dTools).toFixed(2)} µs`;
  return `marginal cost per listed tool, warm (${small.label} → ${large.label}): p50 ${p50.toFixed(2)} µs over HTTP, ${fetchP50.toFixed(2)} µs in Node's fetch; workerd CPU ${cpu}`;
}

/** The knowledge target line: search_knowledge p50 at the largest corpus over the one-SELECT baseline's p50. */
export function renderKnowledgeTarget(row: ReportRow, baseline: ReportRow, target: number): string {
  const ratio = row.http.p50Ms / baseline.http.p50Ms;
  return (
    `knowledge: ${row.label} p50 ${ms(row.http.p50Ms)} ms = ${ratio.toFixed(2)}× the one-SELECT baseline ` +
    `(${ms(baseline.http.p50Ms)} ms); target ≤ ${target}×: ${ratio <= target ? 'MET' : 'NOT MET on this reading'}`
  );
}
