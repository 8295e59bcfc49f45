/**
 * `pnpm loadtest [--unique N] [--duplicates D] [--concurrency C] [--mcp-calls M] [--mcp-concurrency K]
 *   [--mcp-organizations O] [--providers github,linear,slack] [--attach]`
 *
 * Without --attach it starts its own stack (both workers in one workerd process on a throwaway D1); with --attach
 * it loads the running `pnpm dev` (127.0.0.1:8787 and :8788) and seeds and counts through the same local D1 file
 * (packages/integrations-adapters-cf/src/dev/busy-retry.ts waits out the lock that second process meets).
 * Exits 1 when any expectation fails (see src/loadtest.ts), 2 on bad arguments.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, startThrowawayStack } from '@gatehouse/local-stack';
import { openLocalD1 } from './attach.js';
import { PROVIDERS, type LoadProvider } from './deliveries.js';
import { runLoadtest, type LoadtestTarget } from './loadtest.js';
import { formatReport } from './report.js';

function count(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} takes a whole number, got ${JSON.stringify(value)}`);
  return n;
}

/** The command line, validated; throws with what to fix. */
function parseCommandLine() {
  const { values } = parseArgs({
    options: {
      unique: { type: 'string' },
      duplicates: { type: 'string' },
      concurrency: { type: 'string' },
      'mcp-calls': { type: 'string' },
      'mcp-concurrency': { type: 'string' },
      'mcp-organizations': { type: 'string' },
      providers: { type: 'string' },
      attach: { type: 'boolean' },
    },
    strict: true,
  });
  const providers = (values.providers ?? PROVIDERS.join(',')).split(',').map((p) => p.trim());
  for (const p of providers)
    if (!(PROVIDERS as readonly string[]).includes(p))
      throw new Error(`--providers: unknown provider ${p} (${PROVIDERS.join(', ')})`);
  return {
    unique: count(values.unique, 300, 'unique'),
    duplicates: count(values.duplicates, 100, 'duplicates'),
    concurrency: Math.max(1, count(values.concurrency, 20, 'concurrency')),
    mcp: {
      calls: count(values['mcp-calls'], 400, 'mcp-calls'),
      concurrency: Math.max(1, count(values['mcp-concurrency'], 50, 'mcp-concurrency')),
      organizations: Math.max(1, count(values['mcp-organizations'], 3, 'mcp-organizations')),
    },
    providers: providers as LoadProvider[],
    attach: values.attach === true,
  };
}

let args: ReturnType<typeof parseCommandLine>;
try {
  args = parseCommandLine();
} catch (err) {
  process.stderr.write(`loadtest: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}

const log = (line: string) => process.stderr.write(`${line}\n`);
let target: LoadtestTarget;
let close: () => Promise<void>;
if (args.attach) {
  const local = await openLocalD1(process.env.GATEHOUSE_PERSIST_TO ?? join(REPO_ROOT, '.wrangler', 'state'));
  // The ports `pnpm dev` serves on (and their overrides, scripts/lib/dev-ports.mts).
  const mcpPort = process.env.GATEHOUSE_DEV_MCP_PORT || '8787';
  const integrationsPort = process.env.GATEHOUSE_DEV_INTEGRATIONS_PORT || '8788';
  target = {
    mcpUrl: `http://127.0.0.1:${mcpPort}/mcp`,
    integrationsUrl: `http://127.0.0.1:${integrationsPort}`,
    d1: local.d1,
  };
  close = local.close;
} else {
  log('▸ starting a throwaway stack (both workers in one workerd process)');
  const stack = await startThrowawayStack({ log });
  target = {
    mcpUrl: `${stack.urls.mcp}/mcp`,
    integrationsUrl: stack.urls.integrations!,
    d1: (await stack.d1()) as unknown as D1Database,
  };
  close = () => stack.dispose();
}
try {
  const report = await runLoadtest(target, { ...args, log });
  process.stdout.write(`${formatReport(report)}\n`);
  process.exitCode = report.failures.length === 0 ? 0 : 1;
} finally {
  await close();
}
