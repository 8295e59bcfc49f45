/**
 * Validation of command-line values. Every failure is a usage error (exit code 2) whose message names the option
 * and the accepted form, so the user can fix the command line without reading code.
 */
import { ROLES, type Role } from './workspace-packages.mts';
import { usageError } from './cli-error.mts';

/** What `node:util` parseArgs returns for the options a command declares. */
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** Slugs: lower-case letters, digits and inner hyphens, 1–63 characters (safe in URLs and as DNS labels). */
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A pragmatic email check (one @, no spaces); the address is only an identifier here, nothing is sent to it. */
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$|^[^@\s]+@[^@\s.]+$/;

/** The string value of a required option, or a usage error naming it. */
export function requireString(values: OptionValues, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') throw usageError(`missing --${name}`);
  return value.trim();
}

/** The string value of an optional option (trimmed), or undefined. */
export function optionalString(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** A slug option (`--slug`, `--org`, `--workspace`), validated. */
export function requireSlug(values: OptionValues, name: string): string {
  const value = requireString(values, name);
  if (!SLUG.test(value)) {
    throw usageError(
      `--${name} "${value}" is not a valid slug: use lower-case letters, digits and hyphens (e.g. "demo", "team-a")`,
    );
  }
  return value;
}

/** A role option, upper-cased; one of SUPERADMIN, ADMIN, MEMBER (integrations-core roles.ts). */
export function requireRole(values: OptionValues, name = 'role'): Role {
  const raw = requireString(values, name).toUpperCase();
  const role = ROLES.find((r) => r === raw);
  if (!role) throw usageError(`--${name} "${String(values[name])}" is not a role: use one of ${ROLES.join(', ')}`);
  return role;
}

/** An email option, lower-cased (the adapters store emails lower-cased). */
export function parseEmail(value: string, name = 'email'): string {
  const email = value.trim().toLowerCase();
  if (!EMAIL.test(email)) throw usageError(`--${name} "${value}" is not an email address (expected name@example.com)`);
  return email;
}

/** A positive number of days, as epoch milliseconds from now; undefined when the option is absent. */
export function optionalExpiry(values: OptionValues, name: string, now = Date.now()): number | undefined {
  const raw = optionalString(values, name);
  if (raw === undefined) return undefined;
  const days = Number(raw);
  if (!Number.isFinite(days) || days <= 0)
    throw usageError(`--${name} "${raw}" must be a positive number of days (e.g. 30)`);
  return now + Math.round(days * 86_400_000);
}

/** Validated input of the commands that only take `--org S` (the `list` commands). */
export function parseOrgOnly(values: OptionValues) {
  return { org: requireSlug(values, 'org') };
}
