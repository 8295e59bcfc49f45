/**
 * The webhook-ingest rows: throughput of `POST /webhook/github/<installation>` on the built integrations worker
 * (route, installation lookup, credential decryption, signature check, payload validation, dedupe insert on two unique
 * keys, `Queue.send`, 202) beside the baseline worker's `POST /ingest` (HMAC-SHA256 verify, one D1 insert,
 * `Queue.send`, 202), both at the same concurrency over keep-alive HTTP/1.1 to workerd's entry socket, each delivery a
 * unique, signed GitHub `issue_comment` (real payload shape from @octokit/webhooks-examples, signed with
 * @octokit/webhooks-methods). Every answer must be 202; anything else fails the run.
 *
 * Target (issue 11): ingest throughput ≥ 80 % of the baseline's at concurrency 10.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import examples from '@octokit/webhooks-examples';
import { sign } from '@octokit/webhooks-methods';
import { BenchCheckError } from './rpc.js';

export type { PreparedDelivery };

/** One prepared delivery: path and headers for the entry socket, and the body. */
interface PreparedDelivery {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface IngestResult {
  label: string;
  requests: number;
  concurrency: number;
  elapsedMs: number;
  perSecond: number;
}

// biome-ignore lint/suspicious/noExplicitAny: @octokit/webhooks-examples ships untyped JSON; fields are set by path.
const comment = (examples as unknown as { name: string; examples: Record<string, any>[] }[])
  .find((d) => d.name === 'issue_comment')!
  .examples.find((e) => e.action === 'created')!;

/** `count` unique GitHub issue_comment deliveries to `url`, signed with `secret` (numbered from `offset`). */
export async function githubDeliveries(
  url: string,
  secret: string,
  count: number,
  offset: number,
): Promise<PreparedDelivery[]> {
  const out: PreparedDelivery[] = [];
  for (let i = offset; i < offset + count; i++) {
    const payload = structuredClone(comment);
    payload.issue.number = 1_000_000 + i;
    payload.comment.id = 5_000_000 + i;
    payload.comment.body = `bench delivery ${i}`;
    const body = JSON.stringify(payload);
    out.push({
      url,
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issue_comment',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': await sign(secret, body),
      },
    });
  }
  return out;
}

/** Sends each delivery once, `concurrency` at a time, over keep-alive connections to `origin`; every answer must be 202. */
export async function measureIngest(
  origin: URL,
  label: string,
  deliveries: readonly PreparedDelivery[],
  concurrency: number,
): Promise<IngestResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const send = (d: PreparedDelivery) =>
    new Promise<void>((resolve, reject) => {
      const target = new URL(d.url);
      const req = httpRequest(
        {
          host: origin.hostname,
          port: origin.port,
          path: target.pathname,
          method: 'POST',
          agent,
          // Miniflare's entry worker routes on MF-Original-URL, as Miniflare#dispatchFetch sends it.
          headers: {
            ...d.headers,
            host: target.host,
            'mf-original-url': d.url,
            'mf-disable-pretty-error': 'true',
            'content-length': String(Buffer.byteLength(d.body)),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk));
          res.on('error', reject);
          res.on('end', () =>
            res.statusCode === 202
              ? resolve()
              : reject(new BenchCheckError(`${label}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(d.body);
    });
  let next = 0;
  const start = performance.now();
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < deliveries.length) await send(deliveries[next++]!);
      }),
    );
  } finally {
    agent.destroy();
  }
  const elapsedMs = performance.now() - start;
  return {
    label,
    requests: deliveries.length,
    concurrency,
    elapsedMs,
    perSecond: deliveries.length / (elapsedMs / 1000),
  };
}

/** One side of the comparison: its label and a maker of `n` fresh, unique deliveries. */
export interface IngestSide {
  label: string;
  deliveries(n: number): Promise<PreparedDelivery[]>;
}

/** Per side: every round's throughput and their median. */
export interface IngestRow {
  label: string;
  rounds: IngestResult[];
  medianPerSecond: number;
}

/**
 * Alternates the sides for `rounds` rounds of `perRound` deliveries each (a warmup round first, discarded), so a
 * drift of the machine during the run falls on both sides alike; each side's figure is the median of its rounds.
 */
export async function compareIngest(
  origin: URL,
  sides: readonly IngestSide[],
  rounds: number,
  perRound: number,
  warmup: number,
  concurrency: number,
): Promise<IngestRow[]> {
  for (const side of sides)
    await measureIngest(origin, `${side.label} (warmup)`, await side.deliveries(warmup), concurrency);
  const results = sides.map((): IngestResult[] => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, side] of sides.entries())
      results[i]!.push(await measureIngest(origin, side.label, await side.deliveries(perRound), concurrency));
  }
  return sides.map((side, i) => {
    const sorted = results[i]!.map((x) => x.perSecond).sort((a, b) => a - b);
    return { label: side.label, rounds: results[i]!, medianPerSecond: sorted[Math.floor(sorted.length / 2)]! };
  });
}

/** The ingest table and the target line (gateway median ÷ baseline median). */
export function renderIngest(baseline: IngestRow, gateway: IngestRow, concurrency: number, minRatio: number): string {
  const ratio = gateway.medianPerSecond / baseline.medianPerSecond;
  const row = (r: IngestRow) =>
    `${r.label.padEnd(56)} ${String(r.rounds.reduce((n, x) => n + x.requests, 0)).padStart(9)} ${String(concurrency).padStart(6)} ${r.medianPerSecond.toFixed(0).padStart(13)}   ${r.rounds.map((x) => x.perSecond.toFixed(0)).join(' ')}`;
  return [
    `${'webhook ingest'.padEnd(56)} ${'requests'.padStart(9)} ${'conc.'.padStart(6)} ${'median req/s'.padStart(13)}   rounds`,
    row(baseline),
    row(gateway),
    `webhook ingest throughput = ${(ratio * 100).toFixed(0)} % of the baseline's (HMAC verify + one D1 insert + Queue.send) at concurrency ${concurrency}, medians of alternating rounds; target ≥ ${(minRatio * 100).toFixed(0)} %: ${ratio >= minRatio ? 'MET' : 'NOT MET'}`,
  ].join('\n');
}
