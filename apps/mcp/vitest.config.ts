import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          MCP_SIGNING_KEY: 'test-signing-key-0123456789abcdef0123456789',
          CREDENTIALS_KEYS: JSON.stringify({ 'test-1': 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY' }),
          CREDENTIALS_ACTIVE_KID: 'test-1',
          ALLOWED_ORIGINS: 'http://localhost:6274',
          ALLOWED_HOSTS: 'gatehouse.test',
          TEST_MIGRATIONS: await readD1Migrations(fileURLToPath(new URL('../../packages/integrations-adapters-cf/migrations', import.meta.url))),
        },
      },
    })),
  ],
  test: { include: ['test/**/*.test.ts'], setupFiles: ['./test/apply-migrations.ts'] },
});
