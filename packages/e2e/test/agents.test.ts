/**
 * Agents end to end on the real stack, with the scripted model fake served on 127.0.0.1 (an openai-compatible
 * base_url, allowed under the stack's development setting): invoke_agent from the MCP SDK client runs a tool and
 * answers; a signed GitHub `issue_comment` → an agent session → a run on the AGENT_RUNS workflow → a comment through
 * the provider's own tool that reaches the GitHub fake, recorded as a session event, followed in get_agent_run and
 * under the session's trace in the run history; and a run the caller's role does not cover.
 */
import { FAKE_MODEL_API_KEY } from '@gatehouse/model-fake';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import examples from '@octokit/webhooks-examples';
import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGithubFake, type GithubFake } from '../src/github-fake.js';
import { startModelFake, type ModelFakeServer } from '@gatehouse/model-fake/node';
import { connectAdminClient, installProvider, resultText as text, waitForSession } from '../src/provider-session.js';

const SECRET = 'e2e-agent-webhook-secret';
const TOKEN = 'ghp_e2eAgentToken';

describe('agents on the real stack', () => {
  let models: ModelFakeServer;
  let github: GithubFake;
  let client: Client;

  const call = async (name: string, args: Record<string, unknown>) => {
    const result = await client.callTool({ name, arguments: args });
    return { isError: result.isError === true, text: text(result), json: () => JSON.parse(text(result)) };
  };

  beforeAll(async () => {
    models = await startModelFake();
    github = await startGithubFake(TOKEN);
    client = await connectAdminClient('gatehouse-e2e-agents');
  });
  afterAll(async () => {
    for (const name of ['e2e-helper', 'e2e-triage']) await call('delete_agent', { agent: name }).catch(() => {});
    await client?.close();
    await github?.close();
    await models?.close();
  });

  it('invoke_agent from the MCP SDK client runs a tool and answers', async () => {
    const created = await call('create_agent', {
      name: 'e2e-helper',
      instructions: 'Answer questions about the workspace.',
      model: { provider: 'openai-compatible', model: 'llama-test', base_url: models.baseUrl },
      api_key: FAKE_MODEL_API_KEY,
    });
    expect(created.isError, created.text).toBe(false);
    models.model.push(
      { toolCalls: [{ name: 'get_workspace_info', arguments: {} }] },
      { text: 'This is the demo workspace.' },
    );
    const run = await call('invoke_agent', { agent: 'e2e-helper', input: 'Which workspace is this?' });
    expect(run.isError, run.text).toBe(false);
    expect(run.json()).toMatchObject({ status: 'completed', output: 'This is the demo workspace.' });
    expect(run.json().steps.map((s: { tool?: string; kind: string }) => s.tool ?? s.kind)).toEqual([
      'model_call',
      'get_workspace_info',
      'model_call',
    ]);
    expect(models.model.requests[0]).toMatchObject({ api: 'openai', path: '/v1/chat/completions' });
    expect(run.text).not.toContain(FAKE_MODEL_API_KEY);
  });

  it('answers a GitHub comment in its thread: webhook → session → run → comment on the fake', async () => {
    const { webhook_url, installation } = await installProvider('github', {
      title: 'GitHub Agents',
      credentials: { webhook_secret: SECRET, token: TOKEN },
      settings: { api_url: github.url },
    });
    github.requests.length = 0;
    const created = await call('create_agent', {
      name: 'e2e-triage',
      instructions: 'Triage GitHub issues; answer in one sentence.',
      model: { provider: 'openai-compatible', model: 'llama-test', base_url: models.baseUrl },
      api_key: FAKE_MODEL_API_KEY,
      // This installation only: other tests' GitHub sessions are not this agent's.
      handles: [installation.handle],
      tools: ['mcp_github_get_issue'],
    });
    expect(created.isError, created.text).toBe(false);
    models.model.requests.length = 0;
    models.model.push({ text: 'Thanks for the report; the typo is fixed in main.' });

    const payload = (examples as unknown as { name: string; examples: Record<string, any>[] }[])
      .find((d) => d.name === 'issue_comment')!
      .examples.find((e) => e.action === 'created')!;
    payload.issue.number = 5150;
    payload.comment.body = 'There is a typo in the README.';
    const raw = JSON.stringify(payload);
    const thread = `${payload.repository.full_name}#5150`;
    const delivered = await fetch(webhook_url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issue_comment',
        'x-github-delivery': 'e2e-agent-1',
        'x-hub-signature-256': await sign(SECRET, raw),
      },
      body: raw,
    });
    expect(delivered.status).toBe(202);
    const session = await waitForSession(client, thread);
    expect(session).toBeDefined();

    // The run answers through mcp_github_comment_on_issue, acting for the session.
    let detail: { events: { event: string; actor: string }[]; trace: string } | undefined;
    for (let i = 0; i < 200; i++) {
      detail = (await call('get_session', { session_id: session!.id })).json();
      if (detail!.events.some((e) => e.event === 'agent.reply')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(detail!.events.map((e) => e.event)).toEqual(['issue_comment.created', 'agent.reply']);
    expect(github.requests).toEqual([
      {
        method: 'POST',
        path: `/repos/${payload.repository.full_name}/issues/5150/comments`,
        authorization: `token ${TOKEN}`,
        body: { body: 'Thanks for the report; the typo is fixed in main.' },
      },
    ]);
    expect(JSON.stringify(models.model.requests[0]!.body.messages)).toContain('There is a typo in the README.');

    // A person follows the run: get_agent (recent runs) → get_agent_run → the session's trace.
    const agent = (await call('get_agent', { agent: 'e2e-triage' })).json();
    const runId = agent.recent_runs[0].run_id;
    const run = (await call('get_agent_run', { run_id: runId })).json();
    expect(run).toMatchObject({
      status: 'completed',
      trigger: 'session',
      session_id: session!.id,
      trace: detail!.trace,
    });
    expect(run.steps.map((s: { tool?: string; kind: string }) => s.tool ?? s.kind)).toEqual([
      'model_call',
      'mcp_github_comment_on_issue',
    ]);
    // The tool calls are written behind (a moment after the answer): wait for every kind of the trace.
    const expected = ['webhook_delivery', 'dispatch', 'session_event', 'agent_step', 'tool_call', 'agent_run'];
    let kinds: string[] = [];
    for (let i = 0; i < 100 && !expected.every((k) => kinds.includes(k)); i++) {
      const items = (await call('search_run_history', { trace: detail!.trace })).json().items as { kind: string }[];
      kinds = items.map((x) => x.kind);
      if (!expected.every((k) => kinds.includes(k))) await new Promise((r) => setTimeout(r, 100));
    }
    expect(kinds).toEqual(expect.arrayContaining(expected));
  });
});
