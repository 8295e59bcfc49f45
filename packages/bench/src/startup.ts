/**
 * What each worker's deploy bundle weighs and what loading it costs: the raw and gzip size of apps/mcp/dist/index.js
 * and apps/integrations/dist/index.js, and a startup CPU figure per worker.
 *
 * Sizes are computed as wrangler computes its "Total Upload: … KiB / gzip: … KiB" line (the build step prints it):
 * the uploaded modules' bytes and `zlib.gzipSync` of them with node:zlib's default level (wrangler's bundle-reporter
 * `getSize`). Each bundle is one module, so the figures are wrangler's to the hundredth of a KiB.
 *
 * Startup CPU: a fresh Miniflare (a fresh workerd process) with that one worker alone (no bindings, the workers'
 * compatibility settings), `await mf.ready`, then its first `GET /healthz`; the workerd process's whole CPU time from
 * spawn to that answer, read from /proc (workerd-cpu.ts), minus the same for a trivial worker answering `/healthz`.
 * The median over fresh instances, the three workers interleaved so machine drift falls on all alike. It is
 * process-wide CPU of a local workerd (parsing and compiling the bundle, evaluating its top level, the first request,
 * with workerd's own start and Miniflare's entry worker subtracted out with the trivial worker): a relative measure
 * of the bundle's load cost, not Cloudflare's startup-time metric, which is measured on Cloudflare's machines when a
 * version is uploaded.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { COMPATIBILITY, INTEGRATIONS_BUNDLE, MCP_BUNDLE } from './bench-stack.js';
import { table } from './report.js';
import { BenchCheckError } from './rpc.js';
import { findWorkerdPids, workerdCpuProbe } from './workerd-cpu.js';

/** Size of one deploy bundle, bytes: as uploaded, and gzip-compressed as wrangler reports it. */
export interface BundleSize {
  rawBytes: number;
  gzipBytes: number;
}

/** Raw and gzip size of the bundle at `path`, as wrangler's "Total Upload" line computes them. */
export function bundleSize(path: string): BundleSize {
  const bytes = readFileSync(path);
  return { rawBytes: bytes.byteLength, gzipBytes: gzipSync(bytes).byteLength };
}

/** One worker of the startup table: its bundle's size and the CPU of each fresh instance, ms. */
export interface StartupRow {
  label: string;
  size: BundleSize;
  /** workerd CPU from spawn to the first /healthz answer, per instance, ms (trivial worker not subtracted). */
  cpuMs: number[];
}

/** The startup measurements: one row per worker bundle, and the trivial worker's CPU per instance (ms). */
export interface StartupResult {
  rows: StartupRow[];
  trivialCpuMs: number[];
  /** /proc could not be read: no CPU figures. */
  cpuUnavailable: boolean;
}

/** The floor: the least a worker can be, answering `GET /healthz` like the real ones. */
const TRIVIAL_WORKER_SCRIPT = /* js */ `export default { fetch: () => Response.json({ ok: true }) };`;

type WorkerSource = { script: string } | { scriptPath: string; modulesRoot: string };

/** Starts a fresh workerd with `source` alone, asks `/healthz` once, returns workerd's CPU so far (ms or null). */
async function startupCpuMs(source: WorkerSource): Promise<number | null> {
  const before = new Set(findWorkerdPids());
  const mf = new Miniflare(
    convertV4MiniflareOptions({ workers: [{ name: 'bench-startup', modules: true, ...source, ...COMPATIBILITY }] }),
  );
  try {
    await mf.ready;
    const probe = workerdCpuProbe(before);
    const res = await mf.dispatchFetch('https://startup.bench.local/healthz');
    const text = await res.text();
    if (res.status !== 200 || (JSON.parse(text) as { ok?: unknown }).ok !== true)
      throw new BenchCheckError(`startup: GET /healthz answered ${res.status}: ${text.slice(0, 200)}`);
    return probe ? probe.readNs() / 1e6 : null;
  } finally {
    await mf.dispose();
  }
}

/** Measures the two bundles and the trivial worker on `instances` fresh workerd processes each. */
export async function measureStartup(instances: number): Promise<StartupResult> {
  const bundles = [
    { label: 'apps/mcp/dist/index.js', path: MCP_BUNDLE },
    { label: 'apps/integrations/dist/index.js', path: INTEGRATIONS_BUNDLE },
  ];
  const rows: StartupRow[] = bundles.map((b) => ({ label: b.label, size: bundleSize(b.path), cpuMs: [] }));
  const trivialCpuMs: number[] = [];
  let cpuUnavailable = false;
  const record = (into: number[], ms: number | null) => {
    if (ms === null) cpuUnavailable = true;
    else into.push(ms);
  };
  for (let i = 0; i < instances; i++) {
    record(trivialCpuMs, await startupCpuMs({ script: TRIVIAL_WORKER_SCRIPT }));
    for (const [j, b] of bundles.entries())
      record(rows[j]!.cpuMs, await startupCpuMs({ scriptPath: b.path, modulesRoot: dirname(b.path) }));
  }
  return { rows, trivialCpuMs, cpuUnavailable };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

const kib = (bytes: number) => (bytes / 1024).toFixed(2);

/** The bundle and startup table, and a line saying what the startup figure is. */
export function renderStartup(result: StartupResult): string {
  const floor = result.cpuUnavailable ? null : median(result.trivialCpuMs);
  const lines = result.rows.map((r) => {
    const total = floor === null ? null : median(r.cpuMs);
    return [
      r.label,
      kib(r.size.rawBytes),
      kib(r.size.gzipBytes),
      total === null || floor === null ? 'n/a' : (total - floor).toFixed(1),
      total === null ? 'n/a' : total.toFixed(1),
      String(r.cpuMs.length),
    ];
  });
  lines.push([
    'trivial worker (the floor subtracted)',
    '-',
    '-',
    '-',
    floor === null ? 'n/a' : floor.toFixed(1),
    String(result.trivialCpuMs.length),
  ]);
  return [
    table(
      [
        'worker bundle (what a deploy uploads)',
        'KiB',
        'gzip KiB',
        'startup CPU ms',
        'workerd CPU ms, spawn to 1st /healthz',
        'n',
      ],
      lines,
    ),
    'startup CPU = median workerd process CPU (/proc) from spawn to the first GET /healthz with that worker alone, ' +
      "minus the trivial worker's: local and process-wide, not Cloudflare's startup-time metric; sizes as wrangler's " +
      '"Total Upload / gzip".',
  ].join('\n');
}
