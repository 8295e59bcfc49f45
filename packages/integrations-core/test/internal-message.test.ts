import { describe, expect, it } from 'vitest';
import {
  loadWorkerConfig,
  signInternalMessage,
  verifyInternalMessage,
  type SignedInternalMessage,
} from '../src/index.js';

const secret = 'a'.repeat(32);
const payload = { dispatchId: 'github:1' };
const now = 1_800_000_000;

describe('signed internal messages', () => {
  it('accepts its own message for its direction, with a fresh id each time and the payload as exact JSON', async () => {
    const a = await signInternalMessage(secret, 'session-dispatch', payload, now);
    const b = await signInternalMessage(secret, 'session-dispatch', payload, now);
    expect(a.body).toBe('{"dispatchId":"github:1"}');
    expect(a.id).not.toBe(b.id);
    expect(await verifyInternalMessage(secret, 'session-dispatch', a, now)).toEqual({ ok: true });
  });

  it('refuses it for the other direction, even re-labelled (the MAC covers the direction)', async () => {
    const m = await signInternalMessage(secret, 'session-dispatch', payload, now);
    expect(await verifyInternalMessage(secret, 'provider-tool', m, now)).toEqual({
      ok: false,
      reason: 'wrong_direction',
    });
    const relabelled: SignedInternalMessage = { ...m, direction: 'provider-tool' };
    expect(await verifyInternalMessage(secret, 'provider-tool', relabelled, now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('refuses a changed body, id or time, another key, a missing secret, and junk', async () => {
    const m = await signInternalMessage(secret, 'provider-tool', payload, now);
    const bad = { ok: false, reason: 'bad_signature' };
    expect(await verifyInternalMessage(secret, 'provider-tool', { ...m, body: `${m.body} ` }, now)).toEqual(bad);
    expect(await verifyInternalMessage(secret, 'provider-tool', { ...m, id: crypto.randomUUID() }, now)).toEqual(bad);
    expect(await verifyInternalMessage(secret, 'provider-tool', { ...m, timestamp: now + 1 }, now)).toEqual(bad);
    expect(await verifyInternalMessage('b'.repeat(32), 'provider-tool', m, now)).toEqual(bad);
    expect(await verifyInternalMessage('', 'provider-tool', m, now)).toEqual({ ok: false, reason: 'missing_secret' });
    for (const junk of [null, 'x', {}, { ...m, signature: 'zz' }, { ...m, id: 'not-a-uuid' }, { ...m, timestamp: 1.5 }])
      expect(await verifyInternalMessage(secret, 'provider-tool', junk, now)).toEqual({
        ok: false,
        reason: 'malformed_message',
      });
  });

  it('refuses a message older or newer than the five-minute window', async () => {
    const old = await signInternalMessage(secret, 'provider-tool', payload, now - 301);
    expect(await verifyInternalMessage(secret, 'provider-tool', old, now)).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    const future = await signInternalMessage(secret, 'provider-tool', payload, now + 301);
    expect(await verifyInternalMessage(secret, 'provider-tool', future, now)).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    const edge = await signInternalMessage(secret, 'provider-tool', payload, now - 300);
    expect(await verifyInternalMessage(secret, 'provider-tool', edge, now)).toEqual({ ok: true });
  });

  it('accepts the previous key during a rotation, and no other', async () => {
    const previous = 'p'.repeat(32);
    const env = {
      MCP_SIGNING_KEY: secret,
      MCP_SIGNING_KEY_PREVIOUS: previous,
      CREDENTIALS_KEYS: JSON.stringify({ k: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY' }),
      CREDENTIALS_ACTIVE_KID: 'k',
    };
    const { signingKey, verifyingKeys } = loadWorkerConfig(env);
    expect(signingKey).toBe(secret);
    expect(verifyingKeys).toEqual([secret, previous]);
    const fromOld = await signInternalMessage(previous, 'session-dispatch', payload, now);
    const fromNew = await signInternalMessage(secret, 'session-dispatch', payload, now);
    const fromElse = await signInternalMessage('e'.repeat(32), 'session-dispatch', payload, now);
    for (const m of [fromOld, fromNew])
      expect(await verifyInternalMessage(verifyingKeys, 'session-dispatch', m, now)).toEqual({ ok: true });
    expect(await verifyInternalMessage(verifyingKeys, 'session-dispatch', fromElse, now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    // Without the previous key configured, only the current one verifies.
    const { verifyingKeys: single } = loadWorkerConfig({ ...env, MCP_SIGNING_KEY_PREVIOUS: '' });
    expect(single).toEqual([secret]);
    expect(await verifyInternalMessage(single, 'session-dispatch', fromOld, now)).toMatchObject({ ok: false });
    expect(await verifyInternalMessage([], 'session-dispatch', fromNew, now)).toEqual({
      ok: false,
      reason: 'missing_secret',
    });
    expect(() => loadWorkerConfig({ ...env, MCP_SIGNING_KEY_PREVIOUS: 'short' })).toThrow('MCP_SIGNING_KEY_PREVIOUS');
  });
});
