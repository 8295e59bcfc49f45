/**
 * GitHub App authentication (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app):
 * a JWT signed RS256 with the app's private key, `iat` 60 s in the past (clock drift), `exp` at most 10 minutes
 * ahead, `iss` the app's client id or app id. It authenticates only as the app; tools use the installation access
 * token it buys (POST /app/installations/{installation_id}/access_tokens, one hour).
 */
import { SignJWT, importPKCS8 } from 'jose';

/** JWT lifetime, seconds: GitHub refuses more than ten minutes; nine leave room for clock drift. */
export const APP_JWT_TTL_SEC = 9 * 60;

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** rsaEncryption AlgorithmIdentifier (OID 1.2.840.113549.1.1.1, NULL parameters), RFC 8017 Appendix C. */
const RSA_ALGORITHM = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];

/**
 * GitHub hands out private keys as PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`); Web Crypto imports PKCS#8. Wraps the PKCS#1
 * RSAPrivateKey in a PKCS#8 PrivateKeyInfo (RFC 5208 §5) and returns it as PEM; PKCS#8 input is returned as it is.
 * Throws on anything else.
 */
export function toPkcs8Pem(pem: string): string {
  const text = pem.trim().replace(/\\n/g, '\n');
  if (text.startsWith('-----BEGIN PRIVATE KEY-----')) return text;
  const m = /^-----BEGIN RSA PRIVATE KEY-----([\s\S]+?)-----END RSA PRIVATE KEY-----$/.exec(text);
  if (!m) throw new TypeError('the private key is not a PEM (BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY)');
  const pkcs1 = Uint8Array.from(atob(m[1]!.replace(/\s+/g, '')), (c) => c.charCodeAt(0));
  const body = [0x02, 0x01, 0x00, ...RSA_ALGORITHM, 0x04, ...derLength(pkcs1.length), ...pkcs1];
  const der = Uint8Array.from([0x30, ...derLength(body.length), ...body]);
  let b64 = '';
  for (let i = 0; i < der.length; i += 0x8000) b64 += String.fromCharCode(...der.subarray(i, i + 0x8000));
  b64 = btoa(b64);
  return `-----BEGIN PRIVATE KEY-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----`;
}

/** Signs the app JWT. `issuer`: the app's client id (or app id). */
export async function createAppJwt(
  issuer: string,
  privateKeyPem: string,
  nowSec = Math.floor(Date.now() / 1000),
): Promise<string> {
  const key = await importPKCS8(toPkcs8Pem(privateKeyPem), 'RS256');
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer(issuer)
    .setIssuedAt(nowSec - 60)
    .setExpirationTime(nowSec + APP_JWT_TTL_SEC)
    .sign(key);
}
