/**
 * A code provider's tool, declared once: its zod input is what validates a call, and the JSON Schema that
 * tools/list publishes is generated from it (zod 4 `z.toJSONSchema`, draft 2020-12, the input side: unknown keys are
 * not refused, so the `_session` and `_integration` arguments the gateway adds stay legal). The executor is a
 * function referenced by value; a provider's `executeTool` is built from its list (`toolExecutor`), never a
 * `switch` on names. MCP 2025-06-18 §Tools: `inputSchema` is a JSON Schema object.
 */
import { z } from 'zod';
import type { JsonSchemaObject, McpToolDescriptor, ProviderTool, PublicationContext } from './provider.js';

/** A call whose arguments do not match the tool's input; its message names each field and what is wrong. */
export class ProviderToolInputError extends Error {
  override name = 'ProviderToolInputError';
}

/**
 * A write whose concrete target turned out to lie outside the thread the publication check approved (for example a
 * Slack reaction on a message of another thread): the route answers 403 `outside_publication` and nothing is written.
 */
export class OutsidePublicationError extends Error {
  override name = 'OutsidePublicationError';
}

/**
 * The vendor refused the installation's credentials themselves (HTTP 401; Slack `invalid_auth`, `token_revoked`…):
 * the installation needs re-authorization (apps/mcp connection-health.ts), not a retry. Its message names the vendor
 * and the status, never the answer's body.
 */
export class CredentialsRefusedError extends Error {
  override name = 'CredentialsRefusedError';
}

/** What a provider declares for one tool. */
export interface ProviderToolDefinition<S extends z.ZodObject> {
  /** `mcp_<provider>_<tool>`. */
  name: string;
  description: string;
  annotations?: McpToolDescriptor['annotations'];
  /** The arguments; `.describe()` texts become the published descriptions. */
  input: S;
  /** The publication scope a write needs (e.g. `comment.create`); none for a read. */
  publicationScope?: string;
  /** The thread a write goes to (the session thread key form), from valid arguments; null when it has none. */
  target?: (args: z.infer<S>) => string | null;
  /** Runs the tool with validated arguments. Throws the provider's error type for upstream failures. */
  run: (args: z.infer<S>, ctx: PublicationContext) => Promise<unknown>;
}

/** A declared tool: its descriptor as tools/list shows it, and `execute`, which validates before it runs. */
export interface DefinedProviderTool extends ProviderTool {
  /** Throws ProviderToolInputError for invalid arguments, else whatever `run` throws. */
  execute(input: Record<string, unknown>, ctx: PublicationContext): Promise<unknown>;
}

/** The published JSON Schema of a zod input, without the `$schema` key (tools/list carries bare schemas). */
function inputJsonSchema(input: z.ZodObject): JsonSchemaObject {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(input, { io: 'input' }) as Record<string, unknown>;
  return schema as JsonSchemaObject;
}

function describeIssues(name: string, error: z.ZodError): string {
  const fields = error.issues.map((i) => `${i.path.map(String).join('.') || 'arguments'}: ${i.message}`);
  return `Invalid arguments for ${name}: ${fields.join('; ')}`;
}

/** Declares a tool from its zod input and executor. */
export function defineProviderTool<S extends z.ZodObject>(definition: ProviderToolDefinition<S>): DefinedProviderTool {
  const { input, run, target, ...meta } = definition;
  return {
    ...meta,
    inputSchema: inputJsonSchema(input),
    argumentProblem: (raw) => {
      const parsed = input.safeParse(raw);
      return parsed.success ? null : describeIssues(definition.name, parsed.error);
    },
    ...(target
      ? {
          target: (raw: Record<string, unknown>) => {
            // The publication check runs before the call: only valid arguments name a thread.
            const parsed = input.safeParse(raw);
            return parsed.success ? target(parsed.data) : null;
          },
        }
      : {}),
    async execute(raw, ctx) {
      const parsed = input.safeParse(raw);
      if (!parsed.success) throw new ProviderToolInputError(describeIssues(definition.name, parsed.error));
      return run(parsed.data, ctx);
    },
  };
}

/**
 * A provider's `executeTool` over its declared tools. An unknown name is refused with ProviderToolInputError (the
 * route checks the name against the provider's list first, so this is a second line).
 */
export function toolExecutor(
  tools: readonly DefinedProviderTool[],
): (name: string, input: Record<string, unknown>, ctx: PublicationContext) => Promise<unknown> {
  const byName = new Map(tools.map((t) => [t.name, t]));
  return async (name, input, ctx) => {
    const tool = byName.get(name);
    if (!tool) throw new ProviderToolInputError(`${name} is not a tool of this provider`);
    return tool.execute(input, ctx);
  };
}
