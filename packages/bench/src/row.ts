/**
 * One bench row: the request sent once and its answer validated, then sampled over HTTP (bytes on the wire) and
 * through Miniflare's fetch (rpc.ts), with the workerd CPU probe read around each sample.
 */
import type { Miniflare } from 'miniflare';
import { measure, type SamplePlan } from './measure.js';
import type { ReportRow } from './report.js';
import { BenchCheckError, httpSampler, sampler, sendText, type EntryConnection, type PreparedRequest } from './rpc.js';
import type { CpuProbe } from './workerd-cpu.js';

/** Everything a row needs: the Miniflare and the HTTP connection to send through, and the CPU probe to read. */
export interface Ctx {
  mf: Miniflare;
  conn: EntryConnection;
  cpu: CpuProbe | null;
}

/**
 * Sends `req` once and validates the answer with `check` (which returns the number of tools listed, or null), then
 * measures it over HTTP and through fetch with `plan`. Throws BenchCheckError when a timed answer differs in length
 * from the validated one (an error body would).
 */
export async function measureRowWith(
  ctx: Ctx,
  label: string,
  req: PreparedRequest,
  check: (text: string) => number | null,
  plan: SamplePlan,
  progress: (line: string) => void,
): Promise<ReportRow> {
  progress(`measuring ${label}`);
  const text = await sendText(ctx.mf, req);
  const tools = check(text);
  const sendOverHttp = httpSampler(ctx.conn, req);
  const wireBytes = await sendOverHttp();
  const overHttp = async () => {
    const bytes = await sendOverHttp();
    if (bytes !== wireBytes)
      throw new BenchCheckError(`${label}: ${bytes} bytes on the wire, the validated answer had ${wireBytes}`);
  };
  const http = await measure(overHttp, plan, ctx.cpu);
  const fetch = await measure(sampler(ctx.mf, req), plan, ctx.cpu);
  return { label, tools, bytes: Buffer.byteLength(text), wireBytes, http, fetch };
}
