/**
 * `gatehouse credentials rotate`: rotates the local credentials key. Adds a fresh key to CREDENTIALS_KEYS in every
 * app's `.dev.vars` (keeping the old ones, so existing rows still decrypt), makes it CREDENTIALS_ACTIVE_KID, then
 * re-encrypts every installation of the local database under it in batches (integrations-adapters-cf
 * reencryptCredentials). Restart `pnpm dev` afterwards so the workers load the new key. Prints counts, never keys.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../cli-error.mts';
import { DEV_SECRET_NAMES, parseDotenv, renderDevVars } from '../dev-vars.mts';
import type { CommandResult } from '../output.mts';
import { devVarsDirs } from '../repo-paths.mts';
import { createCredentialsCipher, reencryptCredentials, type Db } from '../workspace-packages.mts';

const BATCH = 100;

type Secrets = Record<(typeof DEV_SECRET_NAMES)[number], string>;

function readSecrets(): { files: string[]; secrets: Secrets } {
  const files = devVarsDirs().map((d) => join(d, '.dev.vars'));
  const parsed = files.map((f) => {
    if (!existsSync(f)) throw new CliError(`${f} does not exist; run \`pnpm dev\` once to create the local secrets`);
    return parseDotenv(readFileSync(f, 'utf8'));
  });
  const secrets = {} as Secrets;
  for (const name of DEV_SECRET_NAMES) {
    const values = new Set(parsed.map((p) => p.get(name)));
    if (values.size !== 1 || !parsed[0]!.get(name))
      throw new CliError(`${name} is missing or differs between ${files.join(' and ')}; make them equal first`);
    secrets[name] = parsed[0]!.get(name)!;
  }
  return { files, secrets };
}

export async function credentialsRotate(db: Db): Promise<CommandResult> {
  const { files, secrets } = readSecrets();
  let keys: Record<string, string>;
  try {
    keys = JSON.parse(secrets.CREDENTIALS_KEYS) as Record<string, string>;
  } catch {
    throw new CliError(
      'CREDENTIALS_KEYS in .dev.vars is not JSON; fix it or delete both .dev.vars files to regenerate',
    );
  }
  let n = Object.keys(keys).length + 1;
  while (keys[`dev-${n}`]) n++;
  const kid = `dev-${n}`;
  const next: Secrets = {
    ...secrets,
    CREDENTIALS_KEYS: JSON.stringify({ ...keys, [kid]: randomBytes(32).toString('base64url') }),
    CREDENTIALS_ACTIVE_KID: kid,
  };
  const cipher = createCredentialsCipher(next.CREDENTIALS_KEYS, kid);
  // Write the keys first: if re-encryption stops half-way, every row is readable with the keys on disk.
  for (const f of files) writeFileSync(f, renderDevVars(next), { mode: 0o600 });
  const total = { reencrypted: 0, skipped: 0, undecryptable: 0 };
  for (;;) {
    const r = await reencryptCredentials(db, cipher, BATCH);
    total.reencrypted += r.reencrypted;
    total.skipped += r.skipped;
    total.undecryptable += r.undecryptable;
    if (r.reencrypted === 0) break;
  }
  const json = { activeKid: kid, keptKids: Object.keys(keys), ...total };
  const text = [
    `New credentials key ${kid} is active; ${total.reencrypted} installation(s) re-encrypted under it.`,
    total.undecryptable
      ? `${total.undecryptable} installation(s) use a key that is not in CREDENTIALS_KEYS and could not be re-encrypted.`
      : '',
    `Restart \`pnpm dev\` so the workers load it. Old keys (${Object.keys(keys).join(', ')}) stay in CREDENTIALS_KEYS until you remove them.`,
  ]
    .filter(Boolean)
    .join('\n');
  return { json, text };
}
