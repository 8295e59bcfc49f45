/**
 * base64url without padding (RFC 4648 §5), the one encoder of the tree for ids, states, tokens, PKCE values and
 * signatures in cookies: jose's implementation (the library that already reads and writes our JWEs). Native
 * `Uint8Array.prototype.toBase64` is not used yet: the Node that runs the unit tests (24.9) lacks it.
 */
import { base64url } from 'jose';

/** `bytes` as base64url, no padding. */
export function toBase64Url(bytes: Uint8Array): string {
  return base64url.encode(bytes);
}

/** `byteLength` random bytes (crypto.getRandomValues) as base64url: unguessable ids, states and secrets. */
export function randomBase64Url(byteLength: number): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(byteLength)));
}

/** The bytes of base64url text (padding tolerated), or null when it is not base64url. */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    return base64url.decode(text) as Uint8Array<ArrayBuffer>;
  } catch {
    return null;
  }
}
