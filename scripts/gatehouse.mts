/**
 * `pnpm gatehouse …` — the admin CLI for the LOCAL Gatehouse database (the AUTH_DB that `pnpm dev` serves from
 * <repo>/.wrangler/state; GATEHOUSE_PERSIST_TO points it elsewhere).
 *
 *   pnpm gatehouse org create --slug demo --name "Demo Organization"
 *   pnpm gatehouse token create --org demo --role ADMIN --json
 *   pnpm gatehouse history search --org demo --status error --since 2026-12-01
 *
 * `--json` prints one JSON document on stdout and nothing else (use `pnpm -s gatehouse …` so pnpm's own banner stays
 * off stdout too). Errors go to stderr; the exit code is 1 when the command could not be carried out and 2 when the
 * command line is wrong. Options are parsed with node:util parseArgs (https://nodejs.org/api/util.html#utilparseargsconfig).
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { CliError, EXIT_USAGE, usageError } from './lib/cli-error.mts';
import { parseOrgOnly, type OptionValues } from './lib/cli-input.mts';
import { credentialsRotate } from './lib/commands/credentials.mts';
import { HISTORY_ARGS, HISTORY_OPTIONS, historyExport, historySearch, parseHistory } from './lib/commands/history.mts';
import { knowledgeImport, parseKnowledgeImport } from './lib/commands/knowledge.mts';
import { orgCreate, orgList, parseOrgCreate } from './lib/commands/org.mts';
import { parseTokenCreate, parseTokenRevoke, tokenCreate, tokenList, tokenRevoke } from './lib/commands/token.mts';
import { parseUserAdd, parseUserSetPassword, userAdd, userList, userSetPassword } from './lib/commands/user.mts';
import { parseWorkspaceCreate, workspaceCreate, workspaceList } from './lib/commands/workspace.mts';
import { withLocalDb } from './lib/local-db.mts';
import { applyLocalMigrations } from './lib/migrate.mts';
import type { CommandResult } from './lib/output.mts';
import { seedDemo } from './lib/seed.mts';
import type { Db } from './lib/workspace-packages.mts';

interface CommandSpec {
  /** Arguments after the command words, for help and usage errors. */
  args: string;
  /** The option name a single positional argument is read into (`knowledge import DIR`), if the command takes one. */
  positional?: string;
  summary: string;
  options: ParseArgsOptionsConfig;
  run: (values: OptionValues, json: boolean) => Promise<CommandResult>;
}

const str = { type: 'string' } as const;

/** A command whose options are validated before the local database is opened (so usage errors come first). */
function dbCommand<I>(parse: (values: OptionValues) => I, run: (db: Db, input: I) => Promise<CommandResult>) {
  return (values: OptionValues) => {
    const input = parse(values);
    return withLocalDb((db) => run(db, input));
  };
}

/** Every command, keyed by its words. */
const COMMANDS: Record<string, CommandSpec> = {
  'org create': {
    args: '--slug S --name N',
    summary: 'create an organization',
    options: { slug: str, name: str },
    run: dbCommand(parseOrgCreate, orgCreate),
  },
  'org list': { args: '', summary: 'list organizations', options: {}, run: dbCommand(() => null, orgList) },
  'workspace create': {
    args: '--org S --slug S --name N [--vision V] [--okr O ...]',
    summary: 'create a workspace in an organization',
    options: { org: str, slug: str, name: str, vision: str, okr: { type: 'string', multiple: true } },
    run: dbCommand(parseWorkspaceCreate, workspaceCreate),
  },
  'workspace list': {
    args: '--org S',
    summary: "list an organization's workspaces",
    options: { org: str },
    run: dbCommand(parseOrgOnly, workspaceList),
  },
  'user add': {
    args: '--org S --email E --role SUPERADMIN|ADMIN|MEMBER [--name N]',
    summary: "add a member or change a member's role",
    options: { org: str, email: str, role: str, name: str },
    run: dbCommand(parseUserAdd, userAdd),
  },
  'user set-password': {
    args: '--email E (--password P | --password-stdin)',
    summary: 'set the password a user signs in with on the OAuth consent page',
    options: { email: str, password: str, 'password-stdin': { type: 'boolean' } },
    run: dbCommand(parseUserSetPassword, userSetPassword),
  },
  'user list': {
    args: '--org S',
    summary: "list an organization's members",
    options: { org: str },
    run: dbCommand(parseOrgOnly, userList),
  },
  'token create': {
    args: '--org S --role R [--user EMAIL] [--workspace SLUG] [--name N] [--expires-days D]',
    summary: 'issue an API token (printed once)',
    options: { org: str, role: str, user: str, workspace: str, name: str, 'expires-days': str },
    run: dbCommand(parseTokenCreate, tokenCreate),
  },
  'token list': {
    args: '--org S',
    summary: "list an organization's tokens (no secrets)",
    options: { org: str },
    run: dbCommand(parseOrgOnly, tokenList),
  },
  'token revoke': {
    args: '--org S --id ID',
    summary: 'revoke a token',
    options: { org: str, id: str },
    run: dbCommand(parseTokenRevoke, tokenRevoke),
  },
  'knowledge import': {
    args: 'DIR --org S (--workspace SLUG | --global) [--tags a,b]',
    summary: 'import the Markdown and text files under DIR into the knowledge base (again: replaces them)',
    positional: 'dir',
    options: { org: str, workspace: str, global: { type: 'boolean' }, tags: str },
    run: dbCommand(parseKnowledgeImport, knowledgeImport),
  },
  'credentials rotate': {
    args: '',
    summary: 'new local credentials key; re-encrypt every installation under it (old keys kept)',
    options: {},
    run: dbCommand(() => null, credentialsRotate),
  },
  'history search': {
    args: HISTORY_ARGS,
    summary: "an organization's run history, newest first (default 50 items)",
    options: HISTORY_OPTIONS,
    run: dbCommand((v) => parseHistory(v, 50), historySearch),
  },
  'history export': {
    args: HISTORY_ARGS,
    summary: 'the same as JSON lines, each item with its detail (default 10000 items)',
    options: HISTORY_OPTIONS,
    run: (values) => {
      const input = parseHistory(values, 10_000);
      return withLocalDb((db, _d1, bucket) => historyExport(db, bucket, input));
    },
  },
  migrate: {
    args: '',
    summary: 'apply the AUTH_DB migrations to the local database',
    options: {},
    run: (_v, json) => migrate(json),
  },
  seed: {
    args: '',
    summary: 'create the demo organization, workspace, admin and example agent (idempotent)',
    options: {},
    run: dbCommand(() => null, seed),
  },
};

async function migrate(json: boolean): Promise<CommandResult> {
  const { persistTo } = await applyLocalMigrations({ output: json ? 'stderr' : 'inherit' });
  // Reopening the database also checks that nothing is left pending.
  const applied = await withLocalDb(async (_db, d1) => {
    const { results } = await d1.prepare('SELECT name FROM d1_migrations ORDER BY id').all<{ name: string }>();
    return results.map((r) => r.name);
  });
  return {
    json: { database: 'AUTH_DB', persistTo, applied },
    text: `Local AUTH_DB under ${persistTo} is up to date (${applied.length} migration(s) applied).`,
  };
}

async function seed(db: Db): Promise<CommandResult> {
  const result = await seedDemo(db);
  const text = [
    `organization ${result.organization.slug}: ${result.organization.status}`,
    `workspace    ${result.organization.slug}/${result.workspace.slug}: ${result.workspace.status}`,
    `user         ${result.user.email} (${result.user.role}): ${result.user.status}`,
    `agent        ${result.agent.name} (${result.agent.enabled ? 'enabled' : 'disabled until a model is set'}): ${result.agent.status}`,
  ].join('\n');
  return { json: result, text };
}

function help(): string {
  return [
    'Usage: pnpm gatehouse <command> [options] [--json]',
    '',
    'Manages the local Gatehouse database (.wrangler/state, as used by `pnpm dev`).',
    '',
    ...Object.entries(COMMANDS).map(([name, spec]) => `  ${`${name} ${spec.args}`.trimEnd()}\n      ${spec.summary}`),
    '',
    '--json prints machine-readable JSON only on stdout (run as `pnpm -s gatehouse …` to hide pnpm’s banner).',
    'Exit codes: 0 ok, 1 failed (e.g. unknown organization), 2 bad command line.',
  ].join('\n');
}

/** Runs one command line; returns the exit code. */
async function main(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    (argv.length === 0 ? process.stderr : process.stdout).write(`${help()}\n`);
    return argv.length === 0 ? EXIT_USAGE : 0;
  }
  const words = Object.hasOwn(COMMANDS, argv[0]!) || argv[1] === undefined || argv[1].startsWith('-') ? 1 : 2;
  const name = argv.slice(0, words).join(' ');
  const spec = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!spec) {
    const subcommands = Object.keys(COMMANDS)
      .filter((k) => k.startsWith(`${argv[0]} `))
      .map((k) => k.split(' ')[1]);
    const hint =
      subcommands.length > 0
        ? `"${argv[0]}" takes one of: ${subcommands.join(', ')}`
        : 'run `pnpm gatehouse --help` for the list';
    throw usageError(`unknown command "${name}"; ${hint}`);
  }
  const usage = `usage: pnpm gatehouse ${name} ${spec.args}`.trimEnd();

  let values: OptionValues;
  try {
    let positionals: string[];
    ({ values, positionals } = parseArgs({
      args: argv.slice(words),
      options: { ...spec.options, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: spec.positional !== undefined,
    }));
    if (spec.positional !== undefined && positionals.length > 0) {
      if (positionals.length > 1) throw usageError(`one ${spec.positional.toUpperCase()} only\n${usage}`);
      values = { ...values, [spec.positional]: positionals[0] };
    }
  } catch (error) {
    // node:util parseArgs reports bad command lines with ERR_PARSE_ARGS_* codes.
    if (error instanceof TypeError && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      throw usageError(`${error.message}\n${usage}`);
    }
    throw error;
  }
  if (values.help) {
    process.stdout.write(`${usage}\n${spec.summary}\n`);
    return 0;
  }
  const json = values.json === true;
  let result: CommandResult;
  try {
    result = await spec.run(values, json);
  } catch (error) {
    // Usage errors from option validation get the command's usage line appended.
    if (error instanceof CliError && error.exitCode === EXIT_USAGE) throw usageError(`${error.message}\n${usage}`);
    throw error;
  }
  process.stdout.write(`${json ? JSON.stringify(result.json, null, 2) : result.text}\n`);
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof CliError) {
    process.stderr.write(`gatehouse: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(
      `gatehouse: unexpected error\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
