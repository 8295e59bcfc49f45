import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

// The MAIN service binding resolves to this stand-in for the main worker: its RPC method records each dispatch (the
// signed message's body, and the whole message as `signature`) in a table of the shared AUTH_DB, so tests can check
// what was sent and how often. The real main worker's acceptance of dispatches is tested in apps/mcp and end to end
// in packages/e2e.
const recordingMain = `
import { WorkerEntrypoint } from 'cloudflare:workers';
export default class extends WorkerEntrypoint {
  async deliverSessionDispatch(message) {
    const db = this.env.AUTH_DB;
    await db.prepare('create table if not exists test_dispatches (body text not null, signature text)').run();
    await db.prepare('insert into test_dispatches (body, signature) values (?, ?)')
      .bind(message.body, JSON.stringify(message)).run();
    return { ok: true, sessionId: 'recorded', appended: true };
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
        bindings: {
          MCP_SIGNING_KEY: 'test-signing-key-0123456789abcdef0123456789',
          CREDENTIALS_KEYS: JSON.stringify({ 'test-1': 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY' }),
          CREDENTIALS_ACTIVE_KID: 'test-1',
          TEST_MIGRATIONS: await readD1Migrations(
            fileURLToPath(new URL('../../packages/integrations-adapters-cf/migrations', import.meta.url)),
          ),
        },
        workers: [
          {
            name: 'gatehouse-mcp',
            modules: true,
            script: recordingMain,
            compatibilityDate: '2026-11-01',
            d1Databases: { AUTH_DB: '6f1d9a52-3c1e-4b7a-9d0e-2a7c5e8b4f10' },
          },
        ],
      },
    })),
  ],
  test: { include: ['test/**/*.test.ts'], setupFiles: ['./test/apply-migrations.ts'] },
});
