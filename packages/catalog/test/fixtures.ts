/** A small valid template (Acme CRM, one GET tool) for the catalog's tests; `overrides` replace top-level fields, `tool` fields of its tool. */
export function template(overrides: Record<string, unknown> = {}, tool: Record<string, unknown> = {}) {
  return {
    slug: 'acme-crm',
    name: 'Acme CRM',
    description: 'Acme CRM contacts',
    docsUrl: 'https://docs.acme.test/api',
    baseUrl: '{+settings.base_url}',
    auth: { type: 'bearer', token: 'api_key' },
    credentials: [{ name: 'api_key', description: 'API key' }],
    settings: [{ name: 'base_url', description: 'API origin' }],
    tools: [
      {
        name: 'get_contact',
        title: 'Get contact',
        description: 'Get a contact by id',
        docsUrl: 'https://docs.acme.test/api/contacts#get',
        method: 'GET',
        path: '/v1/contacts/{args.id}',
        inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        response: '{id: id, name: name}',
        ...tool,
      },
    ],
    ...overrides,
  };
}
