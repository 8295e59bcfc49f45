/**
 * D1 failing in the middle of tools/call, at each of its steps: the client gets a clear answer every time, never a
 * success and never an upstream call made on half-read state. Past authentication the answer is a tool error
 * (isError, "try again later") with one log line; before it (the token cannot be checked) a 503 with Retry-After
 * that carries the request id of its log line. Either way nothing leaks from the error's message.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { faultyD1 } from '@gatehouse/integrations-adapters-cf/testing';
import { REQUEST_ID_HEADER } from '@gatehouse/integrations-core';
import Worker from '../src/index.js';
import { callTool, initialize, seedTenant } from './helpers.js';
import { fakeHosts } from './vendor-fakes.js';

/** The worker's fetch handler over `env` (its default export is a WorkerEntrypoint class). */
const workerFetch = (request: Request, e: Env, ctx: ExecutionContext) => new Worker(ctx, e).fetch(request);

const SITE = 'faults.atlassian.net';
let upstreamCalls = 0;

beforeAll(() => {
  // The credential check at install is answered by vendor-fakes.ts; this counts the tool's own requests.
  fakeHosts.set(SITE, () => {
    upstreamCalls++;
    return Response.json({
      id: '1',
      key: 'PROJ-1',
      fields: {
        summary: 'Login fails',
        status: { name: 'Open' },
        issuetype: { name: 'Bug' },
        priority: { name: 'High' },
        assignee: null,
      },
    });
  });
});

/** One JSON-RPC request to /mcp in `sessionId`, through the worker with AUTH_DB replaced by `d1`. */
async function mcpWith(token: string, sessionId: string, d1: D1Database, message: Record<string, unknown>) {
  const ctx = createExecutionContext();
  const res = await workerFetch(
    new Request('https://gatehouse.test/mcp', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', ...message }),
    }),
    { ...env, AUTH_DB: d1 },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

/** tools/call get_issue in `sessionId`, through the worker with AUTH_DB replaced. */
const getIssueWith = (token: string, sessionId: string, d1: D1Database) =>
  mcpWith(token, sessionId, d1, {
    id: 7,
    method: 'tools/call',
    params: { name: 'get_issue', arguments: { issue_key: 'PROJ-1' } },
  });

describe('tools/call with D1 failing', () => {
  it.each([
    ['warm', false],
    ['cold (the toolset rebuilt)', true],
  ])(
    'answers every failure point (%s) with a tool error or a 503 carrying its request id, never a result',
    async (label, cold) => {
      const { token, org } = await seedTenant(`faults-call-${cold ? 'cold' : 'warm'}`);
      const installed = await callTool(token, 'install_integration', {
        template: 'jira-cloud',
        credentials: { email: 'me@acme.test', api_token: 'jira-secret-token' },
        settings: { site_url: `https://${SITE}` },
      });
      expect(installed.isError, installed.text).toBe(false);
      const { sessionId } = await initialize(token);
      // A cold call rebuilds the toolset: bumping the catalog version misses the per-isolate cache, as an install does.
      const warmth = async () => {
        if (cold)
          await env.AUTH_DB.prepare('update organizations set catalog_version = catalog_version + 1 where id = ?')
            .bind(org.id)
            .run();
      };

      // Every call of one kind makes the same D1 executions; each is a point where D1 can fail.
      await getIssueWith(token, sessionId, env.AUTH_DB);
      await warmth();
      const probe = faultyD1(env.AUTH_DB, () => false);
      const healthy = await getIssueWith(token, sessionId, probe.d1);
      const healthyBody = (await healthy.json()) as { result?: { isError?: boolean }; error?: unknown };
      expect(healthyBody.result?.isError, JSON.stringify(healthyBody)).toBeFalsy();
      expect(healthyBody.result).toBeDefined();
      const steps = probe.executions.length;
      expect(steps).toBeGreaterThanOrEqual(cold ? 4 : 2);

      const lines: string[] = [];
      const spy = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void lines.push(String(line)));
      const leak = new Error('D1_ERROR: Network connection lost (Bearer gth_leakedDuringCall0001)');
      let toolErrors = 0;
      let authFailures = 0;
      const historySteps: string[] = [];
      for (let k = 1; k <= steps; k++) {
        await warmth();
        const before = upstreamCalls;
        const linesBefore = lines.length;
        const res = await getIssueWith(token, sessionId, faultyD1(env.AUTH_DB, (_sql, n) => n === k, leak).d1);
        const at = `D1 failing at step ${k} of ${steps} (${label}): ${probe.executions[k - 1]!.sql.slice(0, 80)}`;
        const body200 = res.status === 200 ? ((await res.clone().json()) as { result: { isError?: boolean } }) : null;
        if (body200 && !body200.result.isError) {
          // Only the run-history steps, after the answer, may fail without failing the call: logged, not surfaced.
          expect(upstreamCalls, at).toBe(before + 1);
          expect(lines.slice(linesBefore).join('\n'), at).toContain('"msg":"run history write failed"');
          historySteps.push(probe.executions[k - 1]!.sql);
        } else if (res.status === 200) {
          const body = (await res.json()) as { result: { isError?: boolean; content: { text: string }[] } };
          expect(body.result.isError, at).toBe(true);
          expect(body.result.content[0]!.text).toBe(
            'get_issue failed unexpectedly; the error was logged. Try again later.',
          );
          expect(upstreamCalls, at).toBe(before);
          toolErrors++;
        } else {
          expect(res.status, at).toBe(503);
          expect(res.headers.get('retry-after')).toBe('5');
          const requestId = res.headers.get(REQUEST_ID_HEADER);
          expect(requestId).toBeTruthy();
          expect(((await res.json()) as { error: string }).error).toBe('temporarily_unavailable');
          expect(lines.some((l) => l.includes(`"requestId":"${requestId}"`))).toBe(true);
          authFailures++;
        }
      }
      // The installation and credential reads happen past authentication: those failures are tool errors.
      expect(toolErrors).toBeGreaterThanOrEqual(1);
      expect(authFailures).toBeGreaterThanOrEqual(1);
      // The recorder's one step: the insert (written behind, after the answer).
      expect(historySteps).toHaveLength(1);
      expect(historySteps[0]).toMatch(/run_history_items/);
      spy.mockRestore();
      const toolLines = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.msg === 'tool failed');
      expect(toolLines.length).toBe(toolErrors);
      expect(toolLines[0]).toMatchObject({
        tool: 'get_issue',
        message: 'D1_ERROR: Network connection lost (Bearer [redacted])',
      });
      expect(lines.join('\n')).not.toContain('gth_leakedDuringCall0001');
    },
  );

  it('answers tools/list with JSON-RPC Internal error and a request id, never the failed query or its values', async () => {
    const { token, org, ws } = await seedTenant('faults-list');
    const { sessionId } = await initialize(token);
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void lines.push(String(line)));
    const res = await mcpWith(token, sessionId, faultyD1(env.AUTH_DB, (sql) => /from "installations"/.test(sql)).d1, {
      id: 8,
      method: 'tools/list',
      params: {},
    });
    spy.mockRestore();
    const body = (await res.json()) as { error: { code: number; message: string } };
    expect(body.error.code).toBe(-32603);
    const requestId = /request id ([0-9a-f-]{36})/.exec(body.error.message)?.[1];
    expect(requestId).toBeTruthy();
    for (const leak of ['Failed query', 'params', org.id, ws.id]) expect(body.error.message).not.toContain(leak);
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({
        msg: 'unhandled error',
        route: '/mcp tools/list',
        requestId,
        query: expect.stringContaining('from "installations"'),
      }),
    );
  });
});
