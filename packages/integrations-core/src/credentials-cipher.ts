/**
 * Encryption at rest for installation credentials: compact JWE (RFC 7516) with `alg: dir`, `enc: A256GCM` and the
 * key id in the protected header (`kid`), so keys can rotate: new rows use the active key, old rows still decrypt
 * with the key their header names.
 *
 * Keys come from the `CREDENTIALS_KEYS` secret: a JSON object `{ "<kid>": "<base64url 32 bytes>", ... }`, and
 * `CREDENTIALS_ACTIVE_KID` names the one used for new writes.
 */
import { CompactEncrypt, base64url, compactDecrypt, decodeProtectedHeader } from 'jose';
import { z } from 'zod';
import { cachedValue } from './isolate-cache.js';

const keyMapSchema = z.record(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), z.string());

/** The `kid` in a compact JWE's protected header, without decrypting; undefined when absent or malformed. */
export function jweKid(jwe: string): string | undefined {
  try {
    const kid = decodeProtectedHeader(jwe).kid;
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

export class CredentialsKeyError extends Error {
  override name = 'CredentialsKeyError';
}

export interface CredentialsCipher {
  readonly activeKid: string;
  encrypt(plaintext: Record<string, string>): Promise<string>;
  decrypt(jwe: string): Promise<Record<string, string>>;
  /** The key id a stored value was written with (no decryption). */
  kidOf(jwe: string): string | undefined;
}

/**
 * Decrypted credentials kept per cipher (one per worker config, so per isolate), least recently used evicted; as many
 * as the webhook route's installation cache holds rows.
 */
const DECRYPTED_ENTRIES = 1024;

/**
 * Builds a cipher from the raw secrets. Throws CredentialsKeyError (never echoing key material) when the key map is
 * not JSON, a key is not 32 bytes, or the active kid is missing.
 */
export function createCredentialsCipher(
  keysJson: string | undefined,
  activeKid: string | undefined,
): CredentialsCipher {
  let parsed: unknown;
  try {
    parsed = JSON.parse(keysJson ?? '');
  } catch {
    throw new CredentialsKeyError('CREDENTIALS_KEYS must be a JSON object of kid → base64url 32-byte key');
  }
  const map = keyMapSchema.safeParse(parsed);
  if (!map.success)
    throw new CredentialsKeyError('CREDENTIALS_KEYS must be a JSON object of kid → base64url 32-byte key');
  const keys = new Map<string, Uint8Array<ArrayBuffer>>();
  for (const [kid, b64] of Object.entries(map.data)) {
    const bytes = base64url.decode(b64.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'));
    if (bytes.length !== 32) throw new CredentialsKeyError(`CREDENTIALS_KEYS["${kid}"] must decode to 32 bytes`);
    keys.set(kid, Uint8Array.from(bytes));
  }
  if (!activeKid || !keys.has(activeKid))
    throw new CredentialsKeyError('CREDENTIALS_ACTIVE_KID must name a key in CREDENTIALS_KEYS');
  // Each key is imported into WebCrypto once per cipher (the cipher lives as long as the worker's config), not on
  // every encrypt or decrypt; the cache keeps the CryptoKey, never the import's promise (isolate-cache.ts).
  const imported = new Map<string, CryptoKey>();
  const cryptoKey = (kid: string): Promise<CryptoKey> =>
    cachedValue(imported, kid, () =>
      crypto.subtle.importKey('raw', keys.get(kid)!, 'AES-GCM', false, ['encrypt', 'decrypt']),
    );
  const encoder = new TextEncoder();
  // Plain data (frozen objects), least recently used first.
  const decrypted = new Map<string, Readonly<Record<string, string>>>();
  return {
    activeKid,
    async encrypt(plaintext) {
      return new CompactEncrypt(encoder.encode(JSON.stringify(plaintext)))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: activeKid })
        .encrypt(await cryptoKey(activeKid));
    },
    async decrypt(jwe) {
      // Decrypted once per ciphertext and isolate: webhook verification decrypts the installation's secret on every
      // delivery (pnpm bench, webhook ingest). A new or rotated credential is a new ciphertext, hence a new entry.
      const hit = decrypted.get(jwe);
      if (hit) {
        decrypted.delete(jwe);
        decrypted.set(jwe, hit);
        return { ...hit };
      }
      // The key is chosen from the protected header jose has already parsed (RFC 7516 §4.1.6 kid).
      const keyFor = async (header: { kid?: string }) => {
        if (!header.kid || !keys.has(header.kid))
          throw new CredentialsKeyError(`no key for kid ${JSON.stringify(header.kid ?? null)}`);
        return cryptoKey(header.kid);
      };
      const { plaintext } = await compactDecrypt(jwe, keyFor, {
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
      const credentials = Object.freeze(
        z.record(z.string(), z.string()).parse(JSON.parse(new TextDecoder().decode(plaintext))),
      );
      decrypted.set(jwe, credentials);
      if (decrypted.size > DECRYPTED_ENTRIES) decrypted.delete(decrypted.keys().next().value!);
      return { ...credentials };
    },
    kidOf: jweKid,
  };
}
