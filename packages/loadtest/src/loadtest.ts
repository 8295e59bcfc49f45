/**
 * The load run: N unique signed deliveries spread over GitHub, Linear and Slack, D repeats of them (redeliveries and
 * replays, each sent after its original), at concurrency C, beside MCP traffic (tools/list and a jira-cloud
 * tools/call for several organizations through the MCP SDK client) at its own concurrency; then the exact counts
 * read back from AUTH_DB once the dispatch queue has drained.
 *
 * What must hold (`failures` lists every violation): no 5xx; of each unique delivery and its repeats exactly one
 * answered 202 and the rest 200 (duplicates); each unique delivery's marker in exactly one session event; as many delivery records as unique
 * deliveries, all dispatched; every MCP request answered without an error.
 */
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  PROVIDERS,
  markerOf,
  redelivery,
  replay,
  uniqueDelivery,
  type Delivery,
  type LoadProvider,
} from './deliveries.js';
import { readBack } from './read-back.js';
import { install, seedTenant } from './tenant.js';
import { runPool, type PoolReport } from './pool.js';
import { startLoopbackUpstream } from '@gatehouse/bench/loopback-upstream';

/** The stack under load: its two URLs and its AUTH_DB. */
export interface LoadtestTarget {
  /** e.g. http://127.0.0.1:8787/mcp */
  mcpUrl: string;
  /** e.g. http://127.0.0.1:8788 */
  integrationsUrl: string;
  /** The stack's AUTH_DB, for seeding tenants and reading the counts back. */
  d1: D1Database;
}

/** The run's size: unique deliveries, repeats, webhook concurrency, providers, MCP traffic. */
export interface LoadtestOptions {
  unique: number;
  /** Repeats: half redeliveries (same delivery id), half replays (same signed body, new id). */
  duplicates: number;
  concurrency: number;
  providers?: readonly LoadProvider[];
  /** Concurrent MCP traffic; `calls: 0` sends none. */
  mcp?: { organizations: number; concurrency: number; calls: number };
  /** How long to wait for the queue to drain before counting, milliseconds. */
  settleTimeoutMs?: number;
  log?: (line: string) => void;
}

/** Both pools' figures, the counts read back, and every violated expectation. */
export interface LoadtestReport {
  webhooks: PoolReport;
  mcp: PoolReport | null;
  /** Read back from AUTH_DB. */
  counts: {
    uniqueSent: number;
    repeatsSent: number;
    /** Unique deliveries whose marker is in exactly one session event. */
    eventsStored: number;
    /** Unique deliveries whose marker is in more than one session event. */
    eventsDuplicated: number;
    /** Unique deliveries with no session event. */
    eventsMissing: number;
    /** Delivery records (webhook_events rows) by status. */
    deliveries: Record<string, number>;
    /** Repeats answered as duplicates (200) and so refused a second dispatch. */
    repeatsRefused: number;
  };
  /** Every violated expectation; empty when the run is clean. */
  failures: string[];
}

const RUN_ID = () => randomBytes(4).toString('hex');

async function connect(mcpUrl: string, token: string): Promise<Client> {
  const client = new Client({ name: 'gatehouse-loadtest', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(mcpUrl), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

/** Places each repeat at a random position after its original, keeping the originals in order. */
function interleave(uniques: Delivery[], repeats: { of: number; delivery: Delivery }[]): Delivery[] {
  const slots: Delivery[][] = uniques.map((d) => [d]);
  for (const r of repeats) {
    const at = r.of + Math.floor(Math.random() * (uniques.length - r.of));
    slots[at]!.push(r.delivery);
  }
  return slots.flat();
}

/** Seeds, sends, reads back and checks (see the module header); never throws for a failed expectation, lists it. */
export async function runLoadtest(target: LoadtestTarget, options: LoadtestOptions): Promise<LoadtestReport> {
  const log = options.log ?? (() => undefined);
  const providers = options.providers ?? PROVIDERS;
  const run = RUN_ID();
  const failures: string[] = [];

  // Tenants: one for the webhooks, `organizations` more for the MCP traffic.
  const hooksTenant = await seedTenant(target.d1, `lt-${run}-hooks`);
  const secrets = Object.fromEntries(providers.map((p) => [p, `lt-${p}-${randomBytes(16).toString('hex')}`])) as Record<
    LoadProvider,
    string
  >;
  const urls = {} as Record<LoadProvider, string>;
  for (const p of providers) urls[p] = await install(target.integrationsUrl, hooksTenant.token, p, secrets[p]);
  log(`▸ installed ${providers.join(', ')} in ${hooksTenant.organizationId}`);

  const uniques: Delivery[] = [];
  for (let i = 0; i < options.unique; i++) {
    const p = providers[i % providers.length]!;
    uniques.push(await uniqueDelivery(p, secrets[p], markerOf(run, i), i));
  }
  const repeats = Array.from({ length: options.duplicates }, (_, k) => {
    const of = Math.floor(Math.random() * uniques.length);
    const original = uniques[of]!;
    return {
      of,
      delivery:
        k % 2 === 0 ? redelivery(original, secrets[original.provider]) : replay(original, secrets[original.provider]),
    };
  });
  const sequence = interleave(uniques, repeats);

  // MCP traffic, prepared before the burst so that only requests are timed.
  const mcpPlan = options.mcp && options.mcp.calls > 0 ? options.mcp : null;
  const jiraCredentials = { email: 'loadtest@example.com', api_token: `lt-${randomBytes(12).toString('hex')}` };
  const jira = mcpPlan
    ? await startLoopbackUpstream({ email: jiraCredentials.email, apiToken: jiraCredentials.api_token })
    : null;
  const clients: Client[] = [];
  try {
    if (mcpPlan && jira) {
      for (let k = 0; k < mcpPlan.organizations; k++) {
        const t = await seedTenant(target.d1, `lt-${run}-mcp${k}`);
        const client = await connect(target.mcpUrl, t.token);
        const installed = await client.callTool({
          name: 'install_integration',
          arguments: {
            template: 'jira-cloud',
            credentials: jiraCredentials,
            settings: { site_url: jira.url, project_key: 'LT' },
            scope: 'Global',
          },
        });
        if (installed.isError)
          throw new Error(`install_integration answered an error: ${JSON.stringify(installed.content)}`);
        clients.push(client);
      }
    }
    const mcpJobs = mcpPlan
      ? Array.from({ length: mcpPlan.calls }, (_, n) => async () => {
          const client = clients[n % clients.length]!;
          if (n % 2 === 0) {
            const { tools } = await client.listTools();
            return tools.some((t) => t.name === 'get_issue') ? 'ok' : 'tools/list without get_issue';
          }
          const result = await client.callTool({ name: 'get_issue', arguments: { issue_key: `LT-${n}` } });
          return result.isError ? `tool error: ${JSON.stringify(result.content).slice(0, 200)}` : 'ok';
        })
      : [];

    // Per unique delivery, the original and its repeats: whichever of them arrives first is accepted (202), the rest
    // are duplicates (200). Under concurrency a repeat can overtake its original, so the check is per group.
    const groupOf = new Map<Delivery, string>();
    for (const d of uniques) groupOf.set(d, d.marker);
    for (const r of repeats) groupOf.set(r.delivery, uniques[r.of]!.marker);
    const answers = new Map<string, number[]>();
    const webhookJobs = sequence.map((d) => async () => {
      const res = await fetch(urls[d.provider], { method: 'POST', headers: d.headers, body: d.body });
      const text = await res.text();
      const group = groupOf.get(d)!;
      answers.set(group, [...(answers.get(group) ?? []), res.status]);
      if (res.status !== 200 && res.status !== 202 && failures.length < 20)
        failures.push(`${d.provider} delivery answered ${res.status}: ${text.slice(0, 300)}`);
      return String(res.status);
    });

    log(
      `▸ sending ${uniques.length} unique deliveries and ${repeats.length} repeats at concurrency ${options.concurrency}` +
        (mcpPlan ? `, ${mcpPlan.calls} MCP requests at ${mcpPlan.concurrency}` : ''),
    );
    const [webhooks, mcp] = await Promise.all([
      runPool(webhookJobs, options.concurrency),
      mcpPlan ? runPool(mcpJobs, mcpPlan.concurrency) : Promise.resolve(null),
    ]);

    for (const [status, n] of Object.entries(webhooks.outcomes))
      if (/^5\d\d$|^error:/.test(status)) failures.push(`${n} webhook request(s) ended ${status}`);
    if (mcp) {
      for (const [outcome, n] of Object.entries(mcp.outcomes))
        if (outcome !== 'ok') failures.push(`${n} MCP request(s): ${outcome}`);
      failures.push(...mcp.failures.map((f) => `MCP: ${f}`));
    }
    if (jira && jira.rejected() > 0) failures.push(`the loopback Jira refused ${jira.rejected()} request(s)`);

    const counts = await readBack(target.d1, hooksTenant.organizationId, uniques, options.settleTimeoutMs ?? 120_000);
    let repeatsRefused = 0;
    for (const [group, statuses] of answers) {
      const accepted = statuses.filter((s) => s === 202).length;
      repeatsRefused += statuses.filter((s) => s === 200).length;
      if (accepted !== 1)
        failures.push(`delivery ${group} was accepted ${accepted} times (answers ${statuses.join(', ')})`);
    }
    if (counts.eventsStored !== uniques.length)
      failures.push(`${counts.eventsStored} of ${uniques.length} unique deliveries stored once`);
    if (counts.eventsDuplicated) failures.push(`${counts.eventsDuplicated} deliveries stored more than once`);
    if (counts.eventsMissing) failures.push(`${counts.eventsMissing} deliveries have no session event`);
    if ((counts.deliveries.dispatched ?? 0) !== uniques.length)
      failures.push(`delivery records: ${JSON.stringify(counts.deliveries)}, expected ${uniques.length} dispatched`);
    if (repeatsRefused !== repeats.length)
      failures.push(`${repeatsRefused} of ${repeats.length} repeats answered as duplicates`);
    return {
      webhooks,
      mcp,
      counts: { uniqueSent: uniques.length, repeatsSent: repeats.length, ...counts, repeatsRefused },
      failures,
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await jira?.close();
  }
}
