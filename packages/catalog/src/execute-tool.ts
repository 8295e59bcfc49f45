/**
 * Executes a template tool: validate arguments against the tool's JSON Schema, check the vendor host pattern
 * (upstream-hosts.ts), render the request, check the outbound policy, call the upstream with a deadline and a response size cap, map the response.
 *
 * Every failure is a `ToolOutcome` with `ok: false` and a message written for the caller (what happened and what to
 * fix); upstream bodies and credentials never appear in it. Nothing here throws for bad input or upstream trouble.
 */
import { Validator, type Schema } from '@cfworker/json-schema';
import { checkSchemaPatterns, withoutPatterns } from './linear-regex.js';
import { search, type JSONValue } from '@jmespath-community/jmespath';
import { clientCredentialsToken } from './client-credentials.js';
import { guardedFetch, type ExecuteOptions, type ToolOutcome } from './guarded-fetch.js';
import { TemplateRenderError, renderRequest } from './render-request.js';
import type { IntegrationTemplate, TemplateTool } from './template-schema.js';
import { upstreamHostProblem } from './upstream-hosts.js';

export {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
  guardedFetch,
  type ExecuteOptions,
  type ToolOutcome,
} from './guarded-fetch.js';

const validators = new WeakMap<object, Validator>();

/**
 * Validates arguments against the tool's input schema (JSON Schema 2020-12, via @cfworker/json-schema: no eval).
 * `pattern` keywords are evaluated with RE2 instead (linear-regex.ts): the validator would run them on JavaScript's
 * backtracking RegExp, and a template's pattern must not be able to stall the worker on a caller's input.
 */
export function validateArguments(tool: TemplateTool, args: Record<string, unknown>): string[] {
  let v = validators.get(tool.inputSchema);
  if (!v) {
    v = new Validator(withoutPatterns(tool.inputSchema) as Schema, '2020-12', false);
    validators.set(tool.inputSchema, v);
  }
  const result = v.validate(args);
  if (result.valid) return checkSchemaPatterns(tool.inputSchema, args);
  // Keep the leaf errors (those naming a property), which say what to fix.
  return result.errors
    .filter((e) => e.keyword !== 'properties' && e.keyword !== '$ref')
    .map((e) => `${e.instanceLocation === '#' ? 'arguments' : e.instanceLocation.replace(/^#\//, '')}: ${e.error}`);
}

/** Runs one template tool call. `tokenCacheKey` (the installation id) lets OAuth access tokens be reused. */
export async function executeTemplateTool(
  template: IntegrationTemplate,
  tool: TemplateTool,
  input: { args: Record<string, unknown>; settings: Record<string, unknown>; credentials: Record<string, string> },
  options: ExecuteOptions & { tokenCacheKey?: string },
): Promise<ToolOutcome> {
  const problems = validateArguments(tool, input.args);
  if (problems.length)
    return {
      ok: false,
      kind: 'invalid_arguments',
      message: `Invalid arguments for ${tool.name}: ${problems.join('; ')}`,
    };

  // Before any credential leaves: the settings' host must be one the template's vendor runs on.
  const hostProblem = upstreamHostProblem(template, input.settings);
  if (hostProblem) return { ok: false, kind: 'outbound_refused', message: `${template.name}: ${hostProblem}` };
  let accessToken: string | undefined;
  if (template.auth.type === 'oauth2_client_credentials') {
    const token = await clientCredentialsToken(template.name, template.auth, input, options);
    if (!token.ok) return token;
    accessToken = token.accessToken;
  }
  let request: ReturnType<typeof renderRequest>;
  try {
    request = renderRequest(template, tool, input, accessToken);
  } catch (err) {
    if (err instanceof TemplateRenderError)
      return { ok: false, kind: 'template', message: `${template.name}: ${err.message}` };
    throw err;
  }
  const res = await guardedFetch(
    template.name,
    request.url,
    { method: request.method, headers: request.headers, body: request.body },
    options,
  );
  if (!res.ok) return res;
  let body: unknown = res.text;
  if (res.text.length && /json/i.test(res.headers.get('content-type') ?? '')) {
    try {
      body = JSON.parse(res.text);
    } catch {
      body = res.text;
    }
  } else if (!res.text.length) body = null;
  const result =
    tool.response && body !== null && typeof body === 'object' ? search(body as JSONValue, tool.response) : body;
  return { ok: true, status: res.status, result };
}
