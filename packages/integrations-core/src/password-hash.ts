/**
 * Password hashing for Gatehouse sign-in (the OAuth consent page): PBKDF2-HMAC-SHA-256 through WebCrypto (NIST
 * SP 800-132; native in workerd, so it stays within a Worker's CPU budget), a 16-byte random salt per password, and a
 * self-describing encoding `pbkdf2-sha256$<iterations>$<salt b64url>$<hash b64url>` so the cost can be raised later
 * without breaking stored hashes. Verification compares in constant time.
 */
import { fromBase64Url, toBase64Url } from './base64url.js';

/** Iterations for new hashes. OWASP's 2023 guidance for PBKDF2-SHA256 is 600,000; 100,000 keeps a sign-in well under
 * a Worker's CPU limits and can be raised per hash (the count is stored with it). */
export const PASSWORD_ITERATIONS = 100_000;
/** Shortest password accepted, characters. */
export const MIN_PASSWORD_LENGTH = 12;

const encoder = new TextEncoder();

async function derive(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(password), 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(
    await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256),
  );
}

/** Hashes a password for storage. */
export async function hashPassword(password: string, iterations = PASSWORD_ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return `pbkdf2-sha256$${iterations}$${toBase64Url(salt)}$${toBase64Url(await derive(password, salt, iterations))}`;
}

/** Whether `password` matches a stored hash; false for a malformed hash. Constant-time comparison. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iter, salt, hash] = stored.split('$');
  const iterations = Number(iter);
  if (scheme !== 'pbkdf2-sha256' || !Number.isInteger(iterations) || iterations < 1 || !salt || !hash) return false;
  const expected = fromBase64Url(hash);
  const saltBytes = fromBase64Url(salt);
  if (!expected || !saltBytes) return false;
  const actual = await derive(password, saltBytes, iterations);
  if (actual.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < actual.length; i++) diff |= actual[i]! ^ expected[i]!;
  return diff === 0;
}
