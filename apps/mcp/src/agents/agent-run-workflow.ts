/**
 * One agent run as a Cloudflare Workflow instance (https://developers.cloudflare.com/workflows/build/workers-api/):
 * the instance id is the run id. The conversation is rebuilt from step results on every resume, and each model call
 * and each tool call is its own `step.do`, so a step that succeeded is never repeated (a comment is posted once)
 * and one that failed transiently is retried with backoff; a run survives an isolate restart.
 *
 * The loop is ours because durability needs a step boundary at each model and tool call; each model call is the AI
 * SDK's `generateText` with the tools declared without `execute` (https://ai-sdk.dev/docs/ai-sdk-core/tools-and-
 * tool-calling), so the SDK speaks each vendor's API and the gateway decides which calls run.
 *
 * Limits, all enforced here: `max_steps` model calls, `max_output_tokens` over the run, the wall-clock timeout
 * (checked before each step and passed to each call as its abort signal). A model that keeps failing ends the run
 * `failed` (`model_error`) after the retries, never a hang.
 */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from 'cloudflare:workers';
import type { ModelMessage } from 'ai';
import type { AgentRunParams } from './agent-run-params.js';
import { finishStep, replyStep, type RunOutcome } from './agent-run-end.js';
import { endsRun, modelStep, startStep, toolStep, type RunPlan } from './agent-run-steps.js';
import { startRunWorkflow } from './start-runs.js';

/** Retries of a model call after the first attempt (exponential backoff from 2 s). */
const MODEL_RETRIES = 2;
/**
 * Tool calls run from one model answer; the rest get an error result (Workflows limits steps per instance, and a
 * model asking for hundreds at once is looping).
 */
const MAX_TOOL_CALLS_PER_ANSWER = 20;

/** Whether `err` is the workflow engine unwinding an instance (pause, terminate, restart), not a step failure. */
function isEngineAbort(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('Aborting engine:');
}

export class AgentRunWorkflow extends WorkflowEntrypoint<Env, AgentRunParams> {
  override async run(event: Readonly<WorkflowEvent<AgentRunParams>>, step: WorkflowStep): Promise<unknown> {
    const { organizationId, runId } = event.payload;
    const waitUntil = (p: Promise<unknown>) => this.ctx.waitUntil(p);
    const plan = await step.do('start', () => startStep(this.env, organizationId, runId));
    if (!plan) return { status: 'skipped' };
    const outcome = await this.loop(plan, step, waitUntil);
    const next = await step.do('finish', () => finishStep(this.env, plan, outcome.end, outcome.counters));
    // Events that arrived while this run worked: the next run (queued by the finish, in the same batch).
    if (next)
      await step.do('start next run', () =>
        startRunWorkflow(this.env.AGENT_RUNS, organizationId, next).then(() => next),
      );
    return { status: outcome.end.status };
  }

  private async loop(
    plan: RunPlan,
    step: WorkflowStep,
    waitUntil: (p: Promise<unknown>) => void,
  ): Promise<{ end: RunOutcome; counters: { steps: number; outputTokens: number } }> {
    const messages: ModelMessage[] = [{ role: 'user', content: plan.input }];
    const counters = { steps: 0, outputTokens: 0 };
    let seq = 0;
    const fail = (reason: string, error: string, output: string | null = null) => ({
      end: { status: 'failed' as const, reason, error, output },
      counters,
    });
    const deadline = plan.startedAt + plan.agent.timeoutMs;
    // What a step that throws out of its retries means for the run.
    let failing = 'model_error';
    try {
      for (;;) {
        if (counters.steps >= plan.agent.maxSteps)
          return fail('max_steps', `the run reached its limit of ${plan.agent.maxSteps} model calls (max_steps)`);
        // The wall clock is checked inside each step (its answer is kept), so a replay never ends a run early.
        const n = ++seq;
        failing = 'model_error';
        const answer = await step.do(
          `model ${n}`,
          {
            retries: { limit: MODEL_RETRIES, delay: '2 seconds', backoff: 'exponential' },
            timeout: Math.max(1000, deadline - Date.now()),
            sensitive: 'output',
          },
          () => endsRun(() => modelStep(this.env, plan, n, messages, counters.outputTokens, waitUntil)),
        );
        if ('end' in answer) return fail(answer.end.reason, answer.end.message);
        counters.steps++;
        counters.outputTokens += answer.outputTokens;
        messages.push(...(JSON.parse(answer.messages) as ModelMessage[]));
        if (plan.agent.maxOutputTokens !== null && counters.outputTokens > plan.agent.maxOutputTokens)
          return fail(
            'max_output_tokens',
            `the run used ${counters.outputTokens} output tokens, over its budget of ${plan.agent.maxOutputTokens}`,
            answer.text,
          );
        if (answer.toolCalls.length === 0) {
          if (answer.finishReason === 'length')
            return fail('max_output_tokens', 'the model stopped at its output token limit', answer.text);
          const m = ++seq;
          failing = 'reply_failed';
          const reply = await step.do(
            `reply ${m}`,
            { retries: { limit: 2, delay: '2 seconds' }, timeout: '2 minutes' },
            () => endsRun(() => replyStep(this.env, plan, m, answer.text, waitUntil)),
          );
          if (reply && 'end' in reply) return fail(reply.end.reason, reply.end.message, answer.text);
          if (reply && reply.status !== 'ok')
            return fail(`reply_${reply.status}`, `the reply could not be posted: ${reply.text}`, answer.text);
          return { end: { status: 'completed', output: answer.text }, counters };
        }
        const results = [];
        for (const call of answer.toolCalls.slice(0, MAX_TOOL_CALLS_PER_ANSWER)) {
          const m = ++seq;
          failing = 'tool_failed';
          const outcome = await step.do(
            `tool ${m}`,
            { retries: { limit: 1, delay: '2 seconds' }, timeout: Math.max(1000, deadline - Date.now()) },
            () => endsRun(() => toolStep(this.env, plan, m, call, waitUntil)),
          );
          if ('end' in outcome) return fail(outcome.end.reason, outcome.end.message);
          // The SDK answered an invalid call in the model's own messages already: one result per call id.
          if (call.invalid) continue;
          results.push({
            type: 'tool-result' as const,
            toolCallId: call.toolCallId,
            toolName: call.toolName,
            output:
              outcome.status === 'ok'
                ? { type: 'text' as const, value: outcome.text }
                : { type: 'error-text' as const, value: outcome.text },
          });
        }
        // Every call needs its answer: the ones past the cap are told they did not run.
        for (const call of answer.toolCalls.slice(MAX_TOOL_CALLS_PER_ANSWER))
          if (!call.invalid)
            results.push({
              type: 'tool-result' as const,
              toolCallId: call.toolCallId,
              toolName: call.toolName,
              output: {
                type: 'error-text' as const,
                value: `Not run: at most ${MAX_TOOL_CALLS_PER_ANSWER} tool calls per answer.`,
              },
            });
        if (results.length) messages.push({ role: 'tool', content: results });
      }
    } catch (err) {
      // The engine unwinds run() with its own errors on pause, terminate or restart: those must reach it untouched,
      // or a paused run would be ended as failed (their messages: workers-sdk packages/workflows-shared ABORT_REASONS).
      if (isEngineAbort(err)) throw err;
      // A step out of retries: the run fails, never hangs. What the last attempt said is in its step row (redacted);
      // the thrown error may carry anything (a query's values), so only its name is kept and logged.
      const name = err instanceof Error ? err.name : 'unknown';
      console.error(
        JSON.stringify({ msg: 'agent run step failed after its retries', run: plan.run.id, failing, error: name }),
      );
      return fail(failing, `a step failed after its retries (${name}); its step row has what the last attempt said`);
    }
  }
}
