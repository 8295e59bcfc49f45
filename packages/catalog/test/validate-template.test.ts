import { describe, expect, it } from 'vitest';
import { BUILTIN_TEMPLATES, diffTemplates, validateTemplate, type IntegrationTemplate } from '../src/index.js';
import { template } from './fixtures.js';

const reserved = new Set(['get_my_profile', 'install_integration']);

function problems(input: unknown): string {
  const r = validateTemplate(input, reserved);
  return r.ok ? '' : r.problems.join('\n');
}

describe('validateTemplate', () => {
  it('accepts a well-formed template and every shipped one', () => {
    expect(validateTemplate(template(), reserved)).toMatchObject({ ok: true });
    for (const t of BUILTIN_TEMPLATES) expect(problems(t), t.slug).toBe('');
  });

  it.each([
    [
      'a name prefixed with the integration slug',
      { name: 'acme_get_contact' },
      /tools\[0\] \(acme_get_contact\)\.name: use a generic name without the integration prefix "acme_"/,
    ],
    ['a name prefixed with the integration name', { name: 'acme_crm_get_contact' }, /integration prefix "acme_crm_"/],
    ['a name over 40 characters', { name: `get_${'x'.repeat(40)}` }, /longer than 40 characters/],
    ['a core tool name', { name: 'get_my_profile' }, /"get_my_profile" is a core tool/],
    ['a name that is not snake_case', { name: 'GetContact' }, /tools\[0\]\.name: use lower_snake_case/],
    [
      'a path variable that is no argument',
      { path: '/v1/contacts/{args.contact}' },
      /tools\[0\] \(get_contact\)\.path: variable \{args\.contact\}/,
    ],
    [
      'a bad JMESPath body',
      { method: 'POST', body: '{name: ' },
      /tools\[0\] \(get_contact\)\.body: not a valid JMESPath/,
    ],
    [
      'a reserved argument name',
      { inputSchema: { type: 'object', properties: { _integration: { type: 'string' } } } },
      /names starting with "_" are reserved/,
    ],
    [
      'a required argument that is no property',
      { inputSchema: { type: 'object', properties: {}, required: ['id'] } },
      /required: "id" is not a property/,
    ],
    [
      'an Authorization header',
      { headers: { Authorization: 'Bearer x' } },
      /headers\.Authorization: set by the gateway/,
    ],
    ['a docs URL that is not a URL', { docsUrl: 'see docs' }, /tools\[0\]\.docsUrl/],
  ])('refuses %s, naming the field', (_label, tool, pattern) => {
    expect(problems(template({}, tool))).toMatch(pattern);
  });

  it('refuses auth that names an undeclared credential and a baseUrl variable that is no setting', () => {
    expect(problems(template({ auth: { type: 'bearer', token: 'token' } }))).toMatch(
      /auth: credential "token" is not declared/,
    );
    expect(problems(template({ baseUrl: 'https://{settings.tenant}.acme.test' }))).toMatch(
      /baseUrl: variable \{settings\.tenant\}/,
    );
    expect(problems(template({ slug: 'Acme CRM' }))).toMatch(/^slug: /m);
  });

  it('refuses the gateway’s reserved credential names (the webhook signing secrets)', () => {
    for (const name of ['webhook_secret', 'previous_webhook_secret'])
      expect(problems(template({ credentials: [{ name, description: 'x' }] }))).toMatch(
        new RegExp(`credentials\\[0\\]\\.name: "${name}" is reserved`),
      );
  });

  it('refuses duplicate tool names', () => {
    const t = template();
    t.tools.push({ ...t.tools[0]! });
    expect(problems(t)).toMatch(/duplicate tool name/);
  });
});

describe('diffTemplates', () => {
  const base = validateTemplate(template(), reserved) as { ok: true; template: IntegrationTemplate };

  it('reports added tools as non-breaking', () => {
    const next = structuredClone(base.template);
    next.tools.push({
      ...next.tools[0]!,
      name: 'list_contacts',
      path: '/v1/contacts',
      inputSchema: { type: 'object', properties: {} },
    });
    expect(diffTemplates(base.template, next)).toEqual({
      tools_added: ['list_contacts'],
      tools_removed: [],
      tools_changed: [],
      breaking: false,
      breaking_reasons: [],
    });
  });

  it('reports a removed tool, a new required argument and a new required credential as breaking', () => {
    const removed = structuredClone(base.template);
    removed.tools = [{ ...removed.tools[0]!, name: 'find_contact' }];
    expect(diffTemplates(base.template, removed)).toMatchObject({
      breaking: true,
      breaking_reasons: ['tool get_contact removed'],
    });

    const stricter = structuredClone(base.template);
    stricter.tools[0]!.inputSchema = {
      type: 'object',
      properties: { id: { type: 'string' }, region: { type: 'string' } },
      required: ['id', 'region'],
    };
    stricter.credentials.push({ name: 'secret', description: 's', secret: true, required: true });
    const d = diffTemplates(base.template, stricter);
    expect(d.tools_changed).toEqual(['get_contact']);
    expect(d.breaking_reasons).toEqual([
      'tool get_contact: required argument region added',
      'credential secret is now required; existing installations lack it',
    ]);
  });
});
