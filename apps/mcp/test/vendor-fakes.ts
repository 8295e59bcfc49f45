/**
 * Outbound HTTP in the in-runtime tests. The worker runs in the tests' isolate, so stubbing globalThis.fetch applies
 * to it. Vendor credential checks answer as the vendor would (401 without the expected credentials); any other
 * outbound request fails the call, so nothing reaches the network unnoticed.
 */
import { vi } from 'vitest';

/** The API token the fakes accept; anything else gets 401. */
export const GOOD_TOKEN = 'good-token';

const CHECKS: Record<string, (auth: string) => boolean> = {
  '/rest/api/3/myself': (auth) =>
    auth === `Basic ${btoa(`me@acme.test:${GOOD_TOKEN}`)}` ||
    auth === `Basic ${btoa('me@acme.test:jira-secret-token')}`,
  '/api/v2/users/me': (auth) =>
    (auth.startsWith('Basic ') && atob(auth.slice(6)).endsWith(`:${GOOD_TOKEN}`)) ||
    auth === `Basic ${btoa('a@b.c/token:t')}`,
};

/** Extra fake hosts a test file registers: host → handler answering as that service would. */
export const fakeHosts = new Map<string, (req: Request) => Promise<Response> | Response>();

export function installVendorFakes(): void {
  const real = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const check = CHECKS[url.pathname];
    if (check && /(\.atlassian\.net|\.zendesk\.com)$/.test(url.hostname)) {
      return check(req.headers.get('authorization') ?? '')
        ? Response.json({ accountId: 'abc', user: { id: 1 } })
        : Response.json({ errorMessages: ['echo of the token would be here'] }, { status: 401 });
    }
    const fake = fakeHosts.get(url.hostname);
    if (fake) return fake(req);
    // Workers-internal hosts (service bindings, the test runner) keep working.
    if (url.hostname.endsWith('.test') || url.hostname === 'localhost') return real(input, init);
    throw new TypeError(`unexpected outbound request in a test: ${req.method} ${url.origin}${url.pathname}`);
  });
}
