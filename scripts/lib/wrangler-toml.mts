/**
 * Reads the D1 entry of the root wrangler.toml, so the database id is written in one place only.
 *
 * Parsed with smol-toml (a complete TOML 1.0 parser) rather than wrangler's config reader (`unstable_readConfig`),
 * which costs about 1.3 s of module loading on every CLI call and may log to stdout (breaking `--json`).
 * Format reference: https://developers.cloudflare.com/d1/wrangler-commands/ and https://toml.io/en/v1.0.0#array-of-tables
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'smol-toml';
import { CliError } from './cli-error.mts';

/** The D1 facts a local command needs. */
export interface D1Entry {
  binding: string;
  /** The id wrangler uses locally: `preview_database_id` when set, else `database_id` (wrangler's `executeLocally`). */
  localDatabaseId: string;
  /** Absolute path of `migrations_dir` (default `migrations`, relative to the config file, as wrangler resolves it). */
  migrationsDir: string;
}

/** One `d1_databases` entry as wrangler.toml writes it (https://developers.cloudflare.com/workers/wrangler/configuration/#d1-databases). */
interface D1Table {
  binding?: unknown;
  database_id?: unknown;
  preview_database_id?: unknown;
  migrations_dir?: unknown;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** Reads the D1 entry with the given binding from a wrangler.toml file; throws a CliError naming the file when absent. */
export function readD1Entry(configPath: string, binding: string): D1Entry {
  let source: string;
  try {
    source = readFileSync(configPath, 'utf8');
  } catch {
    throw new CliError(`cannot read ${configPath}; run the command inside the Gatehouse repository`);
  }
  let config: { d1_databases?: unknown };
  try {
    config = parse(source);
  } catch (err) {
    throw new CliError(`${configPath} is not valid TOML: ${err instanceof Error ? err.message : String(err)}`);
  }
  const tables = Array.isArray(config.d1_databases) ? (config.d1_databases as D1Table[]) : [];
  const table = tables.find((t) => t.binding === binding);
  const localDatabaseId = text(table?.preview_database_id) ?? text(table?.database_id);
  if (!table || !localDatabaseId) {
    throw new CliError(`${configPath} has no [[d1_databases]] entry with binding = "${binding}" and a database_id`);
  }
  return {
    binding,
    localDatabaseId,
    migrationsDir: resolve(dirname(configPath), text(table.migrations_dir) ?? 'migrations'),
  };
}
