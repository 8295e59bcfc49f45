/**
 * Ports of the local stack, and the check that runs before it starts so a second `pnpm dev` fails with a clear
 * message instead of a workerd "Address already in use".
 */
import { createServer } from 'node:net';
import { CliError } from './cli-error.mts';

/** Loopback only: the dev workers carry secrets and ALLOW_LOOPBACK_UPSTREAMS, nothing else should reach them. */
export const DEV_HOST = '127.0.0.1';
/** The main worker (MCP at /mcp). */
export const MCP_PORT = 8787;
/** The integrations worker (/install, /webhook, /v1/integrations). */
export const INTEGRATIONS_PORT = 8788;

/** Fails with a CliError when something already listens on host:port. */
export async function assertPortFree(port: number, hint: string): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: DEV_HOST, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
  if (!free) throw new CliError(`port ${port} on ${DEV_HOST} is already in use (${hint}); stop that process first`);
}
