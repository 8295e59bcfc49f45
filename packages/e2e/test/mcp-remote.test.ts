/**
 * End to end with mcp-remote (pinned devDependency), the stdio bridge Claude Desktop uses: it connects to the MCP URL
 * with no token, runs the OAuth flow (its $BROWSER is the stand-in that signs in and approves), then serves MCP over
 * stdio; the SDK client lists tools and calls one through it. Both of its protocol modes: `legacy` (initialize and
 * a session) and `auto` (it probes server/discover and speaks 2026-07-28 upstream).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '@gatehouse/local-stack';

const require = createRequire(import.meta.url);

describe('mcp-remote over OAuth', () => {
  it.each(['legacy', 'auto'])(
    'signs in through the browser flow, lists tools and calls one (--protocol %s)',
    async (protocol) => {
      const pkg = require.resolve('mcp-remote/package.json');
      const proxy = join(dirname(pkg), (require(pkg) as { bin: Record<string, string> }).bin['mcp-remote']!);
      const configDir = mkdtempSync(join(tmpdir(), 'gatehouse-mcp-remote-'));
      const callbackPort = await freePort();
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [
          proxy,
          inject('mcpUrl'),
          String(callbackPort),
          '--allow-http',
          '--host',
          '127.0.0.1',
          '--protocol',
          protocol,
        ],
        env: {
          ...(process.env as Record<string, string>),
          PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
          BROWSER: join(import.meta.dirname, '..', 'src', 'fake-browser.mjs'),
          GATEHOUSE_E2E_EMAIL: inject('adminEmail'),
          GATEHOUSE_E2E_PASSWORD: inject('adminPassword'),
          MCP_REMOTE_CONFIG_DIR: configDir,
          DISPLAY: '',
          WAYLAND_DISPLAY: '',
        },
        stderr: 'pipe',
      });
      let log = '';
      transport.stderr?.on('data', (d) => (log += d));
      const client = new Client({ name: 'gatehouse-e2e-mcp-remote', version: '1.0.0' });
      try {
        await client.connect(transport);
        const names = (await client.listTools()).tools.map((t) => t.name);
        expect(names, log.slice(-3000)).toContain('get_my_profile');
        // auto: the proxy found the modern era (its own log line); legacy: it never probed for it.
        if (protocol === 'auto') expect(log, log.slice(-3000)).toMatch(/Remote server speaks MCP 2026-07-28/);
        else expect(log).not.toMatch(/speaks MCP 2026-07-28/);
        const profile = await client.callTool({ name: 'get_my_profile', arguments: {} });
        expect(JSON.parse((profile.content as { text: string }[])[0]!.text)).toMatchObject({
          user: { email: inject('adminEmail') },
        });
      } finally {
        await client.close().catch(() => undefined);
        rmSync(configDir, { recursive: true, force: true });
      }
    },
    90_000,
  );
});
