import { describe, expect, it } from 'vitest';
import { CompactEncrypt, base64url } from 'jose';
import { CredentialsKeyError, createCredentialsCipher } from '../src/index.js';

const key = () => base64url.encode(crypto.getRandomValues(new Uint8Array(32)));

describe('credentials cipher', () => {
  it('round-trips and never stores plaintext', async () => {
    const cipher = createCredentialsCipher(JSON.stringify({ k1: key() }), 'k1');
    const jwe = await cipher.encrypt({ token: 'super-secret-pat' });
    expect(jwe).not.toContain('super-secret-pat');
    expect(cipher.kidOf(jwe)).toBe('k1');
    expect(await cipher.decrypt(jwe)).toEqual({ token: 'super-secret-pat' });
  });

  it('decrypts rows written under a previous key after rotation', async () => {
    const keys = { k1: key(), k2: key() };
    const old = await createCredentialsCipher(JSON.stringify({ k1: keys.k1 }), 'k1').encrypt({ a: '1' });
    const rotated = createCredentialsCipher(JSON.stringify(keys), 'k2');
    expect(await rotated.decrypt(old)).toEqual({ a: '1' });
    expect(rotated.kidOf(await rotated.encrypt({ a: '1' }))).toBe('k2');
  });

  it('refuses bad key material without echoing it', () => {
    expect(() => createCredentialsCipher('not json', 'k1')).toThrow(CredentialsKeyError);
    expect(() => createCredentialsCipher(JSON.stringify({ k1: 'c2hvcnQ' }), 'k1')).toThrow(/32 bytes/);
    const err = (() => {
      try {
        createCredentialsCipher(JSON.stringify({ k1: 'c2hvcnQ' }), 'k1');
      } catch (e) {
        return String(e);
      }
    })();
    expect(err).not.toContain('c2hvcnQ');
    expect(() => createCredentialsCipher(JSON.stringify({ k1: key() }), 'k9')).toThrow(/CREDENTIALS_ACTIVE_KID/);
  });

  it('refuses a tampered ciphertext and an unknown kid', async () => {
    const cipher = createCredentialsCipher(JSON.stringify({ k1: key() }), 'k1');
    const jwe = await cipher.encrypt({ a: '1' });
    const parts = jwe.split('.');
    parts[3] = parts[3]!.slice(0, -2) + (parts[3]!.endsWith('AA') ? 'BB' : 'AA');
    await expect(cipher.decrypt(parts.join('.'))).rejects.toThrow();
    const other = createCredentialsCipher(JSON.stringify({ k2: key() }), 'k2');
    await expect(cipher.decrypt(await other.encrypt({ a: '1' }))).rejects.toThrow(CredentialsKeyError);
    await expect(cipher.decrypt(await other.encrypt({ a: '1' }))).rejects.toThrow(/no key for kid "k2"/);
  });

  it('refuses a JWE without a kid, and one with another key management algorithm', async () => {
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const cipher = createCredentialsCipher(JSON.stringify({ k1: base64url.encode(raw) }), 'k1');
    const noKid = await new CompactEncrypt(new TextEncoder().encode('{"a":"1"}'))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(raw);
    await expect(cipher.decrypt(noKid)).rejects.toThrow(/no key for kid null/);
    const wrapped = await new CompactEncrypt(new TextEncoder().encode('{"a":"1"}'))
      .setProtectedHeader({ alg: 'A256KW', enc: 'A256GCM', kid: 'k1' })
      .encrypt(raw);
    await expect(cipher.decrypt(wrapped)).rejects.toThrow(/"alg" \(Algorithm\) Header Parameter value not allowed/);
  });
});
