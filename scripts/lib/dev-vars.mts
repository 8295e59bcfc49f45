/**
 * Local secrets for `wrangler dev`: each app's `.dev.vars` (dotenv syntax, read by wrangler next to the app's
 * wrangler.toml; https://developers.cloudflare.com/workers/configuration/secrets/#local-development-with-secrets).
 * Both workers must hold the SAME values: MCP_SIGNING_KEY signs SessionDispatch between them and CREDENTIALS_KEYS
 * decrypts credentials either one wrote. Missing files are created; existing ones are never rewritten, and values are
 * never printed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './repo-paths.mts';

/** The secrets both wrangler.toml files list under `[secrets] required`. */
export const DEV_SECRET_NAMES = ['MCP_SIGNING_KEY', 'CREDENTIALS_KEYS', 'CREDENTIALS_ACTIVE_KID'] as const;
type SecretName = (typeof DEV_SECRET_NAMES)[number];

/** Key id of the generated credentials key. */
export const DEV_CREDENTIALS_KID = 'dev-1';

/** What {@link ensureDevVars} did: files it created, and problems a person should fix (no secret values). */
export interface DevVarsReport {
  created: string[];
  warnings: string[];
}

/** Parses dotenv `KEY=value` lines (optionally `export`ed, optionally quoted); enough to compare our three keys. */
export function parseDotenv(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    let value = match[2]!;
    const quoted = /^(['"`])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2]!;
    else value = value.replace(/\s+#.*$/, '');
    vars.set(match[1]!, value);
  }
  return vars;
}

/** Fresh development secrets: 32 random bytes, base64url, for the signing key and the credentials key. */
export function generateDevSecrets(): Record<SecretName, string> {
  const key = () => randomBytes(32).toString('base64url');
  return {
    MCP_SIGNING_KEY: key(),
    CREDENTIALS_KEYS: JSON.stringify({ [DEV_CREDENTIALS_KID]: key() }),
    CREDENTIALS_ACTIVE_KID: DEV_CREDENTIALS_KID,
  };
}

/** The `.dev.vars` text for the given values; single quotes keep the JSON literal (dotenv does not expand them). */
export function renderDevVars(values: Record<SecretName, string>): string {
  const quote = (v: string) => (v.includes("'") ? JSON.stringify(v) : `'${v}'`);
  return [
    '# Local secrets for `wrangler dev`, written by `pnpm dev` (scripts/dev.mjs). Gitignored: never commit.',
    '# apps/mcp and apps/integrations must hold the same values.',
    ...DEV_SECRET_NAMES.map((name) => `${name}=${quote(values[name])}`),
    '',
  ].join('\n');
}

/**
 * Creates `.dev.vars` in each app directory that lacks one. Values come from an existing `.dev.vars` of another app
 * when it has them (so both stay equal), otherwise they are generated once for all new files.
 */
export function ensureDevVars(appDirs: readonly string[]): DevVarsReport {
  const files = appDirs.map((dir) => join(dir, '.dev.vars'));
  const existing = files
    .filter((f) => existsSync(f))
    .map((f) => ({ file: f, vars: parseDotenv(readFileSync(f, 'utf8')) }));
  const report: DevVarsReport = { created: [], warnings: [] };
  const show = (f: string) => relative(REPO_ROOT, f);

  const generated = generateDevSecrets();
  const values = {} as Record<SecretName, string>;
  for (const name of DEV_SECRET_NAMES) {
    const found = existing.map((e) => e.vars.get(name)).filter((v): v is string => v !== undefined && v !== '');
    values[name] = found[0] ?? generated[name];
    if (new Set(found).size > 1) {
      report.warnings.push(
        `${name} differs between ${existing.map((e) => show(e.file)).join(' and ')}; make them equal (or delete both files to regenerate)`,
      );
    }
    for (const e of existing) {
      if (!e.vars.get(name))
        report.warnings.push(`${show(e.file)} has no ${name}; add it (or delete the file to regenerate)`);
    }
  }

  for (const file of files) {
    if (existsSync(file)) continue;
    // 'wx' never overwrites a file created in the meantime; 0600 because these are secrets.
    writeFileSync(file, renderDevVars(values), { flag: 'wx', mode: 0o600 });
    report.created.push(show(file));
  }
  return report;
}
