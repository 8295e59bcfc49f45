import { describe, expect, it } from 'vitest';
import { checkOutboundUrl } from '../src/index.js';

const prod = { allowLoopback: false };
const dev = { allowLoopback: true };

describe('outbound policy', () => {
  it('allows public https, including public IPv6 and IPv4-mapped public addresses', () => {
    expect(checkOutboundUrl('https://acme.atlassian.net/rest/api/3/issue', prod).ok).toBe(true);
    expect(checkOutboundUrl('https://[2606:4700:4700::1111]/', prod).ok).toBe(true);
    expect(checkOutboundUrl('https://1.1.1.1/', prod).ok).toBe(true);
  });

  it.each([
    'http://127.0.0.1:9000/',
    'http://localhost:9000/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://0177.0.0.1/',
    'http://127.1/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'https://127.0.0.1/',
    'http://localhost../',
    'https://[::ffff:0:7f00:1]/',
    'https://[2002:7f00:1::]/',
  ])('refuses loopback %s in production', (url) => {
    expect(checkOutboundUrl(url, prod)).toMatchObject({ ok: false, reason: expect.stringMatching(/loopback/) });
  });

  it('allows loopback only under the development setting', () => {
    expect(checkOutboundUrl('http://127.0.0.1:9000/x', dev).ok).toBe(true);
  });

  it.each([
    'https://10.0.0.1/',
    'https://192.168.1.1/',
    'https://172.16.0.1/',
    'https://169.254.169.254/latest/meta-data/',
    'https://[fd00::1]/',
    'https://[fe80::1]/',
    'https://[::ffff:10.0.0.1]/',
    'https://0.0.0.0/',
    'https://metadata.google.internal/',
    'https://[::ffff:0:a00:1]/',
    'https://[2002:a00:1::]/',
    'https://[fec0::1]/',
    'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/',
    'https://[64:ff9b::a00:1]/',
    'https://[::a00:1]/',
    'https://[100::1]/',
  ])('refuses private or metadata address %s even in development', (url) => {
    expect(checkOutboundUrl(url, dev).ok).toBe(false);
  });

  it.each([
    'ftp://example.com/',
    'file:///etc/passwd',
    'https://user:pw@example.com/',
    'http://example.com/',
    'not a url',
  ])('refuses %s', (url) => {
    expect(checkOutboundUrl(url, prod).ok).toBe(false);
  });
});
