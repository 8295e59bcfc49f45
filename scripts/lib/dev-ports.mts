/**
 * Ports of the local stack, and the check that runs before it starts so a second `pnpm dev` fails with a clear
 * message instead of a workerd "Address already in use".
 */
import { createServer } from 'node:net';
import { CliError } from './cli-error.mts';

/** Loopback only: the dev workers carry secrets and ALLOW_LOOPBACK_UPSTREAMS, nothing else should reach them. */
export const DEV_HOST = '127.0.0.1';
/**
 * The main worker (MCP at /mcp): 8787, or GATEHOUSE_DEV_MCP_PORT (tests run `pnpm dev` itself beside anything that
 * may hold the default ports).
 */
export const MCP_PORT = portFromEnv('GATEHOUSE_DEV_MCP_PORT', 8787);
/** The integrations worker (/install, /webhook, /v1/integrations): 8788, or GATEHOUSE_DEV_INTEGRATIONS_PORT. */
export const INTEGRATIONS_PORT = portFromEnv('GATEHOUSE_DEV_INTEGRATIONS_PORT', 8788);

function portFromEnv(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new CliError(`${name} must be a TCP port (1-65535), got ${JSON.stringify(value)}`);
  return port;
}

/** Fails with a CliError when something already listens on host:port. */
export async function assertPortFree(port: number, hint: string): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: DEV_HOST, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
  if (!free) throw new CliError(`port ${port} on ${DEV_HOST} is already in use (${hint}); stop that process first`);
}
