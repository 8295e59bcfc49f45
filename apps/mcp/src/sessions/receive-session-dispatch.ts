/**
 * The main worker's receiver of SessionDispatches (`MainRpc.deliverSessionDispatch`, packages/integrations-core/
 * src/internal-rpc.ts): the integrations worker's queue consumer calls it over the MAIN service binding with a
 * signed `session-dispatch` message. The body is trusted only after the signature check over its exact text; each
 * message id is accepted once; the installation named must belong to the organization named, so a valid signature
 * cannot write into another tenant. Sessions are keyed by (installation, thread): a delivery through one
 * installation never reaches another installation's session on the same vendor thread.
 */
import {
  appendSessionDispatch,
  createDb,
  recordInternalMessageAndFindInstallation,
  type Db,
  type InstallationRecord,
} from '@gatehouse/integrations-adapters-cf';
import { providerIdOf } from '@gatehouse/catalog';
import { startSessionRuns } from '../agents/start-runs.js';
import { recordLater } from '../history/write-behind.js';
import {
  redactCredentials,
  redactRecorded,
  secretValuesOf,
  secretValuesOfCredentials,
  sessionDispatchSchema,
  traceIdForThread,
  verifyInternalMessage,
  type SessionDispatch,
  type SessionDispatchOutcome,
  type SignedInternalMessage,
  type WorkerConfig,
} from '@gatehouse/integrations-core';

type Refusal = Extract<SessionDispatchOutcome, { ok: false }>;

function refuse(reason: Refusal['reason'], message: string): Refusal {
  return { ok: false, reason, message };
}

/**
 * Verifies, parses and appends one dispatch. Answers a refusal for what can never be accepted; throws (the sender
 * retries) when storage fails.
 */
export async function receiveSessionDispatch(
  message: SignedInternalMessage,
  env: Env,
  config: WorkerConfig,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<SessionDispatchOutcome> {
  const check = await verifyInternalMessage(config.verifyingKeys, 'session-dispatch', message);
  if (!check.ok) return refuse('invalid_signature', `the dispatch signature was refused (${check.reason})`);
  let json: unknown;
  try {
    json = JSON.parse(message.body);
  } catch {
    return refuse('invalid_dispatch', 'the dispatch body is not JSON');
  }
  const parsed = sessionDispatchSchema.safeParse(json);
  if (!parsed.success)
    return refuse(
      'invalid_dispatch',
      `invalid SessionDispatch: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
    );
  const dispatch = parsed.data;
  const db = createDb(env.AUTH_DB);
  const tenant = { organizationId: dispatch.organizationId };
  // The message id, the installation and the agents that handle it, in one batch (one D1 round trip).
  const { fresh, installation, agents } = await recordInternalMessageAndFindInstallation(
    db,
    message,
    tenant,
    dispatch.installationId,
    { agentsFor: dispatch.provider },
  );
  if (!fresh) return refuse('replayed', 'this signed dispatch was received before (a replay)');
  // The installation must be active and belong to the provider named (catalog templates to `custom`).
  if (installation?.status !== 'active' || providerIdOf(installation) !== dispatch.provider)
    return refuse('unknown_installation', 'no active installation of that provider in that organization');
  // A session's own publication is always its own thread (sessionDispatchFor): no dispatch may grant more.
  const pub = dispatch.publication;
  if (pub && (pub.granularity !== 'issue' || pub.target !== dispatch.threadKey))
    return refuse('invalid_dispatch', 'a session publication must be its own thread at issue granularity');
  // The workspace is the installation's as stored now (a Local installation's), never the dispatch's copy.
  const result = await appendSessionDispatch(db, tenant, { ...dispatch, workspaceId: installation.workspaceId });
  // Agents that handle this installation work the new event (agents/start-runs.ts). Before the answer, so the run is
  // queued when the sender hears "delivered"; a failure is logged (the cron restarts runs left without an instance).
  if (result.appended && agents.length)
    await startSessionRuns(env, installation, agents, {
      id: result.sessionId,
      threadKey: dispatch.threadKey,
      closed: dispatch.closesThread,
      commentId: dispatch.event.data.comment_id,
    }).catch((err: unknown) =>
      console.error(
        JSON.stringify({ msg: 'agent run start failed', error: err instanceof Error ? err.name : 'unknown' }),
      ),
    );
  if (result.appended)
    waitUntil(
      recordSessionEvent(db, env, config, dispatch, installation, result.sessionId, waitUntil).catch((err: unknown) =>
        console.error(
          JSON.stringify({
            msg: 'run history write failed',
            kind: 'session_event',
            error: err instanceof Error ? err.name : 'unknown',
          }),
        ),
      ),
    );
  return { ok: true, ...result };
}

/**
 * The run-history item of an appended event (after the answer): in the session's trace, with the event as the
 * session stores it, redacted with the worker's keys and the installation's stored secrets.
 */
async function recordSessionEvent(
  db: Db,
  env: Env,
  config: WorkerConfig,
  dispatch: SessionDispatch,
  installation: InstallationRecord,
  sessionId: string,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<void> {
  const credentials = await config.cipher.decrypt(installation.credentials).catch(() => ({}));
  const secrets = [...secretValuesOf(env), ...secretValuesOfCredentials(credentials)];
  // Written behind with the tool calls (one D1 batch a moment later); dropped by the insert when the organization
  // records no history.
  recordLater(
    db.$client,
    db,
    env.RUN_HISTORY,
    {
      organizationId: dispatch.organizationId,
      workspaceId: installation.workspaceId,
      kind: 'session_event',
      status: 'ok',
      startedAt: Date.now(),
      durationMs: null,
      actorType: 'webhook',
      actorId: null,
      userId: null,
      installationId: installation.id,
      provider: dispatch.provider,
      tool: null,
      sessionId,
      traceId: await traceIdForThread(installation.id, dispatch.threadKey),
      summary: redactCredentials(`${dispatch.event.name} on ${dispatch.threadKey}: ${dispatch.event.summary}`, secrets),
      reason: dispatch.closesThread ? 'closes_thread' : null,
      detail: redactRecorded(
        { dispatch_id: dispatch.dispatchId, thread: dispatch.threadKey, event: dispatch.event },
        secrets,
      ) as Record<string, unknown>,
    },
    waitUntil,
  );
}
