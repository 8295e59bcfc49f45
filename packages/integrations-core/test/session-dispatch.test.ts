import { describe, expect, it } from 'vitest';
import { signSessionDispatch, verifySessionDispatch } from '../src/index.js';

const secret = 'a'.repeat(32);
const body = '{"dispatchId":"github:1"}';
const now = 1_800_000_000;

describe('session dispatch signature', () => {
  it('accepts its own signature over the exact body', async () => {
    const header = await signSessionDispatch(secret, body, now);
    expect(await verifySessionDispatch(secret, body, header, now)).toEqual({ ok: true });
  });

  it('refuses a changed body, another key, a missing secret or header, and garbage', async () => {
    const header = await signSessionDispatch(secret, body, now);
    expect(await verifySessionDispatch(secret, `${body} `, header, now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(await verifySessionDispatch('b'.repeat(32), body, header, now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(await verifySessionDispatch('', body, header, now)).toEqual({ ok: false, reason: 'missing_secret' });
    expect(await verifySessionDispatch(secret, body, null, now)).toEqual({ ok: false, reason: 'missing_signature' });
    expect(await verifySessionDispatch(secret, body, 't=abc,v1=zz', now)).toEqual({
      ok: false,
      reason: 'malformed_signature',
    });
    // A signature with its timestamp changed no longer matches.
    const forged = header.replace(`t=${now}`, `t=${now + 1}`);
    expect(await verifySessionDispatch(secret, body, forged, now)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a replay outside the tolerance window', async () => {
    const header = await signSessionDispatch(secret, body, now - 301);
    expect(await verifySessionDispatch(secret, body, header, now)).toEqual({
      ok: false,
      reason: 'stale_timestamp',
      ageSec: 301,
    });
  });
});
