/**
 * The worker's configuration, parsed once per request from the Env bindings (secrets and vars) with zod. A missing
 * or malformed secret fails closed with a logged 500, never with a partially configured worker.
 */
import { createCredentialsCipher, type CredentialsCipher } from '@gatehouse/integrations-core';
import { z } from 'zod';

const envSchema = z.object({
  MCP_SIGNING_KEY: z.string().min(32, 'MCP_SIGNING_KEY must be at least 32 characters'),
  CREDENTIALS_KEYS: z.string().min(2),
  CREDENTIALS_ACTIVE_KID: z.string().min(1),
  ALLOW_LOOPBACK_UPSTREAMS: z.enum(['true', 'false']).default('false'),
});

export interface AppConfig {
  signingKey: string;
  cipher: CredentialsCipher;
  /** Development setting: integration tools may call loopback upstreams (local fakes). */
  allowLoopbackUpstreams: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const cache = new WeakMap<object, AppConfig>();

/** Parses the Env once per env object (workerd reuses it across requests of an isolate). Throws ConfigError. */
export function loadConfig(env: Env): AppConfig {
  const hit = cache.get(env);
  if (hit) return hit;
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`invalid worker configuration: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  const config: AppConfig = {
    signingKey: parsed.data.MCP_SIGNING_KEY,
    cipher: createCredentialsCipher(parsed.data.CREDENTIALS_KEYS, parsed.data.CREDENTIALS_ACTIVE_KID),
    allowLoopbackUpstreams: parsed.data.ALLOW_LOOPBACK_UPSTREAMS === 'true',
  };
  cache.set(env, config);
  return config;
}
