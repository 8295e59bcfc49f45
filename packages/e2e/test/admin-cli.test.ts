/**
 * The admin CLI (`pnpm gatehouse …`) against a throwaway local D1: JSON output, idempotent seed, tokens that work
 * and are never listed with their hash, and clear refusals for bad input.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/stack.js';

const state = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));

async function cli(
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      [join(REPO_ROOT, 'scripts', 'gatehouse.mts'), ...args],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, GATEHOUSE_PERSIST_TO: state, WRANGLER_SEND_METRICS: 'false', CI: 'true', ...extraEnv },
        timeout: 60_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('pnpm gatehouse', () => {
  beforeAll(async () => {
    expect((await cli(['migrate', '--json'])).code).toBe(0);
  });
  afterAll(() => rmSync(state, { recursive: true, force: true }));

  it('seeds the demo organization once', async () => {
    const first = await cli(['seed', '--json']);
    const second = await cli(['seed', '--json']);
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(JSON.stringify(JSON.parse(second.stdout))).not.toMatch(/"created"/);
    const orgs = JSON.parse((await cli(['org', 'list', '--json'])).stdout) as unknown[];
    expect(orgs).toHaveLength(1);
  });

  it('creates organizations, workspaces, members and tokens, printing JSON', async () => {
    expect((await cli(['org', 'create', '--slug', 'acme', '--name', 'Acme', '--json'])).code).toBe(0);
    expect((await cli(['workspace', 'create', '--org', 'acme', '--slug', 'web', '--name', 'Web', '--json'])).code).toBe(
      0,
    );
    expect(
      (await cli(['user', 'add', '--org', 'acme', '--email', 'dev@acme.test', '--role', 'ADMIN', '--json'])).code,
    ).toBe(0);
    const created = await cli(['token', 'create', '--org', 'acme', '--role', 'ADMIN', '--json']);
    expect(created.code).toBe(0);
    const { token, id } = JSON.parse(created.stdout) as { token: string; id: string };
    expect(token).toMatch(/^gth_[A-Za-z0-9_-]{43}$/);
    const listed = await cli(['token', 'list', '--org', 'acme', '--json']);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).not.toContain(token);
    expect(listed.stdout).not.toMatch(/hash/i);
    expect((await cli(['token', 'revoke', '--org', 'acme', '--id', id, '--json'])).code).toBe(0);
  });

  it('rotates the local credentials key in every .dev.vars, keeping the old key', async () => {
    const dirs = [join(state, 'mcp'), join(state, 'integrations')];
    const oldKey = Buffer.alloc(32, 7).toString('base64url');
    for (const d of dirs) {
      mkdirSync(d, { recursive: true });
      writeFileSync(
        join(d, '.dev.vars'),
        `MCP_SIGNING_KEY='${'s'.repeat(40)}'\nCREDENTIALS_KEYS='{"dev-1":"${oldKey}"}'\nCREDENTIALS_ACTIVE_KID='dev-1'\n`,
      );
    }
    const out = await cli(['credentials', 'rotate', '--json'], { GATEHOUSE_DEV_VARS_DIRS: dirs.join(',') });
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ activeKid: 'dev-2', keptKids: ['dev-1'], undecryptable: 0 });
    expect(out.stdout).not.toContain(oldKey);
    const files = dirs.map((d) => readFileSync(join(d, '.dev.vars'), 'utf8'));
    expect(files[0]).toBe(files[1]);
    expect(files[0]).toContain(`"dev-1":"${oldKey}"`);
    expect(files[0]).toMatch(/CREDENTIALS_ACTIVE_KID='dev-2'/);
  });

  it('refuses bad input with a message that says what to fix', async () => {
    const badRole = await cli(['token', 'create', '--org', 'acme', '--role', 'OWNER']);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toMatch(/SUPERADMIN, ADMIN, MEMBER/);
    const unknownOrg = await cli(['token', 'create', '--org', 'nope', '--role', 'ADMIN']);
    expect(unknownOrg.code).toBe(1);
    expect(unknownOrg.stderr).toMatch(/organization "nope" not found/);
    const aboveRole = await cli([
      'token',
      'create',
      '--org',
      'acme',
      '--role',
      'SUPERADMIN',
      '--user',
      'dev@acme.test',
    ]);
    expect(aboveRole.code).toBe(1);
  });
  it('imports a folder of Markdown into the knowledge base, again as replacements, skipping what is too large', async () => {
    const dir = join(state, 'kb');
    mkdirSync(join(dir, 'ops'), { recursive: true });
    writeFileSync(join(dir, 'ops', 'deploy.md'), '# Deploy\nShip on Tuesdays.\n\n## Rollback\nRevert the tag.\n');
    writeFileSync(join(dir, 'faq.txt'), 'Lunch is at noon.');
    writeFileSync(join(dir, 'huge.md'), 'x'.repeat(1_000_001));
    writeFileSync(join(dir, 'image.png'), 'not text');
    const run = () =>
      cli(['knowledge', 'import', dir, '--org', 'acme', '--workspace', 'web', '--tags', 'ops,handbook', '--json']);
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual([
      { path: 'faq.txt', status: 'added', chunks: 1, note: 'faq' },
      { path: 'huge.md', status: 'skipped', chunks: 0, note: '1000001 bytes; the limit is 1000000' },
      { path: 'ops/deploy.md', status: 'added', chunks: 2, note: 'Deploy' },
    ]);
    const again = JSON.parse((await run()).stdout) as { status: string }[];
    expect(again.map((r) => r.status)).toEqual(['replaced', 'skipped', 'replaced']);
    const neither = await cli(['knowledge', 'import', dir, '--org', 'acme']);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/either --workspace SLUG or --global/);
  });

  it('searches and exports the run history, bodies from the local R2 bucket included', async () => {
    const orgs = JSON.parse((await cli(['org', 'list', '--json'])).stdout) as { id: string; slug: string }[];
    const org = orgs.find((o) => o.slug === 'demo')!;
    // Two items as the workers write them (a failed tool call with a large body, so in R2, and a refused delivery),
    // stored by a script through the CLI's own local database (the adapters' recordRunHistory).
    const base = {
      organizationId: org.id,
      workspaceId: null,
      durationMs: 12,
      actorId: null,
      userId: null,
      installationId: 'inst-1',
      provider: 'custom',
      sessionId: null,
    };
    const items = [
      {
        ...base,
        kind: 'tool_call',
        status: 'error',
        startedAt: Date.parse('2026-12-01T10:00:00Z'),
        actorType: 'api_token',
        tool: 'get_issue',
        traceId: 'a'.repeat(32),
        summary: 'get_issue · error · GET example.atlassian.net/rest/api/3/issue/X-1 → 500',
        reason: 'upstream_status',
        detail: { exchanges: [{ responseBody: `${'y'.repeat(20_000)}END-OF-BODY` }] },
      },
      {
        ...base,
        kind: 'webhook_delivery',
        status: 'refused',
        startedAt: Date.parse('2026-12-01T11:00:00Z'),
        actorType: 'webhook',
        tool: null,
        traceId: 'b'.repeat(32),
        summary: 'bad_signature github webhook',
        reason: 'bad_signature',
        detail: null,
      },
    ];
    const lib = join(REPO_ROOT, 'scripts', 'lib');
    const script = join(state, 'seed-history.mts');
    writeFileSync(
      script,
      [
        `import { withLocalDb } from ${JSON.stringify(join(lib, 'local-db.mts'))};`,
        `import { recordRunHistory } from ${JSON.stringify(join(lib, 'workspace-packages.mts'))};`,
        `await withLocalDb((db, _d1, bucket) => recordRunHistory(db, bucket, ${JSON.stringify(items)}));`,
      ].join('\n'),
    );
    await promisify(execFile)(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [script], {
      cwd: REPO_ROOT,
      env: { ...process.env, GATEHOUSE_PERSIST_TO: state, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
      timeout: 60_000,
    });
    const search = await cli(['history', 'search', '--org', 'demo', '--json']);
    expect(search.code, search.stderr).toBe(0);
    const found = JSON.parse(search.stdout) as { kind: string; status: string; reason: string }[];
    expect(found.map((i) => `${i.kind}:${i.status}:${i.reason}`)).toEqual([
      'webhook_delivery:refused:bad_signature',
      'tool_call:error:upstream_status',
    ]);
    const text = await cli(['history', 'search', '--org', 'demo', '--status', 'error']);
    expect(text.stdout).toContain('upstream_status');
    expect(text.stdout).not.toContain('bad_signature');
    const exported = await cli(['history', 'export', '--org', 'demo', '--kind', 'tool_call']);
    expect(exported.code, exported.stderr).toBe(0);
    const lines = exported.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as { detail: { exchanges: { responseBody: string }[] }; detail_bytes: number };
    expect(line.detail.exchanges[0]!.responseBody.endsWith('END-OF-BODY')).toBe(true);
    expect(line.detail_bytes).toBeGreaterThan(20_000);
    const bad = await cli(['history', 'search', '--org', 'demo', '--since', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since "yesterday" is not an ISO 8601 date');
  });
});
