/**
 * Which upstream URLs a template may call. Templates are user-defined, so the gateway must not become a proxy into
 * its own network: production allows only https to public hosts; loopback is allowed only under the explicit
 * development setting ALLOW_LOOPBACK_UPSTREAMS (the local fakes).
 *
 * Host checks run on the WHATWG-parsed URL, which already normalizes IPv4 written in decimal, hex, octal or short
 * form (`http://2130706433/`, `0x7f.1` → `127.0.0.1`) and compresses IPv6, so each spelling reaches one check.
 * References: RFC 6890 (special-purpose addresses), RFC 4291 §2.5.5.2 (IPv4-mapped IPv6).
 */

export interface OutboundPolicy {
  allowLoopback: boolean;
}

export type OutboundCheck = { ok: true; url: URL } | { ok: false; reason: string };

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.']);

function ipv4Octets(host: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const octets = m.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? octets : null;
}

/** IPv4 embedded in an IPv6 literal as IPv4-mapped (`::ffff:a.b.c.d` / `::ffff:7f00:1`) or IPv4-compatible. */
function embeddedIpv4(host: string): number[] | null {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  const dotted = /^::(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (dotted) return ipv4Octets(dotted[1]!);
  const hex = /^::(?:ffff:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
  if (hex) {
    const hi = Number.parseInt(hex[1]!, 16);
    const lo = Number.parseInt(hex[2]!, 16);
    return [hi >> 8, hi & 255, lo >> 8, lo & 255];
  }
  return null;
}

function isLoopbackV4(o: number[]): boolean {
  return o[0] === 127;
}

/** RFC 6890 ranges that are never a public upstream. */
function isNonPublicV4(o: number[]): boolean {
  const [a, b] = o as [number, number, number, number];
  return (
    a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 192 && b === 0) || (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

function isNonPublicV6(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === '::' || h === '::1' || /^f[cd]/.test(h) || /^fe[89ab]/.test(h) || /^ff/.test(h) || h.startsWith('64:ff9b:');
}

/** Whether a parsed hostname is loopback (127/8, ::1, localhost, or IPv4-mapped loopback). */
export function isLoopbackHost(hostname: string): boolean {
  if (LOOPBACK_NAMES.has(hostname.toLowerCase())) return true;
  const v4 = ipv4Octets(hostname) ?? embeddedIpv4(hostname);
  if (v4) return isLoopbackV4(v4);
  return hostname.replace(/^\[|\]$/g, '') === '::1';
}

/**
 * Checks an absolute upstream URL. Refuses non-http(s) schemes, credentials in the URL, plain http outside
 * loopback-in-development, and any private, loopback, link-local (incl. 169.254.169.254 cloud metadata) or multicast
 * address literal. Host names are not resolved here: Workers' fetch does not reach private networks by name.
 */
export function checkOutboundUrl(raw: string, policy: OutboundPolicy): OutboundCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'the upstream URL is not a valid absolute URL; check the template baseUrl and settings' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: `scheme ${url.protocol} is not allowed; use https` };
  if (url.username || url.password) return { ok: false, reason: 'credentials in the upstream URL are not allowed; use the template auth' };
  const host = url.hostname;
  if (isLoopbackHost(host)) {
    return policy.allowLoopback ? { ok: true, url } : { ok: false, reason: `loopback upstream ${host} is not allowed outside development` };
  }
  const v4 = ipv4Octets(host) ?? embeddedIpv4(host);
  if ((v4 && isNonPublicV4(v4)) || (!v4 && host.startsWith('[') && isNonPublicV6(host)))
    return { ok: false, reason: `upstream address ${host} is private, link-local or reserved` };
  if (/\.(?:localhost|local|internal)\.?$/i.test(host)) return { ok: false, reason: `upstream host ${host} is not public` };
  if (url.protocol !== 'https:') return { ok: false, reason: 'only https upstreams are allowed' };
  return { ok: true, url };
}
