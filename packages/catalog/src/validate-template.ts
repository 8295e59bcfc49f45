/**
 * Validation of user-defined templates (create_integration / update_integration): the zod shape first, then the
 * rules that make a template callable and its tools generic. Every problem names the field it is about
 * (`tools[2].path: …`) and says what to fix.
 */
import { countPatternKeywords, linearPatternProblem, schemaPatterns } from './linear-regex.js';
import { compile } from '@jmespath-community/jmespath';
import { integrationTemplateSchema, type IntegrationTemplate } from './template-schema.js';
import { WEBHOOK_SECRET_FIELDS } from './template-provider.js';
import { upstreamHostProblem } from './upstream-hosts.js';

export type TemplateValidation = { ok: true; template: IntegrationTemplate } | { ok: false; problems: string[] };

/** Longest tool name, characters (some clients cap names at 64 including a server prefix). */
export const MAX_TOOL_NAME_LENGTH = 40;

/** Variables of an RFC 6570 URI Template: `{+settings.url}` → `settings.url`; `{args.a,args.b*}` → both. */
export function uriTemplateVariables(template: string): string[] {
  const vars: string[] = [];
  for (const m of template.matchAll(/\{([^{}]*)\}/g)) {
    const body = m[1]!.replace(/^[+#./;?&]/, '');
    for (const spec of body.split(',')) vars.push(spec.replace(/(\*|:\d+)$/, '').trim());
  }
  return vars;
}

/** Prefixes a generic tool name must not start with: the template's slug and name, in snake_case, and their first word. */
function vendorPrefixes(t: IntegrationTemplate): string[] {
  const forms = [t.slug, t.name].map((s) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, ''),
  );
  const prefixes = new Set<string>();
  for (const f of forms) {
    if (!f) continue;
    prefixes.add(`${f}_`);
    const first = f.split('_')[0];
    if (first && first.length >= 3) prefixes.add(`${first}_`);
  }
  return [...prefixes];
}

function authCredentialRefs(t: IntegrationTemplate): (string | null)[] {
  switch (t.auth.type) {
    case 'none':
      return [];
    case 'bearer':
      return [t.auth.token];
    case 'basic':
      return [t.auth.username, t.auth.password];
    case 'api_key':
      return [t.auth.value];
    case 'oauth2_client_credentials':
    case 'oauth2_authorization_code':
      return [t.auth.clientId, t.auth.clientSecret];
  }
}

function checkExpression(problems: string[], where: string, expression: string | undefined): void {
  if (expression === undefined) return;
  try {
    compile(expression);
  } catch (err) {
    problems.push(`${where}: not a valid JMESPath expression (${(err as Error).message})`);
  }
}

/**
 * Validates a template definition. `reservedToolNames` are the core tools' names, which integration tools may not
 * take. Returns the parsed template (defaults applied) or every problem found.
 */
export function validateTemplate(input: unknown, reservedToolNames: ReadonlySet<string>): TemplateValidation {
  const parsed = integrationTemplateSchema.safeParse(input);
  if (!parsed.success)
    return { ok: false, problems: parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`) };
  const t = parsed.data;
  const problems: string[] = [];
  const credentials = new Set(t.credentials.map((c) => c.name));
  const settings = new Set(t.settings.map((s) => s.name));

  // The gateway's own credential names (the custom provider's webhook secrets) cannot be a template's.
  t.credentials.forEach((c, i) => {
    if (WEBHOOK_SECRET_FIELDS.some((f) => f.name === c.name))
      problems.push(
        `credentials[${i}].name: "${c.name}" is reserved for the gateway's webhook signing secret; choose another name`,
      );
  });

  const authRefs = authCredentialRefs(t);
  for (const ref of authRefs)
    if (ref !== null && !credentials.has(ref))
      problems.push(`auth: credential "${ref}" is not declared in credentials`);

  // A literal base URL must itself be on the hosts the template names.
  if (t.upstreamHosts && uriTemplateVariables(t.baseUrl).length === 0) {
    const problem = upstreamHostProblem({ ...t, auth: { type: 'none' } }, {});
    if (problem) problems.push(`baseUrl: ${problem}`);
  }
  for (const v of uriTemplateVariables(t.baseUrl)) {
    const name = v.startsWith('settings.') ? v.slice('settings.'.length) : null;
    if (name === null || !settings.has(name))
      problems.push(`baseUrl: variable {${v}} must be settings.<a declared setting>`);
  }
  const authUrls: [string, string][] =
    t.auth.type === 'oauth2_client_credentials'
      ? [['tokenUrl', t.auth.tokenUrl]]
      : t.auth.type === 'oauth2_authorization_code'
        ? [
            ['authorizeUrl', t.auth.authorizeUrl],
            ['tokenUrl', t.auth.tokenUrl],
          ]
        : [];
  for (const [field, url] of authUrls)
    for (const v of uriTemplateVariables(url))
      if (!(v.startsWith('settings.') && settings.has(v.slice('settings.'.length))))
        problems.push(`auth.${field}: variable {${v}} must be settings.<a declared setting>`);
  // Patterns run on other people's input with a linear-time engine (linear-regex.ts): RE2 syntax only.
  for (const s of t.settings) {
    if (s.pattern === undefined) continue;
    const problem = linearPatternProblem(s.pattern);
    if (problem) problems.push(`settings.${s.name}.pattern: not an RE2 regular expression (${problem})`);
  }
  t.tools.forEach((tool, i) => {
    for (const { at, pattern } of schemaPatterns(tool.inputSchema)) {
      const where = `tools[${i}] (${tool.name}).inputSchema${at.slice(1)}.pattern`;
      const problem = linearPatternProblem(pattern);
      if (problem) problems.push(`${where}: not an RE2 regular expression (${problem})`);
      else if (/\/(anyOf|oneOf)\//.test(at)) problems.push(`${where}: patterns inside anyOf/oneOf are not supported`);
    }
    if (countPatternKeywords(tool.inputSchema) > schemaPatterns(tool.inputSchema).length)
      problems.push(
        `tools[${i}] (${tool.name}).inputSchema: a pattern may stand only under properties, items or allOf (elsewhere it would go unenforced)`,
      );
    if (JSON.stringify(tool.inputSchema).includes('"patternProperties"'))
      problems.push(`tools[${i}] (${tool.name}).inputSchema: patternProperties is not supported; name the properties`);
  });

  const prefixes = vendorPrefixes(t);
  const seen = new Set<string>();
  t.tools.forEach((tool, i) => {
    const at = `tools[${i}] (${tool.name})`;
    if (seen.has(tool.name)) problems.push(`${at}.name: duplicate tool name`);
    seen.add(tool.name);
    if (tool.name.length > MAX_TOOL_NAME_LENGTH)
      problems.push(`${at}.name: longer than ${MAX_TOOL_NAME_LENGTH} characters`);
    if (reservedToolNames.has(tool.name))
      problems.push(`${at}.name: "${tool.name}" is a core tool; choose another name`);
    const prefix = prefixes.find((p) => tool.name.startsWith(p));
    if (prefix)
      problems.push(
        `${at}.name: use a generic name without the integration prefix "${prefix}" (e.g. "${tool.name.slice(prefix.length)}"), so several integrations can share it`,
      );
    if (tool.readOnly && (tool.destructiveHint === true || tool.idempotentHint === false))
      problems.push(
        `${at}: a readOnly tool neither destroys nor repeats effects; remove destructiveHint/idempotentHint or readOnly`,
      );
    const properties = new Set(Object.keys(tool.inputSchema.properties ?? {}));
    for (const p of properties)
      if (p.startsWith('_'))
        problems.push(`${at}.inputSchema.properties.${p}: names starting with "_" are reserved for the gateway`);
    for (const r of tool.inputSchema.required ?? [])
      if (!properties.has(r)) problems.push(`${at}.inputSchema.required: "${r}" is not a property`);
    if (/\{[+#][^}]*args\./.test(tool.path))
      problems.push(
        `${at}.path: arguments may not use reserved expansion ({+…} or {#…}); it would let them add path segments`,
      );
    for (const v of uriTemplateVariables(tool.path)) {
      const [ns, ...rest] = v.split('.');
      const name = rest.join('.');
      if (ns === 'settings' && settings.has(name)) continue;
      if (ns === 'args' && properties.has(name)) continue;
      problems.push(`${at}.path: variable {${v}} must be args.<an input property> or settings.<a declared setting>`);
    }
    for (const [q, expr] of Object.entries(tool.query ?? {})) checkExpression(problems, `${at}.query.${q}`, expr);
    checkExpression(problems, `${at}.body`, tool.body);
    checkExpression(problems, `${at}.response`, tool.response);
    for (const h of Object.keys(tool.headers ?? {}))
      if (/^(authorization|cookie|host|content-length)$/i.test(h))
        problems.push(`${at}.headers.${h}: set by the gateway; use auth for credentials`);
  });
  if (t.validation) {
    for (const v of uriTemplateVariables(t.validation.path))
      if (!(v.startsWith('settings.') && settings.has(v.slice('settings.'.length))))
        problems.push(`validation.path: variable {${v}} must be settings.<a declared setting>`);
  }
  return problems.length ? { ok: false, problems } : { ok: true, template: t };
}

function formatPath(path: readonly PropertyKey[]): string {
  return (
    path.reduce<string>(
      (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
      '',
    ) || 'template'
  );
}
