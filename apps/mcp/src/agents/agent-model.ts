/**
 * An agent's model: `{ provider, model, base_url? }` turned into an AI SDK language model (https://ai-sdk.dev/docs/
 * foundations/providers-and-models). The key is the agent's own (stored encrypted) or the worker's default for the
 * provider: `ANTHROPIC_API_KEY`, `OPENAI_API_KEY` (with `OPENAI_BASE_URL` for an OpenAI-compatible default), the
 * `AI` binding for Workers AI. A worker key is sent only to the provider's own API or OPENAI_BASE_URL, never to an
 * agent's `base_url`. `base_url` passes the same outbound rules as upstreams (packages/catalog
 * outbound-policy.ts): https, public; http on loopback only under the development setting.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { checkOutboundUrl } from '@gatehouse/catalog';
import type { LanguageModel } from 'ai';
import { createWorkersAI } from 'workers-ai-provider';
import { z } from 'zod';

export const MODEL_PROVIDERS = ['anthropic', 'openai', 'openai-compatible', 'workers-ai'] as const;

/** The `model` field of an agent. */
export const agentModelSchema = z
  .object({
    provider: z.enum(MODEL_PROVIDERS),
    model: z.string().min(1).max(200).describe('Model id, e.g. "claude-sonnet-4-5", "gpt-5-mini", "llama3.2"'),
    base_url: z
      .url()
      .optional()
      .describe('API base URL, e.g. "http://127.0.0.1:11434/v1" for a local Ollama (openai-compatible: required)'),
  })
  .refine((m) => m.provider !== 'openai-compatible' || m.base_url !== undefined, {
    message: 'an openai-compatible model needs base_url',
    path: ['base_url'],
  });
export type AgentModel = z.infer<typeof agentModelSchema>;

/** The worker settings a model may come from (optional secrets and bindings, not in every deployment). */
export interface ModelEnv {
  ANTHROPIC_API_KEY?: string;
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  AI?: Ai;
}

export type ModelResolution =
  | { ok: true; model: LanguageModel }
  | { ok: false; reason: 'model_not_configured' | 'model_url_refused'; message: string };

/** Checks a base URL against the outbound rules; null when allowed. */
export function modelUrlProblem(url: string, allowLoopback: boolean): string | null {
  const check = checkOutboundUrl(url, { allowLoopback });
  return check.ok ? null : `base_url refused: ${check.reason}`;
}

/**
 * The AI SDK model for an agent, or why there is none (a message naming the settings to set). `fetch` is the one
 * the calls go through (tests pass their fakes' fetch; the worker passes the global one).
 */
export function resolveModel(
  spec: AgentModel,
  apiKey: string | null,
  env: ModelEnv,
  options: { allowLoopback: boolean; fetch: typeof fetch },
): ModelResolution {
  const baseURL = spec.base_url ?? (spec.provider === 'openai' ? env.OPENAI_BASE_URL || undefined : undefined);
  if (baseURL) {
    const problem = modelUrlProblem(baseURL, options.allowLoopback);
    if (problem) return { ok: false, reason: 'model_url_refused', message: problem };
  }
  // The worker's keys go only where the worker's settings point: an agent with a base_url of its own brings its own
  // key (else an ADMIN could send OPENAI_API_KEY to a server of theirs).
  const ownUrl = spec.base_url !== undefined && !(spec.provider === 'openai' && spec.base_url === env.OPENAI_BASE_URL);
  const workerKey = (key: string | undefined) => (ownUrl ? undefined : key);
  const missing = (setting: string): ModelResolution => ({
    ok: false,
    reason: 'model_not_configured',
    message: `No API key for the ${spec.provider} model: give the agent an api_key (update_agent) or set the worker secret ${setting}.`,
  });
  const { fetch } = options;
  switch (spec.provider) {
    case 'anthropic': {
      const key = apiKey ?? workerKey(env.ANTHROPIC_API_KEY);
      if (!key)
        return missing(ownUrl ? 'ANTHROPIC_API_KEY (not sent to an agent’s own base_url)' : 'ANTHROPIC_API_KEY');
      return { ok: true, model: createAnthropic({ apiKey: key, baseURL, fetch })(spec.model) };
    }
    case 'openai': {
      const key = apiKey ?? workerKey(env.OPENAI_API_KEY);
      if (!key)
        return missing(
          ownUrl
            ? 'OPENAI_API_KEY (not sent to an agent’s own base_url)'
            : 'OPENAI_API_KEY (and OPENAI_BASE_URL for an OpenAI-compatible server)',
        );
      // Chat Completions, the API every OpenAI-compatible server speaks too.
      return { ok: true, model: createOpenAI({ apiKey: key, baseURL, fetch }).chat(spec.model) };
    }
    case 'openai-compatible':
      // Local servers (Ollama, vLLM) usually need no key.
      return {
        ok: true,
        model: createOpenAICompatible({
          name: 'openai-compatible',
          baseURL: baseURL!,
          apiKey: apiKey ?? undefined,
          fetch,
        }).chatModel(spec.model),
      };
    case 'workers-ai':
      if (!env.AI)
        return {
          ok: false,
          reason: 'model_not_configured',
          message: 'Workers AI needs the AI binding: add `[ai] binding = "AI"` to apps/mcp/wrangler.toml and deploy.',
        };
      return { ok: true, model: createWorkersAI({ binding: env.AI })(spec.model as never) };
  }
}
