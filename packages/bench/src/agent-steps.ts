/**
 * The agent-step row (issue 15): what the gateway itself costs per step of an agent run, everything but the model's
 * latency. RUNS invoke_agent calls through /mcp, each scripted as TOOL_CALLS tool calls of get_workspace_info (a core
 * tool: no upstream) and a final answer, against the model fake on loopback (@gatehouse/model-fake/node), which
 * answers at once. Per run, from agent_runs and agent_run_steps (milliseconds of the workers' clock): (finished_at −
 * started_at − the model calls' own durations) / steps, where a step is a model call or a tool call. What is left is
 * the workflow's step bookkeeping, the D1 writes of each step, building the tool context and the tool call itself.
 * Reported as p50 and p95 over the runs and as a ratio to the one-SELECT baseline worker's p50 of the same bench run.
 */
import type { Db } from '@gatehouse/integrations-adapters-cf';
import { FAKE_MODEL_API_KEY } from '@gatehouse/model-fake';
import type { ModelFakeServer } from '@gatehouse/model-fake/node';
import type { Miniflare } from 'miniflare';
import { MCP_ORIGIN } from './bench-stack.js';
import { BenchCheckError, jsonRpcRequest, jsonRpcResult, sendText, withSession } from './rpc.js';
import type { BenchTenant } from './seed.js';

/** Tool calls per run before the final answer (a run is TOOL_CALLS + 1 model calls and TOOL_CALLS tool calls). */
const TOOL_CALLS = 4;

export interface AgentStepRow {
  runs: number;
  stepsPerRun: number;
  /** Gateway milliseconds per step, each run's. */
  perStepMs: number[];
  /** The model calls' own share of a run, median, ms. */
  modelMsPerRun: number;
}

/** Runs `runs` scripted agent runs in `tenant` and reads their step timings back. */
export async function measureAgentSteps(
  mf: Miniflare,
  db: Db,
  tenant: BenchTenant,
  models: ModelFakeServer,
  runs: number,
): Promise<AgentStepRow> {
  const call = async (name: string, args: Record<string, unknown>) =>
    jsonRpcResult(
      await sendText(
        mf,
        await withSession(
          mf,
          jsonRpcRequest(`${MCP_ORIGIN}/mcp`, tenant.token, 'tools/call', { name, arguments: args }),
        ),
      ),
    ) as { isError?: boolean; content: { text: string }[] };
  const created = await call('create_agent', {
    name: 'bench-agent',
    instructions: 'Bench agent.',
    model: { provider: 'openai-compatible', model: 'bench', base_url: models.baseUrl },
    api_key: FAKE_MODEL_API_KEY,
    tools: ['get_workspace_info'],
  });
  if (created.isError) throw new BenchCheckError(`create_agent: ${created.content[0]?.text}`);
  const runIds: string[] = [];
  for (let i = 0; i < runs; i++) {
    for (let t = 0; t < TOOL_CALLS; t++)
      models.model.push({ toolCalls: [{ name: 'get_workspace_info', arguments: {} }] });
    models.model.push({ text: 'done' });
    const answer = await call('invoke_agent', { agent: 'bench-agent', input: `run ${i}`, wait_seconds: 55 });
    const run = JSON.parse(answer.content[0]?.text ?? '{}') as { status?: string; run_id?: string; steps?: unknown[] };
    if (answer.isError || run.status !== 'completed' || run.steps?.length !== 2 * TOOL_CALLS + 1)
      throw new BenchCheckError(`agent run ${i}: ${answer.content[0]?.text.slice(0, 300)}`);
    runIds.push(run.run_id!);
  }
  if (models.model.pending !== 0) throw new BenchCheckError(`the model fake has ${models.model.pending} turns left`);
  const perStepMs: number[] = [];
  const modelMs: number[] = [];
  for (const id of runIds) {
    const run = await db.$client
      .prepare('SELECT started_at AS s, finished_at AS f FROM agent_runs WHERE id = ?')
      .bind(id)
      .first<{ s: number; f: number }>();
    const steps = await db.$client
      .prepare(
        "SELECT count(*) AS n, sum(CASE WHEN kind = 'model_call' THEN duration_ms ELSE 0 END) AS model FROM agent_run_steps WHERE run_id = ?",
      )
      .bind(id)
      .first<{ n: number; model: number }>();
    if (!run || !steps) throw new BenchCheckError(`agent run ${id} has no row`);
    perStepMs.push((run.f - run.s - steps.model) / steps.n);
    modelMs.push(steps.model);
  }
  modelMs.sort((a, b) => a - b);
  return { runs, stepsPerRun: 2 * TOOL_CALLS + 1, perStepMs, modelMsPerRun: modelMs[modelMs.length >> 1]! };
}

/** One line: gateway ms per agent step (p50, p95) and its ratio to the one-SELECT baseline's p50. */
export function renderAgentSteps(row: AgentStepRow, baselineP50Ms: number): string {
  const sorted = [...row.perStepMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return (
    `agent step (gateway only, model latency excluded): p50 ${at(0.5).toFixed(2)} ms, p95 ${at(0.95).toFixed(2)} ms ` +
    `per step over ${row.runs} runs of ${row.stepsPerRun} steps (model calls ${row.modelMsPerRun} ms a run); ` +
    `${(at(0.5) / baselineP50Ms).toFixed(1)}× the one-SELECT baseline's p50 (${baselineP50Ms.toFixed(3)} ms)`
  );
}
