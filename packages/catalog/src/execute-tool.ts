/**
 * Executes a template tool: validate arguments against the tool's JSON Schema, render the request, check the
 * outbound policy, call the upstream with a deadline and a response size cap, map the response.
 *
 * Every failure is a `ToolOutcome` with `ok: false` and a message written for the caller (what happened and what to
 * fix); upstream bodies and credentials never appear in it. Nothing here throws for bad input or upstream trouble.
 */
import { Validator, type Schema } from '@cfworker/json-schema';
import { search, type JSONValue } from '@jmespath-community/jmespath';
import { checkOutboundUrl } from './outbound-policy.js';
import { TemplateRenderError, renderRequest } from './render-request.js';
import type { IntegrationTemplate, TemplateTool } from './template-schema.js';

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
  | { ok: false; kind: 'invalid_arguments' | 'template' | 'outbound_refused' | 'upstream_status' | 'upstream_unreachable' | 'upstream_timeout' | 'upstream_too_large' | 'upstream_redirect'; message: string; status?: number };

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 1_000_000;

const validators = new WeakMap<object, Validator>();

/** Validates arguments against the tool's input schema (JSON Schema 2020-12, via @cfworker/json-schema: no eval). */
export function validateArguments(tool: TemplateTool, args: Record<string, unknown>): string[] {
  let v = validators.get(tool.inputSchema);
  if (!v) {
    v = new Validator(tool.inputSchema as Schema, '2020-12', false);
    validators.set(tool.inputSchema, v);
  }
  const result = v.validate(args);
  if (result.valid) return [];
  // Keep the leaf errors (those naming a property), which say what to fix.
  return result.errors
    .filter((e) => e.keyword !== 'properties' && e.keyword !== '$ref')
    .map((e) => `${e.instanceLocation === '#' ? 'arguments' : e.instanceLocation.replace(/^#\//, '')}: ${e.error}`);
}

async function readCapped(res: Response, max: number): Promise<string | null> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

const STATUS_HINTS: Record<number, string> = {
  400: 'the service rejected the request; check the arguments',
  401: 'the service rejected the installation credentials; reinstall with valid credentials',
  403: 'the credentials lack permission for this action',
  404: 'not found; check the identifiers in the arguments and the installation settings',
  409: 'the request conflicts with the current state of the resource',
  422: 'the service could not process the arguments; check their values',
  429: 'rate limited by the service; retry later',
};

/** Runs one template tool call. */
export async function executeTemplateTool(
  template: IntegrationTemplate,
  tool: TemplateTool,
  input: { args: Record<string, unknown>; settings: Record<string, unknown>; credentials: Record<string, string> },
  options: ExecuteOptions,
): Promise<ToolOutcome> {
  const problems = validateArguments(tool, input.args);
  if (problems.length) return { ok: false, kind: 'invalid_arguments', message: `Invalid arguments for ${tool.name}: ${problems.join('; ')}` };

  let request;
  try {
    request = renderRequest(template, tool, input);
  } catch (err) {
    if (err instanceof TemplateRenderError) return { ok: false, kind: 'template', message: `${template.name}: ${err.message}` };
    throw err;
  }
  const check = checkOutboundUrl(request.url, { allowLoopback: options.allowLoopback });
  if (!check.ok) return { ok: false, kind: 'outbound_refused', message: `${template.name}: ${check.reason}` };

  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let res: Response;
  try {
    res = await options.fetch(check.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError')
      return { ok: false, kind: 'upstream_timeout', message: `${template.name} did not answer within ${timeoutMs / 1000} s; retry later` };
    return { ok: false, kind: 'upstream_unreachable', message: `${template.name} could not be reached; check the installation settings` };
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel();
    return { ok: false, kind: 'upstream_redirect', status: res.status, message: `${template.name} answered with a redirect (${res.status}), which the gateway does not follow; check the installation settings` };
  }
  const text = await readCapped(res, options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
  if (text === null)
    return { ok: false, kind: 'upstream_too_large', status: res.status, message: `${template.name} answered with more than ${options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES} bytes; narrow the request` };
  if (!res.ok) {
    const hint = STATUS_HINTS[res.status] ?? (res.status >= 500 ? 'the service failed; retry later' : 'the service refused the request');
    return { ok: false, kind: 'upstream_status', status: res.status, message: `${template.name} answered ${res.status}: ${hint}` };
  }
  let body: unknown = text;
  if (text.length && /json/i.test(res.headers.get('content-type') ?? '')) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  } else if (!text.length) body = null;
  const result = tool.response && body !== null && typeof body === 'object' ? search(body as JSONValue, tool.response) : body;
  return { ok: true, status: res.status, result };
}
