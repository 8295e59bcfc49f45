/**
 * A `fetch` under the gateway's outbound policy (packages/catalog outbound-policy.ts) for provider code: the URL is
 * checked first (no private or loopback hosts unless the development setting allows loopback), and redirects are
 * not followed (a redirect could lead to a host the policy refuses). A refused URL rejects with the policy's reason.
 */
import { checkOutboundUrl } from '@gatehouse/catalog';

export function policyFetch(outbound: { fetch: typeof fetch; allowLoopback: boolean }): typeof fetch {
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const check = checkOutboundUrl(url, { allowLoopback: outbound.allowLoopback });
    if (!check.ok) return Promise.reject(new Error(check.reason));
    return outbound.fetch(check.url, { ...init, redirect: 'manual' });
  };
}
