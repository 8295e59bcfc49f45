/**
 * Vendor host patterns (upstream-hosts.ts): a setting that points a vendor template elsewhere is refused before any
 * credential is sent, at install and on every call; each spelling trick that reaches another host is one case.
 */
import { describe, expect, it } from 'vitest';
import {
  credentialRoutingChanges,
  executeTemplateTool,
  findBuiltinTemplate,
  hostMatches,
  upstreamHostProblem,
  validateCredentials,
  validateTemplate,
} from '../src/index.js';
import { template } from './fixtures.js';

const zendesk = findBuiltinTemplate('zendesk')!;
const jira = findBuiltinTemplate('jira-cloud')!;
const azure = findBuiltinTemplate('azure-devops')!;

describe('hostMatches', () => {
  it.each([
    ['*.atlassian.net', 'acme.atlassian.net', true],
    ['*.atlassian.net', 'acme.atlassian.net.', true],
    ['*.atlassian.net', 'atlassian.net', false],
    ['*.atlassian.net', 'a.b.atlassian.net', false],
    ['*.atlassian.net', 'evilatlassian.net', false],
    ['*.atlassian.net', 'acme.atlassian.net.evil.com', false],
    ['dev.azure.com', 'dev.azure.com', true],
    ['dev.azure.com', 'evil.dev.azure.com', false],
    ['dev.azure.com', 'devxazure.com', false],
  ])('%s against %s → %s', (pattern, host, expected) => {
    expect(hostMatches(pattern, host)).toBe(expected);
  });
});

describe('upstreamHostProblem', () => {
  it('accepts the vendor hosts the built-in templates name', () => {
    expect(upstreamHostProblem(zendesk, { instance_url: 'https://acme.zendesk.com' })).toBeNull();
    expect(upstreamHostProblem(jira, { site_url: 'https://ACME.atlassian.net/' })).toBeNull();
    expect(upstreamHostProblem(azure, { organization_url: 'https://dev.azure.com/contoso' })).toBeNull();
    expect(upstreamHostProblem(azure, { organization_url: 'https://contoso.visualstudio.com' })).toBeNull();
  });

  it.each([
    ['another host', 'https://tickets.evil.example'],
    ['the vendor host as user info', 'https://acme.zendesk.com@evil.example'],
    ['the vendor host as a path', 'https://evil.example/acme.zendesk.com'],
    ['the vendor host as a prefix', 'https://acme.zendesk.com.evil.example'],
    ['a look-alike suffix', 'https://acmezendesk.com'],
    ['a percent-encoded dot', 'https://acme%2ezendesk.com.evil.example'],
  ])('refuses %s and names the allowed hosts', (_label, url) => {
    const problem = upstreamHostProblem(zendesk, { instance_url: url });
    expect(problem).toMatch(/Zendesk runs on \*\.zendesk\.com/);
  });

  it('leaves loopback to the outbound policy, which refuses it outside development', async () => {
    expect(upstreamHostProblem(jira, { site_url: 'http://127.0.0.1:9' })).toBeNull();
    const out = await executeTemplateTool(
      jira,
      jira.tools.find((t) => t.name === 'get_issue')!,
      {
        args: { issue_key: 'PROJ-1' },
        settings: { site_url: 'http://127.0.0.1:9' },
        credentials: { email: 'a', api_token: 't' },
      },
      { allowLoopback: false, fetch: () => Promise.reject(new Error('no request may be made')) },
    );
    expect(out).toMatchObject({ ok: false, kind: 'outbound_refused' });
  });

  it('accepts any host for a template marked selfHosted, and any host for one without patterns', () => {
    const onPrem = { ...jira, selfHosted: true };
    expect(upstreamHostProblem(onPrem, { site_url: 'https://jira.acme.example' })).toBeNull();
    const open = { ...jira, upstreamHosts: undefined };
    expect(upstreamHostProblem(open, { site_url: 'https://jira.acme.example' })).toBeNull();
  });
});

describe('the host check before credentials leave', () => {
  const credentials = { email: 'me@acme.test', api_token: 'secret-token-value' };
  const noRequest = () => Promise.reject(new Error('a request was made to an off-vendor host'));

  it('refuses a tool call whose stored settings point off the vendor, without a request', async () => {
    const getIssue = jira.tools.find((t) => t.name === 'get_issue')!;
    const out = await executeTemplateTool(
      jira,
      getIssue,
      { args: { issue_key: 'PROJ-1' }, settings: { site_url: 'https://jira.evil.example' }, credentials },
      { allowLoopback: false, fetch: noRequest },
    );
    expect(out).toMatchObject({ ok: false, kind: 'outbound_refused' });
    expect(JSON.stringify(out)).not.toContain('secret-token-value');
  });

  it('refuses the install-time credentials check the same way', async () => {
    const out = await validateCredentials(
      jira,
      { settings: { site_url: 'https://jira.evil.example' }, credentials },
      { allowLoopback: false, fetch: noRequest },
    );
    expect(out).toMatchObject({ ok: false, message: expect.stringMatching(/runs on \*\.atlassian\.net/) });
  });
});

describe('templates and their host patterns', () => {
  it('refuses a malformed pattern and a literal base URL outside its own patterns', () => {
    const bad = validateTemplate(template({ upstreamHosts: ['*.*.example'] }), new Set());
    expect(bad).toMatchObject({ ok: false, problems: [expect.stringMatching(/^upstreamHosts\[0\]: a host pattern/)] });
    const literal = validateTemplate(
      template({ baseUrl: 'https://api.other.example', upstreamHosts: ['api.acme.example'] }),
      new Set(),
    );
    expect(literal).toMatchObject({ ok: false, problems: [expect.stringMatching(/^baseUrl: Acme CRM runs on/)] });
  });

  it('counts a change of the allowed hosts or selfHosted as one that waits for approval', () => {
    const v1 = validateTemplate(template({ upstreamHosts: ['*.acme.example'] }), new Set());
    if (!v1.ok) throw new Error(v1.problems.join('; '));
    expect(credentialRoutingChanges(v1.template, { ...v1.template, selfHosted: true })).toEqual([
      expect.stringMatching(/^allowed hosts changed/),
    ]);
    expect(
      credentialRoutingChanges(v1.template, { ...v1.template, upstreamHosts: ['*.acme.example', '*.evil.example'] }),
    ).toHaveLength(1);
    expect(credentialRoutingChanges(v1.template, { ...v1.template, description: 'new words' })).toEqual([]);
  });
});

describe('token and authorization URLs built from settings', () => {
  const steered = validateTemplate(
    template({
      baseUrl: '{+settings.base_url}',
      upstreamHosts: ['*.acme.example'],
      auth: {
        type: 'oauth2_client_credentials',
        tokenUrl: '{+settings.auth_url}/oauth/token',
        clientId: 'client_id',
        clientSecret: 'client_secret',
      },
      credentials: [
        { name: 'client_id', description: 'Client id', secret: false },
        { name: 'client_secret', description: 'Client secret' },
      ],
      settings: [
        { name: 'base_url', description: 'API origin' },
        { name: 'auth_url', description: 'Authorization server' },
      ],
    }),
    new Set(),
  );

  it('refuses a token URL the settings point elsewhere, before the client secret is sent', async () => {
    if (!steered.ok) throw new Error(steered.problems.join('; '));
    const settings = { base_url: 'https://api.acme.example', auth_url: 'https://login.attacker.example' };
    expect(upstreamHostProblem(steered.template, settings)).toMatch(/token URL at login\.attacker\.example/);
    const out = await executeTemplateTool(
      steered.template,
      steered.template.tools[0]!,
      { args: { id: '1' }, settings, credentials: { client_id: 'c', client_secret: 'the-client-secret' } },
      { allowLoopback: false, fetch: () => Promise.reject(new Error('no request may be made')) },
    );
    expect(out).toMatchObject({ ok: false, kind: 'outbound_refused' });
    const fine = { base_url: 'https://api.acme.example', auth_url: 'https://login.acme.example' };
    expect(upstreamHostProblem(steered.template, fine)).toBeNull();
  });
});
