/**
 * A `fetch` under the gateway's outbound policy (packages/catalog outbound-policy.ts) for provider code: the URL is
 * checked first (no private or loopback hosts unless the development setting allows loopback), redirects are not
 * followed (a redirect could lead to a host the policy refuses), and every request has a deadline. A refused URL
 * rejects with the policy's reason. Method, headers and body are kept whether the caller passes a Request or init.
 */
import { checkOutboundUrl } from '@gatehouse/catalog';
import type { WorkerConfig } from '@gatehouse/integrations-core';

/** The outbound options provider code runs under: the runtime's fetch and the worker's loopback setting. */
export function outboundOf(config: Pick<WorkerConfig, 'allowLoopbackUpstreams'>): {
  fetch: typeof fetch;
  allowLoopback: boolean;
} {
  return { fetch: (input, init) => fetch(input, init), allowLoopback: config.allowLoopbackUpstreams };
}

/** Deadline of one provider request (install flows, token renewals, tools), milliseconds. */
export const PROVIDER_REQUEST_TIMEOUT_MS = 10_000;

export function policyFetch(outbound: { fetch: typeof fetch; allowLoopback: boolean }): typeof fetch {
  return (input, init) => {
    // Our redirect rule replaces the caller's (workerd knows only "follow" and "manual"; @slack/web-api asks "error").
    const { redirect: _redirect, ...rest } = init ?? {};
    const request = new Request(input, rest);
    const check = checkOutboundUrl(request.url, { allowLoopback: outbound.allowLoopback });
    if (!check.ok) return Promise.reject(new Error(check.reason));
    return outbound.fetch(check.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.any([request.signal, AbortSignal.timeout(PROVIDER_REQUEST_TIMEOUT_MS)]),
    });
  };
}
