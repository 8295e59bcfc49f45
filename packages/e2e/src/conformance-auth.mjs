// Preloaded (node --import) into the @modelcontextprotocol/conformance CLI, which (0.1.16, 0.2.0-alpha.12) has no
// option for request headers: installs an undici global dispatcher that adds `Authorization: <CONFORMANCE_AUTH>` to
// every request to CONFORMANCE_AUTH_ORIGIN. The CLI's SDK client, its fetch() calls and its undici request() all use
// that dispatcher; the SEP-2243 header scenarios of 0.2 use node:http directly, so http.request gets the header too.
// CONFORMANCE_PACKAGE names the CLI's package (the 0.2 prerelease is installed under an alias).
import http from 'node:http';
import { createRequire } from 'node:module';

const auth = process.env.CONFORMANCE_AUTH;
const origin = process.env.CONFORMANCE_AUTH_ORIGIN;
if (!auth || !origin)
  throw new Error('conformance-auth: set CONFORMANCE_AUTH ("Bearer …") and CONFORMANCE_AUTH_ORIGIN');
const target = new URL(origin).origin;

// The CLI's own undici (pnpm does not hoist it), so the dispatcher is the one its requests consult.
const cliPackage = createRequire(import.meta.url).resolve(
  `${process.env.CONFORMANCE_PACKAGE ?? '@modelcontextprotocol/conformance'}/package.json`,
);
const { Agent, setGlobalDispatcher } = createRequire(cliPackage)('undici');

/** Adds the header to any of undici's header shapes (object, flat array, array of pairs, iterable) unless present. */
function withAuth(headers) {
  if (headers == null) return { authorization: auth };
  if (Array.isArray(headers)) {
    const flat = headers.length && Array.isArray(headers[0]) ? headers.flat() : headers;
    for (let i = 0; i < flat.length; i += 2) if (String(flat[i]).toLowerCase() === 'authorization') return flat;
    return [...flat, 'authorization', auth];
  }
  if (typeof headers !== 'string' && typeof headers[Symbol.iterator] === 'function') return withAuth([...headers]);
  if (Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')) return headers;
  return { ...headers, authorization: auth };
}

setGlobalDispatcher(
  new Agent().compose((dispatch) => (opts, handler) => {
    const to = typeof opts.origin === 'string' ? new URL(opts.origin).origin : opts.origin?.origin;
    return dispatch(to === target ? { ...opts, headers: withAuth(opts.headers) } : opts, handler);
  }),
);

/** The origin an http.request(url | options, …) call goes to, or null when it cannot be told. */
function httpOrigin(first) {
  if (typeof first === 'string' || first instanceof URL) return URL.canParse(first) ? new URL(first).origin : null;
  if (!first || typeof first !== 'object') return null;
  const host = first.hostname ?? first.host?.replace(/:\d+$/, '');
  if (!host) return null;
  const port = first.port ? `:${first.port}` : '';
  return URL.canParse(`${first.protocol ?? 'http:'}//${host}${port}`)
    ? new URL(`${first.protocol ?? 'http:'}//${host}${port}`).origin
    : null;
}

const originalRequest = http.request;
http.request = function request(first, second, third) {
  if (httpOrigin(first) !== target) return originalRequest.call(this, first, second, third);
  // request(url, options?, callback?) or request(options, callback?): the header goes into the options object.
  if (typeof first === 'string' || first instanceof URL) {
    const options = typeof second === 'object' && second ? second : {};
    const callback = typeof second === 'function' ? second : third;
    return originalRequest.call(this, first, { ...options, headers: withAuth(options.headers) }, callback);
  }
  return originalRequest.call(this, { ...first, headers: withAuth(first.headers) }, second, third);
};
