import { describe, expect, it } from 'vitest';
import {
  MAX_RECORDED_BODY_BYTES,
  fitJson,
  isSecretName,
  newTraceId,
  recordedHeaders,
  recordedUrl,
  recordingFetch,
  redactCredentials,
  redactRecorded,
  redactSecrets,
  traceIdForThread,
  type UpstreamExchange,
} from '../src/index.js';

describe('secret names', () => {
  it.each([
    'access_token',
    'refresh_token',
    'client_secret',
    'clientSecret',
    'apiKey',
    'api_key',
    'X-Api-Key',
    'password',
    'credentials',
    'webhook_secret',
    'Authorization',
    'signing_secret',
    'private_key',
    'token',
  ])('%s holds a secret', (name) => expect(isSecretName(name)).toBe(true));
  it.each(['session_id', 'max_tokens', 'tokenizer', 'summary', 'issue_key', 'secretary', 'tokens_used'])(
    '%s does not',
    (name) => expect(isSecretName(name)).toBe(false),
  );
});

describe('redaction of recorded data', () => {
  const known = ['s3cr3t-value-123', 'xyz'];

  it('replaces secret-named values at any depth, known values anywhere, and credential shapes', () => {
    const out = redactRecorded(
      {
        arguments: { issue_key: 'PROJ-1', credentials: { api_token: 'abc' }, note: 'repeat s3cr3t-value-123 here' },
        exchanges: [{ requestHeaders: { authorization: 'Bearer t' }, responseBody: '{"access_token":"live-tok"}' }],
        list: ['ghp_abcdefghijklmnop', 'plain'],
        session_id: 'keep-me',
        max_tokens: 5,
      },
      known,
    ) as Record<string, any>;
    expect(out.arguments.credentials).toBe('[redacted]');
    expect(out.arguments.issue_key).toBe('PROJ-1');
    expect(out.arguments.note).toBe('repeat [redacted] here');
    expect(out.exchanges[0].requestHeaders.authorization).toBe('[redacted]');
    expect(out.exchanges[0].responseBody).toBe('{"access_token":"[redacted]"}');
    expect(out.list).toEqual(['[redacted]', 'plain']);
    expect(out.session_id).toBe('keep-me');
    expect(out.max_tokens).toBe(5);
    // Short known values would erase ordinary text: they are left alone (MIN_KNOWN_SECRET_CHARS).
    expect(redactCredentials('xyz is here', known)).toBe('xyz is here');
  });

  it('keeps ids, hashes and SHAs that the log redaction would erase', () => {
    const sha = 'e5bd3914e2e596debea16f433f57875b5b90bcd6';
    expect(redactCredentials(`commit ${sha}`)).toBe(`commit ${sha}`);
    expect(redactCredentials('https://user:pw@host/x?client_secret=abc&page=2')).toBe(
      'https://[redacted]@host/x?client_secret=[redacted]&page=2',
    );
  });

  it('redacts secret headers by name', () => {
    expect(
      recordedHeaders({
        Authorization: 'Basic x',
        Cookie: 'a=b',
        'X-Hub-Signature-256': 'sha256=1',
        'Linear-Signature': 'f',
        'X-Api-Key': 'k',
        'Content-Type': 'application/json',
      }),
    ).toEqual({
      authorization: '[redacted]',
      cookie: '[redacted]',
      'x-hub-signature-256': '[redacted]',
      'linear-signature': '[redacted]',
      'x-api-key': '[redacted]',
      'content-type': 'application/json',
    });
  });
});

describe('traces', () => {
  it('derives one trace per installation thread, in the W3C trace-id format', async () => {
    const a = await traceIdForThread('inst-1', 'acme/repo#1');
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(await traceIdForThread('inst-1', 'acme/repo#1')).toBe(a);
    expect(await traceIdForThread('inst-2', 'acme/repo#1')).not.toBe(a);
    expect(await traceIdForThread('inst-1', 'acme/repo#2')).not.toBe(a);
    expect(newTraceId()).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('fitJson', () => {
  it('cuts the longest strings until the JSON fits, and marks each cut', () => {
    const doc = { a: 'x'.repeat(10_000), b: 'y'.repeat(2_000), n: 42, small: 'keep' };
    const fit = fitJson(doc, 3_000) as typeof doc;
    expect(new TextEncoder().encode(JSON.stringify(fit)).length).toBeLessThanOrEqual(3_000);
    expect(fit.a).toMatch(/…\[truncated: kept \d+ of 10000 characters\]$/);
    expect(fit.small).toBe('keep');
    expect(fit.n).toBe(42);
    expect(doc.a).toHaveLength(10_000);
    expect(fitJson(doc, 1_000_000)).toBe(doc);
  });

  it('counts bytes, not characters', () => {
    const fit = fitJson({ t: 'é'.repeat(5_000) }, 4_000);
    expect(new TextEncoder().encode(JSON.stringify(fit)).length).toBeLessThanOrEqual(4_000);
  });
});

describe('recordingFetch', () => {
  it('records each exchange while the caller reads the response unchanged', async () => {
    const sink: UpstreamExchange[] = [];
    const inner: typeof fetch = async () =>
      new Response('{"ok":true}', {
        status: 201,
        headers: { 'content-type': 'application/json', 'set-cookie': 'a=b' },
      });
    const { fetch: f, settled } = recordingFetch(inner, sink);
    const res = await f('https://api.example.test/x', {
      method: 'post',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(await res.json()).toEqual({ ok: true });
    await settled();
    expect(sink).toEqual([
      expect.objectContaining({
        method: 'POST',
        url: 'https://api.example.test/x',
        requestHeaders: { authorization: '[redacted]', 'content-type': 'application/json' },
        requestBody: '{"a":1}',
        status: 201,
        responseBody: '{"ok":true}',
        responseBytes: 11,
        responseTruncated: false,
        error: null,
      }),
    ]);
    expect(sink[0]!.responseHeaders['set-cookie']).toBe('[redacted]');
  });

  it('records a failure without an answer, and cuts a body over the cap', async () => {
    const sink: UpstreamExchange[] = [];
    const failing = recordingFetch(() => Promise.reject(new TypeError('Network connection lost')), sink);
    await expect(failing.fetch('https://down.example.test/')).rejects.toThrow('Network connection lost');
    expect(sink[0]).toMatchObject({ status: null, error: 'TypeError: Network connection lost' });

    const big = new Uint8Array(MAX_RECORDED_BODY_BYTES + 1024).fill(97);
    const capped: UpstreamExchange[] = [];
    const rec = recordingFetch(async () => new Response(big), capped);
    const res = await rec.fetch('https://big.example.test/');
    expect((await res.arrayBuffer()).byteLength).toBe(big.length);
    await rec.settled();
    expect(capped[0]!.responseTruncated).toBe(true);
    expect(capped[0]!.responseBody!.length).toBe(MAX_RECORDED_BODY_BYTES);
  });
});

describe('review hardening', () => {
  it('redacts secret query parameters and URL userinfo, keeping the rest of the URL', () => {
    expect(recordedUrl('https://h.test/a?fields=x&key=k1&sig=s1&code=c1&api_key=k2&jql=project%3DX')).toBe(
      'https://h.test/a?fields=x&key=%5Bredacted%5D&sig=%5Bredacted%5D&code=%5Bredacted%5D&api_key=%5Bredacted%5D&jql=project%3DX',
    );
    expect(recordedUrl('https://u:p@h.test/')).toBe('https://%5Bredacted%5D@h.test/');
    expect(recordedUrl('not a url')).toBe('not a url');
    expect(recordedHeaders({ 'X-Auth-Key': 'k', 'Ocp-Apim-Subscription-Key': 'k', Accept: 'a' })).toEqual({
      'x-auth-key': '[redacted]',
      'ocp-apim-subscription-key': '[redacted]',
      accept: 'a',
    });
  });

  it('redacts a known secret however it was encoded into a URL or a form', () => {
    const secret = 'p@ss word/+=:1';
    const text = `q=${encodeURIComponent(secret)} form=${encodeURIComponent(secret).replaceAll('%20', '+')} raw=${secret}`;
    expect(redactCredentials(text, [secret])).toBe('q=[redacted] form=[redacted] raw=[redacted]');
  });

  it('scans long runs of word characters in linear time', () => {
    const hostile = `${'a-'.repeat(200_000)}x`;
    expect(redactCredentials(hostile)).toBe(hostile);
    // The log redaction too (there the whole run is one long key-like token).
    expect(redactSecrets(hostile)).toBe('[redacted]');
  });

  it('never cuts short strings, and answers a stub when cutting long ones is not enough', () => {
    const many = { list: Array.from({ length: 2_000 }, (_, i) => `item-${i}`) };
    expect(fitJson(many, 1_000)).toEqual({ detail_truncated: true, detail_bytes: JSON.stringify(many).length });
    const mixed = { big: `${'é'.repeat(3_000)}${'a'.repeat(3_000)}`, small: 'keep' };
    const fit = fitJson(mixed, 2_000) as typeof mixed;
    expect(new TextEncoder().encode(JSON.stringify(fit)).length).toBeLessThanOrEqual(2_000);
    expect(fit.small).toBe('keep');
  });

  it('shares one body budget across the exchanges of a recorder, and keeps no binary body', async () => {
    const sink: UpstreamExchange[] = [];
    const body = 'x'.repeat(600);
    const rec = recordingFetch(
      async () => new Response(body, { headers: { 'content-type': 'text/plain' } }),
      sink,
      1_000,
    );
    for (let i = 0; i < 3; i++) await (await rec.fetch('https://h.test/')).text();
    await rec.settled();
    expect(sink.map((e) => e.responseBody?.length ?? null)).toEqual([600, 400, null]);
    expect(sink.map((e) => e.responseTruncated)).toEqual([false, true, true]);

    const bin: UpstreamExchange[] = [];
    const png = recordingFetch(
      async () =>
        new Response(new Uint8Array(10), { headers: { 'content-type': 'image/png', 'content-length': '10' } }),
      bin,
    );
    await (await png.fetch('https://h.test/logo.png')).arrayBuffer();
    await png.settled();
    expect(bin[0]).toMatchObject({ responseBody: null, responseBytes: 10, status: 200 });
  });
});
