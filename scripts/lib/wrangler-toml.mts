/**
 * Reads the D1 entry of the root wrangler.toml, so the database id is written in one place only.
 *
 * A deliberately small reader for the one shape the repo uses — a `[[d1_databases]]` array-of-tables entry with
 * `key = "string"` lines — instead of importing wrangler's config reader (`unstable_readConfig`), which costs about
 * 1.3 s of module loading on every CLI call and may log to stdout (breaking `--json`). Anything it does not
 * understand fails loudly rather than being guessed.
 * Format reference: https://developers.cloudflare.com/d1/wrangler-commands/ and https://toml.io/en/v1.0.0#array-of-tables
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliError } from './cli-error.mts';

/** The D1 facts a local command needs. */
export interface D1Entry {
  binding: string;
  /** The id wrangler uses locally: `preview_database_id` when set, else `database_id` (wrangler's `executeLocally`). */
  localDatabaseId: string;
  /** Absolute path of `migrations_dir` (default `migrations`, relative to the config file, as wrangler resolves it). */
  migrationsDir: string;
}

type Table = Record<string, string>;

/** Parses the string-valued `[[d1_databases]]` entries of a wrangler.toml text. Other tables are skipped. */
export function parseD1Tables(toml: string): Table[] {
  const tables: Table[] = [];
  let current: Table | null = null;
  for (const [index, rawLine] of toml.split(/\r?\n/).entries()) {
    const line = stripComment(rawLine).trim();
    if (line === '') continue;
    if (line.startsWith('[')) {
      current = line === '[[d1_databases]]' ? {} : null;
      if (current) tables.push(current);
      continue;
    }
    if (/^d1_databases\s*=/.test(line)) {
      throw new CliError(
        `wrangler.toml line ${index + 1}: write d1_databases as [[d1_databases]] tables; scripts/lib/wrangler-toml.mts does not read the inline form`,
      );
    }
    if (!current) continue;
    const match = /^([A-Za-z0-9_-]+)\s*=\s*(?:"([^"\\]*)"|'([^']*)')$/.exec(line);
    if (match) current[match[1]!] = match[2] ?? match[3]!;
  }
  return tables;
}

/** Reads the D1 entry with the given binding from a wrangler.toml file; throws a CliError naming the file when absent. */
export function readD1Entry(configPath: string, binding: string): D1Entry {
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch {
    throw new CliError(`cannot read ${configPath}; run the command inside the Gatehouse repository`);
  }
  const table = parseD1Tables(text).find((t) => t.binding === binding);
  const localDatabaseId = table?.preview_database_id || table?.database_id;
  if (!table || !localDatabaseId) {
    throw new CliError(`${configPath} has no [[d1_databases]] entry with binding = "${binding}" and a database_id`);
  }
  return {
    binding,
    localDatabaseId,
    migrationsDir: resolve(dirname(configPath), table.migrations_dir || 'migrations'),
  };
}

/** Removes a `#` comment that is not inside a quoted string. */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#') return line.slice(0, i);
  }
  return line;
}
