/**
 * Outbound HTTP under the gateway's rules, shared by template tool calls, credential checks and OAuth token
 * requests: the outbound policy (outbound-policy.ts), a deadline, no redirects (a redirect could lead to another
 * host), and a response size cap. Failures carry a message for the caller that names the service and what to do;
 * upstream bodies never appear in it.
 */
import { readCapped } from '@gatehouse/integrations-core';
import { checkOutboundUrl } from './outbound-policy.js';

export interface ExecuteOptions {
  fetch: typeof fetch;
  allowLoopback: boolean;
  /** Upstream deadline, milliseconds. */
  timeoutMs?: number;
  /** Largest upstream response read, bytes. */
  maxResponseBytes?: number;
}

export type ToolOutcome =
  | { ok: true; status: number; result: unknown }
  | {
      ok: false;
      kind:
        | 'invalid_arguments'
        | 'template'
        | 'outbound_refused'
        | 'upstream_status'
        | 'upstream_unreachable'
        | 'upstream_timeout'
        | 'upstream_too_large'
        | 'upstream_redirect';
      message: string;
      status?: number;
    };

export const DEFAULT_TIMEOUT_MS = 10_000;
/**
 * Largest upstream response read, bytes: 8 MiB. A template's JMESPath `response` usually maps a large answer (a
 * list, an issue with its history) to a small result; the run history keeps the whole body (MAX_RECORDED_BODY_BYTES).
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

const STATUS_HINTS: Record<number, string> = {
  400: 'the service rejected the request; check the arguments',
  401: 'the service rejected the installation credentials; reinstall with valid credentials',
  403: 'the credentials lack permission for this action',
  404: 'not found; check the identifiers in the arguments and the installation settings',
  409: 'the request conflicts with the current state of the resource',
  422: 'the service could not process the arguments; check their values',
  429: 'rate limited by the service; retry later',
};

type Failure = Extract<ToolOutcome, { ok: false }>;

/**
 * One outbound HTTP exchange under the gateway's rules: outbound policy, deadline, no redirects, size cap. Returns
 * the status, headers and body text, or a failure whose message names `service` and what to do.
 */
export async function guardedFetch(
  service: string,
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string | undefined },
  options: ExecuteOptions,
): Promise<{ ok: true; status: number; headers: Headers; text: string } | Failure> {
  const check = checkOutboundUrl(url, { allowLoopback: options.allowLoopback });
  if (!check.ok) return { ok: false, kind: 'outbound_refused', message: `${service}: ${check.reason}` };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  let res: Response;
  try {
    res = await options.fetch(check.url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError')
      return {
        ok: false,
        kind: 'upstream_timeout',
        message: `${service} did not answer within ${timeoutMs / 1000} s; retry later`,
      };
    return {
      ok: false,
      kind: 'upstream_unreachable',
      message: `${service} could not be reached; check the installation settings`,
    };
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel();
    return {
      ok: false,
      kind: 'upstream_redirect',
      status: res.status,
      message: `${service} answered with a redirect (${res.status}), which the gateway does not follow; check the installation settings`,
    };
  }
  const text = await readCapped(res, maxBytes);
  if (text === null)
    return {
      ok: false,
      kind: 'upstream_too_large',
      status: res.status,
      message: `${service} answered with more than ${maxBytes} bytes; narrow the request`,
    };
  if (!res.ok) {
    const hint =
      STATUS_HINTS[res.status] ??
      (res.status >= 500 ? 'the service failed; retry later' : 'the service refused the request');
    return {
      ok: false,
      kind: 'upstream_status',
      status: res.status,
      message: `${service} answered ${res.status}: ${hint}`,
    };
  }
  return { ok: true, status: res.status, headers: res.headers, text };
}
