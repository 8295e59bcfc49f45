import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

// The INTEGRATIONS service binding resolves to this stand-in for the integrations worker: its RPC methods publish a
// registry with one read and one write tool, and answer provider tool calls by recording them (the signed message's
// body, and the whole message as `signature`) in a table of the shared AUTH_DB; a call for issue 8 is refused the
// way the real worker refuses a write outside a publication; a comment on issue 9 answers its id, as GitHub does.
const integrationsStub = `
import { WorkerEntrypoint } from 'cloudflare:workers';
export default class extends WorkerEntrypoint {
  async providerRegistry() {
    return [{ id: 'github', displayName: 'GitHub', tools: [
      { name: 'mcp_github_get_issue', description: 'Get an issue', inputSchema: { type: 'object', properties: { repository: { type: 'string' }, number: { type: 'integer' } }, required: ['repository', 'number'] }, publicationScope: null },
      { name: 'mcp_github_comment_on_issue', description: 'Comment', inputSchema: { type: 'object', properties: { repository: { type: 'string' }, number: { type: 'integer' }, body: { type: 'string' } }, required: ['repository', 'number', 'body'] }, publicationScope: 'comment.create' },
    ], publicationScopes: [
      { name: 'comment.create', granularities: ['workspace', 'issue', 'user'] },
      { name: 'issue.create', granularities: ['workspace', 'user'] },
    ] }];
  }
  async callProviderTool(message) {
    const db = this.env.AUTH_DB;
    await db.prepare('create table if not exists test_tool_calls (body text not null, signature text)').run();
    await db.prepare('insert into test_tool_calls (body, signature) values (?, ?)').bind(message.body, JSON.stringify(message)).run();
    const call = JSON.parse(message.body);
    if (call.arguments.number === 8) return { ok: false, status: 403, error: 'outside_publication', message: 'Session s may not comment.create there' };
    if (call.arguments.number === 9) return { ok: true, result: { commented: true, id: 990009 } };
    return { ok: true, result: { commented: true } };
  }
  fetch() {
    return new Response('not found', { status: 404 });
  }
}`;

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        workers: [
          {
            name: 'gatehouse-integrations',
            modules: true,
            script: integrationsStub,
            compatibilityDate: '2026-11-01',
            d1Databases: { AUTH_DB: '6f1d9a52-3c1e-4b7a-9d0e-2a7c5e8b4f10' },
          },
        ],
        bindings: {
          MCP_SIGNING_KEY: 'test-signing-key-0123456789abcdef0123456789',
          CREDENTIALS_KEYS: JSON.stringify({ 'test-1': 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY' }),
          CREDENTIALS_ACTIVE_KID: 'test-1',
          ALLOWED_ORIGINS: 'http://localhost:6274',
          ALLOWED_HOSTS: 'gatehouse.test',
          TEST_MIGRATIONS: await readD1Migrations(
            fileURLToPath(new URL('../../packages/integrations-adapters-cf/migrations', import.meta.url)),
          ),
        },
      },
    })),
  ],
  test: { include: ['test/**/*.test.ts'], setupFiles: ['./test/apply-migrations.ts'] },
});
