/**
 * HMAC-SHA256 verification of vendor webhook signatures given as hex (Linear `Linear-Signature`, Slack
 * `X-Slack-Signature` after its `v0=` prefix), in constant time through crypto.subtle.verify over the exact bytes.
 * Accepts the current and, during rotation, the previous secret.
 */
import { fromHex, toHex } from './hex.js';

const encoder = new TextEncoder();

/** True when `signatureHex` is HMAC-SHA256(secret, message) for one of the secrets. */
export async function verifyHmacSha256Hex(
  secrets: readonly string[],
  message: string,
  signatureHex: string,
): Promise<boolean> {
  const signature = fromHex(signatureHex);
  if (signature?.length !== 32) return false;
  for (const secret of secrets) {
    if (!secret) continue;
    const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'verify',
    ]);
    if (await crypto.subtle.verify('HMAC', key, signature, encoder.encode(message))) return true;
  }
  return false;
}

/** Hex HMAC-SHA256, for tests and fakes that sign like the vendors do. */
export async function hmacSha256Hex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return toHex(await crypto.subtle.sign('HMAC', key, encoder.encode(message)));
}
