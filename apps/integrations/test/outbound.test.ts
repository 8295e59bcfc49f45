/**
 * The outbound policy as provider code sees it (policyFetch): a Request keeps its method, headers and body, redirects
 * are not followed, and a private or loopback host is refused before anything is sent.
 */
import { describe, expect, it } from 'vitest';
import { policyFetch } from '../src/outbound.js';

describe('policyFetch', () => {
  it('forwards a Request whole, with redirects off and a deadline', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const fetchOut = policyFetch({
      allowLoopback: false,
      fetch: async (url, init) => {
        seen.push({ url: String(url), init: init! });
        return new Response('ok');
      },
    });
    await fetchOut(
      new Request('https://api.github.com/repos/o/r/issues', {
        method: 'POST',
        headers: { authorization: 'token t' },
        body: '{"title":"x"}',
      }),
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe('https://api.github.com/repos/o/r/issues');
    expect(seen[0]!.init.method).toBe('POST');
    expect(new Headers(seen[0]!.init.headers).get('authorization')).toBe('token t');
    expect(await new Response(seen[0]!.init.body).text()).toBe('{"title":"x"}');
    expect(seen[0]!.init.redirect).toBe('manual');
    expect(seen[0]!.init.signal).toBeInstanceOf(AbortSignal);
    // A client asking for redirect "error" (@slack/web-api; workerd knows only follow and manual) gets manual.
    await fetchOut('https://slack.com/api/chat.postMessage', { method: 'POST', body: 'channel=C1', redirect: 'error' });
    expect(seen[1]!.init.redirect).toBe('manual');
  });

  it('refuses loopback, private and metadata hosts unless loopback is allowed for development', async () => {
    let sent = 0;
    const fetchOut = policyFetch({
      allowLoopback: false,
      fetch: async () => {
        sent++;
        return new Response('');
      },
    });
    for (const url of [
      'http://127.0.0.1:8080/x',
      'https://10.0.0.5/x',
      'http://169.254.169.254/latest/meta-data',
      'https://[::1]/x',
    ])
      await expect(fetchOut(url), url).rejects.toThrow();
    expect(sent).toBe(0);
    const dev = policyFetch({
      allowLoopback: true,
      fetch: async () => {
        sent++;
        return new Response('');
      },
    });
    await dev('http://127.0.0.1:8080/x');
    expect(sent).toBe(1);
  });
});
