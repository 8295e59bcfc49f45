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

/** An IPv6 literal (WHATWG-serialized: brackets, lower-case hex, no dotted tail) as 8 hextets, or null. */
function ipv6Hextets(host: string): number[] | null {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (!h.includes(':') || !/^[0-9a-f:]+$/.test(h)) return null;
  const [head, tail, ...rest] = h.split('::');
  if (rest.length) return null;
  const parse = (part: string | undefined) => (part ? part.split(':').map((x) => Number.parseInt(x, 16)) : []);
  const a = parse(head);
  const b = parse(tail);
  const fill = tail === undefined ? 0 : 8 - a.length - b.length;
  const out = [...a, ...Array<number>(Math.max(fill, 0)).fill(0), ...b];
  return out.length === 8 && out.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffff) ? out : null;
}

function v4From(hi: number, lo: number): number[] {
  return [hi >> 8, hi & 255, lo >> 8, lo & 255];
}

/**
 * The IPv4 address an IPv6 literal stands for, where one is embedded: IPv4-compatible (::/96) and mapped
 * (::ffff:0:0/96, RFC 4291 §2.5.5), IPv4-translated (::ffff:0:0:0/96, RFC 2765), NAT64 (64:ff9b::/96, RFC 6052) and
 * 6to4 (2002::/16, RFC 3056).
 */
function embeddedIpv4(x: number[]): number[] | null {
  const zero = (from: number, to: number) => x.slice(from, to).every((v) => v === 0);
  if (zero(0, 6)) return v4From(x[6]!, x[7]!);
  if (zero(0, 5) && x[5] === 0xffff) return v4From(x[6]!, x[7]!);
  if (zero(0, 4) && x[4] === 0xffff && x[5] === 0) return v4From(x[6]!, x[7]!);
  if (x[0] === 0x64 && x[1] === 0xff9b && zero(2, 6)) return v4From(x[6]!, x[7]!);
  if (x[0] === 0x2002) return v4From(x[1]!, x[2]!);
  return null;
}

function isLoopbackV4(o: number[]): boolean {
  return o[0] === 127;
}

/** RFC 6890 IPv4 ranges that are never a public upstream. */
function isNonPublicV4(o: number[]): boolean {
  const [a, b] = o as [number, number, number, number];
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

/** IPv6 ranges that are never a public upstream (RFC 6890 and the IANA special-purpose registry). */
function isNonPublicV6(x: number[]): boolean {
  const first = x[0]!;
  return (
    x.every((v) => v === 0) || // unspecified
    (first & 0xfe00) === 0xfc00 || // fc00::/7 unique local
    (first & 0xffc0) === 0xfe80 || // fe80::/10 link-local
    (first & 0xffc0) === 0xfec0 || // fec0::/10 site-local (deprecated)
    (first & 0xff00) === 0xff00 || // ff00::/8 multicast
    (first === 0x100 && x[1] === 0 && x[2] === 0 && x[3] === 0) || // 100::/64 discard
    (first === 0x2001 && x[1] === 0) || // 2001::/32 Teredo (the client address is obfuscated: refuse)
    (first === 0x2001 && x[1] === 0xdb8) || // 2001:db8::/32 documentation
    (first === 0x64 && x[1] === 0xff9b && x[2] === 1) // 64:ff9b:1::/48 local-use NAT64
  );
}

/** Whether a parsed hostname is loopback (127/8, ::1, localhost, or IPv4-mapped loopback). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.+$/, '');
  if (LOOPBACK_NAMES.has(host)) return true;
  const v6 = ipv6Hextets(host);
  if (v6?.slice(0, 7).every((v) => v === 0) && v6[7] === 1) return true; // ::1
  const v4 = ipv4Octets(host) ?? (v6 ? embeddedIpv4(v6) : null);
  return v4 !== null && isLoopbackV4(v4);
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
    return {
      ok: false,
      reason: 'the upstream URL is not a valid absolute URL; check the template baseUrl and settings',
    };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { ok: false, reason: `scheme ${url.protocol} is not allowed; use https` };
  if (url.username || url.password)
    return { ok: false, reason: 'credentials in the upstream URL are not allowed; use the template auth' };
  // Trailing dots name the same host (`localhost..`): compare without them.
  const host = url.hostname.toLowerCase().replace(/\.+$/, '');
  if (isLoopbackHost(host)) {
    return policy.allowLoopback
      ? { ok: true, url }
      : { ok: false, reason: `loopback upstream ${host} is not allowed outside development` };
  }
  const v6 = ipv6Hextets(host);
  const v4 = ipv4Octets(host) ?? (v6 ? embeddedIpv4(v6) : null);
  if ((v4 && isNonPublicV4(v4)) || (v6 && (isNonPublicV6(v6) || (v6.slice(0, 6).every((v) => v === 0) && !v4))))
    return { ok: false, reason: `upstream address ${host} is private, link-local or reserved` };
  if (/(?:^|\.)(?:localhost|local|internal)$/i.test(host))
    return { ok: false, reason: `upstream host ${host} is not public` };
  if (url.protocol !== 'https:') return { ok: false, reason: 'only https upstreams are allowed' };
  return { ok: true, url };
}
