import { compile } from '@jmespath-community/jmespath';
import { describe, expect, it } from 'vitest';
import { BUILTIN_TEMPLATES, findBuiltinTemplate, renderRequest, validateArguments } from '../src/index.js';

describe('shipped catalog', () => {
  it('ships at least three templates, every tool citing its doc page', () => {
    expect(BUILTIN_TEMPLATES.map((t) => t.slug)).toEqual(['azure-devops', 'jira-cloud', 'zendesk']);
    for (const t of BUILTIN_TEMPLATES) for (const tool of t.tools) expect(tool.docsUrl).toMatch(/^https:\/\//);
  });

  it('compiles every JMESPath expression', () => {
    for (const t of BUILTIN_TEMPLATES)
      for (const tool of t.tools)
        for (const expr of [tool.body, tool.response, ...Object.values(tool.query ?? {})].filter(Boolean))
          expect(() => compile(expr!), `${t.slug}.${tool.name}: ${expr}`).not.toThrow();
  });

  it('uses generic tool names, unique within each template', () => {
    for (const t of BUILTIN_TEMPLATES) {
      const names = t.tools.map((x) => x.name);
      expect(new Set(names).size).toBe(names.length);
      for (const n of names) expect(n.startsWith(t.slug.split('-')[0]!)).toBe(false);
    }
  });
});

describe('rendering the vendors’ real requests', () => {
  it('Jira create_issue: POST /rest/api/3/issue, Basic email:token, ADF description', () => {
    const t = findBuiltinTemplate('jira-cloud')!;
    const req = renderRequest(t, t.tools.find((x) => x.name === 'create_issue')!, {
      args: { summary: 'Login fails', description: 'Steps…' },
      settings: { site_url: 'https://acme.atlassian.net', project_key: 'PROJ' },
      credentials: { email: 'me@acme.test', api_token: 'tok' },
    });
    expect(req.method).toBe('POST');
    expect(req.url).toBe('https://acme.atlassian.net/rest/api/3/issue');
    expect(req.headers.authorization).toBe(`Basic ${btoa('me@acme.test:tok')}`);
    expect(JSON.parse(req.body!)).toEqual({
      fields: {
        project: { key: 'PROJ' },
        summary: 'Login fails',
        issuetype: { name: 'Task' },
        description: {
          type: 'doc',
          version: 1,
          content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Steps…' }] }],
        },
      },
    });
  });

  it('Jira get_issue percent-encodes path arguments', () => {
    const t = findBuiltinTemplate('jira-cloud')!;
    const req = renderRequest(t, t.tools.find((x) => x.name === 'get_issue')!, {
      args: { issue_key: '../../admin?x=1' },
      settings: { site_url: 'https://acme.atlassian.net' },
      credentials: { email: 'e', api_token: 't' },
    });
    expect(new URL(req.url).pathname).toBe('/rest/api/3/issue/..%2F..%2Fadmin%3Fx%3D1');
  });

  it('Azure DevOps create_work_item: $Type path, json-patch body, PAT as Basic password', () => {
    const t = findBuiltinTemplate('azure-devops')!;
    const req = renderRequest(t, t.tools.find((x) => x.name === 'create_work_item')!, {
      args: { type: 'Bug', title: 'Crash' },
      settings: { organization_url: 'https://dev.azure.com/contoso', project: 'Fabrikam Web' },
      credentials: { personal_access_token: 'pat' },
    });
    expect(req.url).toBe('https://dev.azure.com/contoso/Fabrikam%20Web/_apis/wit/workitems/$Bug?api-version=7.1');
    expect(req.headers['content-type']).toBe('application/json-patch+json');
    expect(req.headers.authorization).toBe(`Basic ${btoa(':pat')}`);
    expect(JSON.parse(req.body!)).toEqual([{ op: 'add', path: '/fields/System.Title', value: 'Crash' }]);
  });

  it('Zendesk uses {email}/token Basic auth and cursor pagination', () => {
    const t = findBuiltinTemplate('zendesk')!;
    const req = renderRequest(t, t.tools.find((x) => x.name === 'list_tickets')!, {
      args: {},
      settings: { instance_url: 'https://acme.zendesk.com' },
      credentials: { email: 'agent@acme.test', api_token: 'zt' },
    });
    expect(req.headers.authorization).toBe(`Basic ${btoa('agent@acme.test/token:zt')}`);
    const url = new URL(req.url);
    expect(url.pathname).toBe('/api/v2/tickets');
    expect(url.searchParams.get('page[size]')).toBe('25');
    expect(url.searchParams.has('page[after]')).toBe(false);
  });

  it('validates arguments against the tool schema with messages naming the field', () => {
    const t = findBuiltinTemplate('zendesk')!;
    const tool = t.tools.find((x) => x.name === 'update_ticket')!;
    expect(validateArguments(tool, { ticket_id: 5, status: 'open' })).toEqual([]);
    const problems = validateArguments(tool, { status: 'bogus' });
    expect(problems.join('\n')).toMatch(/ticket_id/);
    expect(problems.join('\n')).toMatch(/status/);
  });
});

describe('path arguments', () => {
  it('refuses "." and ".." so an argument cannot walk to another endpoint', async () => {
    const { renderRequest: render, TemplateRenderError } = await import('../src/index.js');
    const t = findBuiltinTemplate('jira-cloud')!;
    const tool = t.tools.find((x) => x.name === 'get_issue')!;
    for (const key of ['..', '.']) {
      expect(
        () =>
          render(t, tool, {
            args: { issue_key: key },
            settings: { site_url: 'https://acme.atlassian.net' },
            credentials: { email: 'e', api_token: 't' },
          }),
        key,
      ).toThrow(TemplateRenderError);
    }
    // Percent-encoded dots arrive as literal text (the `%` is encoded), never as a dot segment.
    const encoded = render(t, tool, {
      args: { issue_key: '%2e%2e' },
      settings: { site_url: 'https://acme.atlassian.net' },
      credentials: { email: 'e', api_token: 't' },
    });
    expect(new URL(encoded.url).pathname).toBe('/rest/api/3/issue/%252e%252e');
  });
});
