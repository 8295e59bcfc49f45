/**
 * The MCP Inspector CLI (a devDependency, Node >= 22) lists the tools of the running main worker with an API token,
 * in each protocol era it offers (`--protocol-era legacy | auto | modern`; modern pins 2026-07-28).
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';

const require = createRequire(import.meta.url);

describe('MCP Inspector CLI', () => {
  it.each(['legacy', 'auto', 'modern'])('lists the tools with the token (--protocol-era %s)', async (era) => {
    const pkg = require.resolve('@modelcontextprotocol/inspector/package.json');
    const bin = join(dirname(pkg), (require(pkg) as { bin: Record<string, string> }).bin['mcp-inspector']!);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        bin,
        '--cli',
        inject('mcpUrl'),
        '--transport',
        'http',
        '--method',
        'tools/list',
        '--header',
        `Authorization: Bearer ${inject('adminToken')}`,
        '--protocol-era',
        era,
      ],
      {
        timeout: 60_000,
        env: {
          ...process.env,
          MCP_CATALOG_PATH: join(process.env.TMPDIR ?? '/tmp', `gatehouse-inspector-${process.pid}-${era}.json`),
        },
      },
    );
    const listed = JSON.parse(stdout) as { tools: { name: string }[] };
    expect(listed.tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['list_integration_catalog', 'install_integration', 'get_my_profile']),
    );
  });
});
