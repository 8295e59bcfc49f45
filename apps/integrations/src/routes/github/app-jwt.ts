/**
 * GitHub App authentication (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app):
 * a JWT signed RS256 with the app's private key, `iat` 60 s in the past (clock drift), `exp` at most 10 minutes
 * ahead, `iss` the app's client id or app id. It authenticates only as the app; tools use the installation access
 * token it buys (POST /app/installations/{installation_id}/access_tokens, one hour).
 */
import { createPrivateKey } from 'node:crypto';
import { SignJWT, importPKCS8 } from 'jose';

/** JWT lifetime, seconds: GitHub refuses more than ten minutes; nine leave room for clock drift. */
export const APP_JWT_TTL_SEC = 9 * 60;

/**
 * GitHub hands out private keys as PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`); Web Crypto imports PKCS#8 only. The
 * runtime's node:crypto (nodejs_compat in workerd) reads either and writes PKCS#8 (RFC 5208). Escaped `\n` line
 * breaks (a key pasted from an environment variable) are accepted. Throws on anything that is not a private key.
 * (universal-github-app-jwt, Octokit's signer, converts PKCS#1 only in its Node build, not the Web Crypto one
 * workerd gets.)
 */
export function toPkcs8Pem(pem: string): string {
  const text = pem.trim().replace(/\\n/g, '\n');
  return createPrivateKey(text).export({ type: 'pkcs8', format: 'pem' }) as string;
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
