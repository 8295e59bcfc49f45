import { describe, expect, it } from 'vitest';
import { executeTemplateTool, findBuiltinTemplate } from '../src/index.js';

const jira = findBuiltinTemplate('jira-cloud')!;
const getIssue = jira.tools.find((t) => t.name === 'get_issue')!;
const input = {
  args: { issue_key: 'PROJ-1' },
  settings: { site_url: 'http://127.0.0.1:9' },
  credentials: { email: 'me@acme.test', api_token: 'secret-token-value' },
};

function fakeFetch(handler: (req: Request) => Response | Promise<Response>): typeof fetch {
  return async (url, init) => handler(new Request(url, init));
}

describe('executeTemplateTool', () => {
  it('maps a successful response with the tool’s JMESPath expression', async () => {
    const out = await executeTemplateTool(jira, getIssue, input, {
      allowLoopback: true,
      fetch: fakeFetch(
        () =>
          new Response(
            JSON.stringify({
              key: 'PROJ-1',
              fields: { summary: 'S', status: { name: 'Done' }, issuetype: { name: 'Bug' } },
            }),
            {
              headers: { 'content-type': 'application/json' },
            },
          ),
      ),
    });
    expect(out).toEqual({
      ok: true,
      status: 200,
      result: { key: 'PROJ-1', summary: 'S', status: 'Done', type: 'Bug', priority: null, assignee: null },
    });
  });

  it('turns upstream errors into a clear message without the upstream body or secrets', async () => {
    const out = await executeTemplateTool(jira, getIssue, input, {
      allowLoopback: true,
      fetch: fakeFetch(() => new Response('{"errorMessages":["echo secret-token-value"]}', { status: 401 })),
    });
    expect(out).toMatchObject({ ok: false, kind: 'upstream_status', status: 401 });
    expect(JSON.stringify(out)).not.toContain('secret-token-value');
    expect(JSON.stringify(out)).toMatch(/credentials/);
  });

  it('times out', async () => {
    const out = await executeTemplateTool(jira, getIssue, input, {
      allowLoopback: true,
      timeoutMs: 50,
      fetch: (_url, init) =>
        new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason))),
    });
    expect(out).toMatchObject({ ok: false, kind: 'upstream_timeout' });
  });

  it('refuses redirects, oversize bodies, unreachable hosts and loopback outside development', async () => {
    const redirect = await executeTemplateTool(jira, getIssue, input, {
      allowLoopback: true,
      fetch: fakeFetch(() => new Response(null, { status: 302, headers: { location: 'http://169.254.169.254/' } })),
    });
    expect(redirect).toMatchObject({ ok: false, kind: 'upstream_redirect' });
    const big = await executeTemplateTool(jira, getIssue, input, {
      allowLoopback: true,
      maxResponseBytes: 10,
      fetch: fakeFetch(() => new Response('x'.repeat(100))),
    });
    expect(big).toMatchObject({ ok: false, kind: 'upstream_too_large' });
    const down = await executeTemplateTool(jira, getIssue, input, {
      allowLoopback: true,
      fetch: () => Promise.reject(new TypeError('connect ECONNREFUSED')),
    });
    expect(down).toMatchObject({ ok: false, kind: 'upstream_unreachable' });
    let called = false;
    const refused = await executeTemplateTool(jira, getIssue, input, {
      allowLoopback: false,
      fetch: fakeFetch(() => {
        called = true;
        return new Response('{}');
      }),
    });
    expect(refused).toMatchObject({ ok: false, kind: 'outbound_refused' });
    expect(called).toBe(false);
  });

  it('refuses invalid arguments before any request', async () => {
    let called = false;
    const out = await executeTemplateTool(
      jira,
      getIssue,
      { ...input, args: {} },
      {
        allowLoopback: true,
        fetch: fakeFetch(() => {
          called = true;
          return new Response('{}');
        }),
      },
    );
    expect(out).toMatchObject({ ok: false, kind: 'invalid_arguments', message: expect.stringMatching(/issue_key/) });
    expect(called).toBe(false);
  });
});
