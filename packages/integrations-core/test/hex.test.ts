import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../src/hex.js';

describe('hex', () => {
  it('encodes every byte value as Node does, lowercase, two characters each', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(toHex(all)).toBe(Buffer.from(all).toString('hex'));
    const digest = randomBytes(32);
    expect(toHex(new Uint8Array(digest).buffer)).toBe(digest.toString('hex'));
  });

  it('decodes either case and round-trips', () => {
    const bytes = new Uint8Array(randomBytes(48));
    expect(fromHex(toHex(bytes))).toEqual(bytes);
    expect(fromHex('ABcd01')).toEqual(Uint8Array.of(0xab, 0xcd, 0x01));
  });

  it('refuses what is not an even run of hex digits', () => {
    for (const bad of ['', 'abc', 'zz', '0x12', 'ab cd', 'ab\n']) expect(fromHex(bad), bad).toBeNull();
  });
});
