/**
 * The load run's smoke size, in `pnpm test`: 300 unique signed deliveries over GitHub, Linear and Slack plus 100
 * redeliveries and replays at concurrency 20, beside 200 MCP requests for three organizations at concurrency 50,
 * against both workers in one workerd process. Any 5xx, any count that differs, any MCP error fails it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startThrowawayStack, type ThrowawayStack } from '@gatehouse/local-stack';
import { runLoadtest } from '../src/loadtest.js';

describe('pnpm loadtest (smoke size)', () => {
  let stack: ThrowawayStack;
  beforeAll(async () => {
    stack = await startThrowawayStack();
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it('stores every unique delivery once, refuses every repeat, and answers every MCP request', async () => {
    const report = await runLoadtest(
      {
        mcpUrl: `${stack.urls.mcp}/mcp`,
        integrationsUrl: stack.urls.integrations!,
        d1: (await stack.d1()) as unknown as D1Database,
      },
      { unique: 300, duplicates: 100, concurrency: 20, mcp: { organizations: 3, concurrency: 50, calls: 200 } },
    );
    expect(report.failures).toEqual([]);
    expect(report.webhooks.outcomes).toEqual({ '202': 300, '200': 100 });
    expect(report.counts).toMatchObject({
      uniqueSent: 300,
      repeatsSent: 100,
      eventsStored: 300,
      eventsDuplicated: 0,
      eventsMissing: 0,
      repeatsRefused: 100,
      deliveries: { dispatched: 300 },
    });
    expect(report.mcp?.outcomes).toEqual({ ok: 200 });
  });
});
