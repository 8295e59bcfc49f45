/**
 * Configuration both workers read from their Env (secrets and vars), parsed with zod at the app edge. A missing or
 * malformed secret fails closed (ConfigError, rendered as a logged 500), never a partially configured worker.
 */
import { z } from 'zod';
import { createCredentialsCipher, type CredentialsCipher } from './credentials-cipher.js';

const envSchema = z.object({
  MCP_SIGNING_KEY: z.string().min(32, 'MCP_SIGNING_KEY must be at least 32 characters'),
  /** During a rotation: the key being replaced, still accepted on messages (never used to sign). */
  MCP_SIGNING_KEY_PREVIOUS: z
    .union([z.literal(''), z.string().min(32, 'MCP_SIGNING_KEY_PREVIOUS must be at least 32 characters')])
    .default(''),
  CREDENTIALS_KEYS: z.string().min(2),
  CREDENTIALS_ACTIVE_KID: z.string().min(1),
  ALLOW_LOOPBACK_UPSTREAMS: z.enum(['true', 'false']).default('false'),
  INTEGRATIONS_PUBLIC_URL: z.union([z.literal(''), z.url()]).default(''),
});

export interface WorkerConfig {
  /** HMAC key the worker signs internal messages (and sign-in cookies) with. */
  signingKey: string;
  /**
   * The keys a received internal message may be signed with: `signingKey`, then MCP_SIGNING_KEY_PREVIOUS during a
   * rotation (the two workers deploy separately, and messages signed before a deploy are still in flight).
   */
  verifyingKeys: readonly string[];
  cipher: CredentialsCipher;
  /** Development setting: outbound calls may reach loopback upstreams (local fakes). */
  allowLoopbackUpstreams: boolean;
  /** Public origin of the integrations worker (webhook URLs the main worker hands out), or '' when not configured. */
  integrationsPublicUrl: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const cache = new WeakMap<object, WorkerConfig>();

/** Parses the Env once per env object (workerd reuses it across an isolate's requests). Throws ConfigError. */
export function loadWorkerConfig(env: object): WorkerConfig {
  const hit = cache.get(env);
  if (hit) return hit;
  const parsed = envSchema.safeParse(env);
  if (!parsed.success)
    throw new ConfigError(
      `invalid worker configuration: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
    );
  const config: WorkerConfig = {
    signingKey: parsed.data.MCP_SIGNING_KEY,
    verifyingKeys: [parsed.data.MCP_SIGNING_KEY, parsed.data.MCP_SIGNING_KEY_PREVIOUS].filter(Boolean),
    cipher: createCredentialsCipher(parsed.data.CREDENTIALS_KEYS, parsed.data.CREDENTIALS_ACTIVE_KID),
    allowLoopbackUpstreams: parsed.data.ALLOW_LOOPBACK_UPSTREAMS === 'true',
    integrationsPublicUrl: parsed.data.INTEGRATIONS_PUBLIC_URL,
  };
  cache.set(env, config);
  return config;
}
