/**
 * Turns a template tool plus arguments, settings and credentials into an HTTP request description. Pure: no I/O,
 * so every template can be checked in Node tests.
 */
import { search, type JSONValue } from '@jmespath-community/jmespath';
import { parseTemplate, type PrimitiveValue } from 'url-template';
import type { IntegrationTemplate, TemplateAuth, TemplateTool } from './template-schema.js';

export interface RenderedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export class TemplateRenderError extends Error {
  override name = 'TemplateRenderError';
}

type Vars = Record<string, PrimitiveValue | PrimitiveValue[]>;

/** Expands a URI Template over the installation settings (base URLs, token URLs). */
export function expandWithSettings(template: string, settings: Record<string, unknown>): string {
  return parseTemplate(template).expand(uriVariables({ settings }));
}

/** Flattens `{ settings, args }` into URI Template variables named `settings.x` / `args.x`. */
function uriVariables(scope: Record<string, Record<string, unknown>>): Vars {
  const vars: Vars = {};
  for (const [ns, values] of Object.entries(scope)) {
    for (const [k, v] of Object.entries(values)) {
      if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) vars[`${ns}.${k}`] = v as PrimitiveValue;
      else if (Array.isArray(v) && v.every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x)))
        vars[`${ns}.${k}`] = v as PrimitiveValue[];
    }
  }
  return vars;
}

/** Drops null members of objects, recursively (JMESPath yields null for absent optional arguments). */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, dropNulls(v)]),
    );
  return value;
}

function evaluate(expression: string, data: JSONValue, where: string): unknown {
  try {
    return search(data, expression);
  } catch (err) {
    throw new TemplateRenderError(`${where}: invalid JMESPath expression (${(err as Error).message})`);
  }
}

function authorization(
  auth: TemplateAuth,
  credentials: Record<string, string>,
  url: URL,
  headers: Record<string, string>,
  accessToken: string | undefined,
): void {
  const need = (field: string) => {
    const v = credentials[field];
    if (v === undefined || v === '')
      throw new TemplateRenderError(`credential "${field}" is missing from the installation`);
    return v;
  };
  switch (auth.type) {
    case 'none':
      return;
    case 'bearer':
      headers.authorization = `Bearer ${need(auth.token)}`;
      return;
    case 'basic': {
      const user = (auth.username === null ? '' : need(auth.username)) + (auth.usernameSuffix ?? '');
      const bytes = new TextEncoder().encode(`${user}:${need(auth.password)}`);
      headers.authorization = `Basic ${btoa(String.fromCharCode(...bytes))}`;
      return;
    }
    case 'api_key':
      if (auth.in === 'header') headers[auth.name.toLowerCase()] = need(auth.value);
      else url.searchParams.set(auth.name, need(auth.value));
      return;
    case 'oauth2_client_credentials':
      if (!accessToken) throw new TemplateRenderError('no access token was obtained for this installation');
      headers.authorization = `Bearer ${accessToken}`;
      return;
    case 'oauth2_authorization_code': {
      const token = credentials.access_token;
      if (!token)
        throw new TemplateRenderError(
          'this installation is not authorized yet; open the authorization URL install_integration returned',
        );
      headers.authorization = `Bearer ${token}`;
      return;
    }
  }
}

/**
 * Builds the request for one tool call. Throws TemplateRenderError (message safe to show: it names fields, never
 * credential values) when the template cannot be rendered with these inputs.
 */
export function renderRequest(
  template: IntegrationTemplate,
  tool: TemplateTool,
  input: { args: Record<string, unknown>; settings: Record<string, unknown>; credentials: Record<string, string> },
  accessToken?: string,
): RenderedRequest {
  const base = expandWithSettings(template.baseUrl, input.settings).replace(/\/+$/, '');
  const path = parseTemplate(tool.path).expand(uriVariables({ settings: input.settings, args: input.args }));
  // RFC 6570 leaves `.` unencoded and URL parsing resolves dot segments: an argument of `..` would walk the path to
  // another endpoint of the same API, carrying the installation's credentials.
  for (const segment of path.split(/[/?#]/)) {
    let decoded = segment;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      /* keep the raw segment */
    }
    if (decoded === '.' || decoded === '..') throw new TemplateRenderError('path arguments may not be "." or ".."');
  }
  let url: URL;
  try {
    url = new URL(base + path);
  } catch {
    throw new TemplateRenderError('the upstream URL is not valid; check the installation settings');
  }
  const data = { args: input.args, settings: input.settings } as JSONValue;
  for (const [name, expression] of Object.entries(tool.query ?? {})) {
    const value = evaluate(expression, data, `query parameter "${name}"`);
    if (value === null || value === undefined) continue;
    url.searchParams.set(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const [k, v] of Object.entries(tool.headers ?? {})) headers[k.toLowerCase()] = v;
  let body: string | undefined;
  if (tool.body !== undefined) {
    body = JSON.stringify(dropNulls(evaluate(tool.body, data, 'body')));
    headers['content-type'] = tool.contentType ?? 'application/json';
  }
  authorization(template.auth, input.credentials, url, headers, accessToken);
  return { method: tool.method, url: url.toString(), headers, body };
}
