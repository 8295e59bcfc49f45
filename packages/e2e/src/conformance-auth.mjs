// Preloaded (node --import) into the @modelcontextprotocol/conformance CLI, which (0.1.16) has no option for request
// headers: installs an undici global dispatcher that adds `Authorization: <CONFORMANCE_AUTH>` to every request to
// CONFORMANCE_AUTH_ORIGIN. The CLI's SDK client, its fetch() calls and its undici request() all use that dispatcher.
import { createRequire } from 'node:module';

const auth = process.env.CONFORMANCE_AUTH;
const origin = process.env.CONFORMANCE_AUTH_ORIGIN;
if (!auth || !origin)
  throw new Error('conformance-auth: set CONFORMANCE_AUTH ("Bearer …") and CONFORMANCE_AUTH_ORIGIN');
const target = new URL(origin).origin;

// The CLI's own undici (pnpm does not hoist it), so the dispatcher is the one its requests consult.
const cliPackage = createRequire(import.meta.url).resolve('@modelcontextprotocol/conformance/package.json');
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
