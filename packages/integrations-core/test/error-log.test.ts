import { describe, expect, it, vi } from 'vitest';
import {
  InternalRpcError,
  redactSecrets,
  requestIdOf,
  rpcBoundary,
  secretValuesOf,
  unhandledErrorLine,
} from '../src/error-log.js';

const SIGNING_KEY = 'b7f0c2d9e4a1f6b3c8d5e2a7f4b1c6d3e8a5f2b7c4d1e6a3f8b5c2d7e4a1f6b3';
const CREDENTIALS_KEY = 'Q2hhbmdlTWVJbW1lZGlhdGVseVBsZWFzZTEyMzQ1Njc';

describe('redactSecrets', () => {
  it.each([
    ['a bearer token', 'upstream said 401 for Authorization: Bearer gth_s3cr3tT0kenValue'],
    ['a basic credential', 'fetch failed with Basic dXNlcjpodW50ZXIy'],
    ['a secret-named query parameter', 'GET https://api.example.com/x?client_secret=hunter2hunter2&page=2'],
    ['a secret-named JSON field', '{"webhook_secret":"whatever-is-in-here","ok":1}'],
    ['a password assignment', 'login password=correct-horse-battery'],
    ['a PEM private key', 'bad key -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----'],
    ['a JWT', 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl rejected'],
    ['a GitHub token', 'ghp_0123456789abcdefABCDEF0123456789abcd leaked'],
    ['a Slack token', 'xoxb-1234-5678-abcdefghijkl leaked'],
    ['a long hex key', `key ${SIGNING_KEY}`],
    ['a single-quoted value (util.inspect)', "{ password: 'hunter2hunter2' }"],
    ['a double-quoted value after a bare key', 'client_secret="whatever-is-in-here"'],
    ['an escaped JSON field', '{\\"access_token\\":\\"correct-horse-battery\\"}'],
    ['a percent-encoded assignment', 'GET /x?api_key%3Dhunter2hunter2'],
    ['URL userinfo', 'fetch https://deploy:hunter2hunter2@git.example.com/x failed'],
    ['an Atlassian API token', 'ATATT3xFfGF0-abcdefghijkl leaked'],
    ['a dashed base64url key', 'key abcd-efgh-ijkl-mnop-qrst-uvwx-yz12-3456'],
  ])('removes %s', (_, text) => {
    const out = redactSecrets(text);
    expect(out).toContain('[redacted]');
    for (const secret of [
      'gth_s3cr3tT0kenValue',
      'dXNlcjpodW50ZXIy',
      'hunter2hunter2',
      'whatever-is-in-here',
      'correct-horse-battery',
      'MIIEowIBAAKCAQEA',
      'c2lnbmF0dXJl',
      'ghp_0123',
      'abcdefghijkl',
      'mnop-qrst',
      SIGNING_KEY,
    ])
      expect(out).not.toContain(secret);
  });

  it('removes the worker’s own keys wherever they occur, even short of a pattern', () => {
    expect(redactSecrets(`D1_ERROR: near "${CREDENTIALS_KEY.slice(0, 20)}"`, [CREDENTIALS_KEY.slice(0, 20)])).toBe(
      'D1_ERROR: near "[redacted]"',
    );
  });

  it('keeps what says what failed: error text, table and column names, short ids', () => {
    const text =
      'D1_ERROR: UNIQUE constraint failed: webhook_events.installation_id, webhook_events.delivery_id: SQLITE_CONSTRAINT';
    expect(redactSecrets(text)).toBe(text);
    expect(redactSecrets('no such installation 3f2a9c1e-77b0-4c52-9f1d-0a6e5b4c3d21')).toBe(
      'no such installation 3f2a9c1e-77b0-4c52-9f1d-0a6e5b4c3d21',
    );
  });
});

describe('unhandledErrorLine', () => {
  it('names the error, route and request id, with the message redacted', () => {
    const err = new TypeError(`fetch to https://x.test/?access_token=${SIGNING_KEY} failed`, {
      cause: new Error(`Bearer ${CREDENTIALS_KEY}`),
    });
    const line = unhandledErrorLine(err, {
      worker: 'integrations',
      method: 'POST',
      route: '/webhook/:provider/:installation',
      requestId: 'r-1',
      knownSecrets: [SIGNING_KEY, CREDENTIALS_KEY],
    });
    const parsed = JSON.parse(line);
    expect(parsed).toMatchObject({
      msg: 'unhandled error',
      worker: 'integrations',
      method: 'POST',
      route: '/webhook/:provider/:installation',
      requestId: 'r-1',
      error: 'TypeError',
    });
    expect(parsed.message).toBe('fetch to https://x.test/?access_token=[redacted] failed');
    expect(parsed.cause).toBe('Error: Bearer [redacted]');
    expect(line).not.toContain(SIGNING_KEY);
    expect(line).not.toContain(CREDENTIALS_KEY);
  });

  it('gives a failed query’s SQL and its driver error, never the parameter values', () => {
    const err = new Error(
      'Failed query: select "credentials" from "installations" where "id" = ?\nparams: inst-1,hunter2-plaintext',
      { cause: new Error('D1_ERROR: no such table: installations: SQLITE_ERROR') },
    );
    const parsed = JSON.parse(
      unhandledErrorLine(err, { worker: 'mcp', method: 'POST', route: '/mcp', requestId: 'r-2' }),
    );
    expect(parsed).toMatchObject({
      message: 'D1_ERROR: no such table: installations: SQLITE_ERROR',
      query: 'select "credentials" from "installations" where "id" = ?',
    });
    expect(JSON.stringify(parsed)).not.toContain('hunter2');
  });
});

describe('requestIdOf and secretValuesOf', () => {
  it('takes cf-ray when Cloudflare set it, and a fresh id otherwise', () => {
    expect(requestIdOf(new Request('https://x.test', { headers: { 'cf-ray': '8f1e2d3c4b5a6978-AMS' } }))).toBe(
      '8f1e2d3c4b5a6978-AMS',
    );
    const a = requestIdOf(new Request('https://x.test'));
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf(new Request('https://x.test', { headers: { 'cf-ray': '<script>' } }))).not.toBe('<script>');
  });

  it('lists the signing key and every credentials key', () => {
    expect(
      secretValuesOf({
        MCP_SIGNING_KEY: SIGNING_KEY,
        CREDENTIALS_KEYS: JSON.stringify({ a: CREDENTIALS_KEY, b: 'other-key-value' }),
      }),
    ).toEqual([SIGNING_KEY, CREDENTIALS_KEY, 'other-key-value']);
    expect(secretValuesOf({ MCP_SIGNING_KEY: SIGNING_KEY, CREDENTIALS_KEYS: 'not json' })).toEqual([SIGNING_KEY]);
  });
});

describe('rpcBoundary', () => {
  it('logs the callee’s error redacted and gives the caller a generic one with the request id', async () => {
    const key = 'sk-signing-key-0123456789';
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: string) => lines.push(line));
    const thrown = await rpcBoundary(
      { worker: 'mcp', method: 'deliverSessionDispatch', knownSecrets: () => [key] },
      () => Promise.reject(new Error(`D1 refused, key ${key} in the message`)),
    ).catch((err: unknown) => err);
    spy.mockRestore();
    expect(thrown).toBeInstanceOf(InternalRpcError);
    const { message, requestId } = thrown as InternalRpcError;
    expect(message).not.toContain(key);
    expect(message).not.toContain('D1 refused');
    expect(message).toContain(requestId);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ method: 'RPC', route: 'deliverSessionDispatch', requestId });
    expect(lines[0]).not.toContain(key);
    expect(await rpcBoundary({ worker: 'mcp', method: 'm' }, async () => 42)).toBe(42);
  });
});
