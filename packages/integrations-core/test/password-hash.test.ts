import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../src/index.js';

describe('password hashing', () => {
  it('verifies the right password only, with a fresh salt each time', async () => {
    const a = await hashPassword('correct horse battery', 1000);
    const b = await hashPassword('correct horse battery', 1000);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^pbkdf2-sha256\$1000\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('refuses malformed stored hashes', async () => {
    for (const stored of ['', 'plain', 'md5$1$a$b', 'pbkdf2-sha256$0$a$b', 'pbkdf2-sha256$x$a$b'])
      expect(await verifyPassword('x', stored)).toBe(false);
  });
});
