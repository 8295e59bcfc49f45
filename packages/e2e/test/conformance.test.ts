/**
 * The official MCP conformance server scenarios (@modelcontextprotocol/conformance, pinned) against the running
 * main worker. Scenarios that need what a gateway does not have (test fixture tools, prompts, resources, sampling…)
 * are listed with their reason in conformance-baseline.yml; the CLI fails on any other failure and on a stale
 * baseline entry (a listed scenario that now passes).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';

const require = createRequire(import.meta.url);
const here = dirname(new URL(import.meta.url).pathname);

describe('MCP conformance (server scenarios)', () => {
  it('passes every scenario outside the documented baseline', async () => {
    const mcpUrl = inject('mcpUrl');
    const cli = join(dirname(require.resolve('@modelcontextprotocol/conformance/package.json')), 'dist', 'index.js');
    const out = mkdtempSync(join(tmpdir(), 'gatehouse-conformance-'));
    const child = spawn(
      process.execPath,
      [
        '--import',
        join(here, '..', 'src', 'conformance-auth.mjs'),
        cli,
        'server',
        '--url',
        mcpUrl,
        '--expected-failures',
        join(here, '..', 'conformance-baseline.yml'),
        '-o',
        out,
      ],
      {
        env: {
          ...process.env,
          CONFORMANCE_AUTH: `Bearer ${inject('adminToken')}`,
          CONFORMANCE_AUTH_ORIGIN: new URL(mcpUrl).origin,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), 120_000);
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
    clearTimeout(timer);

    const verdicts: Record<string, string> = {};
    for (const dir of readdirSync(out).filter((d) => d.startsWith('server-'))) {
      const checks = JSON.parse(readFileSync(join(out, dir, 'checks.json'), 'utf8')) as {
        status: string;
        id: string;
        errorMessage?: string;
      }[];
      const bad = checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING');
      verdicts[dir.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT.*$/, '')] = bad.length
        ? `failed: ${bad[0]!.errorMessage ?? bad[0]!.id}`
        : 'passed';
    }
    // The scenarios a gateway must pass are present and passed (guards against a run that silently did nothing).
    expect(verdicts).toMatchObject({ 'server-initialize': 'passed', ping: 'passed', 'tools-list': 'passed' });
    expect(
      code,
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes (ESC [ … m).
      `conformance CLI exited ${code}\n${JSON.stringify(verdicts, null, 2)}\n${log.replace(/\x1b\[[0-9;]*m/g, '').slice(-4000)}`,
    ).toBe(0);
  });
});
